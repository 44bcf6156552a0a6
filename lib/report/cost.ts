/**
 * Monthly cost of a stage, from the construct tree and the catalog's list prices: droplets (with backups),
 * and block storage volumes. Bandwidth overage, snapshots and taxes are not included.
 */
import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { IConstruct } from 'constructs';
import { RoleFirewall } from '../../constructs/role-firewall';
import { TierDroplet } from '../../constructs/tier-droplet';
import { BACKUP_PRICE_FRACTION, VOLUME_PRICE_PER_GIB_MONTHLY_USD } from '../catalog/sizes';
import { isToken } from '../validate';

export interface CostLine {
  readonly item: string;
  /** The role (its tag and firewall name) the item belongs to, when it belongs to one. */
  readonly role?: string;
  readonly count: number;
  readonly unitMonthlyUsd: number;
  readonly monthlyUsd: number;
}

export interface CostEstimate {
  readonly lines: CostLine[];
  readonly totalMonthlyUsd: number;
  /** Resources whose price could not be known at synth (size or volume size given as a token). */
  readonly unpriced: string[];
}

const round = (n: number): number => Math.round(n * 100) / 100;

export function estimateMonthlyCost(scope: IConstruct): CostEstimate {
  return estimate(scope, false);
}

/**
 * The same estimate with one line per role and item (`role` set): a droplet belongs to the role whose tag it
 * carries, a volume to the role of the construct that owns it. Lines outside any role have no `role`.
 */
export function estimateMonthlyCostByRole(scope: IConstruct): CostEstimate {
  return estimate(scope, true);
}

/** The role (tag name) of a construct: the RoleFirewall of the nearest enclosing construct that has one. */
function roleOf(c: IConstruct, firewalls: readonly RoleFirewall[]): string | undefined {
  if (c instanceof TierDroplet) {
    const tags = c.resource.tagsInput ?? [];
    const fw = firewalls.find((f) => tags.includes(f.tagName));
    if (fw) return fw.tag.nameInput;
  }
  for (const scope of [...c.node.scopes].reverse()) {
    const fw = scope.node.children.find((x): x is RoleFirewall => x instanceof RoleFirewall);
    if (fw) return fw.tag.nameInput;
  }
  return undefined;
}

function estimate(scope: IConstruct, byRole: boolean): CostEstimate {
  const groups = new Map<string, { item: string; role?: string; count: number; unit: number }>();
  const unpriced: string[] = [];
  const all = scope.node.findAll();
  const firewalls = all.filter((c): c is RoleFirewall => c instanceof RoleFirewall);
  const add = (c: IConstruct, item: string, unit: number) => {
    const role = byRole ? roleOf(c, firewalls) : undefined;
    const key = JSON.stringify([role ?? '', item]);
    const g = groups.get(key) ?? { item, role, count: 0, unit };
    g.count++;
    groups.set(key, g);
  };
  for (const c of all) {
    if (c instanceof TierDroplet) {
      if (!c.sizeInfo) {
        unpriced.push(c.node.path);
        continue;
      }
      const price = c.sizeInfo.priceMonthlyUsd * (c.backups ? 1 + BACKUP_PRICE_FRACTION : 1);
      add(c, `droplet ${c.size}${c.backups ? ' + backups' : ''}`, price);
    } else if (c instanceof Volume) {
      const size = c.sizeInput;
      if (size === undefined || isToken(size)) {
        unpriced.push(c.node.path);
        continue;
      }
      add(c, `volume ${size} GiB`, size * VOLUME_PRICE_PER_GIB_MONTHLY_USD);
    }
  }
  const lines = [...groups.values()].map((g) => ({
    item: g.item,
    ...(g.role !== undefined ? { role: g.role } : {}),
    count: g.count,
    unitMonthlyUsd: round(g.unit),
    monthlyUsd: round(g.unit * g.count),
  }));
  return { lines, totalMonthlyUsd: round(lines.reduce((s, l) => s + l.monthlyUsd, 0)), unpriced };
}
