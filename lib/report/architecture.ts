/**
 * The architecture of a synthesized stack, as the readiness report draws and judges it: roles (a Cloud Firewall
 * and the droplets it covers; in a Docker stack, a service's containers, whose layers are the Docker networks
 * they join), the peers that reach them (the internet, admin networks), entry points (DNS
 * records, reserved IPs), the flows the firewalls allow (both sides: DigitalOcean drops a packet unless the
 * source's outbound rules and the destination's inbound rules admit it), and tiers (hops from the internet).
 *
 * Built from the Terraform JSON (so raw provider resources count) and labelled from the construct tree (each
 * role's owning construct: WebTier, PrimaryReplicaMysql, ...).
 */
import { IConstruct } from 'constructs';
import { DropletView, FirewallRuleView, FirewallView, StackView, blocks, isAnywhere, referencedAddress } from '../checks/stack-view';
import { ContainerView, containerView } from '../checks/rules/_workloads';

export interface RoleDroplet {
  readonly name: string;
  readonly address: string;
  readonly size: string;
}

export interface RoleContainer {
  readonly name: string;
  readonly address: string;
  /** The image name, when the plan knows it. */
  readonly image?: string;
  /** The container's memory limit in MiB, when set. */
  readonly memoryMb?: number;
}

export interface RoleNode {
  /** The role's id: its firewall's name (= tag name for tierform roles); for containers, the service's name. */
  readonly id: string;
  /** The construct that owns the role, e.g. 'Web', and its class, e.g. 'WebTier'. */
  readonly construct?: { readonly path: string; readonly kind: string };
  readonly droplets: readonly RoleDroplet[];
  /** A Docker service's containers (`name`, `name-0`, `name-1`, ...); absent for droplet roles. */
  readonly containers?: readonly RoleContainer[];
  /** The Docker networks the service's containers join: a container reaches only those networks' members. */
  readonly networks?: readonly string[];
  /** Outbound policy: 'all' (every port anywhere) or 'restricted'. */
  readonly egress: 'all' | 'restricted';
  /** Hops from the internet over service flows; undefined when the internet does not reach it (monitoring). */
  readonly tier?: number;
}

export interface PeerNode {
  readonly id: 'internet' | 'admins' | string;
  readonly label: string;
}

export interface EntryPoint {
  readonly id: string;
  readonly kind: 'dns' | 'reserved-ip';
  readonly label: string;
  /** The role traffic lands on. */
  readonly role?: string;
  /** For DNS: the record names, e.g. ['@', 'www']; for a reserved IP: how it moves. */
  readonly detail: string;
}

export interface Flow {
  /** A role id, 'internet', 'admins', 'docker-host' (a port published on loopback), or a CIDR. */
  readonly from: string;
  readonly to: string;
  /** `tcp/80`, `udp/4789`, `icmp`; `all` between containers of a Docker network (networks filter no port). */
  readonly port: string;
  /** An SSH flow from admins, or a scrape from the monitoring role: not on the request path. */
  readonly kind: 'service' | 'admin' | 'monitoring' | 'internal';
}

export interface Architecture {
  readonly stack: string;
  readonly roles: readonly RoleNode[];
  readonly peers: readonly PeerNode[];
  readonly entryPoints: readonly EntryPoint[];
  readonly flows: readonly Flow[];
}

const MONITORING_PORTS = new Set(['tcp/9100', 'tcp/9104', 'tcp/9113', 'tcp/8404', 'tcp/9090']);

function portLabel(r: FirewallRuleView): string {
  if (r.protocol === 'icmp') return 'icmp';
  return `${r.protocol}/${r.ports.from === r.ports.to ? r.ports.from : r.portRange === 'all' || (r.ports.from <= 1 && r.ports.to >= 65535) ? 'all' : `${r.ports.from}-${r.ports.to}`}`;
}

