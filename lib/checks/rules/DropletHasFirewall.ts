/**
 * Every droplet is covered by a DigitalOcean Cloud Firewall (by tag or id). Without one, every port a daemon on
 * it listens on — the app server's, the database's — is reachable from the internet (seed 003 #2, critical).
 * Not applicable when a firewall's targets are Terraform references (known only at deploy).
 */
import { Compliance, RuleResult, namedRule } from '../rule';

export default namedRule('DropletHasFirewall', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_droplet') return Compliance.NOT_APPLICABLE;
  const droplet = stack.droplet(element);
  if (stack.firewallsOf(droplet).length > 0) return Compliance.COMPLIANT;
  if (stack.firewalls().some((f) => f.targetsUnknown)) return Compliance.NOT_APPLICABLE;
  return [`no Cloud Firewall covers droplet ${droplet.name} (tags: ${droplet.tags.join(', ') || 'none'}): every port it listens on is public`];
});
