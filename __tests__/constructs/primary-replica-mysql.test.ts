import { Secret } from '../../lib/secrets';
import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { TerraformVariable, Testing } from 'cdktf';
import { parse } from 'yaml';
import { MysqlEngine } from '../../constructs/mysql-engine';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { SSH_KEYS, TEST_ZONE, resources, synthJson, testStack, userData, Files, writeFilesOf } from '../helpers/stacks';

const files = (text: string): Files => writeFilesOf(text);
const content = (text: string, path: string): string => files(text).find((f) => f.path === path)!.content;

describe('PrimaryReplicaMysql', () => {
  test('creates a primary and N replicas, each with its own data volume attached at creation', () => {
    const { stack, vpc } = testStack({ dns: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 2, volumeSizeGiB: 50 });
    const json = synthJson(stack);
    const droplets = resources(json, 'digitalocean_droplet');
    expect(droplets.map((d) => d.name)).toEqual(['site-db-primary', 'site-db-replica-1', 'site-db-replica-2']);
    expect(droplets.map((d) => d.size)).toEqual(['s-1vcpu-2gb', 's-1vcpu-2gb', 's-1vcpu-2gb']);
    for (const d of droplets)
      expect(d.volume_ids).toEqual([expect.stringMatching(/^\$\{digitalocean_volume\.Db_(Primary|Replica\d)Volume_[0-9A-F]{8}\.id\}$/)]);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Volume, {
      name: 'site-db-primary-data',
      size: 50,
      region: 'nyc3',
      initial_filesystem_type: 'ext4',
    });
  });

  test('gives each server a unique server_id; the primary writes binlogs, replicas are read-only', () => {
    const { stack, vpc } = testStack({ dns: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 2 });
    const json = synthJson(stack);
    const cnf = (name: string) => content(userData(json, name), '/etc/mysql/mysql.conf.d/60-tierform.cnf');
    expect(cnf('site-db-primary')).toMatch(/server_id\s*=\s*1\b/);
    expect(cnf('site-db-replica-1')).toMatch(/server_id\s*=\s*2\b/);
    expect(cnf('site-db-replica-2')).toMatch(/server_id\s*=\s*3\b/);
    expect(cnf('site-db-primary')).toMatch(/gtid_mode\s*=\s*ON/);
    expect(cnf('site-db-primary')).toMatch(/sync_binlog\s*=\s*1\b/);
    expect(cnf('site-db-primary')).toMatch(/innodb_flush_log_at_trx_commit\s*=\s*1\b/);
    expect(cnf('site-db-replica-1')).toMatch(/super_read_only\s*=\s*ON/);
  });

  test('replicas find the primary by its internal name; the primary creates least-privilege accounts for the VPC range', () => {
    const { stack, vpc } = testStack({ dns: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS });
    const json = synthJson(stack);
    const replicaSetup = content(userData(json, 'site-db-replica-1'), '/usr/local/sbin/tierform-mysql-setup');
    expect(replicaSetup).toContain(`readonly PRIMARY_HOST='site-db-primary.internal.${TEST_ZONE}'`);
    expect(userData(json, 'site-db-replica-1')).not.toContain('digitalocean_droplet');
    const replica = resources(json, 'digitalocean_droplet').find((d) => d.name === 'site-db-replica-1');
    expect(replica.depends_on).toEqual([expect.stringMatching(/^digitalocean_record\.Db_Primary_PrimaryName_/)]);
    const primarySetup = content(userData(json, 'site-db-primary'), '/usr/local/sbin/tierform-mysql-setup');
    expect(primarySetup).toContain("'app'@'10.20.0.0/255.255.240.0'");
    expect(primarySetup).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE, [A-Z, ]+ ON \\`app\\`\.\* TO 'app'@'10\.20\.0\.0\/255\.255\.240\.0'/);
    expect(primarySetup).toContain("GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'10.20.0.0/255.255.240.0'");
    expect(primarySetup).not.toMatch(/GRANT ALL/i);
  });

  test('passwords are sensitive variables, never literals, stored base64 in a 0600 file', () => {
    const { stack, vpc } = testStack({ dns: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS });
    const json = synthJson(stack);
    expect(Object.values(json.variable)).toEqual(expect.arrayContaining([expect.objectContaining({ sensitive: true, type: 'string' })]));
    const secrets = files(userData(json, 'site-db-primary')).find((f) => f.path === '/etc/tierform/mysql.env')!;
    expect(secrets.permissions).toBe('0600');
    expect(secrets.content).toMatch(/MYSQL_APP_PASSWORD_B64='\$\{base64encode\(var\.Db_AppPassword_[0-9A-F]{8}\)\}'/);
  });

  test('the firewall admits MySQL only from its own replicas by default', () => {
    const { stack, vpc } = testStack({ dns: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS });
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(fw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '3306', source_tags: [expect.stringMatching(/Db_Firewall_Tag/)] }]);
  });

  test('runs MariaDB 10.11 when asked', () => {
    const { stack, vpc } = testStack({ dns: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, engine: MysqlEngine.mariadb10_11() });
    const text = userData(synthJson(stack), 'site-db-primary');
    expect(files(text).map((f) => f.path)).toContain('/etc/mysql/mariadb.conf.d/60-tierform.cnf');
    expect(parse(text).runcmd).toEqual(expect.arrayContaining([expect.arrayContaining(['mariadb-server'])]));
  });

  test('sizes the InnoDB buffer pool (half the memory) at every boot, so a resize keeps user_data unchanged', () => {
    const primary = (size: string) => {
      const { stack, vpc } = testStack({ dns: true });
      new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, size, engine: MysqlEngine.mariadb10_11() });
      return userData(synthJson(stack), 'site-db-primary');
    };
    const text = primary('s-2vcpu-4gb');
    expect(content(text, '/etc/systemd/system/tierform-sizing.service')).toContain(
      'ExecStart=/usr/local/sbin/tierform-sizing --mysql-cnf /etc/mysql/mariadb.conf.d/61-tierform-memory.cnf --mysql-buffer-pool-percent 50\n',
    );
    expect(content(text, '/etc/systemd/system/tierform-sizing.service')).toContain('Before=mariadb.service\n');
    // the sizing service runs before the server package is installed (its first start already has the pool)
    const runcmd = (parse(text).runcmd as string[][]).map((c) => c.join(' '));
    expect(runcmd.indexOf('systemctl enable --now tierform-sizing.service')).toBeLessThan(runcmd.findIndex((c) => c.includes('mariadb-server')));
    expect(primary('s-4vcpu-8gb')).toEqual(text);
  });

  test('allows zero replicas: reads then go to the primary under the read name', () => {
    const { stack, vpc } = testStack({ dns: true });
    const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 0 });
    expect(db.readerName().fqdn).toBe(`site-db-read.internal.${TEST_ZONE}`);
    const json = synthJson(stack);
    expect(resources(json, 'digitalocean_droplet')).toHaveLength(1);
    expect(resources(json, 'digitalocean_record')).toEqual([
      expect.objectContaining({ name: 'site-db-read.internal', value: expect.stringMatching(/Db_Primary_.*ipv4_address_private/), ttl: 30 }),
    ]);
  });

  test('publishes the primary, the replicas for reads, and every node under internal names', () => {
    const { stack, vpc } = testStack({ dns: true });
    const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 2 });
    expect([db.writerName().fqdn, db.readerName().fqdn, db.internalName().fqdn]).toEqual([
      `site-db-primary.internal.${TEST_ZONE}`,
      `site-db-read.internal.${TEST_ZONE}`,
      `site-db.internal.${TEST_ZONE}`,
    ]);
    const names = resources(synthJson(stack), 'digitalocean_record').map(
      (r) => `${r.name} ${r.value.replace(/^.*\.(Db_\w+?)_[0-9A-F]{8}\..*$/, '$1')}`,
    );
    expect(names.sort()).toEqual([
      'site-db-primary.internal Db_Primary',
      'site-db-read.internal Db_Replica1',
      'site-db-read.internal Db_Replica2',
      'site-db.internal Db_Primary',
      'site-db.internal Db_Replica1',
      'site-db.internal Db_Replica2',
    ]);
  });

  test('throws if replicas need the primary’s name and the stack has no DNS zone', () => {
    const { stack, vpc } = testStack();
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 1 })).toThrow(
      "test/Db: its droplets get internal DNS names, by which peers find them at run time, and stack 'test' has no Dns zone yet. Create the zone first (new Dns(stack, 'Dns', { domain: 'example.com' }), or Dns.fromZoneName(stack, 'Dns', 'example.com') when it already exists in your account), or pass 'dns'.",
    );
  });

  test('throws if replicas is negative', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: -1 })).toThrow(
      "test/Db: 'replicas' must be an integer from 0 to 10, got -1. Pass an integer from 0 to 10.",
    );
  });

  test('throws if a password is a literal', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(
      () =>
        new PrimaryReplicaMysql(stack, 'Db', {
          vpc,
          name: 'site-db',
          sshKeys: SSH_KEYS,
          appPassword: 'correct-horse-battery-staple' as unknown as Secret,
        }),
    ).toThrow("test/Db: 'appPassword' is a literal secret, got '(redacted)'. Secrets must not be literals in the plan");
  });

  test('the literal-password error does not echo the password', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(
      () =>
        new PrimaryReplicaMysql(stack, 'Db', {
          vpc,
          name: 'site-db',
          sshKeys: SSH_KEYS,
          replicationPassword: 'correct-horse-battery-staple' as unknown as Secret,
        }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('correct-horse') }));
  });

  test('accepts passwords from sensitive variables', () => {
    const { stack, vpc } = testStack({ dns: true });
    const pw = new TerraformVariable(stack, 'db_pw', { type: 'string', sensitive: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, appPassword: Secret.fromVariable(pw) });
    expect(content(userData(synthJson(stack), 'site-db-primary'), '/etc/tierform/mysql.env')).toContain('${base64encode(var.db_pw)}');
  });

  test('throws if the database name is not an identifier', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, databaseName: 'my-db' })).toThrow(
      "test/Db: 'databaseName' is not a MySQL identifier (letters, digits, _; at most 64 characters), got 'my-db'.",
    );
  });

  test('throws if the volume is too small', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, volumeSizeGiB: 0 })).toThrow(
      "test/Db: 'volumeSizeGiB' must be an integer from 1 to 16384, got 0.",
    );
  });
});
