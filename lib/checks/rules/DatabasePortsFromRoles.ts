/**
 * A database port admits only the roles that use it (seed 003 #2, critical: no app or database port reachable from
 * outside its tier): firewall sources for 3306, 5432, 6379, ... are role tags or droplet ids, never address ranges.
 * A range, even the VPC's private one, admits every droplet with an address in it (every tier, and whatever joins
 * the VPC later). The whole internet is PR-DO2's finding, so `0.0.0.0/0` is left to it. An address list from a
 * variable is refused as well: what it will hold is unknown until deploy, and no value of it names a role.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { isAnywhere } from '../stack-view';

const DATABASE_PORTS: Readonly<Record<number, string>> = {
  1433: 'SQL Server',
  1521: 'Oracle',
  3306: 'MySQL',
  5432: 'PostgreSQL',
  6379: 'Redis',
  9042: 'Cassandra',
  9200: 'Elasticsearch',
  11211: 'memcached',
  27017: 'MongoDB',
  33060: 'MySQL X',
};

export default namedRule('DatabasePortsFromRoles', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_firewall') return Compliance.NOT_APPLICABLE;
  const fw = stack.firewalls().find((f) => f.element.address === element.address)!;
  const findings: string[] = [];
  let judged = 0;
  for (const r of fw.inbound) {
    if (r.protocol !== 'tcp') continue;
    const ports = Object.keys(DATABASE_PORTS)
      .map(Number)
      .filter((p) => r.ports.from <= p && p <= r.ports.to);
    if (ports.length === 0) continue;
    judged++;
    const what = `tcp/${r.portRange} (${ports.length > 3 ? 'every database port' : ports.map((p) => DATABASE_PORTS[p]).join(', ')})`;
    if (r.addressesUnknown) findings.push(`firewall ${fw.name} admits ${what} from addresses in a variable; name the client roles (source_tags)`);
    else if (r.addresses && r.addresses.length > 0 && !isAnywhere(r.addresses))
      findings.push(`firewall ${fw.name} admits ${what} from ${r.addresses.join(', ')}; name the client roles (source_tags) instead of addresses`);
  }
  if (findings.length > 0) return findings;
  return judged > 0 ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
