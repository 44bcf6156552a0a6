import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { Testing } from 'cdktf';
import { SingleServer } from '../../constructs/single-server';
import { ADMIN, SSH_KEYS, asSet, resources, synthJson, testStack, userData, writeFilesOf } from '../helpers/stacks';

const content = (text: string, path: string): string => writeFilesOf(text).find((f) => f.path === path)!.content;

describe('SingleServer', () => {
  test('runs nginx, gunicorn and MySQL on one droplet with the data on a volume', () => {
    const { stack, vpc } = testStack();
    new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS });
    const json = synthJson(stack);
    expect(resources(json, 'digitalocean_droplet')).toHaveLength(1);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Volume, { name: 'site-www-data', size: 10 });
    const text = userData(json, 'site-www');
    const paths = writeFilesOf(text).map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/etc/nginx/nginx.conf',
        '/etc/systemd/system/tierform-app.service',
        '/etc/mysql/mysql.conf.d/60-tierform.cnf',
        '/usr/local/sbin/tierform-mysql-setup',
      ]),
    );
  });

  test('MySQL listens on loopback only and the app account is for 127.0.0.1, with no replication account', () => {
    const { stack, vpc } = testStack();
    new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS });
    const text = userData(synthJson(stack), 'site-www');
    expect(content(text, '/etc/tierform/mysql-loopback.env')).toBe('TIERFORM_PRIVATE_IP=127.0.0.1\n');
    const setup = content(text, '/usr/local/sbin/tierform-mysql-setup');
    expect(setup).toContain("'app'@'127.0.0.1/255.255.255.255'");
    expect(setup).not.toContain('REPLICATION SLAVE');
    expect(content(text, '/etc/tierform/app.env')).toContain("DB_HOST='127.0.0.1'");
  });

  test('the firewall admits HTTP from anywhere, SSH from admins, and nothing else', () => {
    const { stack, vpc } = testStack();
    new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(asSet(fw.inbound_rule)).toEqual(
      asSet([
        { protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] },
        { protocol: 'tcp', port_range: '22', source_addresses: ADMIN },
      ]),
    );
  });

  test('splits memory between the app and InnoDB, a quarter each, computed on the droplet (a resize replaces nothing)', () => {
    const server = (size: string) => {
      const { stack, vpc } = testStack();
      new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS, size });
      return userData(synthJson(stack), 'site-www');
    };
    const text = server('s-2vcpu-4gb');
    expect(content(text, '/etc/systemd/system/tierform-app.service')).toContain('MemoryMax=25%\n');
    expect(content(text, '/etc/mysql/mysql.conf.d/60-tierform.cnf')).not.toContain('innodb_buffer_pool_size =');
    expect(content(text, '/etc/systemd/system/tierform-sizing.service')).toContain(
      'ExecStart=/usr/local/sbin/tierform-sizing --mysql-cnf /etc/mysql/mysql.conf.d/61-tierform-memory.cnf --mysql-buffer-pool-percent 25\n',
    );
    expect(content(text, '/etc/systemd/system/tierform-sizing.service')).toContain('Before=mysql.service tierform-app.service\n');
    expect(server('s-4vcpu-8gb')).toEqual(text);
  });

  test('throws if the app user is not a MySQL identifier', () => {
    const { stack, vpc } = testStack();
    expect(() => new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS, appUser: "app'; DROP" })).toThrow(
      "test/Server: 'appUser' is not a MySQL identifier (letters, digits, _; at most 32 characters), got 'app'; DROP'.",
    );
  });
});
