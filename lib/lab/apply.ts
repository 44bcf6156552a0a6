/**
 * Applying a changed plan to a running lab (`LabBoot.apply`, `npm run lab -- apply <stage>`), as `terraform apply`
 * would change what the lab stands for.
 *
 * Planning (`planApply`, pure): the new plan gets the running lab's identities (assignment.ts: a droplet still in
 * the plan keeps its id and addresses, wherever the plan now puts it) and its generated secrets; `diffLabPlans`
 * (lab-diff.ts) compares by resource address. A droplet is replaced when a ForceNew attribute changed; a replaced
 * droplet gets a fresh identity, so every droplet whose user_data renders one of its addresses changes too and is
 * replaced as well (Terraform: "known after apply" in a ForceNew attribute) — repeated until nothing more changes.
 * `lifecycle.ignore_changes` is honoured: an ignored user_data stays the one the droplet booted with.
 *
 * Doing (`applyPlan`), in Terraform's dependency order:
 *  1. record resources gone from the plan leave the DNS server (before the droplets they point at); a record whose
 *     value changes keeps answering its old value until step 6, as Terraform updates it in place;
 *  2. destroyed and replaced droplets: units stopped (bounded), every process in the namespace killed, metadata
 *     service stopped, namespace deleted; reserved IPs they held are unassigned (as DigitalOcean does);
 *  3. tags changed in place;
 *  4. created and replaced droplets get their namespace, links and addresses;
 *  5. every droplet's Cloud Firewall ruleset is rendered again (tag membership follows the droplets) and loaded
 *     where its text changed, each in one nft transaction: established connections keep flowing (conntrack);
 *  6. the new droplets' metadata services, filesystems and service managers (the droplet is "active"), then their
 *     cloud-init starts — and, as Terraform creates the records once the droplets are active, the DNS server
 *     serves the new record set while cloud-init still runs;
 *  7. reserved IPs created, destroyed or reassigned (unless `ignore_changes` lists `droplet_id`);
 *  8. waits for every new droplet's cloud-init; a failed step fails the apply (the lab stays up, as it is).
 * Droplets neither created nor replaced keep their ids, addresses, anchor IPs, filesystems and processes.
 */
import * as path from 'path';
import { LabBoot, LabPlan, bootFailures, bootProblems, networkSpec, planLab } from './boot';
import { DnsUpdate } from './dns-server';
import { HostRecord } from './dns';
import { withoutDroplets } from './assignment';
import { LabDiff, ReplacedDroplet, diffLabPlans, forceNewChanges, ignoredChanges, isEmptyDiff } from './lab-diff';
import { LabError } from './lab-error';
import { Plan, loadStack } from '../plan/plan';

export interface ApplyOptions {
  /** Fail, changing nothing, when the apply would replace a droplet. @default false */
  readonly refuseReplace?: boolean;
  /** Progress lines. @default the lab's boot log */
  readonly log?: (line: string) => void;
}

export interface ApplyResult {
  readonly diff: LabDiff;
  /** Droplets whose nftables ruleset was reloaded (their text changed). */
  readonly firewallsReloaded: readonly string[];
  readonly dns?: DnsUpdate;
  /** Seconds from the start of the apply to the new records being served, when records changed. */
  readonly dnsServedAfterSeconds?: number;
  readonly seconds: number;
  /** What `npm run lab -- apply` prints. */
  readonly summary: string;
}

export interface PlannedApply {
  readonly next: LabPlan;
  readonly diff: LabDiff;
}

/**
 * Plans the apply (pure): the next lab plan with identities kept, and the diff. Throws a LabError, naming what and
 * why, for a change the lab cannot make while running (VPCs, renaming a droplet in place, another stage).
 */
