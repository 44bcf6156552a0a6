/**
 * Single points of failure, computed: for each role on the request path (the roles the internet's requests
 * traverse over service flows) or the write path (the roles a write goes through to the database that takes
 * it), whether losing one droplet stops the service, and which droplet.
 *
 * - A role with one droplet on the path is a single point of failure.
 * - The entry role survives a droplet's loss only if its address moves: a reserved IP that the role's droplets
 *   move themselves (keepalived), not DNS pointing at one droplet.
 * - A role further in survives if it has several droplets and the role sending to it checks their health
 *   (HAProxy checks, nginx upstream with passive checks), so traffic leaves a dead one.
 * - A database role: its writer (the primary: no replica markers) is a single point of failure on the write path
 *   unless there are several writers; a replica is one on the request path when the app's reads go to it alone
 *   (`DB_READ_HOST` naming one droplet: tierform's sample app has no fallback to another node).
 * - Docker services (container roles) are not judged here: their containers share one Docker host, whose droplet
 *   is judged in the host's stack.
 */
import { DropletView, StackView, referencedAddress } from '../checks/stack-view';
import { isDatabaseDroplet } from '../checks/rules/_workloads';
import { Architecture, RoleNode } from './architecture';

export interface RoleVerdict {
  readonly role: string;
  readonly paths: readonly ('request' | 'write')[];
  /** Droplets whose loss alone stops the service. Empty: the role survives losing any one droplet. */
  readonly singlePoints: readonly string[];
  readonly reason: string;
}

/** A database's reader endpoint, when the tree says which droplet the app reads from. */
export interface ReaderEndpoint {
  readonly role: string;
  /** Droplet addresses (`digitalocean_droplet.x`) the app's reads go to. */
  readonly droplets: readonly string[];
}

const isReplica = (d: DropletView) => /CHANGE\s+(REPLICATION\s+SOURCE|MASTER)\s+TO|\bread_only\s*=\s*(ON|1)\b/i.test(d.config.text);
const checksBackends = (d: DropletView) =>
  d.haproxy.some((h) => h.sections.some((s) => s.lines.some((l) => (l[0] === 'server' || l[0] === 'server-template') && l.includes('check')))) ||
  d.nginx.some((n) => /\bupstream\b/.test(n.file.content));
const runsKeepalived = (d: DropletView) =>
  d.config.packages.includes('keepalived') || d.config.files.some((f) => f.path.startsWith('/etc/keepalived/'));

/**
 * Where the app's reads go, from the app droplets' environment (`DB_READ_HOST`, tierform's app contract): a droplet
 * reference (its private address) or an internal DNS name, resolved to droplets through the stack's A records. A
 * name with several records spreads reads (the MySQL client tries each address), one record pins them.
 */
