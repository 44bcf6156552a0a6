import { Testing } from 'cdktf';
import { Stage3HighAvailability } from '../../../lib/stages/stage3';
import {
  expectMachineIndependent,
  expectNoPublicDatabasePort,
  expectSecretsOnlyFromSensitiveVariables,
  expectNoDropletReferencesInUserData,
} from '../../helpers/invariants';
import { ADMIN, SSH_KEYS, resources } from '../../helpers/stacks';

function synth() {
  const stack = new Stage3HighAvailability(Testing.app(), 'stage3', {
    domain: 'foobar.com',
    email: 'ops@foobar.com',
    sshKeys: SSH_KEYS,
    adminCidrs: ADMIN,
  });
  const text = Testing.synth(stack);
  return { stack, text, json: JSON.parse(text) };
}

describe('Stage 3: HAProxy pair with a reserved IP, split web/app tiers, primary with replicas', () => {
  test('matches the snapshot of the whole plan', () => {
    const { text } = synth();
    expectMachineIndependent(text);
    expect(text).toMatchSnapshot();
  });

  test('has two load balancers, two web, two app, a primary, two replicas and a monitoring server', () => {
    const { json } = synth();
    expect(
      resources(json, 'digitalocean_droplet')
        .map((d) => d.name)
        .sort(),
    ).toEqual([
      'foobar-s3-app-0',
      'foobar-s3-app-1',
      'foobar-s3-db-primary',
      'foobar-s3-db-replica-1',
      'foobar-s3-db-replica-2',
      'foobar-s3-lb-0',
      'foobar-s3-lb-1',
      'foobar-s3-mon',
      'foobar-s3-web-0',
      'foobar-s3-web-1',
    ]);
  });

  test('www and the apex point at the reserved IP, which Terraform never moves back', () => {
    const { json } = synth();
    const a = resources(json, 'digitalocean_record').filter((r) => r.type === 'A' && ['@', 'www'].includes(r.name));
    for (const r of a) expect(r.value).toMatch(/^\$\{digitalocean_reserved_ip\.LoadBalancers_ReservedIp_[0-9A-F]{8}\.ip_address\}$/);
    expect(resources(json, 'digitalocean_reserved_ip')).toEqual([expect.objectContaining({ lifecycle: { ignore_changes: ['droplet_id'] } })]);
  });

  test('web only reaches app, app only reaches the database', () => {
    const { json } = synth();
    const fw = Object.fromEntries(resources(json, 'digitalocean_firewall').map((f) => [f.name, f]));
    expect(fw['foobar-s3-app'].inbound_rule).toContainEqual({
      protocol: 'tcp',
      port_range: '8000',
      source_tags: [expect.stringMatching(/Web_Firewall_Tag/)],
    });
    expect(fw['foobar-s3-db'].inbound_rule).toContainEqual({
      protocol: 'tcp',
      port_range: '3306',
      source_tags: [expect.stringMatching(/App_Firewall_Tag/)],
    });
    expect(JSON.stringify(fw['foobar-s3-db'].inbound_rule)).not.toMatch(/Web_Firewall_Tag/);
  });

  test('never exposes the database port, and keeps secrets out of the plan', () => {
    const { json } = synth();
    expectNoPublicDatabasePort(json);
    expectSecretsOnlyFromSensitiveVariables(json);
    expectNoDropletReferencesInUserData(json);
    expect(Object.keys(json.variable).sort()).toEqual([
      'digitalocean_dns_token',
      'digitalocean_failover_token',
      'mysql_app_password',
      'mysql_exporter_password',
      'mysql_replication_password',
    ]);
  });

  test('validates the whole tree', () => {
    const { stack } = synth();
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});
