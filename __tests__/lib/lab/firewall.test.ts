import { parseStack } from '../../../lib/plan/plan';
import { fakeResolver } from '../../../lib/plan/fake-resolver';
import { FirewallDroplet, FirewallSpec, applyRuleset, firewallsFromPlan, renderNftRuleset } from '../../../lib/lab/firewall';
import { LabNetwork } from '../../../lib/lab/netns';
import { makeTempDir } from '../../helpers/tools';
import { requireLab, startHttp, vrrpReceived, whoAnswers } from './lab-fixture';

const DROPLETS: FirewallDroplet[] = [
  { id: '1', name: 'db-0', tags: ['db'], addresses: ['203.0.113.10', '10.10.0.2'] },
  { id: '2', name: 'web-0', tags: ['web', 'x'], addresses: ['203.0.113.11', '10.10.0.3'] },
  { id: '3', name: 'web-1', tags: ['web'], addresses: ['203.0.113.12', '10.10.0.4'] },
];

const ANYWHERE = ['0.0.0.0/0', '::/0'];

function render(droplet: string, firewalls: FirewallSpec[]): string {
  return renderNftRuleset({ droplet, droplets: DROPLETS, firewalls });
}

/** The lines of one chain of a rendered ruleset. */
function chain(text: string, name: 'input' | 'output' | 'forward'): string[] {
  const m = new RegExp(`chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}`).exec(text);
  return m ? m[1].split('\n').map((l) => l.trim()) : [];
}

