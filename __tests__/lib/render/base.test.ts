import * as fs from 'fs';
import * as path from 'path';
import {
  NET_ENV_FILE,
  NETINFO_SCRIPT,
  renderFail2banJail,
  renderJournaldLimits,
  renderNetinfoScript,
  renderSshdConfig,
} from '../../../lib/render/base';
import { checkFiles } from '../../helpers/check-files';
import { makeTempDir, requireTool, run, writeFile } from '../../helpers/tools';

describe('renderNetinfoScript', () => {
  test("writes the droplet's addresses from the metadata service to the env file, 0644, atomically", () => {
    // GIVEN a metadata service (the script's documented override, answered by curl from files)
    const tmp = makeTempDir('netinfo');
    try {
      const metadata = path.join(tmp.dir, 'metadata/v1');
      writeFile(metadata, 'interfaces/private/0/ipv4/address', '10.20.0.5');
      writeFile(metadata, 'interfaces/public/0/ipv4/address', '203.0.113.10');
      writeFile(metadata, 'id', '3164444');
      const script = writeFile(tmp.dir, 'tierform-netinfo', renderNetinfoScript(), 0o755);
      const out = path.join(tmp.dir, 'etc/tierform/net.env');
      requireTool('curl', 'curl');
      // WHEN
      const result = run(script, [], { env: { ...process.env, TIERFORM_METADATA_URL: `file://${metadata}`, TIERFORM_NET_ENV: out } });
      // THEN
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 0,
        stderr: 'tierform-netinfo: private 10.20.0.5 public 203.0.113.10 id 3164444\n',
      });
      expect(fs.readFileSync(out, 'utf8')).toBe('TIERFORM_PRIVATE_IP=10.20.0.5\nTIERFORM_PUBLIC_IP=203.0.113.10\nTIERFORM_DROPLET_ID=3164444\n');
      expect(fs.statSync(out).mode & 0o777).toBe(0o644);
      expect(fs.readdirSync(path.dirname(out))).toEqual(['net.env']);
    } finally {
      tmp.cleanup();
    }
  });

  test('writes the file every other renderer reads', () => {
    expect(renderNetinfoScript()).toContain(`OUT="\${TIERFORM_NET_ENV:-${NET_ENV_FILE}}"`);
  });
});

describe('the base files, checked by the programs that read them', () => {
  test('netinfo: shellcheck; sshd -t; fail2ban-client -t; journald.conf(5)', () => {
    // GIVEN the files at the paths the base role writes them to / WHEN
    const ran = checkFiles([
      { path: NETINFO_SCRIPT, content: renderNetinfoScript(), permissions: '0755' },
      { path: '/etc/ssh/sshd_config.d/60-tierform.conf', content: renderSshdConfig(), permissions: '0644' },
      { path: '/etc/fail2ban/jail.d/60-tierform.conf', content: renderFail2banJail(), permissions: '0644' },
      { path: '/etc/systemd/journald.conf.d/60-tierform.conf', content: renderJournaldLimits(), permissions: '0644' },
    ]);
    // THEN every file was claimed by its checker, and passed
    expect(ran).toEqual([
      `${NETINFO_SCRIPT}: shellcheck`,
      '/etc/ssh/sshd_config.d/60-tierform.conf: sshd -t',
      '/etc/fail2ban/jail.d/60-tierform.conf: fail2ban-client -t',
      '/etc/systemd/journald.conf.d/60-tierform.conf: journald.conf(5) keys and values',
    ]);
  });

  test('sshd: keys only, no root password login', () => {
    expect(renderSshdConfig()).toMatch(/^PasswordAuthentication no$/m);
    expect(renderSshdConfig()).toMatch(/^PermitRootLogin prohibit-password$/m);
  });
});
