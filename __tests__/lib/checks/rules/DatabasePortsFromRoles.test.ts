import rule from '../../../../lib/checks/rules/DatabasePortsFromRoles';
import { COMPLIANT, NOT_APPLICABLE, firewall, nonCompliant, outcome, view } from '../fixtures';

const db = (inbound: Record<string, unknown>[]) => view({ digitalocean_firewall: { db: firewall([], { name: 'db', inbound_rule: inbound }) } });

describe('PR-NET3 DatabasePortsFromRoles', () => {
  test('Noncompliance 1: MySQL admitted from the VPC range (every tier reaches it)', () => {
    const v = db([{ protocol: 'tcp', port_range: '3306', source_addresses: ['10.10.0.0/16'] }]);
    expect(outcome(rule, v, 'digitalocean_firewall.db')).toEqual(
      nonCompliant(/^firewall db admits tcp\/3306 \(MySQL\) from 10\.10\.0\.0\/16; name the client roles/),
    );
  });

  test('Noncompliance 2: every tcp port from an office range; PostgreSQL from a variable list', () => {
    const v = db([
      { protocol: 'tcp', port_range: '1-65535', source_addresses: ['198.51.100.0/24'] },
      { protocol: 'tcp', port_range: '5432', source_addresses: '${var.db_clients}' },
    ]);
    expect(outcome(rule, v, 'digitalocean_firewall.db')).toEqual(
      nonCompliant(
        /admits tcp\/1-65535 \(every database port\) from 198\.51\.100\.0\/24/,
        /admits tcp\/5432 \(PostgreSQL\) from addresses in a variable/,
      ),
    );
  });

  test('Compliance: database ports from role tags and droplet ids; SSH from admin networks', () => {
    const v = db([
      { protocol: 'tcp', port_range: '3306', source_tags: ['${digitalocean_tag.web.name}', '${digitalocean_tag.db.name}'] },
      { protocol: 'tcp', port_range: '6379', source_droplet_ids: ['${digitalocean_droplet.app.id}'] },
      { protocol: 'tcp', port_range: '22', source_addresses: ['203.0.113.7/32'] },
    ]);
    expect(outcome(rule, v, 'digitalocean_firewall.db')).toEqual(COMPLIANT);
  });

  test("Not applicable: a firewall with no database port; the internet on 3306 is PR-DO2's finding", () => {
    expect(outcome(rule, db([{ protocol: 'tcp', port_range: '443', source_addresses: ['0.0.0.0/0'] }]), 'digitalocean_firewall.db')).toEqual(
      NOT_APPLICABLE,
    );
    expect(outcome(rule, db([{ protocol: 'tcp', port_range: '3306', source_addresses: ['0.0.0.0/0'] }]), 'digitalocean_firewall.db')).toEqual(
      COMPLIANT,
    );
  });
});
