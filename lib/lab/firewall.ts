/**
 * DigitalOcean Cloud Firewalls as nftables rules inside each droplet's namespace.
 *
 * DigitalOcean's semantics, as the lab enforces them:
 * - A firewall applies to the droplets carrying one of its `tags` or listed in its `droplet_ids`. A droplet
 *   with several firewalls gets the union of their rules. A droplet with none is not filtered at all.
 * - Once a firewall applies, everything inbound that no inbound rule allows is dropped, and everything
 *   outbound that no outbound rule allows is dropped (a firewall without outbound rules blocks all outbound
 *   traffic). Filtering is stateful: replies of allowed flows (established, related) always pass.
 * - Rules allow tcp, udp or icmp only; everything else (VRRP = IP protocol 112, GRE, ESP, ...) can never be
 *   allowed, so it is dropped between firewalled droplets. That is why keepalived adverts must be tunnelled
 *   (e.g. in VXLAN over udp/4789) or sent as unicast udp.
 * - `port_range`: '80', '8000-9000', '1-65535' or 'all' (also '0'); icmp has none.
 * - Sources (destinations) by address or CIDR, by tag (every droplet carrying the tag, matched by its public
 *   and its VPC address) or by droplet id (same addresses). Filtering applies to the public and the VPC
 *   interface alike (eth0, eth1); every other interface passes: loopback (so the metadata service on
 *   169.254.169.254, which the lab puts on loopback, is never filtered — on DigitalOcean it is not behind the
 *   Cloud Firewall either) and the droplet's own links, such as the VXLAN tunnel an HAProxy pair runs VRRP in:
 *   DigitalOcean filters at the hypervisor, where only the encapsulated udp/4789 packets on eth1 are seen.
 * - Load balancer sources are not supported by the lab (it has no managed load balancers): that throws.
 *
 * `renderNftRuleset` is pure and deterministic; `applyRuleset` loads the text with `nft -f -` in a namespace.
 */
import { spawnSync } from 'child_process';
import * as ipaddr from 'ipaddr.js';
import type { FirewallRule, ListValue, Plan } from '../plan/plan';
import { ReferenceResolver, renderTemplate } from '../plan/template';

/** One rule, with references already resolved. Inbound: sources; outbound: destinations. */
export interface FirewallRuleSpec {
  readonly protocol: string;
  readonly portRange?: string;
  readonly addresses?: readonly string[];
  readonly tags?: readonly string[];
  readonly dropletIds?: readonly string[];
  readonly loadBalancerUids?: readonly string[];
}

/** A Cloud Firewall, with references already resolved. */
export interface FirewallSpec {
  readonly name: string;
  readonly tags?: readonly string[];
  readonly dropletIds?: readonly string[];
  readonly inbound?: readonly FirewallRuleSpec[];
  readonly outbound?: readonly FirewallRuleSpec[];
}

/** A droplet as firewalls see it. */
export interface FirewallDroplet {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
  /** The addresses its traffic comes from and goes to: public and VPC (not the anchor IP). */
  readonly addresses: readonly string[];
}

export interface NftRulesetInput {
  /** Name or id of the droplet whose ruleset to render. */
  readonly droplet: string;
  /** Every droplet of the lab (tag and droplet-id sources expand to their addresses). */
  readonly droplets: readonly FirewallDroplet[];
  readonly firewalls: readonly FirewallSpec[];
}

export class FirewallError extends Error {}

/**
 * The droplet's network interfaces, the only ones a Cloud Firewall sees (it filters at the hypervisor): loopback
 * and interfaces the droplet creates itself (a VXLAN link's inner packets, bridges) are never filtered; what such
 * a link sends over eth1 (the VXLAN udp/4789 packets) is.
 */
export const FIREWALLED_INTERFACES: readonly string[] = ['eth0', 'eth1'];
const NICS = FIREWALLED_INTERFACES.map((i) => `"${i}"`).join(', ');

/** The nftables table the lab owns in each droplet namespace. */
export const FIREWALL_TABLE = 'inet tierform_firewall';

