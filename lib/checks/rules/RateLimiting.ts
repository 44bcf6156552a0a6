/**
 * Requests to the app are rate limited per client (seed 003 #6 and checklist "implement rate limiting"): nginx
 * `limit_req` (with a `limit_req_zone`) in effect where it proxies, or, for HAProxy, request-rate tracking
 * (`track-sc` with a deny/tarpit rule). A HAProxy that forwards to nginx servers doing the limiting is compliant
 * when some nginx in the stack limits requests.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { StackView } from '../stack-view';
import { proxiedLocations, setAnywhere } from './_nginx';
import { workloadOf } from './_workloads';

function stackNginxLimits(stack: StackView): boolean {
  return stack.droplets().some((d) => d.nginx.some((n) => /\blimit_req\b/.test(n.file.content)));
}

export default namedRule('RateLimiting', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const findings: string[] = [];
  const locations = proxiedLocations(w);
  for (const loc of locations) {
    const zone = loc.trees.some((t) => /limit_req_zone/.test(JSON.stringify(t)));
    if (!(setAnywhere(loc, 'limit_req') || loc.chain.some((b) => b.name === 'limit_req')) || !zone) {
      findings.push(
        `${loc.file}: ${loc.chain
          .slice(0, -1)
          .map((b) => [b.name, ...b.args].join(' '))
          .join(' > ')} proxies without limit_req`,
      );
    }
  }
  const haproxy = w.kind === 'droplet' ? w.droplet.haproxy : [];
  for (const h of haproxy) {
    const frontends = h.sections
      .filter((s) => s.kind === 'frontend' || s.kind === 'listen')
      .filter((s) => s.lines.some((l) => l[0] === 'default_backend' || l[0] === 'use_backend' || l[0] === 'server'));
    for (const f of frontends) {
      const tracks = f.lines.some((l) => l[0] === 'http-request' && /^track-sc/.test(l[1] ?? ''));
      if (!tracks && !stackNginxLimits(stack))
        findings.push(`${h.file.path}: ${f.kind} ${f.name} tracks no request rate (stick-table + http-request track-sc0 + deny)`);
    }
  }
  if (findings.length > 0) return [...new Set(findings)];
  return locations.length > 0 || haproxy.length > 0 ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