export function readerEndpoints(a: Architecture, view: StackView): ReaderEndpoint[] {
  const hosts = new Set<string>();
  for (const d of view.droplets()) {
    for (const m of d.config.text.matchAll(/^\s*DB_READ_HOST=(.+)$/gm)) hosts.add(m[1].trim().replace(/^['"]|['"]$/g, ''));
  }
  const out: ReaderEndpoint[] = [];
  for (const host of hosts) {
    let targets = [referencedAddress(host)].filter((x): x is string => x !== undefined);
    if (targets.length === 0) {
      const records = view
        .resources('digitalocean_record')
        .filter((r) => r.attributes.type === 'A' && host.startsWith(`${String(r.attributes.name)}.`));
      targets = [...new Set(records.map((r) => referencedAddress(r.attributes.value)).filter((x): x is string => x !== undefined))];
    }
    const role = a.roles.find((r) => targets.length > 0 && targets.every((t) => r.droplets.some((d) => d.address === t)));
    if (role) out.push({ role: role.id, droplets: targets });
  }
  return out;
}

export function singlePointsOfFailure(a: Architecture, view: StackView, readers: readonly ReaderEndpoint[] = []): RoleVerdict[] {
  const service = a.flows.filter((f) => f.kind === 'service');
  const onRequestPath = new Set(a.roles.filter((r) => r.tier !== undefined && r.droplets.length > 0).map((r) => r.id));
  const dropletViews = new Map(view.droplets().map((d) => [d.element.address, d]));
  const dv = (r: RoleNode) => r.droplets.map((d) => dropletViews.get(d.address)!).filter(Boolean);
  const dbRoles = new Set(a.roles.filter((r) => dv(r).length > 0 && dv(r).every(isDatabaseDroplet)).map((r) => r.id));
  // The write path: request-path roles from which a service flow leads to a database role (and the databases).
  const writePath = new Set<string>();
  const reaches = (role: string, seen = new Set<string>()): boolean => {
    if (dbRoles.has(role) || a.roles.find((r) => r.id === role)?.droplets.some((d) => isDatabaseDroplet(dropletViews.get(d.address)!))) return true;
    seen.add(role);
    return service.filter((f) => f.from === role && !seen.has(f.to)).some((f) => reaches(f.to, seen));
  };
  for (const r of onRequestPath) if (reaches(r)) writePath.add(r);

  const verdicts: RoleVerdict[] = [];
  for (const role of a.roles) {
    if (!onRequestPath.has(role.id)) continue;
    const paths: ('request' | 'write')[] = ['request', ...(writePath.has(role.id) ? (['write'] as const) : [])];
    const droplets = dv(role);
    const names = droplets.map((d) => d.name);
    if (droplets.length === 1) {
      verdicts.push({ role: role.id, paths, singlePoints: names, reason: 'one droplet' });
      continue;
    }
    if (dbRoles.has(role.id)) {
      const writers = droplets.filter((d) => !isReplica(d));
      const reader = readers.find((x) => x.role === role.id);
      const readersOne = reader && reader.droplets.length === 1 ? droplets.filter((d) => reader.droplets.includes(d.element.address)) : [];
      const singles = [...(writers.length === 1 ? writers : []), ...readersOne].map((d) => d.name);
      const why = [
        writers.length === 1 ? `${writers[0].name} takes every write and nothing promotes a replica` : `${writers.length} writers`,
        ...(readersOne.length === 1 ? [`the app reads from ${readersOne[0].name} only`] : []),
      ].join('; ');
      verdicts.push({ role: role.id, paths, singlePoints: singles, reason: why });
      continue;
    }
    const entry = a.entryPoints.filter((e) => e.role === role.id);
    if (role.tier === 1) {
      const moving = entry.some((e) => e.kind === 'reserved-ip' && e.detail.startsWith('moved')) && droplets.every(runsKeepalived);
      if (moving) {
        verdicts.push({ role: role.id, paths, singlePoints: [], reason: `${droplets.length} droplets sharing a reserved IP that moves on failure` });
      } else {
        const pinned = a.entryPoints
          .filter((e) => e.kind === 'dns' && e.role?.startsWith('digitalocean_droplet.'))
          .map((e) => dropletViews.get(e.role!)?.name);
        const dnsTargets = droplets.filter((d) => a.entryPoints.some((e) => e.kind === 'dns' && e.role === role.id) || pinned.includes(d.name));
        verdicts.push({
          role: role.id,
          paths,
          singlePoints: dnsTargets.length === 1 ? dnsTargets.map((d) => d.name) : names,
          reason: 'the entry address points at droplets that do not fail over',
        });
      }
      continue;
    }
    const upstream = service
      .filter((f) => f.to === role.id)
      .map((f) => a.roles.find((r) => r.id === f.from))
      .filter((r): r is RoleNode => r !== undefined);
    const checked = upstream.length > 0 && upstream.every((u) => dv(u).every(checksBackends));
    verdicts.push({
      role: role.id,
      paths,
      singlePoints: checked ? [] : names,
      reason: checked
        ? `${droplets.length} droplets behind health-checking ${upstream.map((u) => u.id).join(', ')}`
        : `${droplets.length} droplets, but nothing in front of them leaves a dead one`,
    });
  }
  return verdicts;
}
