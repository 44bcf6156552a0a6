/**
 * The Content-Security-Policy keeps Mozilla's HTTP Observatory grade at A+ (seed 000 claims A+): a policy the
 * Observatory scores below zero — `'unsafe-inline'` or `data:` reaching `script-src` (through `default-src`),
 * `'unsafe-eval'`, `http:` sources, an over-broad `object-src` — costs 10 to 25 points, and from -20 on the site
 * loses the extra credit that makes A+ (seed 000's own policy, `default-src 'self' data:`, scored B+ 80/100).
 * Uses the Observatory's CSP decision (lib/checks/csp.ts, tested against Mozilla's engine). Judged where TLS
 * terminates and a CSP is set (PR-HDR1 reports a missing one).
 */
import { rateCsp } from '../csp';
import { Compliance, RuleResult, namedRule } from '../rule';
import { tlsSetup } from './_entry';
import { workloadOf } from './_workloads';

export default namedRule('CspKeepsObservatoryAPlus', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const tls = tlsSetup(w);
  const policies = tls.headers.filter((h) => h.name === 'content-security-policy').map((h) => h.value);
  if (!tls.terminates || policies.length === 0) return Compliance.NOT_APPLICABLE;
  return policies.flatMap((policy) => {
    const r = rateCsp(policy);
    return r.modifier < 0 ? [`Content-Security-Policy "${policy}" rates ${r.expectation} (${r.modifier}) in Mozilla's HTTP Observatory`] : [];
  });
});
