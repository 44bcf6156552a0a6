/**
 * The lab's DNS server (dnsmasq) and droplets created and destroyed while a lab runs, live: root, iproute2, nftables
 * and dnsmasq-base are required (a missing tool fails the suite, naming its package).
 */
import * as fs from 'fs';
import { LabDns, LAB_DNS_ADDRESS } from '../../../lib/lab/dns-server';
import { FirewallSpec, applyRuleset, renderNftRuleset } from '../../../lib/lab/firewall';
import { LabNetwork } from '../../../lib/lab/netns';
import { isRunning } from '../../../lib/lab/processes';
import { makeTempDir, requireTool, run } from '../../helpers/tools';
import { httpOutcome, requireLab, startHttp } from './lab-fixture';

const WEB = 'svc-web.internal.foobar.com';
const ANYWHERE = ['0.0.0.0/0', '::/0'];
/** What stages give a restricted tier: DNS over udp and tcp to anywhere (OutboundPolicy.essential), HTTPS. */
const ESSENTIAL: FirewallSpec = {
  name: 'essential',
  tags: ['web'],
  inbound: [{ protocol: 'tcp', portRange: '80', addresses: ANYWHERE }],
  outbound: [
    { protocol: 'udp', portRange: '53', addresses: ANYWHERE },
    { protocol: 'tcp', portRange: '53', addresses: ANYWHERE },
    { protocol: 'tcp', portRange: '80', tags: ['web'] },
  ],
};
/** A firewall that forgot DNS. */
const NO_DNS: FirewallSpec = { name: 'no-dns', tags: ['locked'], outbound: [{ protocol: 'tcp', portRange: '443', addresses: ANYWHERE }] };

let root: ReturnType<typeof makeTempDir>;
let lab: LabNetwork;
let dns: LabDns;

function firewalls(): void {
  const droplets = lab.droplets.map((d) => ({ id: d.id, name: d.name, tags: d.tags, addresses: [d.publicIp, d.privateIp!] }));
  for (const d of lab.droplets) applyRuleset(d.netns, renderNftRuleset({ droplet: d.name, droplets, firewalls: [ESSENTIAL, NO_DNS] }));
}

/** `getent ahostsv4 <name>` in a lab host: glibc's answer (files, then the nameserver of resolv.conf). */
async function getent(node: string, name: string, env: Record<string, string> = {}): Promise<{ status: number | null; addresses: string[] }> {
  const r = await lab.exec(node, ['getent', 'ahostsv4', name], { env, timeoutMs: 15_000 });
  return {
    status: r.status,
    addresses: [
      ...new Set(
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(/\s+/)[0]),
      ),
    ].sort(),
  };
}

beforeAll(async () => {
  requireLab();
  requireTool('dnsmasq', 'dnsmasq-base');
  root = makeTempDir('dns');
  lab = LabNetwork.create({
    labRoot: root.dir,
    vpcs: [{ name: 'main', ipRange: '10.10.0.0/20' }],
    droplets: [
      { name: 'web-0', id: '100000001', publicIp: '203.0.113.10', vpc: 'main', privateIp: '10.10.0.2', tags: ['web'] },
      { name: 'web-1', id: '100000002', publicIp: '203.0.113.11', vpc: 'main', privateIp: '10.10.0.3', tags: ['web'] },
      { name: 'locked-0', id: '100000003', publicIp: '203.0.113.12', vpc: 'main', privateIp: '10.10.0.4', tags: ['locked'] },
    ],
  });
  firewalls();
  dns = await LabDns.start(lab, {
    records: [
      { name: WEB, address: '10.10.0.2', ttl: 30 },
      { name: WEB, address: '10.10.0.3', ttl: 30 },
      { name: 'www.foobar.com', address: '203.0.113.10', ttl: 300 },
    ],
  });
});

afterAll(() => {
  const pid = dns?.process?.pid;
  const report = lab?.teardown();
  expect(report?.errors ?? []).toEqual([]);
  if (pid !== undefined) expect(isRunning(pid)).toBe(false);
  root?.cleanup();
});

