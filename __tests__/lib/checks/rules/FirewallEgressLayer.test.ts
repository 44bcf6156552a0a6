import rule from '../../../../lib/checks/rules/FirewallEgressLayer';
import { COMPLIANT, NOT_APPLICABLE, firewall, nonCompliant, outcome, view } from '../fixtures';

const ANY = ['0.0.0.0/0', '::/0'];
const open = (name: string) => firewall([], { name, outbound_rule: [{ protocol: 'tcp', port_range: '1-65535', destination_addresses: ANY }] });
const restricted = (name: string) => firewall([], { name, outbound_rule: [{ protocol: 'tcp', port_range: '443', destination_addresses: ANY }] });

describe('PR-DO4 FirewallEgressLayer', () => {
  test('Noncompliance 1: one role left open among restricted ones', () => {
    const v = view({ digitalocean_firewall: { web: restricted('web'), db: restricted('db'), mon: open('mon') } });
    expect(outcome(rule, v, 'digitalocean_firewall.mon')).toEqual(nonCompliant(/mon allows all outbound tcp while web, db restrict theirs/));
  });

  test('Noncompliance 2: a hand-written firewall added to a restricted stack', () => {
    const v = view({
      digitalocean_firewall: {
        web: restricted('web'),
        extra: firewall([], { name: 'extra', outbound_rule: [{ protocol: 'tcp', port_range: 'all', destination_addresses: ['0.0.0.0/0'] }] }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_firewall.extra')).toEqual(nonCompliant(/extra allows all outbound tcp/));
  });

  test('Compliance: every role restricted', () => {
    const v = view({ digitalocean_firewall: { web: restricted('web'), db: restricted('db') } });
    expect(outcome(rule, v, 'digitalocean_firewall.web')).toEqual(COMPLIANT);
  });

  test('Not applicable: a stack that restricts no egress (PR-DO3 warns there)', () => {
    const v = view({ digitalocean_firewall: { web: open('web'), db: open('db') } });
    expect(outcome(rule, v, 'digitalocean_firewall.web')).toEqual(NOT_APPLICABLE);
  });
});
