/**
 * No outbound rule lets a droplet send on every port to the whole internet (trivy AVD-DIG-0003, which flags any
 * public destination; a droplet that installs packages and renews certificates needs DNS, NTP and HTTP(S) out,
 * so only all-port rules are flagged here). Unrestricted egress turns a compromised droplet into a free relay.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { isAnywhere } from '../stack-view';

export default namedRule('FirewallNoOpenEgress', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_firewall') return Compliance.NOT_APPLICABLE;
  const fw = stack.firewalls().find((f) => f.element.address === element.address)!;
  return fw.outbound
    .filter((r) => r.protocol !== 'icmp' && isAnywhere(r.addresses) && r.ports.from <= 1 && r.ports.to >= 65535)
    .map((r) => `firewall ${fw.name} lets ${r.protocol} out on every port to ${r.addresses!.join(', ')}`);
});
