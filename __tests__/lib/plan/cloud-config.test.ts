import { parseStack } from '../../../lib/plan/plan';
import { CloudConfigError, parseCloudConfig, renderUserData } from '../../../lib/plan/cloud-config';
import { fakeResolver } from '../../../lib/plan/fake-resolver';
import { fixture } from './plan-fixtures';

describe('renderUserData', () => {
  it('renders references and undoes $${ escapes', () => {
    // GIVEN
    const plan = parseStack(fixture());
    // WHEN
    const text = renderUserData(plan.droplet('test-web-0'), fakeResolver(plan));
    // THEN
    expect(text).toContain("[echo, '10.20.16.3', '${HOME}']");
  });

  it('throws if the droplet has no user_data', () => {
    const plan = parseStack(fixture());
    expect(() => renderUserData(plan.droplet('test-db'), fakeResolver(plan))).toThrow('digitalocean_droplet.db (test-db) has no user_data');
  });
});

describe('parseCloudConfig', () => {
  it('reads packages, write_files and runcmd', () => {
    // GIVEN
    const text = [
      '#cloud-config',
      'packages: [nginx, [haproxy, 2.8.5]]',
      'write_files:',
      '  - path: /etc/a.conf',
      '    content: "a\\n"',
      '  - path: /etc/b.conf',
      '    permissions: "0600"',
      '    owner: app:app',
      '    defer: true',
      '    encoding: b64',
      `    content: ${Buffer.from('secret\n').toString('base64')}`,
      'runcmd:',
      '  - [systemctl, restart, nginx]',
      '  - echo hi > /tmp/x',
      '',
    ].join('\n');
    // WHEN
    const doc = parseCloudConfig(text);
    // THEN
    expect(doc).toMatchObject({
      packages: ['nginx', 'haproxy=2.8.5'],
      writeFiles: [
        { path: '/etc/a.conf', content: 'a\n', permissions: '0644', owner: 'root:root', defer: false },
        { path: '/etc/b.conf', content: 'secret\n', permissions: '0600', owner: 'app:app', defer: true },
      ],
      runcmd: [
        ['systemctl', 'restart', 'nginx'],
        ['sh', '-c', 'echo hi > /tmp/x'],
      ],
      raw: { packages: expect.any(Array) },
    });
  });

  it('throws if the first line is not #cloud-config', () => {
    expect(() => parseCloudConfig('#!/bin/bash\necho hi\n')).toThrow(
      "user_data must start with a '#cloud-config' line for cloud-init to read it as cloud-config, got '#!/bin/bash'",
    );
  });

  it('throws on invalid YAML', () => {
    expect(() => parseCloudConfig('#cloud-config\npackages: [a\n')).toThrow(CloudConfigError);
  });

  it('throws on a duplicate key', () => {
    expect(() => parseCloudConfig('#cloud-config\nruncmd: []\nruncmd: []\n')).toThrow(/not valid YAML/);
  });

  it('throws if permissions are not a string', () => {
    expect(() => parseCloudConfig('#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 0644\n')).toThrow(
      'cloud-config write_files[0] (/x): permissions must be a string (quote it), got 420',
    );
  });
});