function covers(rule: FirewallRuleView, port: string): boolean {
  const [protocol, range] = port.split('/');
  if (rule.protocol !== protocol) return false;
  if (protocol === 'icmp') return true;
  if (range === 'all') return rule.ports.from <= 1 && rule.ports.to >= 65535;
  const [from, to] = range.split('-').map(Number);
  return rule.ports.from <= from && (to ?? from) <= rule.ports.to;
}

/** The construct at `path` under `root`, if any. */
function constructAt(root: IConstruct | undefined, path: string | undefined): IConstruct | undefined {
  if (!root || !path) return undefined;
  const parts = path.split('/');
  if (parts[0] !== root.node.id) return undefined;
  let c: IConstruct | undefined = root;
  for (const id of parts.slice(1)) c = c?.node.tryFindChild(id);
  return c;
}

/** Builds the architecture from a stack's JSON, labelling roles from the construct tree when given. */
export function architectureOf(view: StackView, stackName: string, tree?: IConstruct): Architecture {
  const firewalls = view.firewalls();
  const droplets = view.droplets();
  const roleOfDroplet = new Map<string, string>();
  const roles: RoleNode[] = [];
  const egress = (fw: FirewallView): 'all' | 'restricted' =>
    fw.outbound.some((r) => r.protocol === 'tcp' && isAnywhere(r.addresses) && r.ports.from <= 1 && r.ports.to >= 65535) ? 'all' : 'restricted';
  for (const fw of firewalls) {
    const covered = droplets.filter((d) => view.firewallsOf(d).includes(fw));
    for (const d of covered) if (!roleOfDroplet.has(d.element.address)) roleOfDroplet.set(d.element.address, fw.name);
    const ownerPath = fw.element.constructPath?.replace(/\/Firewall\/Resource$|\/Resource$/, '');
    const owner = ownerPath?.endsWith('/Firewall') ? constructAt(tree, ownerPath.replace(/\/Firewall$/, '')) : constructAt(tree, ownerPath);
    roles.push({
      id: fw.name,
      construct: owner ? { path: owner.node.path, kind: owner.constructor.name } : undefined,
      droplets: covered.map((d) => dropletOf(d)),
      egress: egress(fw),
    });
  }
  for (const d of droplets.filter((x) => !roleOfDroplet.has(x.element.address))) {
    roleOfDroplet.set(d.element.address, d.name);
    roles.push({ id: d.name, droplets: [dropletOf(d)], egress: 'all', construct: undefined });
  }

  const peers = new Map<string, PeerNode>();
  const flows: Flow[] = [];
  const roleByTag = (tag: string) => firewalls.find((f) => f.tags.includes(tag))?.name;
  const monitoringRoles = new Set<string>();
  for (const fw of firewalls) {
    for (const r of fw.inbound) {
      const port = portLabel(r);
      const sources: string[] = [];
      if (r.addressesUnknown || (r.addresses && !isAnywhere(r.addresses))) {
        const label = port === 'tcp/22' ? 'admins' : (r.addresses ?? []).join(', ') || 'addresses from a variable';
        peers.set(label, {
          id: label,
          label: label === 'admins' ? `admin networks${r.addressesUnknown ? ' (var)' : `: ${(r.addresses ?? []).join(', ')}`}` : label,
        });
        sources.push(label);
      } else if (isAnywhere(r.addresses)) {
        peers.set('internet', { id: 'internet', label: 'internet' });
        sources.push('internet');
      }
      for (const tag of r.tags) {
        const role = roleByTag(tag);
        if (role) sources.push(role);
      }
      for (const d of r.dropletAddresses) {
        const role = roleOfDroplet.get(d);
        if (role) sources.push(role);
      }
      for (const from of sources) {
        const sourceFw = firewalls.find((f) => f.name === from);
        // Both sides: the source's outbound rules must let the flow out (to the destination's tag or anywhere).
        if (sourceFw && !sourceFw.outbound.some((o) => covers(o, port) && (isAnywhere(o.addresses) || fw.tags.some((t) => o.tags.includes(t)))))
          continue;
        const kind: Flow['kind'] =
          from === fw.name
            ? 'internal'
            : port === 'tcp/22' && !roleByName(roles, from)
              ? 'admin'
              : MONITORING_PORTS.has(port) && roleByName(roles, from)
                ? 'monitoring'
                : 'service';
        if (kind === 'monitoring') monitoringRoles.add(from);
        flows.push({ from, to: fw.name, port, kind });
      }
    }
  }
  flows.push(...containerRoles(view, tree, roles, peers));
  // A role that only scrapes others is the monitoring role: all its flows are monitoring flows.
  const flowsOut = flows.map((f) =>
    monitoringRoles.has(f.from) && f.kind === 'service' && !flows.some((g) => g.to === f.from && g.kind === 'service')
      ? { ...f, kind: 'monitoring' as const }
      : f,
  );

  const entryPoints: EntryPoint[] = [];
  const reserved = view.resources('digitalocean_reserved_ip').concat(view.resources('digitalocean_floating_ip'));
  for (const ip of reserved) {
    const target = referencedAddress(ip.attributes.droplet_id);
    let role = target ? roleOfDroplet.get(target) : undefined;
    if (!role && ip.constructPath) {
      const owner = ip.constructPath.split('/').slice(0, -1).join('/');
      role = roles.find((r) => r.construct?.path === owner)?.id;
    }
    const ignored = JSON.stringify((ip.attributes.lifecycle as { ignore_changes?: unknown } | undefined)?.ignore_changes ?? []).includes(
      'droplet_id',
    );
    entryPoints.push({
      id: ip.address,
      kind: 'reserved-ip',
      label: 'reserved IP',
      role,
      detail: target && !ignored ? 'assigned by Terraform' : 'moved by the role on failover',
    });
  }
  const records = view.resources('digitalocean_record').filter((r) => r.attributes.type === 'A' && !/internal/.test(String(r.attributes.name)));
  const byTarget = new Map<string, string[]>();
  for (const r of records) {
    const t = referencedAddress(r.attributes.value) ?? String(r.attributes.value);
    byTarget.set(t, [...(byTarget.get(t) ?? []), String(r.attributes.name)]);
  }
  const zone = String(view.resources('digitalocean_domain')[0]?.attributes.name ?? records[0]?.attributes.domain ?? 'DNS');
  for (const [target, names] of byTarget) {
    const role = target.startsWith('digitalocean_droplet.') ? roleOfDroplet.get(target) : undefined;
    entryPoints.push({ id: `dns:${target}`, kind: 'dns', label: `DNS ${zone}`, role: role ?? target, detail: names.join(', ') });
  }

  // Tiers: hops from the internet over service flows.
  const tier = new Map<string, number>();
  let frontier = flowsOut.filter((f) => f.from === 'internet' && f.kind === 'service').map((f) => f.to);
  frontier.forEach((r) => tier.set(r, 1));
  for (let depth = 2; frontier.length > 0 && depth < 20; depth++) {
    const next = flowsOut.filter((f) => f.kind === 'service' && frontier.includes(f.from) && !tier.has(f.to)).map((f) => f.to);
    next.forEach((r) => tier.set(r, depth));
    frontier = [...new Set(next)];
  }
  return {
    stack: stackName,
    roles: roles.map((r) => ({ ...r, tier: tier.get(r.id) })),
    peers: [...peers.values()],
    entryPoints,
    flows: dedupe(flowsOut),
  };
}

