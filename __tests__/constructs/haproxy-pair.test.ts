import { Secret } from '../../lib/secrets';
import { ReservedIp } from '@cdktf/provider-digitalocean/lib/reserved-ip';
import { TerraformVariable, Testing } from 'cdktf';
import { Dns } from '../../constructs/dns';
import { HaproxyPair } from '../../constructs/haproxy-pair';
import { WebTier } from '../../constructs/web-tier';
import { SSH_KEYS, resources, synthJson, testStack, userData, writeFilesOf } from '../helpers/stacks';

const file = (text: string, path: string) => writeFilesOf(text).find((f) => f.path === path)!;

function pair(extra: Partial<ConstructorParameters<typeof HaproxyPair>[2]> = {}) {
  const { stack, vpc } = testStack();
  const dns = new Dns(stack, 'Dns', { domain: 'foobar.com' });
  const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 2, sshKeys: SSH_KEYS });
  const lb = new HaproxyPair(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, dns, backends: [web], ...extra });
  dns.pointTo(lb);
  return { stack, lb, dns };
}

describe('HaproxyPair', () => {
  test('two load balancer droplets in one role', () => {
    const { stack } = pair();
    const names = resources(synthJson(stack), 'digitalocean_droplet')
      .map((d) => d.name)
      .filter((n: string) => n.startsWith('site-lb'));
    expect(names).toEqual(['site-lb-0', 'site-lb-1']);
  });

  test('the reserved IP is created unassigned: the master claims it, and Terraform never moves it back after a failover', () => {
    const { stack } = pair();
    expect(Testing.synth(stack)).toHaveResourceWithProperties(ReservedIp, { region: 'nyc3', lifecycle: { ignore_changes: ['droplet_id'] } });
    const ip = resources(synthJson(stack), 'digitalocean_reserved_ip')[0];
    // no droplet_id: assigning it from Terraform would make node 0 and the IP depend on each other (a cycle)
    expect(
      Object.keys(ip)
        .filter((k) => k !== '//')
        .sort(),
    ).toEqual(['lifecycle', 'region']);
  });

  test('DNS points at the reserved IP, and each node has an internal name for its VPC address', () => {
    const { stack } = pair();
    const records = resources(synthJson(stack), 'digitalocean_record').map((r) => `${r.name} -> ${r.value}`);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^site-lb-0\.internal -> \$\{digitalocean_droplet\.Lb_Node0_[0-9A-F]{8}\.ipv4_address_private\}$/),
        expect.stringMatching(/^site-lb-1\.internal -> \$\{digitalocean_droplet\.Lb_Node1_[0-9A-F]{8}\.ipv4_address_private\}$/),
        expect.stringMatching(/^www -> \$\{digitalocean_reserved_ip\.Lb_ReservedIp_[0-9A-F]{8}\.ip_address\}$/),
      ]),
    );
  });

  test('each node tunnels VRRP to the other by name, and HAProxy answers keepalived on loopback', () => {
    const { stack } = pair();
    const json = synthJson(stack);
    const node0 = userData(json, 'site-lb-0');
    expect(file(node0, '/usr/local/sbin/tierform-vrrp-tunnel').content).toContain('site-lb-1.internal.foobar.com');
    expect(file(userData(json, 'site-lb-1'), '/usr/local/sbin/tierform-vrrp-tunnel').content).toContain('site-lb-0.internal.foobar.com');
    expect(file(node0, '/etc/haproxy/haproxy.cfg').content).toContain('monitor-uri /tierform-lb-health');
    expect(file(node0, '/etc/keepalived/keepalived.conf').content).toContain('notify_master_rx_lower_pri');
  });

  test('the API token is a sensitive variable written root-only', () => {
    const { stack } = pair();
    const json = synthJson(stack);
    const token = file(userData(json, 'site-lb-0'), '/etc/tierform/do-token');
    expect(token.permissions).toBe('0600');
    expect(token.content).toMatch(/^\$\{var\.Lb_ApiToken_[0-9A-F]{8}\}\n$/);
    const variable = Object.entries(json.variable).find(([k]) => k.startsWith('Lb_ApiToken'))![1] as { sensitive: boolean };
    expect(variable.sensitive).toBe(true);
  });

  test('the firewall admits HTTP from anywhere and the VXLAN tunnel only from the pair itself', () => {
    const { stack } = pair();
    const fw = resources(synthJson(stack), 'digitalocean_firewall').find((f) => f.name === 'site-lb');
    expect(fw.inbound_rule).toEqual([
      { protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] },
      { protocol: 'udp', port_range: '4789', source_tags: [expect.stringMatching(/Lb_Firewall_Tag/)] },
    ]);
  });

  test('the web tier admits both nodes (one tag) on port 80', () => {
    const { stack } = pair();
    const fw = resources(synthJson(stack), 'digitalocean_firewall').find((f) => f.name === 'site-web');
    expect(fw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '80', source_tags: [expect.stringMatching(/Lb_Firewall_Tag/)] }]);
  });

  test('accepts the token from a variable of your own', () => {
    const { stack, vpc } = testStack();
    const dns = new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.9' });
    const token = new TerraformVariable(stack, 'do_token', { type: 'string', sensitive: true });
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    new HaproxyPair(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, dns, backends: [web], apiToken: Secret.fromVariable(token) });
    expect(file(userData(synthJson(stack), 'site-lb-1'), '/etc/tierform/do-token').content).toBe('${var.do_token}\n');
  });

  test('throws if the API token is a literal', () => {
    expect(() => pair({ apiToken: 'dop_v1_0123456789abcdef' as unknown as Secret })).toThrow(
      "test/Lb: 'apiToken' is a literal secret, got '(redacted)'.",
    );
  });

  test('throws if the virtual router id is out of range', () => {
    expect(() => pair({ virtualRouterId: 256 })).toThrow("test/Lb: 'virtualRouterId' must be an integer from 1 to 255, got 256.");
  });

  test('fails validation without backends', () => {
    const { stack, vpc } = testStack();
    const dns = new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.9' });
    new HaproxyPair(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, dns });
    expect(() => Testing.synth(stack, true)).toThrow(/test\/Lb: HaproxyPair has no backends/);
  });
});
