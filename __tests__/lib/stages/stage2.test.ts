import { Testing } from 'cdktf';
import { Stage2SecuredMonitored } from '../../../lib/stages/stage2';
import {
  expectMachineIndependent,
  expectNoPublicDatabasePort,
  expectSecretsOnlyFromSensitiveVariables,
  expectNoDropletReferencesInUserData,
} from '../../helpers/invariants';
import { ADMIN, SSH_KEYS, asSet, resources } from '../../helpers/stacks';

function synth() {
  const stack = new Stage2SecuredMonitored(Testing.app(), 'stage2', {
    domain: 'foobar.com',
    email: 'ops@foobar.com',
    sshKeys: SSH_KEYS,
    adminCidrs: ADMIN,
  });
  const text = Testing.synth(stack);
  return { stack, text, json: JSON.parse(text) };
}

const rules = (fw: { inbound_rule?: { protocol: string; port_range?: string; source_addresses?: string[]; source_tags?: string[] }[] }) =>
  (fw.inbound_rule ?? []).map(
    (r) =>
      `${r.protocol}/${r.port_range ?? '-'} from ${r.source_addresses ? r.source_addresses.join(',') : (r.source_tags ?? []).map((t) => t.replace(/^\$\{digitalocean_tag\.(\w+?)_Firewall_Tag_[0-9A-F]{8}\.name\}$/, '$1')).join(',')}`,
  );

describe('Stage 2: secured and monitored', () => {
  test('matches the snapshot of the whole plan', () => {
    const { text } = synth();
    expectMachineIndependent(text);
    expect(text).toMatchSnapshot();
  });

  test('three firewall layers: public → LB 80/443, LB → web 80, web → database 3306, exporters from monitoring only, SSH from admins', () => {
    const { json } = synth();
    const byName = Object.fromEntries(resources(json, 'digitalocean_firewall').map((f) => [f.name, rules(f)]));
    expect(asSet(byName['foobar-s2-lb'])).toEqual(
      asSet([
        'tcp/80 from 0.0.0.0/0,::/0',
        'tcp/443 from 0.0.0.0/0,::/0',
        'tcp/22 from 203.0.113.7/32',
        'tcp/9100 from Monitoring',
        'tcp/8404 from Monitoring',
      ]),
    );
    expect(asSet(byName['foobar-s2-web'])).toEqual(
      asSet(['tcp/22 from 203.0.113.7/32', 'tcp/80 from LoadBalancer', 'tcp/9100 from Monitoring', 'tcp/9113 from Monitoring']),
    );
    expect(asSet(byName['foobar-s2-db'])).toEqual(
      asSet(['tcp/3306 from Database', 'tcp/22 from 203.0.113.7/32', 'tcp/3306 from Web', 'tcp/9100 from Monitoring', 'tcp/9104 from Monitoring']),
    );
    expect(byName['foobar-s2-mon']).toEqual(['tcp/22 from 203.0.113.7/32']);
  });

  test('outbound is limited to DNS, NTP, HTTP(S), icmp and the flows between roles', () => {
    const { json } = synth();
    for (const fw of resources(json, 'digitalocean_firewall')) {
      expect({ name: fw.name, all: JSON.stringify(fw.outbound_rule).includes('1-65535') }).toEqual({ name: fw.name, all: false });
    }
    const web = resources(json, 'digitalocean_firewall').find((f) => f.name === 'foobar-s2-web');
    expect(web.outbound_rule).toContainEqual({
      protocol: 'tcp',
      port_range: '3306',
      destination_tags: [expect.stringMatching(/Database_Firewall_Tag/)],
    });
  });

  test('HTTPS only at the load balancer, with a CAA record for Let\u2019s Encrypt', () => {
    const { json } = synth();
    const caa = resources(json, 'digitalocean_record')
      .filter((r) => r.type === 'CAA')
      .map((r) => `${r.tag} ${r.value}`);
    expect(caa).toEqual(expect.arrayContaining(['issue letsencrypt.org.', 'issuewild letsencrypt.org.']));
    expect(json.output.url.value).toBe('https://www.foobar.com/');
  });

  test('DigitalOcean alerts and an uptime check on the public URL', () => {
    const { json } = synth();
    expect(
      resources(json, 'digitalocean_monitor_alert')
        .map((a) => a.type)
        .sort(),
    ).toEqual(['v1/insights/droplet/cpu', 'v1/insights/droplet/disk_utilization_percent', 'v1/insights/droplet/memory_utilization_percent']);
    expect(resources(json, 'digitalocean_uptime_check')).toEqual([expect.objectContaining({ target: 'https://www.foobar.com/', type: 'https' })]);
  });

  test('never exposes the database port, and keeps secrets out of the plan', () => {
    const { json } = synth();
    expectNoPublicDatabasePort(json);
    expectSecretsOnlyFromSensitiveVariables(json);
    expectNoDropletReferencesInUserData(json);
    expect(Object.keys(json.variable).sort()).toEqual([
      'digitalocean_dns_token',
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
