import rule from '../../../../lib/checks/rules/DropletHasFirewall';
import { COMPLIANT, NOT_APPLICABLE, WEB_TAG, droplet, firewall, nonCompliant, outcome, view } from '../fixtures';

describe('PR-NET2 DropletHasFirewall', () => {
  test('Noncompliance 1: no firewall at all', () => {
    const v = view({ digitalocean_tag: WEB_TAG, digitalocean_droplet: { d: droplet() } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/no Cloud Firewall covers droplet web-1/));
  });

  test('Noncompliance 2: the firewall names another tag and another droplet', () => {
    const v = view({
      digitalocean_tag: { ...WEB_TAG, db: { name: 'db' } },
      digitalocean_droplet: { d: droplet(), other: droplet({ name: 'db-1', tags: ['${digitalocean_tag.db.name}'] }) },
      digitalocean_firewall: { f: firewall([], { tags: ['${digitalocean_tag.db.name}'], droplet_ids: ['${digitalocean_droplet.other.id}'] }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/no Cloud Firewall/));
  });

  test('Compliance: covered by tag, or by droplet id', () => {
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { d: droplet(), e: droplet({ name: 'e', tags: [] }) },
      digitalocean_firewall: { f: firewall([]), g: firewall([], { tags: undefined, droplet_ids: ['${digitalocean_droplet.e.id}'] }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.e')).toEqual(COMPLIANT);
  });

  test('Not applicable: a firewall whose targets are known only at deploy', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ tags: [] }) }, digitalocean_firewall: { f: firewall([], { tags: '${var.tags}' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
