import rule from '../../../../lib/checks/rules/MonitoringAndAlerting';
import { COMPLIANT, NOT_APPLICABLE, WEB_TAG, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-MON1 MonitoringAndAlerting', () => {
  test('Noncompliance 1: no alert at all (seed 003 #14)', () => {
    const v = view({ digitalocean_tag: WEB_TAG, digitalocean_droplet: { d: droplet() } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/no DigitalOcean monitor alert watches web-1/));
  });

  test('Noncompliance 2: alerts watch other droplets only', () => {
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { d: droplet(), e: droplet({ name: 'db', tags: [] }) },
      digitalocean_monitor_alert: { cpu: { type: 'v1/insights/droplet/cpu', entities: ['${digitalocean_droplet.e.id}'] } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/watches web-1/));
  });

  test('Compliance: watched by id, or by tag', () => {
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { d: droplet(), e: droplet({ name: 'db', tags: [] }) },
      digitalocean_monitor_alert: { a: { entities: ['${digitalocean_droplet.e.id}'] }, b: { tags: ['${digitalocean_tag.web.name}'] } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.e')).toEqual(COMPLIANT);
  });

  test('Not applicable: not a droplet', () => {
    expect(outcome(rule, view({ digitalocean_tag: WEB_TAG }), 'digitalocean_tag.web')).toEqual(NOT_APPLICABLE);
  });
});
