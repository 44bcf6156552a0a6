import { TerraformStack, Testing } from 'cdktf';
import { AppSource } from '../../constructs/app-source';

const scope = (): TerraformStack => new TerraformStack(Testing.app(), 'test');

describe('AppSource', () => {
  test('sample() is the bundled app', () => {
    expect(AppSource.sample().bind(scope(), 'app')).toEqual({ kind: 'sample' });
  });

  test('git() fills defaults for ref and requirements', () => {
    expect(AppSource.git({ url: 'https://github.com/you/app.git', wsgiApp: 'myproject.wsgi:application' }).bind(scope(), 'app')).toEqual({
      kind: 'git',
      url: 'https://github.com/you/app.git',
      ref: 'main',
      wsgiApp: 'myproject.wsgi:application',
      requirementsFile: 'requirements.txt',
    });
  });

  test('throws if the git URL is not https', () => {
    expect(() => AppSource.git({ url: 'git@github.com:you/app.git', wsgiApp: 'app:app' }).bind(scope(), 'app')).toThrow(
      "test: 'app.url' is not an https git URL, got 'git@github.com:you/app.git'. Pass an https:// git URL",
    );
  });

  test('throws if the WSGI callable is not module:callable', () => {
    expect(() => AppSource.git({ url: 'https://github.com/you/app.git', wsgiApp: 'app' }).bind(scope(), 'app')).toThrow(
      "test: 'app.wsgiApp' is not a WSGI callable, got 'app'. Pass 'module:callable'",
    );
  });

  test('throws if the ref could inject shell', () => {
    expect(() => AppSource.git({ url: 'https://github.com/you/app.git', wsgiApp: 'app:app', ref: 'main; rm -rf /' }).bind(scope(), 'app')).toThrow(
      /'app.ref' is not a git ref, got 'main; rm -rf \/'/,
    );
  });
});
