import { Secret } from '../../lib/secrets';
import * as fs from 'fs';
import * as path from 'path';
import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { MonitorAlert } from '@cdktf/provider-digitalocean/lib/monitor-alert';
import { UptimeAlert } from '@cdktf/provider-digitalocean/lib/uptime-alert';
import { UptimeCheck } from '@cdktf/provider-digitalocean/lib/uptime-check';
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import { MonitoringAgent, MonitoringAgentProps } from '../../constructs/monitoring-agent';
import { MysqlEngine } from '../../constructs/mysql-engine';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { SingleServer } from '../../constructs/single-server';
import { TierDroplet } from '../../constructs/tier-droplet';
import { Vpc } from '../../constructs/vpc';
import { WebTier } from '../../constructs/web-tier';
import { WriteFile } from '../../lib/plan/cloud-config';
import { CHECKERS, describeRenderedDroplet, renderDroplets } from '../helpers/checkers';
import { ADMIN, Json, SSH_KEYS, resources, synthJson, testStack, userData, Files, writeFilesOf } from '../helpers/stacks';
import { makeTempDir, writeFile } from '../helpers/tools';

const EMAILS = ['ops@foobar.com'];

interface Site {
  readonly stack: TerraformStack;
  readonly vpc: Vpc;
  readonly db: PrimaryReplicaMysql;
  readonly web: WebTier;
  readonly lb: HaproxyLoadBalancer;
}

/** GIVEN: the stage 1 roles (web, load balancer, primary + replica). */
function site(engine = MysqlEngine.mariadb10_11()): Site {
  const { stack, vpc } = testStack({ dns: true });
  const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, engine });
  const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS, database: db });
  const lb = new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] });
  return { stack, vpc, db, web, lb };
}

function agent(s: Site, props: Partial<MonitoringAgentProps> = {}): MonitoringAgent {
  return new MonitoringAgent(s.stack, 'Mon', { vpc: s.vpc, name: 'site-mon', sshKeys: SSH_KEYS, alertEmails: EMAILS, ...props });
}

function files(json: Json, droplet: string): Files {
  return writeFilesOf(userData(json, droplet));
}

function file(json: Json, droplet: string, filePath: string): string {
  const f = files(json, droplet).find((w) => w.path === filePath);
  if (!f) throw new Error(`no ${filePath} on ${droplet}`);
  return f.content;
}

function runcmd(json: Json, droplet: string): string[] {
  return (parse(userData(json, droplet)).runcmd as string[][]).map((c) => c.join(' '));
}

