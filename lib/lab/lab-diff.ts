/**
 * What applying a changed plan to a running lab does, as Terraform would decide it (pure): the lab's own small diff
 * over droplets, DNS records, Cloud Firewalls and reserved IPs, by resource address.
 *
 * Kept in this one file so that it can later give way to the shared plan-impact analysis (`lib/plan/impact.ts`,
 * whose ForceNew table it already uses).
 *
 * Droplets: a droplet whose address is only in the new plan is created, only in the old one destroyed. One in both is
 * replaced (destroyed, then created anew, as Terraform does without `create_before_destroy`) when an attribute the
 * DigitalOcean provider marks ForceNew has a different value — compared as Terraform compares them, after
 * rendering (`user_data` byte for byte: the provider stores its hash) — unless `lifecycle.ignore_changes` lists the
 * attribute (or is "all"). Other attribute changes update it in place.
 */
import { LabPlan, PlannedDroplet } from './boot';
import { HostRecord } from './dns';
import { FirewallSpec } from './firewall';
import { DIGITALOCEAN_REPLACING_ATTRIBUTES } from '../plan/impact';
import { renderTemplate } from '../plan/template';

/**
 * `digitalocean_droplet` attributes that force a new droplet: the provider schema's (2.71.0), from the table the plan
 * impact analysis uses (lib/plan/digitalocean-replacing-attributes.json).
 */
export const DROPLET_FORCE_NEW: readonly string[] = DIGITALOCEAN_REPLACING_ATTRIBUTES.digitalocean_droplet;
/** Droplet attributes the provider updates in place (`size` resizes; `tags`, `volume_ids`, `name`, … change in place). */
const DROPLET_IN_PLACE: readonly string[] = ['name', 'size', 'tags', 'volume_ids', 'backups', 'ipv6', 'graceful_shutdown', 'resize_disk'];

export interface DropletRef {
  readonly address: string;
  readonly name: string;
}

export interface ReplacedDroplet extends DropletRef {
  /** The ForceNew attributes whose value changed. */
  readonly attributes: readonly string[];
  /**
   * Why: 'changed' (the plan changed the attribute), or 'depends' (only because a droplet it references is replaced
   * or created: its address is unknown until then, so the rendered user_data differs).
   */
  readonly cause: 'changed' | 'depends';
}

export interface UpdatedDroplet extends DropletRef {
  /** Attributes changed in place. */
  readonly attributes: readonly string[];
}

export interface DropletDiff {
  readonly created: readonly DropletRef[];
  readonly replaced: readonly ReplacedDroplet[];
  readonly destroyed: readonly DropletRef[];
  readonly updated: readonly UpdatedDroplet[];
  /** ForceNew changes not applied because `lifecycle.ignore_changes` lists them. */
  readonly ignored: readonly UpdatedDroplet[];
  readonly unchanged: readonly DropletRef[];
}

export interface ReservedIpChange {
  readonly address: string;
  readonly ip: string;
  readonly from?: string;
  readonly to?: string;
}

export interface LabDiff {
  readonly droplets: DropletDiff;
  readonly records: { readonly added: readonly HostRecord[]; readonly removed: readonly HostRecord[] };
  readonly firewalls: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] };
  readonly reservedIps: {
    readonly added: readonly ReservedIpChange[];
    readonly removed: readonly ReservedIpChange[];
    readonly reassigned: readonly ReservedIpChange[];
  };
}

/** The attributes `lifecycle.ignore_changes` lists for a resource; 'all' for `ignore_changes = all`. */
export function ignoredChanges(attributes: Readonly<Record<string, unknown>>): readonly string[] | 'all' {
  const lifecycle = attributes.lifecycle as { ignore_changes?: unknown } | undefined;
  const value = lifecycle?.ignore_changes;
  if (value === 'all') return 'all';
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** A droplet attribute as Terraform compares it: rendered with the lab's answers for every reference. */
function attributeValue(labPlan: LabPlan, droplet: PlannedDroplet, attribute: string): string {
  if (attribute === 'user_data') return droplet.userData;
  const value = labPlan.plan.resource(droplet.address).attributes[attribute];
  return JSON.stringify(render(value, labPlan.resolve));
}

function render(value: unknown, resolve: LabPlan['resolve']): unknown {
  if (typeof value === 'string') return renderTemplate(value, resolve);
  if (Array.isArray(value)) return value.map((v) => render(v, resolve));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, resolve)]));
  return value;
}