describe('the lab DNS server', () => {
  test('every namespace asks it: resolv.conf names it, /etc/hosts holds only localhost and the hostname', async () => {
    const conf = await lab.exec('web-0', ['cat', '/etc/resolv.conf', '/etc/hosts']);
    expect(conf.stdout).toMatch(new RegExp(`^nameserver ${LAB_DNS_ADDRESS.replace(/\./g, '\\.')}$`, 'm'));
    expect(conf.stdout).not.toContain('foobar.com');
    expect(await getent('client', 'www.foobar.com')).toEqual({ status: 0, addresses: ['203.0.113.10'] });
  });

  test('a name with several A records answers all of them, over udp and over tcp, through the droplet firewall', async () => {
    expect(await getent('web-1', WEB)).toEqual({ status: 0, addresses: ['10.10.0.2', '10.10.0.3'] });
    // RES_OPTIONS=use-vc: glibc asks over TCP.
    expect(await getent('web-1', WEB, { RES_OPTIONS: 'use-vc' })).toEqual({ status: 0, addresses: ['10.10.0.2', '10.10.0.3'] });
  });

  test("serves the smallest TTL of the plan's records on every answer", async () => {
    const answers = await dns.query([WEB, 'www.foobar.com'], 'web-0');
    expect(answers[WEB]).toEqual({ addresses: ['10.10.0.2', '10.10.0.3'], ttl: 30 });
    expect(answers['www.foobar.com']).toEqual({ addresses: ['203.0.113.10'], ttl: 30 });
  });

  test('a name the plan does not have is NXDOMAIN at once; nothing is forwarded', async () => {
    expect(await dns.query(['example.org', 'nope.foobar.com'], 'web-0')).toEqual({
      'example.org': { addresses: [], error: 'ENOTFOUND' },
      'nope.foobar.com': { addresses: [], error: 'ENOTFOUND' },
    });
    expect((await getent('web-0', 'example.org')).status).toBe(2);
  });

  test('the Cloud Firewall decides: a droplet whose outbound rules lack DNS cannot ask', async () => {
    // The lab filters in the droplet's output hook, so the send fails at once (EPERM: c-ares says ECONNREFUSED);
    // DigitalOcean drops at the hypervisor (a timeout). Either way: no answer.
    const answer = (await dns.query([WEB], 'locked-0'))[WEB];
    expect(answer.addresses).toEqual([]);
    expect(['ECONNREFUSED', 'ETIMEOUT']).toContain(answer.error);
    expect((await getent('locked-0', WEB)).status).toBe(2);
  });

  test('records change while it runs, without a restart: added addresses are served, removed names are gone', async () => {
    const pid = dns.process!.pid;
    const update = await dns.setRecords([...dns.records(), { name: WEB, address: '10.10.0.4', ttl: 30 }]);
    expect(update).toMatchObject({ changedNames: [WEB], restarted: false, added: [{ name: WEB, address: '10.10.0.4', ttl: 30 }], removed: [] });
    expect(await getent('web-0', WEB)).toEqual({ status: 0, addresses: ['10.10.0.2', '10.10.0.3', '10.10.0.4'] });
    await dns.setRecords(dns.records().filter((r) => r.name !== 'www.foobar.com'));
    expect((await getent('web-0', 'www.foobar.com')).status).toBe(2);
    expect(dns.process!.pid).toBe(pid);
    expect(fs.readFileSync(dns.recordsFile, 'utf8')).not.toContain('www.foobar.com');
  });

  test('a lower TTL than any served so far restarts it (one TTL for all answers), and says so', async () => {
    const pid = dns.process!.pid;
    const update = await dns.setRecords([...dns.records(), { name: 'fast.foobar.com', address: '10.10.0.9', ttl: 5 }]);
    expect(update).toMatchObject({ restarted: true, ttl: { before: 30, after: 5 } });
    expect(dns.process!.pid).not.toBe(pid);
    expect(isRunning(pid)).toBe(false);
    expect((await dns.query(['fast.foobar.com']))['fast.foobar.com']).toEqual({ addresses: ['10.10.0.9'], ttl: 5 });
  });
});

describe('droplets created and destroyed while the lab runs', () => {
  test('a new droplet gets its namespace, links, addresses, the lab resolver and fresh link names', async () => {
    // The router keeps its MAC when a port joins its bridge: otherwise hosts would send to a stale MAC for ~30 s.
    const routerMac = () => /link\/ether ([0-9a-f:]+)/.exec(lab.runOrThrow('internet', ['ip', '-o', 'link', 'show', 'inet']))?.[1];
    expect(routerMac()).toBe('02:74:66:ff:ff:00');
    const d = lab.addDroplet({ name: 'web-2', id: '100000004', publicIp: '203.0.113.13', vpc: 'main', privateIp: '10.10.0.5', tags: ['web'] });
    expect(d.index).toBe(3);
    expect(d.publicMac).toBe('02:74:66:00:03:01');
    expect(routerMac()).toBe('02:74:66:ff:ff:00');
    firewalls();
    await startHttp(lab, 'web-0', [80]);
    expect(await httpOutcome(lab, 'web-2', 'http://10.10.0.2/')).toMatchObject({ kind: 'answer', answer: { host: 'web-0', remote: '10.10.0.5' } });
    expect(await getent('web-2', WEB)).toMatchObject({ status: 0 });
    expect(() => lab.addDroplet({ name: 'web-3', id: '100000005', publicIp: '203.0.113.13', vpc: 'main', privateIp: '10.10.0.6' })).toThrow(
      /203\.0\.113\.13 is already used by droplet web-2/,
    );
  });

  test('a destroyed droplet: its processes killed, its namespace and /etc/netns directory gone, its addresses free', async () => {
    const server = await startHttp(lab, 'web-2', [80]);
    const ns = lab.droplet('web-2').netns;
    lab.removeDroplet('web-2');
    expect(isRunning(server.pid)).toBe(false);
    expect(run('ip', ['netns', 'list']).stdout).not.toContain(ns);
    expect(fs.existsSync(`/etc/netns/${ns}`)).toBe(false);
    expect(lab.droplets.map((d) => d.name)).toEqual(['web-0', 'web-1', 'locked-0']);
    const again = lab.addDroplet({ name: 'web-2', id: '100000006', publicIp: '203.0.113.13', vpc: 'main', privateIp: '10.10.0.5', tags: ['web'] });
    expect(again.index).toBe(4);
    lab.removeDroplet('web-2');
  });
});
