/**
 * The report's rule results keep every suppression with its reason, and the optional impact section says what
 * deploying the synth would do against the one last deployed (lib/plan/impact.ts).
 */
import { Aspects, TerraformStack, Testing } from 'cdktf';
import { ProductionReadiness, suppressStageWeaknesses } from '../../../lib/checks';
import { compareStacks } from '../../../lib/plan/impact';
import { parseStack } from '../../../lib/plan/plan';
import { readinessReport } from '../../../lib/report/readiness-report';
import { Stage0SingleServer } from '../../../lib/stages/stage0';
import { Stage1LoadBalanced } from '../../../lib/stages/stage1';
import { ADMIN, SSH_KEYS } from '../../helpers/stacks';

const props = { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN };

function judged<T extends TerraformStack>(stack: T): { stack: T; pack: ProductionReadiness; json: string } {
  suppressStageWeaknesses(stack);
  const pack = new ProductionReadiness();
  Aspects.of(stack).add(pack);
  return { stack, pack, json: Testing.synth(stack) };
}

describe('readiness report', () => {
  test('rule results list each suppression with its reason and scope, in the JSON and on the page', async () => {
    const { stack, pack } = judged(new Stage0SingleServer(Testing.app(), 's0', props));
    const { report, html } = await readinessReport(stack, pack);
    expect(report.rules.suppressions).toEqual([
      expect.objectContaining({
        ruleId: 'PR-TLS1',
        path: 's0/Server/Droplet/Resource',
        suppressed: { reason: expect.stringMatching(/^Stage 0 is the one-server design/), scopePath: 's0/Server' },
      }),
    ]);
    expect(report.rules.totals).toEqual(expect.objectContaining({ errors: 0, suppressed: 1 }));
    expect(report.rules.summary.find((s) => s.id === 'PR-TLS1')).toEqual(expect.objectContaining({ suppressed: 1, nonCompliant: 0 }));
    expect(html).toContain('<h3>Suppressions</h3><table>');
    expect(html).toContain('Stage 0 is the one-server design of the walkthrough: plain HTTP on purpose');
    expect(report.impact).toBeUndefined();
    expect(html).not.toContain('id="impact"');
  });

  test('with the synth last deployed, the report says what the change would replace, and why that hurts', async () => {
    const deployed = parseStack(Testing.synth(new Stage1LoadBalanced(Testing.app(), 's1', props)), 's1');
    const { stack, pack, json } = judged(new Stage1LoadBalanced(Testing.app(), 's1', { ...props, region: 'ams3' }));
    const impact = compareStacks(deployed, parseStack(json, 's1'));
    const { report, html } = await readinessReport(stack, pack, { impact });
    expect(report.impact).toBe(impact);
    expect(impact.counts.replace).toBeGreaterThan(0);
    const volume = impact.resources.find((r) => r.type === 'digitalocean_volume' && r.action === 'replace');
    expect(volume?.critical.length).toBeGreaterThan(0);
    expect(html).toContain('<section id="impact"><h2>What the last change would do</h2>');
    expect(html).toContain(`${impact.counts.replace} to replace`);
    expect(html).toContain(`<strong class="bad">replace</strong></td><td>${volume!.address}`);
    expect(html).toMatch(/region \(forces replacement\): &quot;nyc3&quot; → &quot;ams3&quot;/);
  });
});
