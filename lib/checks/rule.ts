/**
 * The shape of a readiness rule, after cdk-nag (`src/nag-rules.ts`, `src/rules/ec2/EC2RestrictedSSH.ts`): a pure
 * function over one synthesized element of a stack (a resource, or a variable) that answers compliant,
 * non-compliant (with findings naming what is wrong), or not applicable. Rules read the Terraform JSON, never
 * construct classes, so they judge resources a user wrote by hand exactly like tierform's own.
 */
import { StackView } from './stack-view';

export enum Compliance {
  COMPLIANT = 'compliant',
  NON_COMPLIANT = 'non-compliant',
  NOT_APPLICABLE = 'not-applicable',
}

/**
 * What a rule returns: a Compliance, or findings. A non-empty list of findings is non-compliant (each finding
 * says what is wrong and where); an empty list is compliant.
 */
export type RuleResult = Compliance | readonly string[];

/** One element of the synthesized stack a rule judges. */
export interface PlanElement {
  /** `<type>.<logicalId>` for resources, `var.<name>` for variables. */
  readonly address: string;
  /** The Terraform resource type, or `variable`. */
  readonly type: string;
  readonly logicalId: string;
  /** Attributes as in the JSON (snake_case, references as `${...}` text), cdktf's `//` metadata removed. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The construct path cdktf recorded (`//.metadata.path`), when there is one. */
  readonly constructPath?: string;
}

/** A rule: pure, deterministic, and named (its `name` is the rule's file name). */
export type Rule = (element: PlanElement, stack: StackView) => RuleResult;

/** Gives a rule function the name it is reported under (cdk-nag names rules after their file). */
export function namedRule(name: string, rule: Rule): Rule {
  return Object.defineProperty(rule, 'name', { value: name });
}

/** Normalises a RuleResult to a compliance and its findings. */
export function complianceOf(result: RuleResult): { compliance: Compliance; findings: readonly string[] } {
  if (typeof result === 'string') return { compliance: result, findings: [] };
  return result.length > 0 ? { compliance: Compliance.NON_COMPLIANT, findings: result } : { compliance: Compliance.COMPLIANT, findings: [] };
}
