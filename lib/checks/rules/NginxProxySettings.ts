/**
 * nginx, where it proxies to an app, passes the client's identity and bounds every request (seed 003 #6, high):
 * `Host`, `X-Forwarded-For` and `X-Forwarded-Proto` headers (or `include proxy_params`), proxy timeouts, proxy
 * buffers, and `client_max_body_size`. Judged on each proxied location of every nginx config a droplet writes
 * or a container uploads, with nginx's inheritance; not applicable where nginx proxies nothing.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { proxiedLocations, proxyHeaders, setAnywhere } from './_nginx';
import { workloadOf } from './_workloads';

const HEADERS = ['host', 'x-forwarded-for', 'x-forwarded-proto'];

export default namedRule('NginxProxySettings', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const locations = proxiedLocations(w).filter((l) => l.chain[l.chain.length - 1].name === 'proxy_pass');
  if (locations.length === 0) return Compliance.NOT_APPLICABLE;
  const findings = new Set<string>();
  for (const loc of locations) {
    const where = `${loc.file} (${loc.chain
      .slice(0, -1)
      .map((b) => [b.name, ...b.args].join(' '))
      .join(' > ')})`;
    const headers = proxyHeaders(loc);
    const missing = HEADERS.filter((h) => !headers.has(h));
    if (missing.length > 0) findings.add(`${where}: proxy_set_header missing for ${missing.join(', ')}`);
    if (!['proxy_read_timeout', 'proxy_connect_timeout', 'proxy_send_timeout'].some((d) => setAnywhere(loc, d)))
      findings.add(`${where}: no proxy timeouts (proxy_connect_timeout, proxy_read_timeout)`);
    if (!['proxy_buffers', 'proxy_buffer_size', 'proxy_buffering'].some((d) => setAnywhere(loc, d)))
      findings.add(`${where}: no proxy buffer settings (proxy_buffers, proxy_buffer_size)`);
    if (!setAnywhere(loc, 'client_max_body_size')) findings.add(`${where}: no client_max_body_size`);
  }
  return [...findings];
});