describe('renderNftRuleset', () => {
  const web: FirewallSpec = {
    name: 'fw-web',
    tags: ['web'],
    inbound: [{ protocol: 'tcp', portRange: '80', addresses: ANYWHERE }],
    outbound: [{ protocol: 'tcp', portRange: '3306', tags: ['db'] }],
  };

  test('drops everything not allowed, in and out, statefully', () => {
    const input = chain(render('web-0', [web]), 'input');
    expect(input).toEqual(expect.arrayContaining(['type filter hook input priority filter; policy drop;', 'ct state established,related accept']));
    expect(chain(render('web-0', [web]), 'output')).toContain('type filter hook output priority filter; policy drop;');
  });

  test('filters only the droplet NICs (eth0, eth1): loopback and the droplet own links always pass', () => {
    const text = render('web-0', [web]);
    expect(chain(text, 'input')).toContain('iifname != { "eth0", "eth1" } accept');
    expect(chain(text, 'output')).toContain('oifname != { "eth0", "eth1" } accept');
  });

  test('leaves a droplet without any firewall unfiltered', () => {
    const text = render('db-0', [web]);
    expect(text).not.toContain('chain');
    expect(text).toContain('no Cloud Firewall applies to db-0');
  });

  test('allows a port from anywhere, IPv4 and IPv6', () => {
    expect(chain(render('web-0', [web]), 'input')).toEqual(
      expect.arrayContaining(['meta nfproto ipv4 tcp dport 80 accept', 'meta nfproto ipv6 tcp dport 80 accept']),
    );
  });

  test('expands a source tag to the public and VPC addresses of the droplets carrying it', () => {
    const db: FirewallSpec = { name: 'fw-db', tags: ['db'], inbound: [{ protocol: 'tcp', portRange: '3306', tags: ['web'] }] };
    expect(chain(render('db-0', [db]), 'input')).toContain('ip saddr { 10.10.0.3, 10.10.0.4, 203.0.113.11, 203.0.113.12 } tcp dport 3306 accept');
  });

  test('expands a droplet id source to that droplet addresses', () => {
    const db: FirewallSpec = { name: 'fw-db', dropletIds: ['1'], inbound: [{ protocol: 'tcp', portRange: '22', dropletIds: ['3'] }] };
    expect(chain(render('db-0', [db]), 'input')).toContain('ip saddr { 10.10.0.4, 203.0.113.12 } tcp dport 22 accept');
  });

  test('omits a rule whose tag no droplet carries', () => {
    const db: FirewallSpec = { name: 'fw-db', tags: ['db'], inbound: [{ protocol: 'tcp', portRange: '22', tags: ['nobody'] }] };
    expect(chain(render('db-0', [db]), 'input').filter((l) => l.includes('dport'))).toEqual([]);
  });

  test('gives a droplet carrying several tags the union of its firewalls', () => {
    const x: FirewallSpec = { name: 'fw-x', tags: ['x'], inbound: [{ protocol: 'udp', portRange: '4789', addresses: ['10.10.0.0/20'] }] };
    const input = chain(render('web-0', [web, x]), 'input');
    expect(input).toEqual(expect.arrayContaining(['meta nfproto ipv4 tcp dport 80 accept', 'ip saddr 10.10.0.0/20 udp dport 4789 accept']));
    expect(chain(render('web-1', [web, x]), 'input')).not.toContain('ip saddr 10.10.0.0/20 udp dport 4789 accept');
  });

  test('renders a rule allowed by two firewalls once', () => {
    const again: FirewallSpec = { ...web, name: 'fw-web-again' };
    expect(chain(render('web-0', [web, again]), 'input').filter((l) => l === 'meta nfproto ipv4 tcp dport 80 accept')).toHaveLength(1);
  });

  test('allows icmp (and ICMPv6) without ports', () => {
    const fw: FirewallSpec = { name: 'fw', tags: ['web'], inbound: [{ protocol: 'icmp', addresses: ANYWHERE }] };
    expect(chain(render('web-0', [fw]), 'input')).toEqual(
      expect.arrayContaining(['meta nfproto ipv4 meta l4proto icmp accept', 'meta nfproto ipv6 meta l4proto ipv6-icmp accept']),
    );
  });

  test('renders port ranges, and every port as the protocol alone', () => {
    const fw: FirewallSpec = {
      name: 'fw',
      tags: ['web'],
      inbound: [
        { protocol: 'tcp', portRange: '8000-8010', addresses: ['198.51.100.0/24'] },
        { protocol: 'udp', portRange: '1-65535', addresses: ['198.51.100.7'] },
        { protocol: 'tcp', portRange: 'all', addresses: ['198.51.100.8/32'] },
      ],
    };
    expect(chain(render('web-0', [fw]), 'input')).toEqual(
      expect.arrayContaining([
        'ip saddr 198.51.100.0/24 tcp dport 8000-8010 accept',
        'ip saddr 198.51.100.7 meta l4proto udp accept',
        'ip saddr 198.51.100.8 meta l4proto tcp accept',
      ]),
    );
  });

  test('renders outbound rules with destinations', () => {
    expect(chain(render('web-0', [web]), 'output')).toContain('ip daddr { 10.10.0.2, 203.0.113.10 } tcp dport 3306 accept');
  });

  test('filters forwarded traffic (a published container port) by the port it arrived on, as the hypervisor does', () => {
    const forward = chain(render('web-0', [web]), 'forward');
    expect(forward).toContain('iifname { "eth0", "eth1" } meta nfproto ipv4 meta l4proto tcp ct original proto-dst 80 accept');
    expect(forward).toContain('iifname { "eth0", "eth1" } drop');
    expect(forward).toContain('oifname { "eth0", "eth1" } ip daddr { 10.10.0.2, 203.0.113.10 } tcp dport 3306 accept');
    expect(forward[forward.length - 1]).toBe('oifname { "eth0", "eth1" } drop');
  });

  test('blocks all outbound traffic when a firewall has no outbound rules', () => {
    const inboundOnly: FirewallSpec = { name: 'fw', tags: ['web'], inbound: web.inbound };
    expect(chain(render('web-0', [inboundOnly]), 'output').filter((l) => l.endsWith('accept'))).toEqual([
      'oifname != { "eth0", "eth1" } accept',
      'ct state established,related accept',
    ]);
  });

  test('merges blocks inside another block (nft refuses overlapping set elements)', () => {
    const fw: FirewallSpec = {
      name: 'fw',
      tags: ['web'],
      inbound: [{ protocol: 'tcp', portRange: '22', addresses: ['10.0.0.0/8', '10.10.0.0/16', '10.10.0.5', '192.0.2.1'] }],
    };
    expect(chain(render('web-0', [fw]), 'input')).toContain('ip saddr { 10.0.0.0/8, 192.0.2.1 } tcp dport 22 accept');
  });

  test('is deterministic', () => {
    const x: FirewallSpec = { name: 'fw-x', tags: ['x'], inbound: [{ protocol: 'tcp', portRange: '22', tags: ['web', 'db'] }] };
    expect(render('web-0', [x, web])).toBe(render('web-0', [web, x]));
  });

  test('throws if a rule names a protocol DigitalOcean cannot allow, such as VRRP', () => {
    const fw: FirewallSpec = { name: 'fw', tags: ['web'], inbound: [{ protocol: 'vrrp', addresses: ANYWHERE }] };
    expect(() => render('web-0', [fw])).toThrow(/protocol 'vrrp' cannot be allowed: DigitalOcean firewalls allow tcp, udp and icmp only/);
  });

  test('throws if a tcp rule has no port range', () => {
    const fw: FirewallSpec = { name: 'fw', tags: ['web'], inbound: [{ protocol: 'tcp', addresses: ANYWHERE }] };
    expect(() => render('web-0', [fw])).toThrow(/firewall fw inbound_rule\[0\]: tcp needs a port_range/);
  });

  test('throws if a port range is reversed', () => {
    const fw: FirewallSpec = { name: 'fw', tags: ['web'], inbound: [{ protocol: 'tcp', portRange: '90-80', addresses: ANYWHERE }] };
    expect(() => render('web-0', [fw])).toThrow(/port_range '90-80' is not a port or an ascending range/);
  });
});

