/**
 * The readiness report of one stack: its architecture (diagram), the reachability matrix, computed single points
 * of failure, monthly cost by role, the rule pack's results with every suppression and its reason, and, when the
 * synth last deployed is given, what deploying this one would do (lib/plan/impact.ts). Written by `npm run report`
 * as `<stack>.json` and a self-contained `<stack>.html`.
 */
import { TerraformStack } from 'cdktf';
import { Compliance, RuleLevel, RuleOutcome, RulePack } from '../checks';
import { StackImpact } from '../plan/impact';
import { Architecture, architectureOf, reachabilityMatrix } from './architecture';
import { CostEstimate, estimateMonthlyCostByRole } from './cost';
import { renderDiagram } from './diagram';
import { renderHtml } from './html';
import { RoleVerdict, readerEndpoints, singlePointsOfFailure } from './spof';

export interface RuleSummary {
  readonly id: string;
  readonly level: RuleLevel;
  readonly info: string;
  readonly source: string;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly suppressed: number;
  readonly notApplicable: number;
}

export interface ReadinessReport {
  readonly stack: string;
  readonly architecture: Architecture;
  readonly reachability: ReturnType<typeof reachabilityMatrix>;
  readonly singlePointsOfFailure: readonly RoleVerdict[];
  readonly cost: CostEstimate;
  readonly rules: {
    readonly pack: string;
    readonly totals: {
      readonly errors: number;
      readonly warnings: number;
      readonly suppressed: number;
      readonly compliant: number;
      readonly notApplicable: number;
    };
    readonly violations: readonly RuleOutcome[];
    readonly suppressions: readonly RuleOutcome[];
    readonly summary: readonly RuleSummary[];
  };
  /** What deploying this synth over the one last deployed would do; absent when no deployed synth was given. */
  readonly impact?: StackImpact;
}

export interface ReadinessReportOptions {
  /** The impact of this stack against the synth last deployed (compareStacks). @default - no impact section */
  readonly impact?: StackImpact;
}

/**
 * The report of `stack`, after the app was synthesized with `pack` applied to it (its results are read; its view of
 * the stack is reused). Returns the JSON model, the SVG diagram and the HTML page.
 */
export async function readinessReport(
  stack: TerraformStack,
  pack: RulePack,
  options: ReadinessReportOptions = {},
): Promise<{ report: ReadinessReport; svg: string; html: string }> {
  const view = pack.stackView(stack);
  const name = stack.node.id;
  const architecture = architectureOf(view, name, stack);
  const verdicts = singlePointsOfFailure(architecture, view, readerEndpoints(architecture, view));
  const results = pack.results.filter((r) => r.path === name || r.path.startsWith(`${name}/`));
  const count = (id: string, pred: (r: RuleOutcome) => boolean) => results.filter((r) => r.ruleId === id && pred(r)).length;
  const report: ReadinessReport = {
    stack: name,
    architecture,
    reachability: reachabilityMatrix(architecture),
    singlePointsOfFailure: verdicts,
    cost: estimateMonthlyCostByRole(stack),
    rules: {
      pack: pack.packName,
      totals: {
        errors: results.filter((r) => r.compliance === Compliance.NON_COMPLIANT && !r.suppressed && r.level === RuleLevel.ERROR).length,
        warnings:
          results.filter((r) => r.compliance === Compliance.NON_COMPLIANT && !r.suppressed && r.level === RuleLevel.WARNING).length +
          results.filter((r) => r.error).length,
        suppressed: results.filter((r) => r.suppressed).length,
        compliant: results.filter((r) => r.compliance === Compliance.COMPLIANT).length,
        notApplicable: results.filter((r) => r.compliance === Compliance.NOT_APPLICABLE && !r.error).length,
      },
      violations: results.filter((r) => (r.compliance === Compliance.NON_COMPLIANT && !r.suppressed) || r.error),
      suppressions: results.filter((r) => r.suppressed),
      summary: pack.rules.map((d) => ({
        id: d.id,
        level: d.level,
        info: d.info,
        source: d.source,
        compliant: count(d.id, (r) => r.compliance === Compliance.COMPLIANT),
        nonCompliant: count(d.id, (r) => r.compliance === Compliance.NON_COMPLIANT && !r.suppressed),
        suppressed: count(d.id, (r) => r.suppressed !== undefined),
        notApplicable: count(d.id, (r) => r.compliance === Compliance.NOT_APPLICABLE),
      })),
    },
    ...(options.impact ? { impact: options.impact } : {}),
  };
  const svg = await renderDiagram(architecture, verdicts);
  return { report, svg, html: renderHtml(report, svg) };
}
