import { parse } from 'yaml';
import { AppTier } from '../../constructs/app-tier';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { RoleFirewall } from '../../constructs/role-firewall';
import { Port } from '../../constructs/port';
import { SSH_KEYS, resources, synthJson, testStack, userData } from '../helpers/stacks';

type Files = { path: string; content: string }[];
const content = (text: string, path: string): string => (parse(text).write_files as Files).find((f) => f.path === path)!.content;

describe('AppTier', () => {
  test('runs gunicorn on the VPC address of each app droplet, no nginx', () => {
    const { stack, vpc } = testStack({ dns: true });
    new AppTier(stack, 'App', { vpc, name: 'site-app', sshKeys: SSH_KEYS });
    const json = synthJson(stack);
    expect(resources(json, 'digitalocean_droplet').map((d) => d.name)).toEqual(['site-app-0', 'site-app-1']);
    const text = userData(json, 'site-app-0');
    // systemd expands the address from /etc/tierform/net.env (Terraform-escaped in the plan)
    expect(content(text, '/etc/systemd/system/tierform-app.service')).toContain('--bind $${TIERFORM_PRIVATE_IP}:8000');
    expect(parse(text).packages).not.toContain('nginx');
  });

  test('publishes every app droplet under one internal name for the web tier', () => {
    const { stack, vpc } = testStack({ dns: true });
    const app = new AppTier(stack, 'App', { vpc, name: 'site-app', count: 3, port: 9000, sshKeys: SSH_KEYS });
    expect(app.internalName().fqdn).toBe('site-app.internal.site.example');
    const records = resources(synthJson(stack), 'digitalocean_record');
    expect(records.map((r) => [r.name, r.ttl])).toEqual([
      ['site-app.internal', 30],
      ['site-app.internal', 30],
      ['site-app.internal', 30],
    ]);
  });

  test('only roles allowed explicitly reach the app port; the database admits the app tier', () => {
    const { stack, vpc } = testStack({ dns: true });
    const db = new PrimaryReplicaMysql(stack, 'Db', { vpc, name: 'site-db', sshKeys: SSH_KEYS, replicas: 0 });
    const app = new AppTier(stack, 'App', { vpc, name: 'site-app', sshKeys: SSH_KEYS, database: db });
    const web = new RoleFirewall(stack, 'Web', { name: 'site-web' });
    app.connections.allowFrom(web, Port.tcp(app.port));
    const firewalls = resources(synthJson(stack), 'digitalocean_firewall');
    const appFw = firewalls.find((f) => f.name === 'site-app');
    expect(appFw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '8000', source_tags: [expect.stringMatching(/Web_Tag/)] }]);
    const dbFw = firewalls.find((f) => f.name === 'site-db');
    expect(dbFw.inbound_rule).toContainEqual({ protocol: 'tcp', port_range: '3306', source_tags: [expect.stringMatching(/App_Firewall_Tag/)] });
  });

  test('sizes workers and memory on the droplet (3/4 of its memory), so a resize keeps user_data unchanged', () => {
    const app = (size: string) => {
      const { stack, vpc } = testStack({ dns: true });
      new AppTier(stack, 'App', { vpc, name: 'site-app', count: 1, size, sshKeys: SSH_KEYS });
      return userData(synthJson(stack), 'site-app-0');
    };
    const unit = content(app('s-2vcpu-4gb'), '/etc/systemd/system/tierform-app.service');
    expect(unit).toContain(' --workers $${TIERFORM_GUNICORN_WORKERS} ');
    expect(unit).toContain('MemoryMax=75%\n');
    expect(app('s-4vcpu-8gb')).toEqual(app('s-2vcpu-4gb'));
  });

  test('throws if the port is privileged', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new AppTier(stack, 'App', { vpc, name: 'site-app', port: 80, sshKeys: SSH_KEYS })).toThrow(
      "test/App: 'port' must be an integer from 1024 to 65535, got 80. Pass an integer from 1024 to 65535.",
    );
  });
});
