/**
 * Someone hears when a droplet is in trouble (seed 003 #14): a DigitalOcean monitor alert
 * (`digitalocean_monitor_alert`) watches it, by its id in `entities` or one of its tags.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { referencedAddress, stringList } from '../stack-view';

export default namedRule('MonitoringAndAlerting', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_droplet') return Compliance.NOT_APPLICABLE;
  const droplet = stack.droplet(element);
  const watched = stack.resources('digitalocean_monitor_alert').some((alert) => {
    const entities = (stringList(alert.attributes.entities) ?? []).map((e) => referencedAddress(e));
    const tags = (stringList(alert.attributes.tags) ?? []).map((t) => stack.tagName(t));
    return entities.includes(element.address) || tags.some((t) => droplet.tags.includes(t));
  });
  return watched ? Compliance.COMPLIANT : [`no DigitalOcean monitor alert watches ${droplet.name}`];
});