/** The ForceNew attributes of a droplet in both plans whose values differ, split by whether ignore_changes lists them. */
export function forceNewChanges(before: LabPlan, after: LabPlan, address: string): { readonly changed: string[]; readonly ignored: string[] } {
  const a = before.droplets.find((d) => d.address === address);
  const b = after.droplets.find((d) => d.address === address);
  if (!a || !b) throw new Error(`${address} is not in both plans`);
  const ignore = ignoredChanges(after.plan.resource(address).attributes);
  const changed: string[] = [];
  const ignored: string[] = [];
  for (const attribute of DROPLET_FORCE_NEW) {
    if (attributeValue(before, a, attribute) === attributeValue(after, b, attribute)) continue;
    if (ignore === 'all' || ignore.includes(attribute)) ignored.push(attribute);
    else changed.push(attribute);
  }
  return { changed, ignored };
}

/** In-place attribute changes of a droplet in both plans (ignore_changes honoured). */
function inPlaceChanges(before: LabPlan, after: LabPlan, address: string): string[] {
  const a = before.droplets.find((d) => d.address === address)!;
  const b = after.droplets.find((d) => d.address === address)!;
  const ignore = ignoredChanges(after.plan.resource(address).attributes);
  return DROPLET_IN_PLACE.filter(
    (attribute) => ignore !== 'all' && !ignore.includes(attribute) && attributeValue(before, a, attribute) !== attributeValue(after, b, attribute),
  );
}

/**
 * The diff between the running lab's plan and the next one. `replaced` gives, for droplets the caller decided to
 * replace, whether the plan changed them or they only depend on a replaced one; `currentHolders` (reserved IP →
 * droplet name) is who holds each reserved IP now, which may differ from the plan after a failover;
 * `ignoredChangesOf` (by address) the ForceNew changes `ignore_changes` kept out, when `after` already has the
 * droplets' old values for them.
 */
