import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Stage1LoadBalanced } from '../../../lib/stages/stage1';
import {
  expectMachineIndependent,
  expectNoDropletReferencesInUserData,
  expectNoPublicDatabasePort,
  expectSecretsOnlyFromSensitiveVariables,
} from '../../helpers/invariants';
import { ADMIN, SSH_KEYS, resources, userData } from '../../helpers/stacks';

function synth(props: Partial<ConstructorParameters<typeof Stage1LoadBalanced>[2]> = {}) {
  const stack = new Stage1LoadBalanced(Testing.app(), 'stage1', { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN, ...props });
  const text = Testing.synth(stack);
  return { stack, text, json: JSON.parse(text) };
}

describe('Stage 1: load balancer, two web servers, MySQL primary and replica', () => {
  test('matches the snapshot of the whole plan', () => {
    const { text } = synth();
    expectMachineIndependent(text);
    expect(text).toMatchSnapshot();
  });

  test('has one load balancer, two web droplets, a primary and a replica', () => {
    const { json } = synth();
    expect(
      resources(json, 'digitalocean_droplet')
        .map((d) => d.name)
        .sort(),
    ).toEqual(['foobar-s1-db-primary', 'foobar-s1-db-replica-1', 'foobar-s1-lb', 'foobar-s1-web-0', 'foobar-s1-web-1']);
  });

  test('points www and the apex at the load balancer', () => {
    const { json } = synth();
    const publicRecords = resources(json, 'digitalocean_record').filter((r) => !r.name.endsWith('.internal'));
    expect(publicRecords.map((r) => r.name).sort()).toEqual(['@', 'www']);
    for (const r of publicRecords) {
      expect(r.value).toMatch(/^\$\{digitalocean_droplet\.LoadBalancer_Droplet_[0-9A-F]{8}\.ipv4_address\}$/);
    }
  });

  test('droplets find each other by internal names: the app writes to the primary and reads from the replica', () => {
    const { json } = synth();
    const env = (parse(userData(json, 'foobar-s1-web-0')).write_files as { path: string; content: string }[]).find(
      (f) => f.path === '/etc/tierform/app.env',
    )!.content;
    expect(env).toContain("DB_HOST='foobar-s1-db-primary.internal.foobar.com'");
    expect(env).toContain("DB_READ_HOST='foobar-s1-db-read.internal.foobar.com'");
    const internal = resources(json, 'digitalocean_record').filter((r) => r.name.endsWith('.internal'));
    expect(internal.map((r) => `${r.name} ${r.ttl}`).sort()).toEqual([
      'foobar-s1-db-primary.internal 30',
      'foobar-s1-db-read.internal 30',
      'foobar-s1-web.internal 30',
      'foobar-s1-web.internal 30',
    ]);
    expectNoDropletReferencesInUserData(json);
  });

  test('never exposes the database port to an address range, and keeps secrets out of the plan', () => {
    const { json } = synth();
    expectNoPublicDatabasePort(json);
    expectSecretsOnlyFromSensitiveVariables(json);
  });

  test('asks for SSH keys and admin networks at deploy when not given', () => {
    const stack = new Stage1LoadBalanced(Testing.app(), 'stage1', { domain: 'foobar.com' });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.variable).sort()).toEqual(['admin_cidrs', 'mysql_app_password', 'mysql_replication_password', 'ssh_keys']);
    expect(json.variable.admin_cidrs.validation[0].condition).toContain('!endswith(c, "/0")');
    expect(resources(json, 'digitalocean_droplet')[0].ssh_keys).toBe('${var.ssh_keys}');
  });

  test('takes region and sizes from props', () => {
    const { json } = synth({ region: 'fra1', webSize: 's-2vcpu-4gb', dbSize: 's-2vcpu-4gb', lbSize: 's-1vcpu-2gb' });
    const bySize = Object.fromEntries(resources(json, 'digitalocean_droplet').map((d) => [d.name, `${d.region}/${d.size}`]));
    expect(bySize).toEqual({
      'foobar-s1-db-primary': 'fra1/s-2vcpu-4gb',
      'foobar-s1-db-replica-1': 'fra1/s-2vcpu-4gb',
      'foobar-s1-web-0': 'fra1/s-2vcpu-4gb',
      'foobar-s1-web-1': 'fra1/s-2vcpu-4gb',
      'foobar-s1-lb': 'fra1/s-1vcpu-2gb',
    });
  });

  test('validates the whole tree', () => {
    const { stack } = synth();
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});
