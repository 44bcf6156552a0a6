/**
 * The public entry point serves HTTPS and answers plain HTTP only with a redirect to HTTPS (seed 003 #7, high;
 * seed 000). Judged on droplets the internet reaches on 80/443 that run a web server or proxy, and on containers
 * publishing 80/443: TLS must terminate there (HAProxy `bind ... ssl`, nginx `listen 443 ssl`), HTTP must
 * redirect (HAProxy `redirect scheme https`, nginx `return 301 https://...`), and the firewall must admit 443.
 * DigitalOcean load balancers are judged by PR-DO5.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { isPublicEntry, tlsSetup } from './_entry';
import { workloadOf } from './_workloads';

export default namedRule('HttpsWithRedirect', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w || !isPublicEntry(w, stack)) return Compliance.NOT_APPLICABLE;
  const tls = tlsSetup(w);
  const findings: string[] = [];
  if (w.kind === 'container') {
    const publishes443 = w.container.ports.some((p) => p.internal === 443 || p.external === 443);
    if (!publishes443) findings.push(`container ${w.container.name} publishes HTTP only (no 443)`);
    else if (tls.files.length > 0 && !tls.redirects) findings.push(`container ${w.container.name}: plain HTTP does not redirect to HTTPS`);
    return findings;
  }
  const d = w.droplet;
  if (!tls.terminates) findings.push(`${d.name} serves plain HTTP: no listener terminates TLS`);
  else if (!tls.redirects) findings.push(`${d.name}: plain HTTP does not answer with a redirect to HTTPS`);
  if (tls.terminates && !stack.isPublicTcpPort(d, 443)) findings.push(`${d.name}: its firewall does not admit tcp/443 from the internet`);
  return findings;
});
