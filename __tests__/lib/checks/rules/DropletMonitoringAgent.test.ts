import rule from '../../../../lib/checks/rules/DropletMonitoringAgent';
import { COMPLIANT, NOT_APPLICABLE, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-DO6 DropletMonitoringAgent', () => {
  test('Noncompliance 1: monitoring left at its default (off)', () => {
    expect(outcome(rule, view({ digitalocean_droplet: { d: droplet({ monitoring: undefined }) } }), 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/web-1 has monitoring off/),
    );
  });

  test('Noncompliance 2: monitoring = false', () => {
    expect(outcome(rule, view({ digitalocean_droplet: { d: droplet({ monitoring: false }) } }), 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/monitoring off/),
    );
  });

  test('Compliance: monitoring = true', () => {
    expect(outcome(rule, view({ digitalocean_droplet: { d: droplet() } }), 'digitalocean_droplet.d')).toEqual(COMPLIANT);
  });

  test('Not applicable: other resources', () => {
    expect(outcome(rule, view({ digitalocean_volume: { v: { name: 'v' } } }), 'digitalocean_volume.v')).toEqual(NOT_APPLICABLE);
  });
});
