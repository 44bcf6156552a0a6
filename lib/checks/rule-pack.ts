/**
 * A pack of readiness rules applied as a cdktf Aspect, after cdk-nag's `NagPack` (`src/nag-pack.ts`):
 *
 *   Aspects.of(stack).add(new ProductionReadiness());
 *
 * At synth, every resource and variable of the stack is judged by every rule on its Terraform JSON (the stack is
 * resolved once, so rules see exactly what `cdk.tf.json` will hold, including resources written by hand with
 * the raw provider classes). A non-compliant element gets an error annotation (synth fails, naming the resource
 * path) or a warning, unless a suppression with a reason covers it. Every outcome is kept in `results` for the
 * readiness report.
 */
import { Annotations, IAspect, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import { IConstruct } from 'constructs';
import { Compliance, PlanElement, Rule, complianceOf } from './rule';
import { StackView, StackViewOptions } from './stack-view';
import { Suppressions } from './suppressions';

export enum RuleLevel {
  WARNING = 'warning',
  ERROR = 'error',
}

/** One rule of a pack: the pure function, and what the pack says about it. */
export interface RuleDefinition {
  /** Stable id, e.g. 'PR-TLS1'; used in messages and suppressions. */
  readonly id: string;
  readonly rule: Rule;
  readonly level: RuleLevel;
  /** Why it was triggered (one line). */
  readonly info: string;
  /** Why the rule exists and how to fix it. */
  readonly explanation: string;
  /** Where the rule comes from: a seed checklist item, a checkov or trivy id. */
  readonly source: string;
}

/** The outcome of one rule on one element. */
export interface RuleOutcome {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly level: RuleLevel;
  readonly compliance: Compliance;
  readonly findings: readonly string[];
  /** `<type>.<logicalId>` or `var.<name>`. */
  readonly address: string;
  readonly type: string;
  /** The construct path of the element. */
  readonly path: string;
  /** Set when a suppression silenced a non-compliant outcome. */
  readonly suppressed?: { readonly reason: string; readonly scopePath: string };
  /** Set when the rule itself threw (reported as a warning, never as compliant). */
  readonly error?: string;
}

export interface RulePackProps extends StackViewOptions {
  /** Add the explanation to every annotation. @default false */
  readonly verbose?: boolean;
}

/** The rule engine without cdktf: judges one element with one rule. */
export function judge(
  definition: RuleDefinition,
  element: PlanElement,
  view: StackView,
): { compliance: Compliance; findings: readonly string[]; error?: string } {
  try {
    return complianceOf(definition.rule(element, view));
  } catch (e) {
    return { compliance: Compliance.NOT_APPLICABLE, findings: [], error: (e as Error).message };
  }
}

/** Judges every element of a stack JSON with every rule of a pack (no constructs, no suppressions). */
export function evaluateStack(definitions: readonly RuleDefinition[], view: StackView): RuleOutcome[] {
  const out: RuleOutcome[] = [];
  for (const element of view.elements()) {
    for (const d of definitions) {
      const r = judge(d, element, view);
      out.push({
        ruleId: d.id,
        ruleName: d.rule.name,
        level: d.level,
        compliance: r.compliance,
        findings: r.findings,
        address: element.address,
        type: element.type,
        path: element.constructPath ?? element.address,
        error: r.error,
      });
    }
  }
  return out;
}

export abstract class RulePack implements IAspect {
  public abstract readonly packName: string;
  public abstract readonly rules: readonly RuleDefinition[];
  /** Every outcome so far, in visiting order. */
  public readonly results: RuleOutcome[] = [];
  private readonly views = new WeakMap<TerraformStack, StackView>();
  private readonly verbose: boolean;

  constructor(private readonly props: RulePackProps = {}) {
    this.verbose = props.verbose ?? false;
  }

  public visit(node: IConstruct): void {
    let address: string;
    if (TerraformResource.isTerraformResource(node)) {
      address = `${node.terraformResourceType}.${node.friendlyUniqueId}`;
    } else if (node instanceof TerraformVariable) {
      address = `var.${node.friendlyUniqueId}`;
    } else {
      return;
    }
    const stack = TerraformStack.of(node);
    const view = this.stackView(stack);
    const element = view.element(address);
    if (!element) return;
    const suppressions = Suppressions.of(node);
    for (const d of this.rules) {
      const r = judge(d, element, view);
      const base = {
        ruleId: d.id,
        ruleName: d.rule.name,
        level: d.level,
        compliance: r.compliance,
        findings: r.findings,
        address,
        type: element.type,
        path: node.node.path,
      };
      if (r.error !== undefined) {
        this.results.push({ ...base, error: r.error });
        Annotations.of(node).addWarning(`${d.id}: the rule ${d.rule.name} could not judge ${address}: ${r.error}`);
        continue;
      }
      if (r.compliance !== Compliance.NON_COMPLIANT) {
        this.results.push(base);
        continue;
      }
      const suppression = suppressions.find((s) => s.id === d.id);
      if (suppression) {
        this.results.push({ ...base, suppressed: { reason: suppression.reason, scopePath: suppression.scopePath } });
        continue;
      }
      this.results.push(base);
      const message = `${d.id}: ${d.info}${r.findings.length > 0 ? ` ${r.findings.join('; ')}` : ''}${this.verbose ? ` ${d.explanation}` : ''}`;
      if (d.level === RuleLevel.ERROR) Annotations.of(node).addError(message);
      else Annotations.of(node).addWarning(message);
    }
  }

  /** Outcomes that are non-compliant and not suppressed. */
  public violations(level?: RuleLevel): RuleOutcome[] {
    return this.results.filter((r) => r.compliance === Compliance.NON_COMPLIANT && !r.suppressed && (level === undefined || r.level === level));
  }

  /** The stack as the rules see it (its resolved Terraform JSON), built once per stack. */
  public stackView(stack: TerraformStack): StackView {
    let view = this.views.get(stack);
    if (!view) {
      view = new StackView(stack.toTerraform() as Record<string, unknown>, { now: this.props.now });
      this.views.set(stack, view);
    }
    return view;
  }
}