/** The firewalls that apply to `droplet` (by tag or droplet id), sorted by name. */
export function firewallsFor(droplet: FirewallDroplet, firewalls: readonly FirewallSpec[]): FirewallSpec[] {
  return firewalls
    .filter((f) => (f.dropletIds ?? []).includes(droplet.id) || (f.tags ?? []).some((t) => droplet.tags.includes(t)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The nftables ruleset for one droplet; loading it replaces the previous one atomically. */
export function renderNftRuleset(input: NftRulesetInput): string {
  const droplet = input.droplets.find((d) => d.name === input.droplet || d.id === input.droplet);
  if (!droplet) throw new FirewallError(`no droplet '${input.droplet}' among ${input.droplets.map((d) => d.name).join(', ') || 'none'}`);
  const applied = firewallsFor(droplet, input.firewalls);
  const header = [`table ${FIREWALL_TABLE} {}`, `delete table ${FIREWALL_TABLE}`, `table ${FIREWALL_TABLE} {`];
  if (applied.length === 0) {
    return [...header, `  # no Cloud Firewall applies to ${droplet.name}: DigitalOcean does not filter its traffic`, '}', ''].join('\n');
  }
  const chain = (direction: 'inbound' | 'outbound'): string[] => {
    const inbound = direction === 'inbound';
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const fw of applied) {
      const rules = (inbound ? fw.inbound : fw.outbound) ?? [];
      rules.forEach((rule, i) => {
        const where = `firewall ${fw.name} ${direction}_rule[${i}]`;
        for (const line of renderRule(rule, inbound ? 'saddr' : 'daddr', input.droplets, where)) {
          if (!seen.has(line)) {
            seen.add(line);
            lines.push(`    ${line}`);
          }
        }
      });
    }
    return lines;
  };
  const names = applied.map((f) => f.name).join(', ');
  return [
    ...header,
    `  # ${droplet.name}: Cloud Firewalls ${names}`,
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    `    iifname != { ${NICS} } accept`,
    '    ct state established,related accept',
    '    ct state invalid drop',
    ...chain('inbound'),
    '  }',
    '  chain output {',
    '    type filter hook output priority filter; policy drop;',
    `    oifname != { ${NICS} } accept`,
    '    ct state established,related accept',
    ...chain('outbound'),
    '  }',
    // Traffic the droplet forwards (Docker's published ports: DNAT to a container, then forwarded; containers'
    // connections out) crosses the hypervisor as well: the same rules, on the port the packet had when it arrived.
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    iifname { ${NICS} } ct state established,related accept`,
    `    iifname { ${NICS} } ct state invalid drop`,
    ...chain('inbound').map((l) =>
      l.replace(/^ {4}/, `    iifname { ${NICS} } `).replace(/\b(tcp|udp) dport (\S+)/, 'meta l4proto $1 ct original proto-dst $2'),
    ),
    `    iifname { ${NICS} } drop`,
    `    oifname { ${NICS} } ct state established,related accept`,
    ...chain('outbound').map((l) => l.replace(/^ {4}/, `    oifname { ${NICS} } `)),
    `    oifname { ${NICS} } drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Loads `ruleset` (as rendered above) into network namespace `netns` with `nft -f -`; throws nft's message. */
export function applyRuleset(netns: string, ruleset: string): void {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], {
    input: ruleset,
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw new FirewallError(`nft in ${netns}: ${r.error.message}`);
  if (r.status !== 0) throw new FirewallError(`nft in ${netns} rejected the ruleset: ${(r.stderr ?? '').trim()}`);
}

// ---------------------------------------------------------------------------------------------------------------
// rules

type Side = 'saddr' | 'daddr';

function renderRule(rule: FirewallRuleSpec, side: Side, droplets: readonly FirewallDroplet[], where: string): string[] {
  const protocol = rule.protocol.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'icmp') {
    throw new FirewallError(`${where}: protocol '${rule.protocol}' cannot be allowed: DigitalOcean firewalls allow tcp, udp and icmp only`);
  }
  if ((rule.loadBalancerUids ?? []).length > 0) {
    throw new FirewallError(`${where}: load balancer ${side === 'saddr' ? 'sources' : 'destinations'} are not supported by the lab`);
  }
  const ports = protocol === 'icmp' ? undefined : portMatch(protocol, rule.portRange, where);

  const addresses: string[] = [...(rule.addresses ?? [])];
  for (const tag of rule.tags ?? []) {
    for (const d of droplets.filter((x) => x.tags.includes(tag))) addresses.push(...d.addresses);
  }
  for (const id of rule.dropletIds ?? []) {
    const d = droplets.find((x) => x.id === id);
    if (!d) throw new FirewallError(`${where}: no droplet with id ${id}`);
    addresses.push(...d.addresses);
  }
  const v4: ipaddr.IPv4[] = [];
  const v4Bits: number[] = [];
  const v6: [ipaddr.IPv6, number][] = [];
  for (const a of addresses) {
    const [addr, bits] = parseAddress(a, where);
    if (addr.kind() === 'ipv4') {
      v4.push(addr as ipaddr.IPv4);
      v4Bits.push(bits);
    } else v6.push([addr as ipaddr.IPv6, bits]);
  }
  const lines: string[] = [];
  const family = (name: 'ip' | 'ip6', cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][]) => {
    const set = minimalSet(cidrs);
    if (set.length === 0) return;
    const anywhere = set.length === 1 && set[0].endsWith('/0');
    const addressMatch = anywhere
      ? `meta nfproto ${name === 'ip' ? 'ipv4' : 'ipv6'}`
      : `${name} ${side} ${set.length === 1 ? set[0] : `{ ${set.join(', ')} }`}`;
    const protoMatch = protocol === 'icmp' ? `meta l4proto ${name === 'ip' ? 'icmp' : 'ipv6-icmp'}` : ports!;
    lines.push(`${addressMatch} ${protoMatch} accept`);
  };
  family(
    'ip',
    v4.map((a, i) => [a, v4Bits[i]]),
  );
  family('ip6', v6);
  return lines;
}

/** `tcp dport 80`, `udp dport 8000-9000`, or `meta l4proto tcp` for every port. */
function portMatch(protocol: 'tcp' | 'udp', portRange: string | undefined, where: string): string {
  const range = (portRange ?? '').trim().toLowerCase();
  if (range === '') throw new FirewallError(`${where}: ${protocol} needs a port_range ('80', '8000-9000', '1-65535' or 'all')`);
  if (range === 'all' || range === '0' || range === '1-65535') return `meta l4proto ${protocol}`;
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(range);
  const from = m ? Number(m[1]) : NaN;
  const to = m?.[2] !== undefined ? Number(m[2]) : from;
  if (!m || from < 1 || to > 65535 || from > to) {
    throw new FirewallError(`${where}: port_range '${portRange}' is not a port or an ascending range within 1-65535`);
  }
  return from === to ? `${protocol} dport ${from}` : `${protocol} dport ${from}-${to}`;
}

function parseAddress(text: string, where: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  try {
    if (text.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(text);
      return [addr, bits];
    }
    const addr = ipaddr.parse(text);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new FirewallError(`${where}: '${text}' is not an IP address or CIDR block`);
  }
}

/**
 * The CIDRs as nft set elements: normalized to their network address, duplicates and blocks inside another
 * removed (nft refuses overlapping intervals in one set), sorted; single hosts without a prefix.
 */
function minimalSet(cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][]): string[] {
  const normalized = cidrs.map(([addr, bits]) => {
    const network =
      addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
        : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
    return [network, bits] as [ipaddr.IPv4 | ipaddr.IPv6, number];
  });
  const kept = normalized.filter(
    ([addr, bits], i) =>
      !normalized.some(([other, otherBits], j) => {
        if (j === i) return false;
        const inside = otherBits <= bits && (addr as ipaddr.IPv4).match(other as ipaddr.IPv4, otherBits);
        // Of two identical blocks keep the first.
        return inside && (otherBits < bits || j < i);
      }),
  );
  const full = addressBits(kept[0]?.[0]);
  return kept
    .sort(([a, ab], [b, bb]) => compareBytes(a.toByteArray(), b.toByteArray()) || ab - bb)
    .map(([addr, bits]) => (bits === full ? addr.toString() : `${addr.toString()}/${bits}`));
}

function addressBits(addr: ipaddr.IPv4 | ipaddr.IPv6 | undefined): number {
  return addr?.kind() === 'ipv6' ? 128 : 32;
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------------------------
// from a plan

/**
 * The plan's `digitalocean_firewall` resources with their references resolved (tag names, droplet ids,
 * address variables), ready for `renderNftRuleset`. A whole-list reference (`${var.admin_cidrs}`) must
 * resolve to a JSON list, as `fakeResolver` answers list variables.
 */
export function firewallsFromPlan(plan: Plan, resolve: ReferenceResolver): FirewallSpec[] {
  return plan.firewalls().map((fw) => {
    const where = `${fw.address}`;
    const rule = (r: FirewallRule): FirewallRuleSpec => ({
      protocol: renderTemplate(r.protocol, resolve),
      portRange: r.portRange === undefined ? undefined : renderTemplate(r.portRange, resolve),
      addresses: resolveList(r.addresses, resolve, where),
      tags: resolveList(r.tags, resolve, where),
      dropletIds: resolveList(r.dropletIds, resolve, where),
      loadBalancerUids: resolveList(r.loadBalancerUids, resolve, where),
    });
    return {
      name: renderTemplate(fw.name, resolve),
      tags: resolveList(fw.tags, resolve, where),
      dropletIds: resolveList(fw.dropletIds, resolve, where),
      inbound: fw.inboundRules.map(rule),
      outbound: fw.outboundRules.map(rule),
    };
  });
}

function resolveList(value: ListValue | undefined, resolve: ReferenceResolver, where: string): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') return value.map((v) => renderTemplate(v, resolve));
  const text = renderTemplate(value, resolve);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FirewallError(`${where}: ${value} must resolve to a JSON list of strings, got ${text}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
    throw new FirewallError(`${where}: ${value} must resolve to a list of strings, got ${text}`);
  }
  return parsed as string[];
}
