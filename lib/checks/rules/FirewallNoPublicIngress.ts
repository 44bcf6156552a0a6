/**
 * No inbound rule admits the whole internet (0.0.0.0/0 or ::/0) except to the web ports, tcp 80 and 443 (and
 * udp 443 for HTTP/3) — checkov CKV_DIO_4 and trivy AVD-DIG-0001, which flag every /0 source, with the one
 * exception a public website needs. SSH, app and database ports must name sources (admin networks, role tags).
 * Address lists from Terraform variables are judged at deploy by the variable's validation.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { isAnywhere } from '../stack-view';

function webOnly(protocol: string, from: number, to: number): boolean {
  if (protocol === 'icmp') return true;
  const web = protocol === 'tcp' ? [80, 443] : protocol === 'udp' ? [443] : [];
  return from === to && web.includes(from);
}

export default namedRule('FirewallNoPublicIngress', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_firewall') return Compliance.NOT_APPLICABLE;
  const fw = stack.firewalls().find((f) => f.element.address === element.address)!;
  return fw.inbound
    .filter((r) => isAnywhere(r.addresses) && !webOnly(r.protocol, r.ports.from, r.ports.to))
    .map((r) => `firewall ${fw.name} admits ${r.protocol}/${r.portRange || 'all'} from ${r.addresses!.join(', ')}`);
});
