import { IConstruct } from 'constructs';
import { AppCode } from '../lib/render/app-setup';
import { Messages, propError } from '../lib/errors';
import { checkLiteral } from '../lib/validate';

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
      const why = "tierform writes it into the app's setup script at synth.";
      for (const field of ['url', 'ref', 'wsgiApp', 'requirementsFile'] as const) checkLiteral(scope, `${prop}.${field}`, code[field], why);
      // One word inside the setup script's double quotes: no whitespace or control characters, quotes, '#', '\\',
      // '$', '`', nor anything that is not printable ASCII (the same as the script's guard, plus a URL's shape).
      if (
        typeof code.url !== 'string' ||
        !/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%!&()*+,;=:@/-]*)?$/.test(code.url) ||
        code.url.length > 2048
      ) {
        throw propError(scope, `${prop}.url`, 'is not an https git URL', code.url, Messages.gitUrl);
      }
      if (typeof code.wsgiApp !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/.test(code.wsgiApp)) {
        throw propError(scope, `${prop}.wsgiApp`, 'is not a WSGI callable', code.wsgiApp, Messages.wsgiModule);
      }
      if (
        typeof code.ref !== 'string' ||
        !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(code.ref) ||
        code.ref.includes('..') ||
        code.ref.endsWith('/') ||
        code.ref.endsWith('.lock')
      ) {
        throw propError(scope, `${prop}.ref`, 'is not a git ref', code.ref, 'Pass a branch, tag or commit hash.');
      }
      if (
        typeof code.requirementsFile !== 'string' ||
        !/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/.test(code.requirementsFile) ||
        code.requirementsFile.split('/').includes('..')
      ) {
        throw propError(scope, `${prop}.requirementsFile`, 'is not a relative file path', code.requirementsFile, "Pass e.g. 'requirements.txt'.");
      }
    }
    return code;
  }
}
