/**
 * Droplets run DigitalOcean's monitoring agent (`monitoring = true`): without it memory and disk metrics, and the
 * alerts built on them, do not exist.
 */
import { Compliance, RuleResult, namedRule } from '../rule';

export default namedRule('DropletMonitoringAgent', (element): RuleResult => {
  if (element.type !== 'digitalocean_droplet') return Compliance.NOT_APPLICABLE;
  return element.attributes.monitoring === true
    ? Compliance.COMPLIANT
    : [`droplet ${String(element.attributes.name ?? element.logicalId)} has monitoring off`];
});
