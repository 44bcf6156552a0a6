/**
 * Acceptance: scaling a tier by one droplet touches only that droplet (and its DNS records, tags, firewalls,
 * outputs and volume). No existing droplet may be updated or replaced: user_data is ForceNew, so another
 * droplet's address or a count of droplets written into it would re-create the neighbours (the load balancer,
 * monitoring, the web tier) on every scale-out. These tests fail on the constructs that still write other droplets'
 * addresses into user_data; the redesign (discovery at run time by internal DNS names) makes them pass.
 */
import { TerraformStack } from 'cdktf';
import { TierDroplet } from '../../../constructs/tier-droplet';
import { ResourceImpact, StackImpact, compareStacks } from '../../../lib/plan/impact';
import { Stage1LoadBalanced, Stage2SecuredMonitored, Stage3HighAvailability } from '../../../lib/stages';
import { ENGINES, MAIN_PROPS, SCALABLE, StageNumber, synthStage } from '../../helpers/stage-plans';

/** Resource types that may change when a tier scales, and how. Droplets are judged separately. */
const ALLOWED: Record<string, readonly ResourceImpact['action'][]> = {
  digitalocean_record: ['create', 'delete'],
  digitalocean_tag: ['create', 'delete'],
  digitalocean_firewall: ['create', 'update', 'delete'],
  digitalocean_volume: ['create', 'delete'],
};

const MINIMUM: Record<string, number> = { webCount: 1, appCount: 1, replicas: 0 };

/** The droplets of the tier `prop` scales, from the construct tree (not from names). */
function tierDroplets(stack: TerraformStack, prop: string): readonly TierDroplet[] {
  if (prop === 'replicas') return (stack as Stage1LoadBalanced | Stage2SecuredMonitored | Stage3HighAvailability).database.replicas;
  if (prop === 'webCount') return (stack as Stage1LoadBalanced | Stage2SecuredMonitored | Stage3HighAvailability).web.droplets;
  if (prop === 'appCount') return (stack as Stage3HighAvailability).app.droplets;
  throw new Error(`no tier for ${prop}`);
}

function addresses(stack: TerraformStack, droplets: readonly TierDroplet[]): Set<string> {
  return new Set(droplets.map((d) => `digitalocean_droplet.${stack.getLogicalId(d.resource)}`));
}

const label = (r: ResourceImpact) => `${r.address}${r.name ? ` (${r.name})` : ''}`;
const changes = (r: ResourceImpact) => r.changes.map((c) => `${c.attribute}: ${c.detail}`).join('; ');

/** Every change scaling should not make, as a sentence naming the resource and the attribute diff. */
function violations(impact: StackImpact, expected: ReadonlySet<string>, expectedAction: 'create' | 'delete'): string[] {
  const out: string[] = [];
  for (const r of impact.resources) {
    if (r.action === 'no-op') continue; // only ignored changes
    if (r.type === 'digitalocean_droplet') {
      if (expected.has(r.address) && r.action === expectedAction) continue;
      if (r.action === 'update' || r.action === 'replace')
        out.push(`existing droplet ${label(r)} would be ${r.action === 'update' ? 'updated in place' : 'replaced'}: ${changes(r)}`);
      else
        out.push(
          `droplet ${label(r)} would be ${r.action === 'create' ? 'created' : 'destroyed'}, but it is not the scaled tier's ${expectedAction === 'create' ? 'new' : 'removed'} droplet`,
        );
    } else if (!(ALLOWED[r.type] ?? []).includes(r.action)) {
      out.push(
        `${label(r)} would be ${r.action === 'update' ? 'updated in place' : `${r.action}d`.replace('deleted', 'destroyed')}${r.changes.length ? `: ${changes(r)}` : ''}`,
      );
    }
  }
  for (const address of expected) {
    if (!impact.resources.some((r) => r.address === address && r.action === expectedAction))
      out.push(`${address} should be ${expectedAction === 'create' ? 'created' : 'destroyed'}`);
  }
  return out;
}

type Case = [string, StageNumber, string, number, number, number];
const cases: Case[] = ([1, 2, 3] as StageNumber[]).flatMap((stage) =>
  Object.entries(SCALABLE[stage]).flatMap(([prop, from]) =>
    [from + 1, from - 1]
      .filter((to) => to >= MINIMUM[prop])
      .flatMap((to) =>
        ENGINES.map((_e, engineIndex): Case => [
          `stage ${stage} (${ENGINES[engineIndex][0]}): ${prop} ${from} → ${to}`,
          stage,
          prop,
          from,
          to,
          engineIndex,
        ]),
      ),
  ),
);

describe('scaling a tier changes nothing but its new or removed droplet', () => {
  it.each(cases)('%s', (_name, stage, prop, from, to, engineIndex) => {
    // GIVEN the stage at the default count and at one more or one less
    const engine = ENGINES[engineIndex][1]();
    const before = synthStage(stage, { ...MAIN_PROPS, engine, [prop]: from });
    const after = synthStage(stage, { ...MAIN_PROPS, engine, [prop]: to });
    const tierBefore = addresses(before.stack, tierDroplets(before.stack, prop));
    const tierAfter = addresses(after.stack, tierDroplets(after.stack, prop));
    const expected = new Set(to > from ? [...tierAfter].filter((a) => !tierBefore.has(a)) : [...tierBefore].filter((a) => !tierAfter.has(a)));
    expect(expected.size).toBe(1);
    // WHEN
    const impact = compareStacks(before.plan, after.plan);
    // THEN
    expect(violations(impact, expected, to > from ? 'create' : 'delete')).toEqual([]);
  });
});
