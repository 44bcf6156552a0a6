/**
 * TLS settings of seed 000 / Mozilla's guidelines where TLS terminates: TLS 1.2 at least (no TLS 1.0/1.1 or SSL,
 * stated explicitly: HAProxy `ssl-min-ver TLSv1.2`, nginx `ssl_protocols TLSv1.2 TLSv1.3`) and session tickets
 * off (HAProxy `no-tls-tickets`, nginx `ssl_session_tickets off`: one long-lived ticket key would undo forward
 * secrecy). Not applicable where nothing terminates TLS.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { tlsSetup } from './_entry';
import { workloadOf } from './_workloads';

/** nginx spells TLS 1.0 `TLSv1`, HAProxy `TLSv1.0`. */
const OLD = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.1'];

export default namedRule('TlsProtocols', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const tls = tlsSetup(w);
  if (!tls.terminates) return Compliance.NOT_APPLICABLE;
  const findings: string[] = [];
  const where = tls.files.join(', ');
  if (tls.protocols) {
    const old = tls.protocols.filter((p) => OLD.includes(p));
    if (old.length > 0) findings.push(`${where}: ssl_protocols enables ${old.join(', ')}`);
  } else if (!tls.minVersion) {
    findings.push(`${where}: the minimum TLS version is not stated (set ssl-min-ver TLSv1.2 / ssl_protocols TLSv1.2 TLSv1.3)`);
  } else if (OLD.includes(tls.minVersion)) {
    findings.push(`${where}: minimum TLS version ${tls.minVersion}`);
  }
  if (!tls.sessionTicketsOff) findings.push(`${where}: TLS session tickets are on (no-tls-tickets / ssl_session_tickets off)`);
  return findings;
});
