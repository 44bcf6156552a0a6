/**
 * The reachability matrix of a booted stage: every (source, destination address, TCP port) the plan's Cloud
 * Firewalls decide, probed for real from inside the lab.
 *
 * Expectations come from the plan (`labPlan.firewalls`, DigitalOcean's semantics evaluated here, independently of
 * the nftables the lab renders): a flow is allowed when the destination's firewalls let the source address in AND
 * the source's firewalls let the destination out (an unfiltered side allows everything). What listens comes from
 * each droplet's sockets (`ss`): an allowed flow to a listening socket must connect ('open'), one to a port where
 * nothing listens must be refused (the RST proves the firewall let it through), and a forbidden one must get no
 * answer at all ('dropped': DigitalOcean drops, it never rejects).
 *
 * Sources: the client (to every droplet's public address) and every droplet (to every other droplet's VPC and
 * public addresses). Ports: every TCP port an inbound rule names, and every port a droplet listens on outside
 * loopback. UDP is not probed (no answer cannot be told from a drop). One prober process per source tries all
 * its targets concurrently, each bounded by PROBE_TIMEOUT_S.
 */
import * as ipaddr from 'ipaddr.js';
import { LabBoot } from '../../../lib/lab/boot';
import { FirewallRuleSpec, FirewallSpec } from '../../../lib/lab/firewall';

const PROBE_TIMEOUT_S = 2;

export type ProbeOutcome = 'open' | 'refused' | 'dropped' | 'unreachable';

export interface Probe {
  readonly source: string;
  readonly sourceIp: string;
  readonly destination: string;
  readonly address: string;
  readonly port: number;
  readonly allowed: boolean;
  readonly listening: boolean;
  readonly expected: ProbeOutcome;
}

export interface ProbeResult extends Probe {
  readonly outcome: ProbeOutcome;
}

interface Peer {
  readonly name: string;
  readonly id?: string;
  readonly tags: readonly string[];
  readonly ip: string;
}

function portInRange(range: string | undefined, port: number): boolean {
  const r = (range ?? '').trim().toLowerCase();
  if (r === 'all' || r === '0' || r === '1-65535') return true;
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(r);
  if (!m) return false;
  return port >= Number(m[1]) && port <= Number(m[2] ?? m[1]);
}

function cidrContains(cidr: string, ip: string): boolean {
  if (cidr.includes(':')) return false;
  const [net, bits] = cidr.includes('/') ? ipaddr.IPv4.parseCIDR(cidr) : [ipaddr.IPv4.parse(cidr), 32];
  return ipaddr.IPv4.parse(ip).match(net, bits);
}

function ruleAllows(rule: FirewallRuleSpec, port: number, peer: Peer): boolean {
  if (rule.protocol.toLowerCase() !== 'tcp' || !portInRange(rule.portRange, port)) return false;
  return (
    (rule.addresses ?? []).some((a) => cidrContains(a, peer.ip)) ||
    (rule.tags ?? []).some((t) => peer.tags.includes(t)) ||
    (peer.id !== undefined && (rule.dropletIds ?? []).includes(peer.id))
  );
}

function firewallsOf(firewalls: readonly FirewallSpec[], d: { id: string; tags: readonly string[] }): FirewallSpec[] {
  return firewalls.filter((f) => (f.dropletIds ?? []).includes(d.id) || (f.tags ?? []).some((t) => d.tags.includes(t)));
}

/** TCP ports a lab host listens on outside loopback, by local address ('*' for every address). */
export function listeningSockets(boot: LabBoot, node: string): { address: string; port: number }[] {
  const out = boot.lab.run(node, ['ss', '-Htln']).stdout;
  const sockets: { address: string; port: number }[] = [];
  for (const line of out.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    if (!local) continue;
    const i = local.lastIndexOf(':');
    let address = local
      .slice(0, i)
      .replace(/^\[|\]$/g, '')
      .replace(/%.*$/, '');
    const port = Number(local.slice(i + 1));
    if (address === '0.0.0.0' || address === '*' || address === '::') address = '*';
    // Loopback, and the lab's metadata service (169.254.169.254, on lo: not a droplet's socket).
    if (address.startsWith('127.') || address === '::1' || address === '169.254.169.254') continue;
    sockets.push({ address, port });
  }
  return sockets;
}