/** prometheus.yml's DNS-discovered targets by job: `<name>:<port>`. */
function scrapeTargets(json: Json): Record<string, string[]> {
  const doc = parse(file(json, 'site-mon', '/etc/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; static_configs?: unknown[]; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
  };
  for (const job of doc.scrape_configs) expect(job.static_configs).toBeUndefined();
  return Object.fromEntries(
    doc.scrape_configs.map((job) => [job.job_name, (job.dns_sd_configs ?? []).map((c) => `${c.type} ${c.names.join(',')}:${c.port}`)]),
  );
}

/** `${<type>.<logical id>.<attribute>}` of the resource of `type` whose `name` is `name`. */
function ref(stack: TerraformStack, type: string, name: string, attribute: string): string {
  const all = (synthJson(stack).resource?.[type] ?? {}) as Record<string, Json>;
  const id = Object.keys(all).find((k) => all[k].name === name);
  if (!id) throw new Error(`no ${type} named ${name}`);
  return `\${${type}.${id}.${attribute}}`;
}
const ip = (stack: TerraformStack, d: TierDroplet): string => ref(stack, 'digitalocean_droplet', d.name, 'ipv4_address_private');
const tag = (stack: TerraformStack, name: string): string => ref(stack, 'digitalocean_tag', name, 'name');

describe('MonitoringAgent', () => {
  test('runs Prometheus on its own s-1vcpu-2gb droplet in the VPC, with its own role tag and firewall', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web] });
    // THEN
    const synth = Testing.synth(s.stack);
    expect(synth).toHaveResourceWithProperties(Droplet, {
      name: 'site-mon',
      size: 's-1vcpu-2gb',
      image: 'ubuntu-24-04-x64',
      monitoring: true,
      tags: [tag(s.stack, 'site-mon')],
    });
    expect(resources(JSON.parse(synth), 'digitalocean_firewall').map((f: Json) => f.name)).toContain('site-mon');
  });

  test('finds every watched role by its internal name (DNS), on the port of each exporter', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web, s.lb, s.db] });
    // THEN
    const json = synthJson(s.stack);
    const zone = 'internal.site.example';
    expect(scrapeTargets(json)).toEqual({
      node: [`A site-web.${zone}:9100`, `A site-lb.${zone}:9100`, `A site-db.${zone}:9100`],
      haproxy: [`A site-lb.${zone}:8404`],
      nginx: [`A site-web.${zone}:9113`],
      mysqld: [`A site-db.${zone}:9104`],
      prometheus: [],
    });
    // AND no address of another droplet is in its user_data; it is created after the names it resolves
    expect(userData(json, 'site-mon')).not.toContain('digitalocean_droplet');
    const mon = resources(json, 'digitalocean_droplet').find((d: Json) => d.name === 'site-mon');
    expect(mon.depends_on).toHaveLength(2 + 1 + 2); // site-web: 2 records, site-lb: 1, site-db: primary + replica
    expect(mon.depends_on.every((d: string) => /^digitalocean_record\..*_InternalName_/.test(d))).toBe(true);
  });

  test('scaling a watched role leaves the monitoring droplet’s user_data as it was (its metrics history stays)', () => {
    const monUserData = (webCount: number, replicas: number): string => {
      const { stack, vpc } = testStack({ dns: true });
      const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas });
      const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: webCount, sshKeys: SSH_KEYS, database: db });
      new MonitoringAgent(stack, 'Mon', { vpc, name: 'site-mon', sshKeys: SSH_KEYS, alertEmails: EMAILS, roles: [web, db] });
      return userData(synthJson(stack), 'site-mon');
    };
    expect(monUserData(3, 1)).toEqual(monUserData(2, 1));
    expect(monUserData(2, 2)).toEqual(monUserData(2, 1));
    expect(monUserData(2, 0)).toEqual(monUserData(2, 1));
  });

  test('labels each target with its role, and scrapes itself through the self-target files', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.lb] });
    // THEN
    const json = synthJson(s.stack);
    const doc = parse(file(json, 'site-mon', '/etc/prometheus/prometheus.yml'));
    expect(doc.scrape_configs.find((j: Json) => j.job_name === 'haproxy').relabel_configs).toEqual([
      { source_labels: ['__meta_dns_name'], regex: 'site-lb\\.internal\\.site\\.example', target_label: 'role', replacement: 'site-lb' },
    ]);
    expect(doc.scrape_configs.find((j: Json) => j.job_name === 'node').file_sd_configs).toEqual([
      { files: ['/var/lib/prometheus/tierform-self/node.json'] },
    ]);
    expect(file(json, 'site-mon', '/usr/local/lib/tierform/prometheus-self-targets')).toContain(
      `write_targets prometheus '[{"targets":["@PRIVATE_IP@:9090"],"labels":{"role":"site-mon","droplet":"site-mon"}}]'`,
    );
  });

  test('roles watched after construction count', () => {
    // GIVEN
    const s = site();
    const mon = agent(s);
    // WHEN
    mon.watch(s.db);
    // THEN
    const targets = scrapeTargets(synthJson(s.stack));
    expect(targets.mysqld).toEqual(['A site-db.internal.site.example:9104']);
    expect(targets.nginx).toBeUndefined(); // no job without targets
    expect(mon.watchedRoles).toEqual([s.db]);
  });

  test('Prometheus listens on the VPC address only, with the retention settings, and evaluates the tierform rules', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web], retentionDays: 30, retentionSizeGiB: 20, scrapeIntervalSeconds: 30, replicationLagAlertSeconds: 60 });
    // THEN
    const json = synthJson(s.stack);
    const dropIn = file(json, 'site-mon', '/etc/systemd/system/prometheus.service.d/50-tierform.conf');
    expect(dropIn).toMatch(
      /^ExecStart=\/usr\/bin\/prometheus .*--storage\.tsdb\.retention\.time=30d --storage\.tsdb\.retention\.size=20GB --web\.listen-address=\$\$\{TIERFORM_PRIVATE_IP\}:9090 \$ARGS$/m,
    );
    const config = parse(file(json, 'site-mon', '/etc/prometheus/prometheus.yml'));
    expect(config).toMatchObject({
      global: { scrape_interval: '30s', evaluation_interval: '30s' },
      rule_files: ['/etc/prometheus/rules/tierform.yml'],
    });
    expect(file(json, 'site-mon', '/etc/prometheus/rules/tierform.yml')).toContain('expr: mysql_slave_status_seconds_behind_master > 60');
    // prometheus.yml is a package conffile: written after the packages
    expect(files(json, 'site-mon').find((f) => f.path === '/etc/prometheus/prometheus.yml')?.defer).toBe(true);
  });

  test('caps the samples at half the disk the droplet has, measured at every boot (a resize replaces nothing)', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web], size: 's-2vcpu-4gb' });
    // THEN
    const json = synthJson(s.stack);
    const dropIn = file(json, 'site-mon', '/etc/systemd/system/prometheus.service.d/50-tierform.conf');
    expect(dropIn).toContain('--storage.tsdb.retention.time=15d --storage.tsdb.retention.size=$${TIERFORM_RETENTION_GB}GB ');
    expect(dropIn).toContain('EnvironmentFile=/run/tierform/sizing.env\n');
    expect(dropIn).toMatch(/^Requires=tierform-sizing\.service$/m);
    expect(file(json, 'site-mon', '/etc/systemd/system/tierform-sizing.service')).toContain(
      'ExecStart=/usr/local/sbin/tierform-sizing --retention-dir /var/lib/prometheus/metrics2/ --retention-percent 50\n',
    );
    // AND a bigger droplet changes nothing in user_data (an in-place resize)
    const other = site();
    agent(other, { roles: [other.web], size: 's-4vcpu-8gb' });
    expect(userData(synthJson(other.stack), 'site-mon')).toEqual(userData(json, 'site-mon'));
  });

  test('an explicit retentionSizeGiB is written as given', () => {
    const s = site();
    agent(s, { roles: [s.web], retentionSizeGiB: 10 });
    const json = synthJson(s.stack);
    expect(file(json, 'site-mon', '/etc/systemd/system/prometheus.service.d/50-tierform.conf')).toContain('--storage.tsdb.retention.size=10GB ');
    expect(files(json, 'site-mon').map((f) => f.path)).not.toContain('/etc/systemd/system/tierform-sizing.service');
  });

  test('every watched droplet runs node_exporter on its VPC address, restarted after net.env is written', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web, s.lb, s.db] });
    // THEN
    const json = synthJson(s.stack);
    for (const droplet of ['site-web-0', 'site-web-1', 'site-lb', 'site-db-primary', 'site-db-replica-1', 'site-mon']) {
      expect(parse(userData(json, droplet)).packages).toContain('prometheus-node-exporter');
      expect(file(json, droplet, '/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf')).toContain(
        '--web.listen-address=$${TIERFORM_PRIVATE_IP}:9100',
      );
      const commands = runcmd(json, droplet);
      const restart = commands.findIndex((c) => /^systemctl restart prometheus-node-exporter\b/.test(c));
      expect({ droplet, netinfoFirst: commands.indexOf('/usr/local/sbin/tierform-netinfo') === 0, restart: restart > 0 }).toEqual({
        droplet,
        netinfoFirst: true,
        restart: true,
      });
    }
  });

  test("web droplets get a loopback stub_status server in nginx.conf's include directory and the nginx exporter", () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web] });
    // THEN
    const json = synthJson(s.stack);
    expect(parse(userData(json, 'site-web-0')).packages).toEqual(expect.arrayContaining(['nginx', 'prometheus-nginx-exporter']));
    expect(file(json, 'site-web-0', '/etc/nginx/nginx.conf')).toContain('include /etc/nginx/tierform.d/*.conf;');
    expect(file(json, 'site-web-0', '/etc/nginx/tierform.d/stub-status.conf')).toMatch(/listen 127\.0\.0\.1:8080;[\s\S]*stub_status;/);
    expect(file(json, 'site-web-0', '/etc/systemd/system/prometheus-nginx-exporter.service.d/50-tierform.conf')).toContain(
      '--nginx.scrape-uri=http://127.0.0.1:8080/stub_status --web.listen-address=$${TIERFORM_PRIVATE_IP}:9113',
    );
  });

  test('the load balancer needs nothing more than node_exporter: HAProxy serves /metrics on the VPC address', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.lb] });
    // THEN
    const json = synthJson(s.stack);
    expect(parse(userData(json, 'site-lb')).packages).toEqual(['curl', 'fail2ban', 'haproxy', 'prometheus-node-exporter']);
    expect(file(json, 'site-lb', '/etc/haproxy/haproxy.cfg')).toMatch(
      /bind "\$\$\{TIERFORM_PRIVATE_IP\}:8404"[\s\S]*use-service prometheus-exporter if \{ path \/metrics \}/,
    );
  });

  test('every database node runs mysqld_exporter; only the primary creates its account, through the setup hook', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.db] });
    // THEN
    const json = synthJson(s.stack);
    const hook = '/etc/tierform/mysql-setup.d/50-mysqld-exporter-account.sh';
    for (const droplet of ['site-db-primary', 'site-db-replica-1']) {
      const written = files(json, droplet);
      expect(written.find((f) => f.path === '/etc/tierform/mysqld-exporter.b64')).toMatchObject({
        permissions: '0600',
        owner: 'root:root',
        content: expect.stringMatching(/^MYSQLD_EXPORTER_PASSWORD_B64='\$\{base64encode\(var\.Mon_ExporterPassword_[0-9A-F]{8}\)\}'$/m),
      });
      expect(written.map((f) => f.path)).toEqual(expect.arrayContaining(['/usr/local/sbin/tierform-mysqld-exporter-setup']));
      expect(written.some((f) => f.path === hook)).toBe(droplet === 'site-db-primary');
      // the credentials are written after the prometheus user exists, then the exporter restarts
      const commands = runcmd(json, droplet);
      expect(commands.indexOf('/usr/local/sbin/tierform-mysqld-exporter-setup')).toBeLessThan(
        commands.findIndex((c) => /^systemctl restart .*prometheus-mysqld-exporter/.test(c)),
      );
    }
    expect(files(json, 'site-db-primary').find((f) => f.path === hook)).toMatchObject({ permissions: '0755' });
    expect(file(json, 'site-db-primary', hook)).toContain("IDENTIFIED BY PASSWORD ''', @tierform_hash");
  });

  test('the exporter password is a sensitive variable that refuses #, ? and ;', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.db] });
    // THEN
    const variables = synthJson(s.stack).variable as Record<string, Json>;
    const [name, variable] = Object.entries(variables).find(([n]) => n.startsWith('Mon_ExporterPassword_'))!;
    expect(variable).toMatchObject({ sensitive: true, nullable: false, type: 'string' });
    expect(variable.validation[0].condition).toBe(`\${can(regex("^[-A-Za-z0-9_.~+=@^*:,!/]{16,128}$", var.${name}))}`);
  });

  test('uses the exporter password given as a variable, and makes none while no database is watched', () => {
    // GIVEN
    const s = site();
    const password = new TerraformVariable(s.stack, 'exporter_password', { type: 'string', sensitive: true });
    // WHEN
    const mon = agent(s, { roles: [s.web], exporterPassword: Secret.fromVariable(password) });
    const before = Object.keys(synthJson(s.stack).variable ?? {});
    mon.watch(s.db);
    // THEN
    const json = synthJson(s.stack);
    expect(before.filter((v) => v.includes('ExporterPassword'))).toEqual([]);
    expect(Object.keys(json.variable).filter((v) => v.includes('ExporterPassword'))).toEqual([]);
    expect(file(json, 'site-db-replica-1', '/etc/tierform/mysqld-exporter.b64')).toContain("='${base64encode(var.exporter_password)}'");
  });

  test('SingleServer gets node, nginx and mysqld exporters, and creates the exporter account itself', () => {
    // GIVEN
    const { stack, vpc } = testStack({ dns: true });
    const server = new SingleServer(stack, 'Www', { vpc, name: 'site-www', sshKeys: SSH_KEYS, engine: MysqlEngine.mariadb10_11() });
    // WHEN
    new MonitoringAgent(stack, 'Mon', { vpc, name: 'site-mon', sshKeys: SSH_KEYS, alertEmails: EMAILS, roles: [server] });
    // THEN
    const json = synthJson(stack);
    expect(parse(userData(json, 'site-www')).packages).toEqual(
      expect.arrayContaining(['prometheus-node-exporter', 'prometheus-nginx-exporter', 'prometheus-mysqld-exporter']),
    );
    expect(files(json, 'site-www').map((f) => f.path)).toEqual(
      expect.arrayContaining(['/etc/nginx/tierform.d/stub-status.conf', '/etc/tierform/mysql-setup.d/50-mysqld-exporter-account.sh']),
    );
    expect(Object.keys(scrapeTargets(json))).toEqual(['node', 'nginx', 'mysqld', 'prometheus']);
  });

  test('firewalls: each watched role admits exactly its exporter ports, from the monitoring tag only', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web, s.lb, s.db], adminCidrs: ADMIN });
    // THEN
    const monTag = [tag(s.stack, 'site-mon')];
    const fw = (name: string) => resources(synthJson(s.stack), 'digitalocean_firewall').find((f: Json) => f.name === name);
    expect(fw('site-web').inbound_rule).toEqual([
      { protocol: 'tcp', port_range: '80', source_tags: [tag(s.stack, 'site-lb')] },
      { protocol: 'tcp', port_range: '9100', source_tags: monTag },
      { protocol: 'tcp', port_range: '9113', source_tags: monTag },
    ]);
    expect(fw('site-lb').inbound_rule).toEqual([
      { protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] },
      { protocol: 'tcp', port_range: '9100', source_tags: monTag },
      { protocol: 'tcp', port_range: '8404', source_tags: monTag },
    ]);
    expect(fw('site-db').inbound_rule).toEqual([
      { protocol: 'tcp', port_range: '3306', source_tags: [tag(s.stack, 'site-db')] },
      { protocol: 'tcp', port_range: '3306', source_tags: [tag(s.stack, 'site-web')] },
      { protocol: 'tcp', port_range: '9100', source_tags: monTag },
      { protocol: 'tcp', port_range: '9104', source_tags: monTag },
    ]);
    // Prometheus itself: nothing but SSH from the admin networks (reach :9090 through a tunnel)
    expect(fw('site-mon').inbound_rule).toEqual([{ protocol: 'tcp', port_range: '22', source_addresses: ADMIN }]);
  });

  test('no exporter port is open to an address range anywhere in the stack', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web, s.lb, s.db], adminCidrs: ADMIN });
    // THEN
    const open = resources(synthJson(s.stack), 'digitalocean_firewall').flatMap((f: Json) =>
      (f.inbound_rule ?? []).filter((r: Json) => ['9090', '9100', '9104', '9113', '8404'].includes(r.port_range) && r.source_addresses),
    );
    expect(open).toEqual([]);
  });

  test('watching a role again changes nothing and warns', () => {
    // GIVEN
    const s = site();
    const mon = agent(s, { roles: [s.web] });
    const before = Testing.synth(s.stack);
    // WHEN
    mon.watch(s.web);
    // THEN
    expect(Testing.synth(s.stack)).toBe(before);
    expect(mon.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data)).toEqual([
      'test/Web is already watched: the second watch() is ignored.',
    ]);
  });

  test('DigitalOcean alerts: CPU, memory and root disk on every watched role and on itself, e-mailed', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web, s.db] });
    // THEN
    const synth = Testing.synth(s.stack);
    const tags = [tag(s.stack, 'site-mon'), tag(s.stack, 'site-web'), tag(s.stack, 'site-db')];
    for (const [type, value] of [
      ['v1/insights/droplet/cpu', 80],
      ['v1/insights/droplet/memory_utilization_percent', 90],
      ['v1/insights/droplet/disk_utilization_percent', 85],
    ] as const) {
      expect(synth).toHaveResourceWithProperties(MonitorAlert, {
        type,
        compare: 'GreaterThan',
        value,
        window: '5m',
        enabled: true,
        tags,
        alerts: { email: EMAILS },
      });
    }
    expect(resources(JSON.parse(synth), 'digitalocean_monitor_alert')).toHaveLength(3);
    expect(resources(JSON.parse(synth), 'digitalocean_monitor_alert').every((a: Json) => a.entities === undefined)).toBe(true);
  });

  test('DigitalOcean alert thresholds and window come from the props', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web], cpuAlertPercent: 70, memoryAlertPercent: 95, diskAlertPercent: 75, alertWindowMinutes: 60 });
    // THEN
    const alerts = resources(synthJson(s.stack), 'digitalocean_monitor_alert');
    expect(alerts.map((a: Json) => [a.type.split('/').pop(), a.value, a.window]).sort()).toEqual([
      ['cpu', 70, '1h'],
      ['disk_utilization_percent', 75, '1h'],
      ['memory_utilization_percent', 95, '1h'],
    ]);
  });

  test('without DigitalOcean alerts, no alert resource and no e-mail needed', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web], digitalOceanAlerts: false, alertEmails: undefined });
    // THEN
    const json = synthJson(s.stack);
    expect(resources(json, 'digitalocean_monitor_alert')).toEqual([]);
    expect(resources(json, 'digitalocean_uptime_check')).toEqual([]);
  });

  test('warns that alert thresholds are ignored without DigitalOcean alerts', () => {
    // GIVEN
    const s = site();
    // WHEN
    const mon = agent(s, { roles: [s.web], digitalOceanAlerts: false, cpuAlertPercent: 70 });
    // THEN
    expect(mon.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data)).toEqual([
      "'cpuAlertPercent' is ignored: 'digitalOceanAlerts' is false.",
    ]);
  });

  test('checks the public URL from DigitalOcean and e-mails when it is down', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web], uptimeUrl: 'https://www.foobar.com/health' });
    // THEN
    const synth = Testing.synth(s.stack);
    expect(synth).toHaveResourceWithProperties(UptimeCheck, {
      name: 'site-mon-uptime',
      target: 'https://www.foobar.com/health',
      type: 'https',
      regions: ['us_east', 'eu_west'],
      enabled: true,
    });
    expect(synth).toHaveResourceWithProperties(UptimeAlert, {
      check_id: ref(s.stack, 'digitalocean_uptime_check', 'site-mon-uptime', 'id'),
      type: 'down',
      period: '2m',
      notifications: [{ email: EMAILS }],
    });
  });

  test('an http URL is checked over http, from the regions and with the period given', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s, { roles: [s.web], uptimeUrl: 'http://www.foobar.com/', uptimeRegions: ['se_asia'], uptimeDownMinutes: 10, digitalOceanAlerts: false });
    // THEN
    const synth = Testing.synth(s.stack);
    expect(synth).toHaveResourceWithProperties(UptimeCheck, { type: 'http', regions: ['se_asia'] });
    expect(synth).toHaveResourceWithProperties(UptimeAlert, { period: '10m' });
  });

  test('outputs the Prometheus private address', () => {
    // GIVEN
    const s = site();
    // WHEN
    const mon = agent(s, { roles: [s.web] });
    // THEN
    const outputs = synthJson(s.stack).output as Record<string, Json>;
    const [, out] = Object.entries(outputs).find(([k]) => k.startsWith('Mon_PrivateIpv4'))!;
    expect(out.value).toBe(ip(s.stack, mon.droplet));
  });

  test('fails synth validation when it watches nothing', () => {
    // GIVEN
    const s = site();
    // WHEN
    agent(s);
    // THEN
    expect(() => Testing.synth(s.stack, true)).toThrow(
      /test\/Mon: MonitoringAgent watches nothing: call watch\(role\) or pass 'roles' in the props\./,
    );
  });

  test('throws if a role is watched by two monitoring servers', () => {
    // GIVEN
    const s = site();
    agent(s, { roles: [s.web] });
    // WHEN / THEN
    expect(
      () => new MonitoringAgent(s.stack, 'Mon2', { vpc: s.vpc, name: 'site-mon2', sshKeys: SSH_KEYS, alertEmails: EMAILS, roles: [s.web] }),
    ).toThrow(
      'test/Mon2: test/Web is already watched by test/Mon: a role has one monitoring server (its exporters and firewall rules would be added twice).',
    );
  });

  test('throws if a role is watched by a monitoring server of another stack too', () => {
    const s = site();
    agent(s, { roles: [s.web] });
    const other = new TerraformStack(s.stack.node.root as App, 'other');
    const vpc = new Vpc(other, 'Vpc', { region: 'nyc3', name: 'other-vpc', ipRange: '10.30.0.0/20' });
    expect(() => new MonitoringAgent(other, 'Mon', { vpc, name: 'other-mon', sshKeys: SSH_KEYS, alertEmails: EMAILS, roles: [s.web] })).toThrow(
      'other/Mon: test/Web is already watched by test/Mon: a role has one monitoring server (its exporters and firewall rules would be added twice).',
    );
  });

  test('throws if a role with the mysqld exporter does not say which droplet is its primary', () => {
    // GIVEN a role of another kind that claims mysqld without mysqlMonitoring
    const s = site();
    const mon = agent(s, { roles: [s.web] });
    const role = {
      node: new Construct(s.stack, 'OddDb').node,
      roleName: 'odd-db',
      connections: s.db.connections,
      droplets: s.db.droplets,
      exporters: ['mysqld' as const],
      internalName: () => s.db.internalName(),
    };
    // WHEN / THEN
    expect(() => mon.watch(role)).toThrow(
      "test/Mon: cannot watch test/OddDb: A role with the 'mysqld' exporter must expose 'mysqlMonitoring' (its engine and primary droplet).",
    );
  });

  test.each<[string, Partial<MonitoringAgentProps>, string]>([
    [
      'retention is 0 days',
      { retentionDays: 0 },
      "test/Mon: 'retentionDays' must be an integer from 1 to 3650, got 0. Pass an integer from 1 to 3650.",
    ],
    [
      'the retention size exceeds the disk',
      { retentionSizeGiB: 50 },
      "test/Mon: 'retentionSizeGiB' must be an integer from 1 to 49, got 50. Pass an integer from 1 to 49.",
    ],
    [
      'the scrape interval is 1 second',
      { scrapeIntervalSeconds: 1 },
      "test/Mon: 'scrapeIntervalSeconds' must be an integer from 5 to 300, got 1. Pass an integer from 5 to 300.",
    ],
    [
      'the 5xx ratio is a percentage',
      { http5xxAlertRatio: 5 },
      "test/Mon: 'http5xxAlertRatio' must be a fraction between 0 and 1 (exclusive), got 5. Pass e.g. 0.05 for 5 % of the responses.",
    ],
    [
      'an alert e-mail is not an address',
      { alertEmails: ['ops at foobar.com'] },
      "test/Mon: 'alertEmails' contains something that is not an e-mail address, got 'ops at foobar.com'. Pass e-mail addresses such as 'ops@foobar.com' (DigitalOcean only notifies addresses verified in your account).",
    ],
    [
      'alerts are on without e-mails',
      { alertEmails: undefined },
      "test/Mon: 'alertEmails' must list at least one address while DigitalOcean alerts are on, got []. DigitalOcean alerts and uptime alerts need someone to notify: list e-mail addresses verified in your DigitalOcean account in 'alertEmails', or set 'digitalOceanAlerts: false' and omit 'uptimeUrl'.",
    ],
    [
      'an uptime check has no e-mails',
      { alertEmails: [], digitalOceanAlerts: false, uptimeUrl: 'https://www.foobar.com/' },
      "test/Mon: 'alertEmails' must list at least one address while DigitalOcean alerts are on, got []. DigitalOcean alerts and uptime alerts need someone to notify",
    ],
    [
      'the CPU threshold is 100 %',
      { cpuAlertPercent: 100 },
      "test/Mon: 'cpuAlertPercent' must be an integer from 1 to 99, got 100. Pass an integer from 1 to 99.",
    ],
    [
      'the disk threshold is 0 %',
      { diskAlertPercent: 0 },
      "test/Mon: 'diskAlertPercent' must be an integer from 1 to 99, got 0. Pass an integer from 1 to 99.",
    ],
    [
      'the alert window is 15 minutes',
      { alertWindowMinutes: 15 },
      "test/Mon: 'alertWindowMinutes' is not a DigitalOcean alert window, got 15. DigitalOcean alert windows are 5, 10, 30 or 60 minutes.",
    ],
    [
      'the uptime URL is not http(s)',
      { uptimeUrl: 'ftp://www.foobar.com/' },
      "test/Mon: 'uptimeUrl' is not an http:// or https:// URL, got 'ftp://www.foobar.com/'. Pass the site's public URL with its scheme, e.g. 'https://www.foobar.com/' (DigitalOcean checks http and https URLs).",
    ],
    [
      'the uptime URL has no scheme',
      { uptimeUrl: 'www.foobar.com' },
      "test/Mon: 'uptimeUrl' is not an http:// or https:// URL, got 'www.foobar.com'.",
    ],
    [
      'an uptime region is unknown',
      { uptimeUrl: 'https://www.foobar.com/', uptimeRegions: ['nyc3'] },
      "test/Mon: 'uptimeRegions' contains a region DigitalOcean does not check from, got 'nyc3'. Pass one or more of 'us_east', 'us_west', 'eu_west', 'se_asia'.",
    ],
    [
      'the uptime period is 4 minutes',
      { uptimeUrl: 'https://www.foobar.com/', uptimeDownMinutes: 4 },
      "test/Mon: 'uptimeDownMinutes' is not a DigitalOcean uptime alert period, got 4. DigitalOcean uptime alert periods are 2, 3, 5, 10, 15, 30 or 60 minutes.",
    ],
    [
      'the exporter password is a literal',
      { exporterPassword: 'a-literal-password-1234' as unknown as Secret },
      "test/Mon: 'exporterPassword' is a literal secret, got '(redacted)'. Secrets must not be literals in the plan",
    ],
    ['the name is not a valid name', { name: 'Site_Mon' }, "test/Mon: 'name' is not a valid name (max 40 characters), got 'Site_Mon'."],
  ])('throws if %s', (_name, props, message) => {
    // GIVEN
    const s = site();
    // WHEN / THEN
    expect(() => agent(s, { roles: [s.web], ...props })).toThrow(message);
  });

  test('does not judge values that are tokens', () => {
    // GIVEN
    const s = site();
    const emails = new TerraformVariable(s.stack, 'alert_emails', { type: 'list(string)' });
    const url = new TerraformVariable(s.stack, 'site_url', { type: 'string' });
    // WHEN / THEN
    expect(() => agent(s, { roles: [s.web], alertEmails: emails.listValue, uptimeUrl: url.stringValue })).not.toThrow();
  });
});