export function diffLabPlans(
  before: LabPlan,
  after: LabPlan,
  replaced: ReadonlyMap<string, ReplacedDroplet>,
  currentHolders: ReadonlyMap<string, string | undefined> = new Map(),
  ignoredChangesOf?: ReadonlyMap<string, readonly string[]>,
): LabDiff {
  const beforeByAddress = new Map(before.droplets.map((d) => [d.address, d]));
  const afterByAddress = new Map(after.droplets.map((d) => [d.address, d]));
  const ref = (d: PlannedDroplet): DropletRef => ({ address: d.address, name: d.name });
  const created = after.droplets.filter((d) => !beforeByAddress.has(d.address)).map(ref);
  const destroyed = before.droplets.filter((d) => !afterByAddress.has(d.address)).map(ref);
  const updated: UpdatedDroplet[] = [];
  const ignored: UpdatedDroplet[] = [];
  const unchanged: DropletRef[] = [];
  for (const d of after.droplets) {
    if (!beforeByAddress.has(d.address) || replaced.has(d.address)) continue;
    const inPlace = inPlaceChanges(before, after, d.address);
    const skipped = ignoredChangesOf?.get(d.address) ?? forceNewChanges(before, after, d.address).ignored;
    if (inPlace.length > 0) updated.push({ ...ref(d), attributes: inPlace });
    else unchanged.push(ref(d));
    if (skipped.length > 0) ignored.push({ ...ref(d), attributes: skipped });
  }

  const recordKey = (r: HostRecord) => `${r.name} ${r.address} ${r.ttl ?? ''}`;
  // Wildcard records count as records: the names served under them (LabBoot.addNames) follow them.
  const beforeAll = [...before.records, ...before.wildcards];
  const afterAll = [...after.records, ...after.wildcards];
  const beforeRecords = new Set(beforeAll.map(recordKey));
  const afterRecords = new Set(afterAll.map(recordKey));

  const firewallKey = (f: FirewallSpec) => JSON.stringify(f);
  const beforeFw = new Map(before.firewalls.map((f) => [f.name, firewallKey(f)]));
  const afterFw = new Map(after.firewalls.map((f) => [f.name, firewallKey(f)]));

  const reservedBefore = reservedByAddress(before);
  const reservedAfter = reservedByAddress(after);
  const added: ReservedIpChange[] = [];
  const removed: ReservedIpChange[] = [];
  const reassigned: ReservedIpChange[] = [];
  for (const [address, r] of reservedAfter) {
    if (!reservedBefore.has(address)) {
      added.push({ address, ip: r.ip, to: r.holder });
      continue;
    }
    if (r.ignoreHolder) continue;
    const now = currentHolders.has(r.ip) ? currentHolders.get(r.ip) : reservedBefore.get(address)!.holder;
    if (now !== r.holder) reassigned.push({ address, ip: r.ip, from: now, to: r.holder });
  }
  for (const [address, r] of reservedBefore)
    if (!reservedAfter.has(address)) removed.push({ address, ip: r.ip, from: currentHolders.get(r.ip) ?? r.holder });

  return {
    droplets: { created, replaced: [...replaced.values()], destroyed, updated, ignored, unchanged },
    records: {
      added: afterAll.filter((r) => !beforeRecords.has(recordKey(r))),
      removed: beforeAll.filter((r) => !afterRecords.has(recordKey(r))),
    },
    firewalls: {
      added: [...afterFw.keys()].filter((n) => !beforeFw.has(n)).sort(),
      removed: [...beforeFw.keys()].filter((n) => !afterFw.has(n)).sort(),
      changed: [...afterFw]
        .filter(([n, k]) => beforeFw.has(n) && beforeFw.get(n) !== k)
        .map(([n]) => n)
        .sort(),
    },
    reservedIps: { added, removed, reassigned },
  };
}

/**
 * Reserved IPs by resource address, with the holder the plan gives and whether Terraform leaves the holder alone:
 * when `ignore_changes` lists `droplet_id`, or when nothing in the plan assigns it (no `droplet_id`, no assignment
 * resource): the provider then never reads the assignment back nor changes it (2.71.0: `droplet_id` is Optional,
 * not Computed), so whoever claimed it (keepalived) keeps it.
 */
function reservedByAddress(labPlan: LabPlan): Map<string, { ip: string; holder?: string; ignoreHolder: boolean }> {
  const out = new Map<string, { ip: string; holder?: string; ignoreHolder: boolean }>();
  const assignments = [
    ...labPlan.plan.resources('digitalocean_reserved_ip_assignment'),
    ...labPlan.plan.resources('digitalocean_floating_ip_assignment'),
  ];
  for (const [address, ip] of Object.entries(labPlan.assignment.reservedIps)) {
    const attributes = labPlan.plan.resource(address).attributes;
    const ignore = ignoredChanges(attributes);
    const assigned = attributes.droplet_id !== undefined || assignments.some((a) => String(a.attributes.ip_address).includes(`${address}.`));
    const holder = labPlan.reservedIps.find((r) => r.ip === ip)?.holder;
    out.set(address, { ip, holder, ignoreHolder: !assigned || ignore === 'all' || ignore.includes('droplet_id') });
  }
  return out;
}

/** True when the diff changes nothing. */
export function isEmptyDiff(diff: LabDiff): boolean {
  const d = diff.droplets;
  return (
    d.created.length + d.replaced.length + d.destroyed.length + d.updated.length === 0 &&
    diff.records.added.length + diff.records.removed.length === 0 &&
    diff.firewalls.added.length + diff.firewalls.removed.length + diff.firewalls.changed.length === 0 &&
    diff.reservedIps.added.length + diff.reservedIps.removed.length + diff.reservedIps.reassigned.length === 0
  );
}
