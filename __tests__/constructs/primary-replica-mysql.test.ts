import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { TerraformVariable, Testing } from 'cdktf';
import { parse } from 'yaml';
import { MysqlEngine } from '../../constructs/mysql-engine';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { SSH_KEYS, resources, synthJson, testStack, userData } from '../helpers/stacks';

type Files = { path: string; content: string; permissions: string }[];
const files = (text: string): Files => parse(text).write_files as Files;
const content = (text: string, path: string): string => files(text).find((f) => f.path === path)!.content;

describe('PrimaryReplicaMysql', () => {
  test('creates a primary and N replicas, each with its own data volume attached at creation', () => {
    const { stack, vpc } = testStack();
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 2, volumeSizeGb: 50 });
    const json = synthJson(stack);
    const droplets = resources(json, 'digitalocean_droplet');
    expect(droplets.map((d) => d.name)).toEqual(['site-db-primary', 'site-db-replica-1', 'site-db-replica-2']);
    expect(droplets.map((d) => d.size)).toEqual(['s-1vcpu-2gb', 's-1vcpu-2gb', 's-1vcpu-2gb']);
    for (const d of droplets) expect(d.volume_ids).toEqual([expect.stringMatching(/^\$\{digitalocean_volume\.Db_(Primary|Replica\d)Volume_[0-9A-F]{8}\.id\}$/)]);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Volume, { name: 'site-db-primary-data', size: 50, region: 'nyc3', initial_filesystem_type: 'ext4' });
  });

  test('gives each server a unique server_id; the primary writes binlogs, replicas are read-only', () => {
    const { stack, vpc } = testStack();
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

  test('replicas point at the primary by its VPC address; the primary creates least-privilege accounts for the VPC range', () => {
    const { stack, vpc } = testStack();
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS });
    const json = synthJson(stack);
    const replicaSetup = content(userData(json, 'site-db-replica-1'), '/usr/local/sbin/tierform-mysql-setup');
    expect(replicaSetup).toMatch(/\$\{digitalocean_droplet\.Db_Primary_[0-9A-F]{8}\.ipv4_address_private\}/);
    const primarySetup = content(userData(json, 'site-db-primary'), '/usr/local/sbin/tierform-mysql-setup');
    expect(primarySetup).toContain("'app'@'10.20.0.0/255.255.240.0'");
    expect(primarySetup).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE, [A-Z, ]+ ON \\`app\\`\.\* TO 'app'@'10\.20\.0\.0\/255\.255\.240\.0'/);
    expect(primarySetup).toContain("GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'10.20.0.0/255.255.240.0'");
    expect(primarySetup).not.toMatch(/GRANT ALL/i);
  });

  test('passwords are sensitive variables, never literals, stored base64 in a 0600 file', () => {
    const { stack, vpc } = testStack();
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS });
    const json = synthJson(stack);
    expect(Object.values(json.variable)).toEqual(expect.arrayContaining([expect.objectContaining({ sensitive: true, type: 'string' })]));
    const secrets = files(userData(json, 'site-db-primary')).find((f) => f.path === '/etc/tierform/mysql.env')!;
    expect(secrets.permissions).toBe('0600');
    expect(secrets.content).toMatch(/MYSQL_APP_PASSWORD_B64='\$\{base64encode\(var\.Db_AppPassword_[0-9A-F]{8}\)\}'/);
  });

  test('the firewall admits MySQL only from its own replicas by default', () => {
    const { stack, vpc } = testStack();
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS });
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(fw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '3306', source_tags: [expect.stringMatching(/Db_Firewall_Tag/)] }]);
  });

  test('runs MariaDB 10.11 when asked', () => {
    const { stack, vpc } = testStack();
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, engine: MysqlEngine.mariadb10_11() });
    const text = userData(synthJson(stack), 'site-db-primary');
    expect(files(text).map((f) => f.path)).toContain('/etc/mysql/mariadb.conf.d/60-tierform.cnf');
    expect(parse(text).runcmd).toEqual(expect.arrayContaining([expect.arrayContaining(['mariadb-server'])]));
  });

  test('allows zero replicas', () => {
    const { stack, vpc } = testStack();
    const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 0 });
    expect(resources(synthJson(stack), 'digitalocean_droplet')).toHaveLength(1);
    expect(db.readerHost).toBeUndefined();
  });

  test('throws if replicas is negative', () => {
    const { stack, vpc } = testStack();
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: -1 })).toThrow(
      "test/Db: 'replicas' must be an integer from 0 to 10, got -1. Pass an integer from 0 to 10.",
    );
  });

  test('throws if a password is a literal', () => {
    const { stack, vpc } = testStack();
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, appPassword: 'correct-horse-battery-staple' })).toThrow(
      "test/Db: 'appPassword' is a literal secret, got '(redacted)'. Secrets must not be literals in the plan",
    );
  });

  test('the literal-password error does not echo the password', () => {
    const { stack, vpc } = testStack();
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicationPassword: 'correct-horse-battery-staple' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('correct-horse') }),
    );
  });

  test('accepts passwords from sensitive variables', () => {
    const { stack, vpc } = testStack();
    const pw = new TerraformVariable(stack, 'db_pw', { type: 'string', sensitive: true });
    new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, appPassword: pw.stringValue });
    expect(content(userData(synthJson(stack), 'site-db-primary'), '/etc/tierform/mysql.env')).toContain('${base64encode(var.db_pw)}');
  });

  test('throws if the database name is not an identifier', () => {
    const { stack, vpc } = testStack();
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, databaseName: 'my-db' })).toThrow(
      "test/Db: 'databaseName' is not a MySQL identifier (letters, digits, _; at most 64 characters), got 'my-db'.",
    );
  });

  test('throws if the volume is too small', () => {
    const { stack, vpc } = testStack();
    expect(() => new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, volumeSizeGb: 0 })).toThrow(
      "test/Db: 'volumeSizeGb' must be an integer from 1 to 16384, got 0.",
    );
  });
});
