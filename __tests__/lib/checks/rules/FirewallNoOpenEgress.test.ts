import rule from '../../../../lib/checks/rules/FirewallNoOpenEgress';
import { COMPLIANT, NOT_APPLICABLE, firewall, nonCompliant, outcome, view } from '../fixtures';

const ANY = ['0.0.0.0/0', '::/0'];
const out = (rules: [string, string | undefined][]) =>
  firewall([], { outbound_rule: rules.map(([protocol, port_range]) => ({ protocol, port_range, destination_addresses: ANY })) });

describe('PR-DO3 FirewallNoOpenEgress (AVD-DIG-0003)', () => {
  test('Noncompliance 1: all tcp and udp out (DigitalOcean\u2019s default firewall)', () => {
    const v = view({
      digitalocean_firewall: {
        f: out([
          ['tcp', '1-65535'],
          ['udp', '1-65535'],
        ]),
      },
    });
    expect(outcome(rule, v, 'digitalocean_firewall.f')).toEqual(nonCompliant(/lets tcp out on every port/, /lets udp out on every port/));
  });

  test('Noncompliance 2: "all" as the port range', () => {
    const v = view({ digitalocean_firewall: { f: out([['tcp', 'all']]) } });
    expect(outcome(rule, v, 'digitalocean_firewall.f')).toEqual(nonCompliant(/every port/));
  });

  test('Compliance: DNS, NTP, HTTP(S) and icmp out (stage 2\u2019s essential policy)', () => {
    const v = view({
      digitalocean_firewall: {
        f: out([
          ['udp', '53'],
          ['tcp', '53'],
          ['udp', '123'],
          ['tcp', '80'],
          ['tcp', '443'],
          ['icmp', undefined],
        ]),
      },
    });
    expect(outcome(rule, v, 'digitalocean_firewall.f')).toEqual(COMPLIANT);
  });

  test('Not applicable: droplets', () => {
    expect(outcome(rule, view({ digitalocean_droplet: { d: { name: 'd' } } }), 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