export function planApply(running: LabPlan, plan: Plan, currentHolders: ReadonlyMap<string, string | undefined> = new Map()): PlannedApply {
  if (plan.name !== undefined && plan.name !== running.stage) {
    throw new LabError(
      `the lab runs ${running.stage}; the plan is ${plan.name}: apply a plan of the same stage (or boot ${plan.name} in a lab of its own)`,
    );
  }
  const replaced = new Map<string, ReplacedDroplet>();
  for (let round = 0; ; round++) {
    const next = planLab(plan, {
      variables: running.variables,
      clientIp: running.clientIp,
      assignment: withoutDroplets(running.assignment, replaced.keys()),
    });
    if (round === 0) refuseUnsupported(running, next);
    let grew = false;
    for (const d of next.droplets) {
      const old = running.droplets.find((x) => x.address === d.address);
      if (!old || replaced.has(d.address)) continue;
      const { changed } = forceNewChanges(running, next, d.address);
      if (changed.length === 0) continue;
      const rawBefore = running.plan.resource(d.address).attributes;
      const rawAfter = plan.resource(d.address).attributes;
      const byPlan = changed.some((a) => JSON.stringify(rawBefore[a]) !== JSON.stringify(rawAfter[a]));
      replaced.set(d.address, { address: d.address, name: d.name, attributes: changed, cause: byPlan ? 'changed' : 'depends' });
      grew = true;
    }
    if (grew) continue;
    const ignored = new Map<string, readonly string[]>();
    for (const d of next.droplets) {
      if (!running.droplets.some((x) => x.address === d.address) || replaced.has(d.address)) continue;
      const skipped = forceNewChanges(running, next, d.address).ignored;
      if (skipped.length > 0) ignored.set(d.address, skipped);
    }
    const kept = keepIgnoredUserData(running, next, replaced);
    return { next: kept, diff: diffLabPlans(running, kept, replaced, currentHolders, ignored) };
  }
}

/** Droplets whose user_data change is ignored (`ignore_changes`) keep running the user_data they booted with. */
function keepIgnoredUserData(running: LabPlan, next: LabPlan, replaced: ReadonlyMap<string, ReplacedDroplet>): LabPlan {
  return {
    ...next,
    droplets: next.droplets.map((d) => {
      const old = running.droplets.find((x) => x.address === d.address);
      if (!old || replaced.has(d.address) || old.userData === d.userData) return d;
      const ignore = ignoredChanges(next.plan.resource(d.address).attributes);
      return ignore === 'all' || ignore.includes('user_data') ? { ...d, userData: old.userData, cloudConfig: old.cloudConfig } : d;
    }),
  };
}

function refuseUnsupported(running: LabPlan, next: LabPlan): void {
  const problems: string[] = [];
  const before = new Map(running.vpcs.map((v) => [v.name, v.ipRange]));
  const after = new Map(next.vpcs.map((v) => [v.name, v.ipRange]));
  for (const [name, range] of after) {
    if (!before.has(name)) problems.push(`VPC ${name} (${range}) is new`);
    else if (before.get(name) !== range) problems.push(`VPC ${name} changes ip_range ${before.get(name)} → ${range}`);
  }
  for (const [name] of before)
    if (!after.has(name) && running.droplets.some((d) => d.vpc === name && next.droplets.some((n) => n.address === d.address)))
      problems.push(`VPC ${name} is gone`);
  for (const d of next.droplets) {
    const old = running.droplets.find((x) => x.address === d.address);
    if (old && old.name !== d.name)
      problems.push(`${d.address} is renamed ${old.name} → ${d.name} in place (the lab names a droplet's namespace after it)`);
    const twin = next.droplets.find((x) => x !== d && x.name === d.name);
    if (twin && d.address < twin.address)
      problems.push(`${d.address} and ${twin.address} are both named ${d.name} (the lab names a droplet's namespace after it)`);
  }
  if (problems.length > 0) {
    throw new LabError(
      `the lab cannot apply this plan to running lab of ${running.stage}: ${problems.join('; ')}: tear the lab down and boot the new plan (npm run lab -- down; npm run lab -- up ${running.stage})`,
    );
  }
}

