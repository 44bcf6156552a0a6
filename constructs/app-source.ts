import { IConstruct } from 'constructs';
import { AppCode } from '../lib/render/app-setup';
import { Messages, propError } from '../lib/errors';
import { isToken } from '../lib/validate';

export interface GitAppOptions {
  /** https URL of the repository. */
  readonly url: string;
  /** Branch, tag or commit to deploy. Pin a tag or commit for repeatable deploys. @default 'main' */
  readonly ref?: string;
  /** WSGI callable as 'module:callable', e.g. 'myproject.wsgi:application'. */
  readonly wsgiApp: string;
  /** pip requirements file, relative to the repository root. @default 'requirements.txt' */
  readonly requirementsFile?: string;
}

/** The code the app servers run: the bundled sample, or your app from git. */
export class AppSource {
  /** A small bundled Flask app: `/` writes and reads a row in MySQL, `/health` answers without the DB. */
  public static sample(): AppSource {
    return new AppSource({ kind: 'sample' });
  }

  /** Your WSGI app from a git repository, installed with its requirements into a virtualenv. */
  public static git(options: GitAppOptions): AppSource {
    return new AppSource({
      kind: 'git',
      url: options.url,
      ref: options.ref ?? 'main',
      wsgiApp: options.wsgiApp,
      requirementsFile: options.requirementsFile ?? 'requirements.txt',
    });
  }

  private constructor(private readonly code: AppCode) {}

  /** Checks the options, naming `scope` and `prop` in errors, and returns the model the renderer takes. */
  public bind(scope: IConstruct, prop: string): AppCode {
    const code = this.code;
    if (code.kind === 'git') {
      if (!isToken(code.url) && !/^https:\/\/[^\s'"`$]+$/.test(code.url)) {
        throw propError(scope, `${prop}.url`, 'is not an https git URL', code.url, Messages.gitUrl);
      }
      if (!isToken(code.wsgiApp) && !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/.test(code.wsgiApp)) {
        throw propError(scope, `${prop}.wsgiApp`, 'is not a WSGI callable', code.wsgiApp, Messages.wsgiModule);
      }
      if (!isToken(code.ref) && !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(code.ref)) {
        throw propError(scope, `${prop}.ref`, 'is not a git ref', code.ref, 'Pass a branch, tag or commit hash.');
      }
      if (!isToken(code.requirementsFile) && !/^[A-Za-z0-9._/-]+$/.test(code.requirementsFile)) {
        throw propError(scope, `${prop}.requirementsFile`, 'is not a relative file path', code.requirementsFile, "Pass e.g. 'requirements.txt'.");
      }
    }
    return code;
  }
}
