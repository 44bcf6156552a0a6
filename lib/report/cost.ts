/**
 * Monthly cost of a stage, from the construct tree and the catalog's list prices: droplets (with backups),
 * and block storage volumes. Bandwidth overage, snapshots and taxes are not included.
 */
import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { IConstruct } from 'constructs';
import { TierDroplet } from '../../constructs/tier-droplet';
import { BACKUP_PRICE_FRACTION, VOLUME_PRICE_PER_GIB_MONTHLY_USD } from '../catalog/sizes';
import { isToken } from '../validate';

export interface CostLine {
  readonly item: string;
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
  const groups = new Map<string, { count: number; unit: number }>();
  const unpriced: string[] = [];
  const add = (item: string, unit: number) => {
    const g = groups.get(item) ?? { count: 0, unit };
    g.count++;
    groups.set(item, g);
  };
  for (const c of scope.node.findAll()) {
    if (c instanceof TierDroplet) {
      if (!c.sizeInfo) {
        unpriced.push(c.node.path);
        continue;
      }
      const price = c.sizeInfo.priceMonthlyUsd * (c.backups ? 1 + BACKUP_PRICE_FRACTION : 1);
      add(`droplet ${c.size}${c.backups ? ' + backups' : ''}`, price);
    } else if (c instanceof Volume) {
      const size = c.sizeInput;
      if (size === undefined || isToken(size)) {
        unpriced.push(c.node.path);
        continue;
      }
      add(`volume ${size} GiB`, size * VOLUME_PRICE_PER_GIB_MONTHLY_USD);
    }
  }
  const lines = [...groups.entries()].map(([item, g]) => ({ item, count: g.count, unitMonthlyUsd: round(g.unit), monthlyUsd: round(g.unit * g.count) }));
  return { lines, totalMonthlyUsd: round(lines.reduce((s, l) => s + l.monthlyUsd, 0)), unpriced };
}