/** The plan of the apply, before anything is done: one line per change, replacements loud. */
export function formatPlannedApply(stage: string, diff: LabDiff): string {
  const d = diff.droplets;
  const names = (xs: readonly { name: string }[]) => (xs.length === 0 ? '' : ` (${xs.map((x) => x.name).join(', ')})`);
  const lines = [
    `apply to ${stage}: droplets: ${d.created.length} to create${names(d.created)}, ${d.replaced.length} to REPLACE${names(d.replaced)}, ` +
      `${d.destroyed.length} to destroy${names(d.destroyed)}, ${d.updated.length} to update in place${names(d.updated)}, ${d.unchanged.length} unchanged`,
  ];
  for (const r of d.replaced) {
    lines.push(
      `  !!! REPLACE ${r.name} (${r.address}): ${r.attributes.join(', ')} ${r.cause === 'changed' ? 'changed in the plan' : 'depend on a droplet created or replaced by this apply (known after apply)'} ` +
        '— it is destroyed and created anew: new id and addresses, its processes and local data are gone',
    );
  }
  for (const u of d.updated)
    lines.push(
      `  update ${u.name} in place: ${u.attributes.join(', ')}${u.attributes.some((a) => a !== 'tags') ? ' (the lab models tags only)' : ''}`,
    );
  for (const i of d.ignored) lines.push(`  ${i.name}: ${i.attributes.join(', ')} changed but lifecycle.ignore_changes lists them: not applied`);
  const rec = (r: HostRecord) => `${r.name} → ${r.address}`;
  lines.push(
    `  DNS records: ${diff.records.added.length} added${diff.records.added.length ? ` (${diff.records.added.map(rec).join(', ')})` : ''}, ${diff.records.removed.length} removed${diff.records.removed.length ? ` (${diff.records.removed.map(rec).join(', ')})` : ''}`,
  );
  const fw = diff.firewalls;
  lines.push(
    `  Cloud Firewalls: ${fw.changed.length} changed${fw.changed.length ? ` (${fw.changed.join(', ')})` : ''}, ${fw.added.length} added, ${fw.removed.length} removed`,
  );
  const ip = diff.reservedIps;
  const moves = ip.reassigned.map((m) => `${m.ip} ${m.from ?? 'unassigned'} → ${m.to ?? 'unassigned'}`);
  lines.push(
    `  reserved IPs: ${ip.added.length} added, ${ip.removed.length} removed, ${ip.reassigned.length} reassigned${moves.length ? ` (${moves.join(', ')})` : ''}`,
  );
  return lines.join('\n');
}

/** Applies the plan in `planFile` to the running lab (see the top of this file). */
export async function applyPlan(boot: LabBoot, planFile: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  const started = Date.now();
  const log = options.log ?? boot.settings?.log ?? (() => undefined);
  const dns = boot.dns;
  const metadata = boot.metadata;
  if (!boot.settings || !dns || !metadata) throw new LabError(`lab ${boot.lab.id} was not booted by bootStage: nothing to apply to`);
  const file = path.resolve(planFile);
  const { next, diff } = planApply(boot.labPlan, loadStack(file), boot.lab.reservedIps());
  const planText = formatPlannedApply(next.stage, diff);
  log(planText);
  if (options.refuseReplace && diff.droplets.replaced.length > 0) {
    throw new LabError(
      `--refuse-replace: the apply would replace ${diff.droplets.replaced.map((r) => `${r.name} (${r.attributes.join(', ')})`).join(', ')}; nothing was changed`,
    );
  }
  const problems = bootProblems(next);
  if (problems.length > 0) throw new LabError(`cannot apply to ${next.stage}: ${problems.join('; ')}; nothing was changed`);
  const result = (firewallsReloaded: readonly string[], update?: DnsUpdate, dnsServedAt?: number): ApplyResult => {
    const seconds = (Date.now() - started) / 1000;
    const summary = formatApplySummary(next.stage, diff, firewallsReloaded, update, seconds);
    return {
      diff,
      firewallsReloaded,
      dns: update,
      dnsServedAfterSeconds: dnsServedAt === undefined ? undefined : (dnsServedAt - started) / 1000,
      seconds,
      summary,
    };
  };
  if (isEmptyDiff(diff)) {
    boot.labPlan = next;
    boot.planFile = file;
    return result([]);
  }

  boot.saveState('applying');
  let done: ApplyResult;
  try {
    done = await execute(boot, file, next, diff, log, started, result);
  } catch (e) {
    boot.saveState('failed');
    throw e;
  }
  log(done.summary);
  return done;
}

