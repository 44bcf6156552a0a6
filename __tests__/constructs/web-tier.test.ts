import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { AppSource } from '../../constructs/app-source';
import { AppTier } from '../../constructs/app-tier';
import { Balance } from '../../constructs/balance';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { WebTier } from '../../constructs/web-tier';
import { TerraformVariable } from 'cdktf';
import { ADMIN, SSH_KEYS, TEST_ZONE, resources, synthJson, testStack, userData, writeFilesOf } from '../helpers/stacks';

function file(text: string, path: string): string {
  const f = writeFilesOf(text).find((w) => w.path === path);
  if (!f) throw new Error(`no ${path}`);
  return f.content;
}

describe('WebTier', () => {
  test('creates N droplets named after the tier, all in one role', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 3, sshKeys: SSH_KEYS });
    const droplets = resources(synthJson(stack), 'digitalocean_droplet');
    expect(droplets.map((d) => d.name)).toEqual(['site-web-0', 'site-web-1', 'site-web-2']);
    expect(new Set(droplets.map((d) => JSON.stringify(d.tags))).size).toBe(1);
  });

  test('defaults to two droplets', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS });
    expect(resources(synthJson(stack), 'digitalocean_droplet')).toHaveLength(2);
  });

  test('runs nginx in front of gunicorn on a unix socket, never Flask dev server', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    const text = userData(synthJson(stack), 'site-web-0');
    expect(file(text, '/etc/nginx/nginx.conf')).toContain('server unix:/run/tierform-app/gunicorn.sock');
    const unit = file(text, '/etc/systemd/system/tierform-app.service');
    expect(unit).toMatch(/ExecStart=\/usr\/bin\/gunicorn .*--bind unix:\/run\/tierform-app\/gunicorn\.sock/s);
    expect(unit).not.toMatch(/flask run|app\.run/);
  });

  test('the app listens before nginx serves: a new droplet found by DNS gets no request its app cannot answer', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    const text = userData(synthJson(stack), 'site-web-0');
    const runcmd = (parse(text).runcmd as string[][]).map((c) => c.join(' '));
    expect(runcmd.indexOf('/usr/local/sbin/tierform-app-setup')).toBeGreaterThanOrEqual(0);
    expect(runcmd.indexOf('/usr/local/sbin/tierform-app-setup')).toBeLessThan(runcmd.indexOf('systemctl restart nginx'));
    // The setup returns once gunicorn's socket exists (bounded), and reloads nginx only then.
    const setup = file(text, '/usr/local/sbin/tierform-app-setup');
    expect(setup).toMatch(/for _ in \$\(seq 1 240\); do\n  \[ -S "\/run\/tierform-app\/gunicorn\.sock" \] && break/);
    expect(setup.indexOf('systemctl try-reload-or-restart nginx.service')).toBeGreaterThan(setup.indexOf('[ -S "/run/tierform-app/gunicorn.sock" ]'));
  });

  test('sizes gunicorn workers (2 × vCPUs + 1) and memory on the droplet, so a resize keeps user_data unchanged', () => {
    const web = (size: string) => {
      const { stack, vpc } = testStack({ dns: true });
      new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, size, sshKeys: SSH_KEYS });
      return userData(synthJson(stack), 'site-web-0');
    };
    const unit = file(web('s-4vcpu-8gb'), '/etc/systemd/system/tierform-app.service');
    expect(unit).toContain(' --workers $${TIERFORM_GUNICORN_WORKERS} ');
    expect(unit).toContain('MemoryMax=50%\n');
    expect(file(web('s-4vcpu-8gb'), '/etc/systemd/system/tierform-sizing.service')).toContain('Before=tierform-app.service\n');
    expect(web('s-1vcpu-1gb')).toEqual(web('s-4vcpu-8gb'));
  });

  test('explicit workers and memory are written as given', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, size: 's-2vcpu-4gb', sshKeys: SSH_KEYS, workers: 4, appMemoryMaxMiB: 1000 });
    const text = userData(synthJson(stack), 'site-web-0');
    expect(file(text, '/etc/systemd/system/tierform-app.service')).toMatch(/--workers 4 [\s\S]*MemoryMax=1000M\n/);
    expect(text).not.toContain('tierform-sizing');
  });

  test('nginx answers /health itself and sets body size, timeouts and rate limits from props', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', {
      vpc,
      name: 'site-web',
      count: 1,
      sshKeys: SSH_KEYS,
      clientMaxBodySizeMiB: 25,
      rateLimitRequestsPerSecond: 50,
      proxyReadTimeoutSeconds: 90,
    });
    const conf = file(userData(synthJson(stack), 'site-web-0'), '/etc/nginx/nginx.conf');
    expect(conf).toMatch(/location = \/health \{[^}]*return 200/s);
    expect(conf).toContain('client_max_body_size 25m;');
    expect(conf).toContain('rate=50r/s');
    expect(conf).toContain('proxy_read_timeout 90s;');
    expect(conf).toMatch(/max_fails=3 fail_timeout=30s/);
  });

  test('with a database, the app gets its internal names and the database firewall admits the tier on 3306 only', () => {
    // GIVEN a database and a web tier using it
    const { stack, vpc } = testStack({ dns: true });
    const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 1 });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS, database: db });
    const json = synthJson(stack);
    // THEN the app's env file names the primary (writes) and the replicas (reads), resolved at connect time
    const env = file(userData(json, 'site-web-0'), '/etc/tierform/app.env');
    expect(env).toContain(`DB_HOST='site-db-primary.internal.${TEST_ZONE}'`);
    expect(env).toContain(`DB_READ_HOST='site-db-read.internal.${TEST_ZONE}'`);
    expect(userData(json, 'site-web-0')).not.toContain('digitalocean_droplet');
    // AND the web droplet is created after those names exist
    const droplet = resources(json, 'digitalocean_droplet').find((d) => d.name === 'site-web-0');
    expect(droplet.depends_on).toEqual([expect.stringMatching(/PrimaryName/), expect.stringMatching(/ReadName/)]);
    // AND the password is a base64 of a sensitive variable, in a 0600 file
    const secrets = writeFilesOf(userData(json, 'site-web-0')).find((f) => f.path === '/etc/tierform/app-secrets.b64')!;
    expect(secrets.permissions).toBe('0600');
    expect(secrets.content).toMatch(/DB_PASSWORD_B64='\$\{base64encode\(var\.Db_AppPassword_[0-9A-F]{8}\)\}'/);
    // AND the database firewall admits the web tag on 3306 (and its own tag, for replication)
    const dbFirewall = resources(json, 'digitalocean_firewall').find((f) => f.name === 'site-db');
    expect(dbFirewall.inbound_rule).toEqual(
      expect.arrayContaining([{ protocol: 'tcp', port_range: '3306', source_tags: [expect.stringMatching(/Web_Firewall_Tag/)] }]),
    );
    expect(JSON.stringify(dbFirewall.inbound_rule)).not.toContain('0.0.0.0/0');
  });

  test('admits SSH only from the admin networks', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(fw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '22', source_addresses: ADMIN }]);
  });

  test('deploys a git app into a virtualenv', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', {
      vpc,
      name: 'site-web',
      count: 1,
      sshKeys: SSH_KEYS,
      app: AppSource.git({ url: 'https://github.com/you/app.git', ref: 'v1.2.0', wsgiApp: 'shop.wsgi:application' }),
    });
    const text = userData(synthJson(stack), 'site-web-0');
    expect(file(text, '/usr/local/sbin/tierform-app-setup')).toContain('git -C "/opt/tierform/app" checkout --quiet "v1.2.0"');
    expect(file(text, '/etc/systemd/system/tierform-app.service')).toMatch(/\/opt\/tierform\/venv\/bin\/gunicorn .*shop\.wsgi:application/s);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Droplet, { name: 'site-web-0' });
  });

  test('throws if count is zero', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 0, sshKeys: SSH_KEYS })).toThrow(
      "test/Web: 'count' must be an integer from 1 to 1000, got 0. Pass an integer from 1 to 1000.",
    );
  });

  test('throws if an admin CIDR is invalid', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS, adminCidrs: ['203.0.113.7/33'] })).toThrow(
      "test/Web: 'adminCidrs' is not a valid CIDR block, got '203.0.113.7/33'. Pass an IPv4 or IPv6 network in CIDR notation",
    );
  });

  test('throws if SSH is opened to the internet without a reason', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS, adminCidrs: ['0.0.0.0/0'] })).toThrow(
      "test/Web: 'adminCidrs' opens SSH to the whole internet, got '0.0.0.0/0'. SSH open to the whole internet is refused",
    );
  });

  test('accepts SSH from anywhere with a reason', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'Web', {
      vpc,
      name: 'site-web',
      count: 1,
      sshKeys: SSH_KEYS,
      adminCidrs: ['0.0.0.0/0'],
      allowSshFromAnywhere: { reason: 'CI runners without fixed addresses' },
    });
    expect(resources(synthJson(stack), 'digitalocean_firewall')[0].inbound_rule[0].source_addresses).toEqual(['0.0.0.0/0']);
  });

  test('throws if the reason for SSH from anywhere is empty', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(
      () => new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS, adminCidrs: ['0.0.0.0/0'], allowSshFromAnywhere: { reason: ' ' } }),
    ).toThrow("test/Web: 'allowSshFromAnywhere.reason' must explain the exception, got ' '.");
  });

  test('throws if the body size limit is not positive', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS, clientMaxBodySizeMiB: -1 })).toThrow(
      "test/Web: 'clientMaxBodySizeMiB' must be an integer from 1 to 10240, got -1.",
    );
  });

  test('does not judge values that are tokens', () => {
    const { stack, vpc } = testStack({ dns: true });
    const count = new TerraformVariable(stack, 'cidrs', { type: 'list(string)' });
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS, adminCidrs: count.listValue })).not.toThrow();
  });

  describe('in front of an AppTier (split tiers)', () => {
    function split(extra: Partial<ConstructorParameters<typeof WebTier>[2]> = {}) {
      const { stack, vpc } = testStack({ dns: true });
      const app = new AppTier(stack, 'App', { vpc, name: 'site-app', count: 2, sshKeys: SSH_KEYS });
      new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 2, sshKeys: SSH_KEYS, upstream: app, ...extra });
      return { stack, json: synthJson(stack) };
    }

    test('nginx proxies to the app servers found by DNS (watcher) and serves /static/ itself; no gunicorn on the web droplets', () => {
      const { json } = split();
      const text = userData(json, 'site-web-0');
      const conf = file(text, '/etc/nginx/nginx.conf');
      expect(conf).toContain('include /etc/nginx/tierform-upstreams/app.servers;');
      const watcher = file(text, '/usr/local/sbin/tierform-upstream-watch');
      expect(watcher).toContain(`readonly NAME='site-app.internal.${TEST_ZONE}'`);
      expect(watcher).toContain("readonly PARAMETERS='max_fails=3 fail_timeout=30s'");
      expect(watcher).toContain('readonly PORT=8000');
      expect(parse(text).runcmd).toEqual(
        expect.arrayContaining([
          ['/usr/local/sbin/tierform-upstream-watch', 'boot'],
          ['systemctl', 'enable', '--now', 'tierform-upstream-watch.service'],
        ]),
      );
      expect(text).not.toContain('digitalocean_droplet');
      expect(conf).toContain('location /static/');
      expect(writeFilesOf(text).map((f) => f.path)).not.toContain('/etc/systemd/system/tierform-app.service');
    });

    test('scaling the app tier leaves the web droplets’ user_data as it was', () => {
      const webUserData = (appCount: number): string => {
        const { stack, vpc } = testStack({ dns: true });
        const app = new AppTier(stack, 'App', { vpc, name: 'site-app', count: appCount, sshKeys: SSH_KEYS });
        new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 2, sshKeys: SSH_KEYS, upstream: app });
        return userData(synthJson(stack), 'site-web-0');
      };
      expect(webUserData(3)).toEqual(webUserData(2));
      expect(webUserData(1)).toEqual(webUserData(2));
    });

    test('Balance.source() pins clients to one app server (ip_hash)', () => {
      const { json } = split({ upstreamBalance: Balance.source() });
      expect(file(userData(json, 'site-web-1'), '/etc/nginx/nginx.conf')).toContain('ip_hash;');
    });

    test('the app tier admits only the web tier on its port', () => {
      const { json } = split();
      const fw = resources(json, 'digitalocean_firewall').find((f) => f.name === 'site-app');
      expect(fw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '8000', source_tags: [expect.stringMatching(/Web_Firewall_Tag/)] }]);
    });

    test('throws if a database is given to the web tier as well', () => {
      const { stack, vpc } = testStack({ dns: true });
      const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 0 });
      const app = new AppTier(stack, 'App', { vpc, name: 'site-app', sshKeys: SSH_KEYS });
      expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS, upstream: app, database: db })).toThrow(
        "test/Web: 'database' and 'upstream' are both set: with an app tier, the app talks to the database, so pass 'database' to the AppTier.",
      );
    });
  });
});
