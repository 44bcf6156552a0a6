import { AppCode, renderAppSetupScript } from '../../../lib/render/app-setup';
import { RenderError } from '../../../lib/render/guards';
import { checkFiles } from '../../helpers/check-files';

const GIT: AppCode = {
  kind: 'git',
  url: 'https://github.com/foobar/app.git',
  ref: 'v1.2.0',
  wsgiApp: 'app:app',
  requirementsFile: 'requirements.txt',
};
const TOKEN = '${TfToken[TOKEN.9]}';

describe('renderAppSetupScript', () => {
  test.each<[string, AppCode]>([
    ['the sample app', { kind: 'sample' }],
    ['an app from git', GIT],
  ])('passes shellcheck for %s', (_name, code) => {
    // GIVEN / WHEN
    const ran = checkFiles([{ path: '/usr/local/sbin/tierform-app-setup', content: renderAppSetupScript(code, 'www-data'), permissions: '0755' }]);
    // THEN
    expect(ran).toEqual(['/usr/local/sbin/tierform-app-setup: shellcheck']);
  });

  test('clones the repository at the pinned ref; the sample fetches nothing', () => {
    // GIVEN / WHEN
    const git = renderAppSetupScript(GIT, 'www-data');
    const sample = renderAppSetupScript({ kind: 'sample' }, 'www-data');
    // THEN
    expect(git).toContain('git clone --quiet "https://github.com/foobar/app.git" "/opt/tierform/app"\n');
    expect(git).toContain('git -C "/opt/tierform/app" checkout --quiet "v1.2.0"\n');
    expect(sample).not.toContain('git ');
  });

  test('inserts Terraform token texts verbatim', () => {
    expect(renderAppSetupScript({ ...GIT, url: TOKEN }, 'www-data')).toContain(`git clone --quiet "${TOKEN}" `);
  });

  test.each<[string, AppCode, string, string]>([
    ['a URL with a command substitution', { ...GIT, url: 'https://x.example/$(reboot).git' }, 'www-data', "'code.url' must be one word without"],
    ['a ref with a double quote', { ...GIT, ref: 'v1"; reboot; "' }, 'www-data', "'code.ref' must be one word without"],
    [
      'a requirements file with a backquote',
      { ...GIT, requirementsFile: '`reboot`' },
      'www-data',
      "'code.requirementsFile' must be one word without",
    ],
    ['a socket group with a space', { kind: 'sample' }, 'www-data; reboot', "'socketGroup' must be one word without"],
  ])('throws a RenderError on %s', (_name, code, group, message) => {
    // GIVEN / WHEN / THEN
    expect(() => renderAppSetupScript(code, group)).toThrow(RenderError);
    expect(() => renderAppSetupScript(code, group)).toThrow(message);
  });
});