/** Every probe the plan's firewalls decide, with its expected outcome. */
export function reachabilityMatrix(boot: LabBoot): Probe[] {
  const plan = boot.labPlan;
  const listening = new Map(plan.droplets.map((d) => [d.name, listeningSockets(boot, d.name)]));
  const rulePorts = new Set<number>();
  for (const f of plan.firewalls) {
    for (const r of f.inbound ?? []) {
      const m = /^([0-9]+)$/.exec((r.portRange ?? '').trim());
      if (r.protocol.toLowerCase() === 'tcp' && m) rulePorts.add(Number(m[1]));
    }
  }
  const probes: Probe[] = [];
  for (const dest of plan.droplets) {
    const destFirewalls = firewallsOf(plan.firewalls, dest);
    const sockets = listening.get(dest.name)!;
    const ports = [...new Set([...rulePorts, ...sockets.map((s) => s.port)])].sort((a, b) => a - b);
    const sources: { name: string; id?: string; tags: readonly string[]; ip: string; address: string }[] = [
      { name: 'client', tags: [], ip: plan.clientIp, address: dest.publicIp },
    ];
    for (const src of plan.droplets.filter((s) => s.name !== dest.name)) {
      if (src.vpc === dest.vpc) sources.push({ name: src.name, id: src.id, tags: src.tags, ip: src.privateIp, address: dest.privateIp });
      sources.push({ name: src.name, id: src.id, tags: src.tags, ip: src.publicIp, address: dest.publicIp });
    }
    for (const s of sources) {
      const srcDroplet = plan.droplets.find((d) => d.name === s.name);
      const srcFirewalls = srcDroplet ? firewallsOf(plan.firewalls, srcDroplet) : [];
      const destPeer: Peer = { name: dest.name, id: dest.id, tags: dest.tags, ip: s.address };
      for (const port of ports) {
        const inAllowed = destFirewalls.length === 0 || destFirewalls.some((f) => (f.inbound ?? []).some((r) => ruleAllows(r, port, s)));
        const outAllowed = srcFirewalls.length === 0 || srcFirewalls.some((f) => (f.outbound ?? []).some((r) => ruleAllows(r, port, destPeer)));
        const allowed = inAllowed && outAllowed;
        const isListening = sockets.some((k) => k.port === port && (k.address === '*' || k.address === s.address));
        probes.push({
          source: s.name,
          sourceIp: s.ip,
          destination: dest.name,
          address: s.address,
          port,
          allowed,
          listening: isListening,
          expected: !allowed ? 'dropped' : isListening ? 'open' : 'refused',
        });
      }
    }
  }
  return probes;
}

const PROBER = `
import asyncio, json, sys
timeout = float(sys.argv[1])
targets = json.loads(sys.stdin.read())
async def probe(address, port):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
        writer.close()
        return 'open'
    except asyncio.TimeoutError:
        return 'dropped'
    except ConnectionRefusedError:
        return 'refused'
    except OSError:
        return 'unreachable'
async def main():
    results = await asyncio.gather(*(probe(a, p) for a, p in targets))
    print(json.dumps(results))
asyncio.run(main())
`;

/** Runs every probe (one concurrent prober per source, all sources at once); bounded in time. */
export async function runProbes(boot: LabBoot, probes: readonly Probe[]): Promise<ProbeResult[]> {
  const bySource = new Map<string, Probe[]>();
  for (const p of probes) bySource.set(p.source, [...(bySource.get(p.source) ?? []), p]);
  const results: ProbeResult[] = [];
  await Promise.all(
    [...bySource].map(async ([source, list]) => {
      const r = await boot.lab.exec(source, ['python3', '-c', PROBER, String(PROBE_TIMEOUT_S)], {
        input: JSON.stringify(list.map((p) => [p.address, p.port])),
        timeoutMs: 30_000,
      });
      if (r.status !== 0) throw new Error(`prober in ${source} failed (${r.status}): ${r.stderr}`);
      const outcomes = JSON.parse(r.stdout) as ProbeOutcome[];
      list.forEach((p, i) => results.push({ ...p, outcome: outcomes[i] }));
    }),
  );
  return results;
}

/** One line per probe that did not go as the plan says (empty when all did). */
export function mismatches(results: readonly ProbeResult[]): string[] {
  return results
    .filter((r) => r.outcome !== r.expected)
    .map(
      (r) =>
        `${r.source} (${r.sourceIp}) → ${r.destination} ${r.address}:${r.port}: expected ${r.expected} (${r.allowed ? 'allowed' : 'forbidden'}${r.listening ? ', listening' : ''}), got ${r.outcome}`,
    );
}

/** Counts, for the test output. */
export function summary(results: readonly ProbeResult[]): string {
  const count = (o: ProbeOutcome) => results.filter((r) => r.outcome === o).length;
  const ports = [...new Set(results.map((r) => r.port))].sort((a, b) => a - b);
  return `${results.length} probes (${new Set(results.map((r) => r.source)).size} sources, ${new Set(results.map((r) => r.destination)).size} droplets, tcp ports ${ports.join(',')}): ${count('open')} open, ${count('refused')} refused (allowed, nothing listening), ${count('dropped')} dropped, ${count('unreachable')} unreachable`;
}
