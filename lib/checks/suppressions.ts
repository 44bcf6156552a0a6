/**
 * Suppressing a readiness rule on a construct (and everything under it), with the reason: after cdk-nag's
 * `NagSuppressions`. A suppression without a reason is refused; every suppression that silenced a finding is
 * listed, with its reason, in the readiness report.
 */
import { IConstruct } from 'constructs';
import { propError } from '../errors';

export interface RuleSuppression {
  /** The rule id, e.g. 'PR-TLS1'. */
  readonly id: string;
  /** Why the finding is accepted here: at least 10 characters, shown in the report. */
  readonly reason: string;
}

/** A suppression as found for a resource: where it was declared. */
export interface AppliedSuppression extends RuleSuppression {
  /** Path of the construct the suppression was added to. */
  readonly scopePath: string;
}

const METADATA_TYPE = 'tierform/readiness-suppressions';
const MIN_REASON_LENGTH = 10;

interface StoredSuppressions {
  readonly suppressions: readonly RuleSuppression[];
  readonly applyToChildren: boolean;
}

export class Suppressions {
  /**
   * Suppresses rules on `scope`; with `applyToChildren` (the default) also on every construct under it, so a
   * suppression on a WebTier covers its droplets and firewall.
   */
  public static add(scope: IConstruct, suppressions: readonly RuleSuppression[], options: { readonly applyToChildren?: boolean } = {}): void {
    suppressions.forEach((s, i) => {
      if (typeof s.id !== 'string' || !/^[A-Za-z][A-Za-z0-9-]*$/.test(s.id)) {
        throw propError(scope, `suppressions[${i}].id`, 'is not a rule id', s.id, "Pass the id the finding was reported under, e.g. 'PR-TLS1'.");
      }
      if (typeof s.reason !== 'string' || s.reason.trim().length < MIN_REASON_LENGTH) {
        throw propError(
          scope,
          `suppressions[${i}].reason`,
          `must say why ${s.id} is accepted here (at least ${MIN_REASON_LENGTH} characters)`,
          s.reason,
          'Write the reason a reviewer should read in the readiness report.',
        );
      }
    });
    const stored: StoredSuppressions = {
      suppressions: suppressions.map((s) => ({ id: s.id, reason: s.reason.trim() })),
      applyToChildren: options.applyToChildren ?? true,
    };
    scope.node.addMetadata(METADATA_TYPE, stored);
  }

  /** The suppressions in force for `node`: its own, and those of its ancestors that apply to children. */
  public static of(node: IConstruct): AppliedSuppression[] {
    const out: AppliedSuppression[] = [];
    for (const scope of node.node.scopes) {
      for (const entry of scope.node.metadata) {
        if (entry.type !== METADATA_TYPE) continue;
        const stored = entry.data as StoredSuppressions;
        if (scope !== node && !stored.applyToChildren) continue;
        for (const s of stored.suppressions) out.push({ ...s, scopePath: scope.node.path });
      }
    }
    return out;
  }
}
