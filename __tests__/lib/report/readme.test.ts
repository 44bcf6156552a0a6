/**
 * The README's stage table must agree with the computed single points of failure, both tables' droplets and list
 * prices with `estimateMonthlyCost()`, and its stage 3 diagram must be the one the report draws today
 * (`npm run report:readme` regenerates it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack } from 'cdktf';
import { StackView } from '../../../lib/checks';
import { architectureOf } from '../../../lib/report/architecture';
import { estimateMonthlyCost } from '../../../lib/report/cost';
import { renderDiagram } from '../../../lib/report/diagram';
import { readerEndpoints, singlePointsOfFailure } from '../../../lib/report/spof';
import { buildApp } from '../../../main';
import { makeTempDir } from '../../helpers/tools';

const REPO = path.join(__dirname, '..', '..', '..');
const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');

/** The README's words for each kind of single point of failure. */
const PHRASES: readonly { readonly phrase: string; readonly matches: (droplet: string) => boolean }[] = [
  { phrase: 'the droplet', matches: (d) => /-www$/.test(d) },
  { phrase: 'the load balancer', matches: (d) => /-lb(-\d+)?$/.test(d) },
  { phrase: 'the MySQL primary', matches: (d) => /-db-primary$/.test(d) },
  { phrase: 'the replica the app reads from', matches: (d) => /-db-replica-\d+$/.test(d) },
];

function stageRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of README.split('\n')) {
    const m = /^\| `(stage\d-[a-z-]+|docker-[a-z-]+)`[^|]*\|/.exec(line);
    if (m) rows.set(m[1], line.split(' | ')[3]);
  }
  return rows;
}

/** The last two cells of each row of either table: droplets and list price / month. */
function costCells(): Map<string, { droplets: string; price: string }> {
  const cells = new Map<string, { droplets: string; price: string }>();
  for (const line of README.split('\n')) {
    const m = /^\| `(stage\d-[a-z-]+|docker-[a-z-]+)`/.exec(line);
    if (!m) continue;
    const row = line.replace(/\s*\|\s*$/, '').split(' | ');
    cells.set(m[1], { droplets: row[row.length - 2], price: row[row.length - 1] });
  }
  return cells;
}

function computed(): Map<string, { stack: TerraformStack; view: StackView; spofs: string[] }> {
  const out = makeTempDir('readme');
  try {
    const app = buildApp(out.dir);
    const result = new Map<string, { stack: TerraformStack; view: StackView; spofs: string[] }>();
    for (const stack of app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c))) {
      const view = new StackView(stack.toTerraform() as Record<string, unknown>);
      const a = architectureOf(view, stack.node.id, stack);
      result.set(stack.node.id, { stack, view, spofs: singlePointsOfFailure(a, view, readerEndpoints(a, view)).flatMap((v) => v.singlePoints) });
    }
    return result;
  } finally {
    out.cleanup();
  }
}

describe('README', () => {
  const stages = computed();
  const rows = stageRows();

  test('has a row for every stack of main.ts (the stage table and the Docker table)', () => {
    expect([...rows.keys()]).toEqual([...stages.keys()]);
  });

  test.each(['stage0-single-server', 'stage1-load-balanced', 'stage2-secured-monitored', 'stage3-high-availability'])(
    '%s: the "single points of failure left" column names exactly the computed ones',
    (stage) => {
      const spofs = stages.get(stage)!.spofs;
      const row = rows.get(stage)!;
      const expected = PHRASES.filter((p) => spofs.some(p.matches)).map((p) => p.phrase);
      const written = PHRASES.filter((p) => row.includes(p.phrase)).map((p) => p.phrase);
      expect({ stage, spofs: spofs.length > 0, written }).toEqual({ stage, spofs: true, written: expected });
      // Every computed single point is one of the kinds the README has words for.
      expect(spofs.filter((d) => !PHRASES.some((p) => p.matches(d)))).toEqual([]);
    },
  );

  test.each([...costCells().keys()])('%s: the droplets and list price columns are what estimateMonthlyCost() computes', (name) => {
    const estimate = estimateMonthlyCost(stages.get(name)!.stack);
    const { droplets, price } = costCells().get(name)!;
    const bySize = new Map<string, number>();
    for (const line of estimate.lines) {
      const size = /^droplet (\S+)/.exec(line.item)?.[1];
      if (size) bySize.set(size, (bySize.get(size) ?? 0) + line.count);
    }
    const expected = [...bySize.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([size, n]) => `${n} × ${size}`);
    expect({
      name,
      unpriced: estimate.unpriced,
      droplets: expected.length > 0 ? droplets : droplets.includes('×') ? droplets : '(none)',
      price: price.split(' ')[0],
    }).toEqual({
      name,
      unpriced: [],
      droplets: expected.length > 0 ? expected.join(', ') : '(none)',
      price: `$${estimate.totalMonthlyUsd}`,
    });
  });

  test('shows the stage 3 diagram the report draws today (npm run report:readme)', async () => {
    expect(README).toContain('![Stage 3 architecture, drawn by npm run report](docs/images/stage3-architecture.svg)');
    const { stack, view } = stages.get('stage3-high-availability')!;
    const a = architectureOf(view, stack.node.id, stack);
    const svg = await renderDiagram(a, singlePointsOfFailure(a, view, readerEndpoints(a, view)));
    expect(fs.readFileSync(path.join(REPO, 'docs', 'images', 'stage3-architecture.svg'), 'utf8')).toBe(svg);
  });
});
