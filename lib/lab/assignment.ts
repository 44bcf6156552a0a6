/**
 * Which lab identity (id, public and VPC addresses) each droplet and reserved IP of a plan gets, kept for the life
 * of a lab (pure).
 *
 * At boot, droplets take ids 100000001…, public addresses 203.0.113.10… and VPC addresses from the third of their
 * VPC's range, in plan order; reserved IPs take the public addresses after them. The assignment is recorded (in
 * `boot.json`) and an apply starts from it: a droplet still in the plan keeps its identity wherever the new plan puts
 * it (a droplet inserted in the middle of the plan shifts nobody), and a new or replaced droplet takes fresh values
 * above every value handed out so far — never one a destroyed droplet had, so no stale conntrack entry, ARP cache
 * line or DNS answer anywhere can point at it. The anchor IP follows the public address (same host offset).
 */
import { hostAt } from './addresses';
import { LabError } from './lab-error';

/** A droplet's lab identity. */
export interface DropletAssignment {
  readonly id: string;
  readonly publicIp: string;
  /** The VPC's name in the lab. */
  readonly vpc: string;
  readonly privateIp: string;
}

/** Every identity handed out in a lab, by resource address, and the next fresh values. */
export interface LabAssignment {
  readonly droplets: Readonly<Record<string, DropletAssignment>>;
  /** Reserved IP resource address → its address. */
  readonly reservedIps: Readonly<Record<string, string>>;
  readonly next: {
    readonly dropletId: number;
    /** Host offset of the next public address in the public network. */
    readonly publicOffset: number;
    /** Host offset of the next address in each VPC's range, by VPC name. */
    readonly vpcOffsets: Readonly<Record<string, number>>;
  };
}

/** The first droplet id, public address offset and VPC offset of a fresh lab. */
export const FIRST_DROPLET_ID = 100_000_001;
export const FIRST_PUBLIC_OFFSET = 10;
export const FIRST_VPC_OFFSET = 2;

/** What the allocator needs to know of a droplet: its resource address and the VPC it is in. */
export interface DropletSlot {
  readonly address: string;
  readonly vpc: { readonly name: string; readonly ipRange: string };
}

/**
 * Gives every droplet and reserved IP of a plan its identity: from `previous` when it has one (same resource
 * address, same VPC), else fresh. Droplets first, in plan order, then reserved IPs, so a fresh lab gets the
 * addresses it always got.
 */
export function assign(
  publicNetwork: string,
  droplets: readonly DropletSlot[],
  reservedIps: readonly string[],
  previous?: LabAssignment,
): LabAssignment {
  let dropletId = previous?.next.dropletId ?? FIRST_DROPLET_ID;
  let publicOffset = previous?.next.publicOffset ?? FIRST_PUBLIC_OFFSET;
  const vpcOffsets: Record<string, number> = { ...(previous?.next.vpcOffsets ?? {}) };
  const out: Record<string, DropletAssignment> = {};
  const kept = new Set<string>();
  const keep = (ip: string, what: string) => {
    if (kept.has(ip)) throw new LabError(`lab assignment: ${ip} is recorded twice (${what})`);
    kept.add(ip);
  };
  // Identities kept first, so that fresh ones can be checked against them.
  for (const d of droplets) {
    const p = previous?.droplets[d.address];
    if (p && p.vpc === d.vpc.name) {
      out[d.address] = p;
      keep(p.publicIp, d.address);
      keep(p.privateIp, d.address);
    }
  }
  const reserved: Record<string, string> = {};
  for (const r of reservedIps) {
    const ip = previous?.reservedIps[r];
    if (ip !== undefined) {
      reserved[r] = ip;
      keep(ip, r);
    }
  }
  const freshPublic = () => {
    for (;;) {
      const ip = hostAt(publicNetwork, publicOffset++);
      if (!kept.has(ip)) return ip;
    }
  };
  for (const d of droplets) {
    if (out[d.address]) continue;
    let offset = vpcOffsets[d.vpc.name] ?? FIRST_VPC_OFFSET;
    let privateIp = hostAt(d.vpc.ipRange, offset++);
    while (kept.has(privateIp)) privateIp = hostAt(d.vpc.ipRange, offset++);
    vpcOffsets[d.vpc.name] = offset;
    const a = { id: String(dropletId++), publicIp: freshPublic(), vpc: d.vpc.name, privateIp };
    out[d.address] = a;
    kept.add(a.publicIp);
    kept.add(a.privateIp);
  }
  for (const r of reservedIps) {
    if (reserved[r] !== undefined) continue;
    reserved[r] = freshPublic();
    kept.add(reserved[r]);
  }
  return { droplets: out, reservedIps: reserved, next: { dropletId, publicOffset, vpcOffsets } };
}

/** The assignment without the droplets at `addresses` (they are replaced: they will get fresh identities). */
export function withoutDroplets(a: LabAssignment, addresses: Iterable<string>): LabAssignment {
  const drop = new Set(addresses);
  return { ...a, droplets: Object.fromEntries(Object.entries(a.droplets).filter(([k]) => !drop.has(k))) };
}