/** The steps of an apply (see the top of this file); throws on the first failure, the lab left as it is. */
async function execute(
  boot: LabBoot,
  file: string,
  next: LabPlan,
  diff: LabDiff,
  log: (line: string) => void,
  started: number,
  result: (firewallsReloaded: readonly string[], update?: DnsUpdate, dnsServedAt?: number) => ApplyResult,
): Promise<ApplyResult> {
  const dns = boot.dns!;
  const metadata = boot.metadata!;
  const d = diff.droplets;
  const gone = [...d.destroyed, ...d.replaced].map((x) => x.name);
  // Record resources gone from the plan are destroyed before what they point at; a record whose value changes is
  // updated in place once its droplet exists (step 6), and answers its old value until then.
  const kept = new Set([...next.records, ...next.wildcards].map((r) => r.resource));
  const served = dns.records();
  if (served.some((r) => r.resource !== undefined && !kept.has(r.resource)))
    await dns.setRecords(served.filter((r) => r.resource === undefined || kept.has(r.resource)));
  if (gone.length > 0) {
    log(`destroying ${gone.join(', ')}`);
    await Promise.all(gone.map((n) => boot.destroyDroplet(n)));
  }

  boot.labPlan = next;
  boot.planFile = file;
  for (const u of d.updated)
    if (u.attributes.includes('tags')) boot.lab.setDropletTags(u.name, next.droplets.find((x) => x.address === u.address)!.tags);
  const fresh = [...d.created, ...d.replaced].map((x) => next.droplets.find((p) => p.address === x.address)!);
  for (const p of fresh) boot.lab.addDroplet(networkSpec(p));
  const firewallsReloaded = boot.applyFirewalls();
  if (fresh.length > 0) log(`creating ${fresh.map((p) => `${p.name} (${p.publicIp}, ${p.privateIp})`).join(', ')}`);
  for (const p of fresh) await metadata.addDroplet(p.name, p.userData);
  // The droplets are active: their cloud-init starts, and Terraform creates the records that reference them.
  const created = await Promise.all(fresh.map(async (p) => ({ t0: Date.now(), booted: await boot.createDroplet(p) })));
  const cloudInit = Promise.allSettled(created.map(({ t0, booted }) => boot.runCloudInit(booted, t0)));
  let update: DnsUpdate | undefined;
  let dnsServedAt: number | undefined;
  if (diff.records.added.length + diff.records.removed.length > 0) {
    update = await dns.setRecords(boot.servedRecords(next));
    dnsServedAt = Date.now();
    log(`DNS: ${update.changedNames.join(', ')} served ${((dnsServedAt - started) / 1000).toFixed(2)} s into the apply`);
  }
  const ip = diff.reservedIps;
  for (const r of ip.added) boot.lab.addAddress(r.ip, r.to);
  for (const r of ip.removed) boot.lab.removeAddress(r.ip);
  for (const r of ip.reassigned) boot.lab.moveAddress(r.ip, r.to);

  const settled = await cloudInit;
  const failures = fresh.flatMap((p, i) => {
    const outcome = settled[i];
    return outcome.status === 'rejected' ? [`${p.name}: ${(outcome.reason as Error).message}`] : bootFailures(boot, [p.name]);
  });
  const done = result(firewallsReloaded, update, dnsServedAt);
  boot.applies.push({ at: new Date().toISOString(), planFile: file, summary: done.summary });
  if (failures.length > 0)
    throw new LabError(
      `the apply to ${next.stage} failed (the lab stays up as it is):\n${failures.join('\n')}\n(logs: ${path.join(boot.lab.dir, 'logs')})`,
    );
  boot.saveState('up');
  return done;
}

/** What an apply did, as `npm run lab -- apply` prints it. */
export function formatApplySummary(
  stage: string,
  diff: LabDiff,
  firewallsReloaded: readonly string[],
  update: DnsUpdate | undefined,
  seconds: number,
): string {
  const d = diff.droplets;
  const lines = [
    `applied to ${stage} in ${seconds.toFixed(1)} s: ${d.created.length} created, ${d.replaced.length} replaced, ${d.destroyed.length} destroyed, ` +
      `${d.updated.length} updated in place, ${d.unchanged.length} unchanged droplets`,
  ];
  for (const r of d.replaced) lines.push(`  !!! REPLACED ${r.name}: ${r.attributes.join(', ')} (new id, new addresses, its processes restarted)`);
  const records = diff.records;
  lines.push(
    `  DNS: ${records.added.length + records.removed.length === 0 ? 'unchanged' : `${records.added.length} records added, ${records.removed.length} removed`}` +
      `${update ? `; the new set served ${(update.servedAfterMs / 1000).toFixed(2)} s after it was written${update.restarted ? `, dnsmasq restarted for TTL ${update.ttl.after}` : ''}` : ''}`,
  );
  lines.push(
    `  Cloud Firewalls: ${diff.firewalls.changed.length + diff.firewalls.added.length + diff.firewalls.removed.length} changed; rulesets reloaded on ${firewallsReloaded.length} droplets${firewallsReloaded.length ? ` (${firewallsReloaded.join(', ')})` : ''}`,
  );
  const ip = diff.reservedIps;
  lines.push(`  reserved IPs: ${ip.added.length} added, ${ip.removed.length} removed, ${ip.reassigned.length} reassigned`);
  return lines.join('\n');
}