// ---- every file the monitoring, web, load balancer and database droplets boot with, through the real checkers ----

describe('rendered files of a monitored site (MariaDB)', () => {
  const s = site(MysqlEngine.mariadb10_11());
  agent(s, { roles: [s.web, s.lb, s.db], uptimeUrl: 'https://www.foobar.com/' });
  const droplets = renderDroplets(Testing.synth(s.stack));

  test('covers the droplets that matter', () => {
    expect(droplets.map((d) => d.droplet.name).sort()).toEqual([
      'site-db-primary',
      'site-db-replica-1',
      'site-lb',
      'site-mon',
      'site-web-0',
      'site-web-1',
    ]);
  });

  describe.each(
    droplets
      .filter((d) => ['site-mon', 'site-web-0', 'site-lb', 'site-db-primary', 'site-db-replica-1'].includes(d.droplet.name))
      .map((d) => [d.droplet.name, d] as const),
  )('%s', (_name, rendered) => {
    describeRenderedDroplet(rendered);
  });

  /** [checker, planted mistake, droplet, file, how to plant it, what the failure must say] */
  const mistakes: Array<[string, string, string, string, (content: string) => string, RegExp]> = [
    [
      'nginx -t (included by nginx.conf)',
      'misspelt directive',
      'site-web-0',
      '/etc/nginx/tierform.d/stub-status.conf',
      (c) => c.replace('stub_status;', 'stub_statuz;'),
      /unknown directive .*stub_statuz.* in .*stub-status\.conf/,
    ],
    [
      'nginx -t',
      'directive outside a server',
      'site-web-0',
      '/etc/nginx/nginx.conf',
      (c) => c.replace('include /etc/nginx/tierform.d/*.conf;', 'include /etc/nginx/tierform.d/*.conf;\n    listen 1;'),
      /listen.* directive is not allowed here/,
    ],
    [
      'promtool check config',
      'bad duration',
      'site-mon',
      '/etc/prometheus/prometheus.yml',
      (c) => c.replace('scrape_interval: 15s', 'scrape_interval: 15 seconds'),
      /FAILED/,
    ],
    [
      'promtool check config',
      'missing rule file',
      'site-mon',
      '/etc/prometheus/prometheus.yml',
      (c) => c.replace('/etc/prometheus/rules/tierform.yml', '/etc/prometheus/rules/missing.yml'),
      /missing\.yml/,
    ],
    [
      'promtool check config',
      'malformed self-target file',
      'site-mon',
      '/usr/local/lib/tierform/prometheus-self-targets',
      (c) => c.replace('"targets":["@PRIVATE_IP@:9100"]', '"targets":"@PRIVATE_IP@:9100"'),
      /node\.json/,
    ],
    [
      'promtool check rules',
      'bad expression',
      'site-mon',
      '/etc/prometheus/rules/tierform.yml',
      (c) => c.replace('expr: up == 0', 'expr: up ==== 0'),
      /FAILED|parse error/,
    ],
    [
      'shellcheck',
      'unquoted expansion',
      'site-db-primary',
      '/etc/tierform/mysql-setup.d/50-mysqld-exporter-account.sh',
      (c) => c.replace('"$SECRETS_FILE"', '$SECRETS_FILE'),
      /SC2086/,
    ],
  ];

  test.each(mistakes)('%s fails on a planted %s', (checkerName, _mistake, dropletName, filePath, plant, message) => {
    // GIVEN the droplet's real files, one with a mistake planted (for the self-targets script: the config's check runs it)
    const checker = CHECKERS.find((c) => c.name === checkerName)!;
    const droplet = droplets.find((d) => d.droplet.name === dropletName)!;
    const original = droplet.doc.writeFiles.find((f) => f.path === filePath)!;
    const planted: WriteFile = { ...original, content: plant(original.content) };
    expect(planted.content).not.toBe(original.content);
    const files = droplet.doc.writeFiles.map((f) => (f === original ? planted : f));
    const checked = checker.matches(planted) ? planted : files.find((f) => checker.matches(f))!;
    const tmp = makeTempDir('planted');
    try {
      const root = path.join(tmp.dir, 'root');
      for (const f of files) writeFile(root, f.path, f.content, parseInt(f.permissions, 8));
      const scratch = path.join(tmp.dir, 'scratch');
      fs.mkdirSync(scratch);
      // WHEN / THEN
      expect(() => checker.check({ file: checked, hostPath: path.join(root, checked.path), root, files, scratch })).toThrow(message);
    } finally {
      tmp.cleanup();
    }
  });
});
