/**
 * Every HTTPS response carries seed 000's security headers: Strict-Transport-Security (at least six months,
 * the HTTP Observatory's threshold), X-Content-Type-Options nosniff, X-Frame-Options (or CSP frame-ancestors),
 * Referrer-Policy, Permissions-Policy and Content-Security-Policy. Judged where TLS terminates.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { tlsSetup } from './_entry';
import { workloadOf } from './_workloads';

const SIX_MONTHS = 15768000;

export default namedRule('SecurityHeaders', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const tls = tlsSetup(w);
  if (!tls.terminates) return Compliance.NOT_APPLICABLE;
  const h = new Map(tls.headers.map((x) => [x.name, x.value]));
  const where = tls.files.join(', ');
  const findings: string[] = [];
  const hsts = h.get('strict-transport-security');
  const maxAge = Number(/max-age=(\d+)/i.exec(hsts ?? '')?.[1] ?? NaN);
  if (hsts === undefined) findings.push(`${where}: no Strict-Transport-Security header`);
  else if (!(maxAge >= SIX_MONTHS)) findings.push(`${where}: Strict-Transport-Security max-age below six months (${hsts})`);
  if ((h.get('x-content-type-options') ?? '').toLowerCase() !== 'nosniff') findings.push(`${where}: no X-Content-Type-Options: nosniff`);
  if (!h.has('x-frame-options') && !/frame-ancestors/i.test(h.get('content-security-policy') ?? ''))
    findings.push(`${where}: no X-Frame-Options (or CSP frame-ancestors)`);
  for (const name of ['referrer-policy', 'permissions-policy', 'content-security-policy']) {
    if (!h.has(name)) findings.push(`${where}: no ${name.replace(/(^|-)(\w)/g, (_, d: string, c: string) => d + c.toUpperCase())} header`);
  }
  return findings;
});