describe('firewallsFromPlan', () => {
  test('resolves tag references and address variables', () => {
    const plan = parseStack({
      variable: { admin_cidrs: { type: 'list(string)', default: ['198.51.100.7/32'] } },
      resource: {
        digitalocean_tag: { db: { name: 'foobar-db' }, web: { name: 'foobar-web' } },
        digitalocean_firewall: {
          db: {
            name: 'foobar-db',
            tags: ['${digitalocean_tag.db.name}'],
            inbound_rule: [
              { protocol: 'tcp', port_range: '3306', source_tags: ['${digitalocean_tag.web.name}'] },
              { protocol: 'tcp', port_range: '22', source_addresses: '${var.admin_cidrs}' },
            ],
          },
        },
      },
    });
    expect(firewallsFromPlan(plan, fakeResolver(plan))).toEqual([
      expect.objectContaining({
        name: 'foobar-db',
        tags: ['foobar-db'],
        inbound: [
          expect.objectContaining({ protocol: 'tcp', portRange: '3306', tags: ['foobar-web'] }),
          expect.objectContaining({ protocol: 'tcp', portRange: '22', addresses: ['198.51.100.7/32'] }),
        ],
        outbound: [],
      }),
    ]);
  });
});

describe('firewalls in the lab (live)', () => {
  let root: ReturnType<typeof makeTempDir>;
  let lab: LabNetwork;
  let labDroplets: FirewallDroplet[];

  const fwDb: FirewallSpec = {
    name: 'fw-db',
    tags: ['db'],
    inbound: [
      { protocol: 'tcp', portRange: '80', addresses: ANYWHERE },
      { protocol: 'tcp', portRange: '3306', tags: ['x'] },
      { protocol: 'icmp', addresses: ANYWHERE },
    ],
    outbound: [
      { protocol: 'tcp', portRange: '1-65535', addresses: ANYWHERE },
      { protocol: 'udp', portRange: '1-65535', addresses: ANYWHERE },
      { protocol: 'icmp', addresses: ANYWHERE },
    ],
  };

  function apply(node: string, firewalls: FirewallSpec[]): void {
    applyRuleset(lab.netns(node), renderNftRuleset({ droplet: node, droplets: labDroplets, firewalls }));
  }

  beforeAll(async () => {
    requireLab();
    root = makeTempDir('lab');
    lab = LabNetwork.create({
      labRoot: root.dir,
      vpcs: [{ name: 'main', ipRange: '10.10.0.0/20' }],
      droplets: [
        { name: 'db-0', id: '100000001', publicIp: '203.0.113.10', vpc: 'main', privateIp: '10.10.0.2', tags: ['db'] },
        { name: 'web-0', id: '100000002', publicIp: '203.0.113.11', vpc: 'main', privateIp: '10.10.0.3', tags: ['x'] },
      ],
    });
    labDroplets = lab.droplets.map((d) => ({ id: d.id, name: d.name, tags: d.tags, addresses: [d.publicIp, d.privateIp!] }));
    await startHttp(lab, 'db-0', [80, 3306, 8080]);
    await startHttp(lab, 'web-0', [80]);
    apply('db-0', [fwDb]);
    apply('web-0', []);
  });

  afterAll(() => {
    lab?.teardown();
    root?.cleanup();
  });

  test('nft accepts the rendered ruleset, and applying it again replaces it', () => {
    apply('db-0', [fwDb]);
    const listed = lab.runOrThrow('db-0', ['nft', 'list', 'table', 'inet', 'tierform_firewall']);
    expect(listed).toMatch(/tcp dport 3306 accept/);
    expect(listed.match(/chain input/g)).toHaveLength(1);
  });

  test('an allowed port answers from anywhere', async () => {
    expect(await whoAnswers(lab, 'client', 'http://203.0.113.10/')).toBe('db-0');
  });

  test('a port not allowed times out (dropped, not refused)', async () => {
    expect(await whoAnswers(lab, 'client', 'http://203.0.113.10:8080/')).toBe('timeout');
  });

  test('a port allowed from a tag answers that tag over the VPC and public network, and no one else', async () => {
    const [vpc, pub, client] = await Promise.all([
      whoAnswers(lab, 'web-0', 'http://10.10.0.2:3306/'),
      whoAnswers(lab, 'web-0', 'http://203.0.113.10:3306/'),
      whoAnswers(lab, 'client', 'http://203.0.113.10:3306/'),
    ]);
    expect({ vpc, pub, client }).toEqual({ vpc: 'db-0', pub: 'db-0', client: 'timeout' });
  });

  test('icmp is allowed when a rule says so', async () => {
    const r = await lab.exec('client', ['python3', '-c', PING, '203.0.113.10'], { timeoutMs: 10_000 });
    expect(r.stdout.trim()).toBe('reply');
  });

  test('VRRP (IP protocol 112) is dropped into a firewalled droplet, and passes between unfiltered ones', async () => {
    expect(await vrrpReceived(lab, 'client', 'web-0', '203.0.113.11')).toBeGreaterThan(0);
    expect(await vrrpReceived(lab, 'web-0', 'db-0', '10.10.0.2')).toBe(0);
    expect(await vrrpReceived(lab, 'db-0', 'web-0', '10.10.0.3')).toBe(0);
  });

  test('VRRP inside a VXLAN link over udp/4789 passes when the firewall allows udp/4789 (DigitalOcean sees only the udp)', async () => {
    const fwPair: FirewallSpec = {
      name: 'fw-pair',
      tags: ['db', 'x'],
      inbound: [{ protocol: 'udp', portRange: '4789', tags: ['db', 'x'] }],
      outbound: [{ protocol: 'udp', portRange: '4789', tags: ['db', 'x'] }],
    };
    apply('db-0', [fwDb, fwPair]);
    apply('web-0', [fwPair]);
    const vxlan = (node: string, local: string, remote: string, self: string) =>
      lab.runOrThrow(node, [
        'sh',
        '-ec',
        `ip link add vx0 type vxlan id 42 local ${local} remote ${remote} dstport 4789 nolearning; ip addr add ${self}/29 dev vx0; ip link set vx0 up`,
      ]);
    try {
      vxlan('db-0', '10.10.0.2', '10.10.0.3', '10.255.255.1');
      vxlan('web-0', '10.10.0.3', '10.10.0.2', '10.255.255.2');
      // The first packets resolve the peer's tunnel MAC (ARP inside the tunnel): send twice.
      await vrrpReceived(lab, 'db-0', 'web-0', '10.255.255.2');
      expect(await vrrpReceived(lab, 'db-0', 'web-0', '10.255.255.2')).toBeGreaterThan(0);
      expect(await vrrpReceived(lab, 'web-0', 'db-0', '10.255.255.1')).toBeGreaterThan(0);
    } finally {
      for (const node of ['db-0', 'web-0']) lab.run(node, ['ip', 'link', 'del', 'vx0']);
      apply('db-0', [fwDb]);
      apply('web-0', []);
    }
  });

  test('outbound rules stop a droplet from opening what they do not allow', async () => {
    const fwWeb: FirewallSpec = {
      name: 'fw-web',
      tags: ['x'],
      inbound: [{ protocol: 'tcp', portRange: '80', addresses: ANYWHERE }],
      outbound: [{ protocol: 'tcp', portRange: '3306', tags: ['db'] }],
    };
    apply('web-0', [fwWeb]);
    try {
      const [db3306, db80, inbound] = await Promise.all([
        whoAnswers(lab, 'web-0', 'http://10.10.0.2:3306/'),
        whoAnswers(lab, 'web-0', 'http://10.10.0.2/'),
        whoAnswers(lab, 'client', 'http://203.0.113.11/'),
      ]);
      expect({ db3306, db80, inbound }).toEqual({ db3306: 'db-0', db80: 'timeout', inbound: 'web-0' });
    } finally {
      apply('web-0', []);
    }
  });
});

/** One ICMP echo with a raw socket (no ping binary needed): prints "reply" or "none". */
const PING = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.2)
packet = bytes([8, 0, 0xf7, 0xfe, 0, 1, 0, 0])
s.sendto(packet, (sys.argv[1], 0))
deadline = time.time() + 2
while time.time() < deadline:
    try:
        data, addr = s.recvfrom(2048)
        if addr[0] == sys.argv[1] and data[20] == 0:
            print('reply')
            sys.exit(0)
    except socket.timeout:
        pass
print('none')
`;
