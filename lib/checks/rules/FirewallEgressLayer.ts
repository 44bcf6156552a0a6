/**
 * When a stack restricts outbound traffic (its firewalls list what each role may send: stage 2's third layer),
 * no role is left open: one firewall with all-port egress to the internet undoes the layer for its droplets.
 * Not applicable in a stack where no firewall restricts egress (PR-DO3 warns there).
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { FirewallView, isAnywhere } from '../stack-view';

const open = (fw: FirewallView) =>
  fw.outbound.some((r) => r.protocol === 'tcp' && isAnywhere(r.addresses) && r.ports.from <= 1 && r.ports.to >= 65535);

export default namedRule('FirewallEgressLayer', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_firewall') return Compliance.NOT_APPLICABLE;
  const all = stack.firewalls();
  const restricted = all.filter((f) => !open(f));
  if (restricted.length === 0) return Compliance.NOT_APPLICABLE;
  const fw = all.find((f) => f.element.address === element.address)!;
  return open(fw)
    ? [`firewall ${fw.name} allows all outbound tcp while ${restricted.map((f) => f.name).join(', ')} restrict theirs`]
    : Compliance.COMPLIANT;
});
