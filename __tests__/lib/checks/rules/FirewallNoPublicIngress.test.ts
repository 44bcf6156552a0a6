import rule from '../../../../lib/checks/rules/FirewallNoPublicIngress';
import { COMPLIANT, NOT_APPLICABLE, firewall, nonCompliant, outcome, view } from '../fixtures';

const ANY = ['0.0.0.0/0', '::/0'];

describe('PR-DO2 FirewallNoPublicIngress (CKV_DIO_4, AVD-DIG-0001)', () => {
  test('Noncompliance 1: SSH from anywhere', () => {
    const v = view({ digitalocean_firewall: { f: firewall([['tcp', '22', ANY]]) } });
    expect(outcome(rule, v, 'digitalocean_firewall.f')).toEqual(nonCompliant(/admits tcp\/22 from 0\.0\.0\.0\/0, ::\/0/));
  });

  test('Noncompliance 2: the app port and a whole range from IPv4 anywhere', () => {
    const v = view({
      digitalocean_firewall: {
        f: firewall([
          ['tcp', '8000', ['0.0.0.0/0']],
          ['tcp', '1-65535', ['::/0']],
        ]),
      },
    });
    expect(outcome(rule, v, 'digitalocean_firewall.f')).toEqual(nonCompliant(/tcp\/8000/, /tcp\/1-65535/));
  });

  test('Compliance: web ports from anywhere, SSH from an admin network or a variable, app port from a tag', () => {
    const v = view({
      digitalocean_firewall: {
        f: firewall(
          [
            ['tcp', '80', ANY],
            ['tcp', '443', ANY],
            ['udp', '443', ANY],
            ['tcp', '22', ['203.0.113.7/32']],
          ],
          {
            inbound_rule: [
              { protocol: 'tcp', port_range: '80', source_addresses: ANY },
              { protocol: 'tcp', port_range: '22', source_addresses: '${var.admin_cidrs}' },
              { protocol: 'tcp', port_range: '8000', source_tags: ['${digitalocean_tag.web.name}'] },
              { protocol: 'icmp', source_addresses: ANY },
            ],
          },
        ),
      },
    });
    expect(outcome(rule, v, 'digitalocean_firewall.f')).toEqual(COMPLIANT);
  });

  test('Not applicable: droplets', () => {
    expect(outcome(rule, view({ digitalocean_droplet: { d: { name: 'd' } } }), 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