/**
 * Docker containers as roles: one per service (containers named `x`, `x-0`, `x-1`, ...), labelled by the construct
 * owning them. Flows: the ports a container publishes, from the internet (or from the Docker host itself when bound
 * to loopback), and every port between the services that share a Docker network (Docker filters no port inside a
 * network, so `all`); containers on different networks cannot reach each other.
 */
function containerRoles(view: StackView, tree: IConstruct | undefined, roles: RoleNode[], peers: Map<string, PeerNode>): Flow[] {
  const containers = view.resources('docker_container').map((e) => containerView(e, view));
  if (containers.length === 0) return [];
  const service = (c: ContainerView) => c.name.replace(/-\d+$/, '');
  const networksOf = (c: ContainerView): string[] =>
    c.networkMode === 'host'
      ? ['host']
      : blocks(c.element.attributes.networks_advanced).map((n) => {
          const ref = referencedAddress(n.name);
          const name = ref ? view.element(ref)?.attributes.name : n.name;
          return typeof name === 'string' ? name : String(n.name);
        });
  const internal = (network: string) => view.resources('docker_network').some((n) => n.attributes.name === network && n.attributes.internal === true);
  const groups = new Map<string, ContainerView[]>();
  for (const c of containers) groups.set(service(c), [...(groups.get(service(c)) ?? []), c]);
  for (const [id, members] of groups) {
    const owner = constructAt(
      tree,
      members[0].element.constructPath
        ?.split('/')
        .slice(0, -1)
        .join('/')
        .replace(/\/Service$/, ''),
    );
    const networks = [...new Set(members.flatMap(networksOf))];
    roles.push({
      id,
      construct: owner ? { path: owner.node.path, kind: owner.constructor.name } : undefined,
      droplets: [],
      containers: members.map((c) => ({ name: c.name, address: c.element.address, image: c.image, memoryMb: c.memoryMb })),
      networks,
      egress: networks.length > 0 && networks.every(internal) ? 'restricted' : 'all',
    });
  }
  const flows: Flow[] = [];
  for (const [id, members] of groups) {
    for (const c of members) {
      for (const p of c.ports) {
        const loopback = /^(127\.|::1$|localhost$)/.test(p.ip);
        const from = loopback ? 'docker-host' : 'internet';
        peers.set(from, { id: from, label: loopback ? 'the Docker host (loopback)' : 'internet' });
        flows.push({ from, to: id, port: `${p.protocol}/${p.external ?? 'random'}`, kind: 'service' });
      }
      if (c.networkMode === 'host' || c.publishAllPorts) {
        peers.set('internet', { id: 'internet', label: 'internet' });
        flows.push({ from: 'internet', to: id, port: 'all', kind: 'service' });
      }
    }
  }
  const ids = [...groups.keys()];
  for (const a of ids) {
    for (const b of ids) {
      const shared = groups
        .get(a)!
        .flatMap(networksOf)
        .filter((n) => n !== 'host' && groups.get(b)!.flatMap(networksOf).includes(n));
      if (shared.length === 0) continue;
      if (a !== b) flows.push({ from: a, to: b, port: 'all', kind: 'service' });
      else if (groups.get(a)!.length > 1) flows.push({ from: a, to: b, port: 'all', kind: 'internal' });
    }
  }
  return flows;
}

function roleByName(roles: readonly RoleNode[], name: string): RoleNode | undefined {
  return roles.find((r) => r.id === name);
}

function dropletOf(d: DropletView): RoleDroplet {
  return { name: d.name, address: d.element.address, size: String(d.element.attributes.size ?? '') };
}

function dedupe(flows: Flow[]): Flow[] {
  const seen = new Set<string>();
  return flows.filter((f) => {
    const k = `${f.from}|${f.to}|${f.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Who can reach whom on which ports: rows are sources (peers, then roles), columns roles. */
export function reachabilityMatrix(a: Architecture): { sources: string[]; destinations: string[]; cells: Record<string, Record<string, string[]>> } {
  const destinations = a.roles.map((r) => r.id);
  const sources = [...a.peers.map((p) => p.id), ...destinations];
  const cells: Record<string, Record<string, string[]>> = {};
  for (const s of sources) {
    cells[s] = {};
    for (const d of destinations) {
      const ports = a.flows.filter((f) => f.from === s && f.to === d).map((f) => f.port);
      cells[s][d] = [...new Set(ports)].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
    }
  }
  return { sources, destinations, cells };
}
