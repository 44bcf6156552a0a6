/**
 * A DigitalOcean load balancer serves HTTPS (trivy AVD-DIG-0002): at least one forwarding rule with a TLS entry
 * protocol (https, http2, http3), and plain `http` entry rules only with `redirect_http_to_https = true` (trivy
 * flags every http rule; a redirecting one is what seed 000 asks for).
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { blocks } from '../stack-view';

export default namedRule('LoadBalancerHttps', (element): RuleResult => {
  if (element.type !== 'digitalocean_loadbalancer') return Compliance.NOT_APPLICABLE;
  const rules = blocks(element.attributes.forwarding_rule);
  const name = String(element.attributes.name ?? element.logicalId);
  const findings: string[] = [];
  if (!rules.some((r) => ['https', 'http2', 'http3'].includes(String(r.entry_protocol))))
    findings.push(`load balancer ${name} has no HTTPS forwarding rule`);
  if (rules.some((r) => r.entry_protocol === 'http') && element.attributes.redirect_http_to_https !== true)
    findings.push(`load balancer ${name} serves plain HTTP without redirect_http_to_https`);
  return findings;
});
