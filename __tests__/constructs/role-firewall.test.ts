import { Firewall } from '@cdktf/provider-digitalocean/lib/firewall';
import { Tag } from '@cdktf/provider-digitalocean/lib/tag';
import { Testing } from 'cdktf';
import { Peer } from '../../constructs/connections';
import { OutboundPolicy } from '../../constructs/outbound-policy';
import { Port } from '../../constructs/port';
import { RoleFirewall, restrictOutbound } from '../../constructs/role-firewall';
import { resources, synthJson, testStack } from '../helpers/stacks';

/** A reference to the name of the role tag created by the construct with this id. */
const tagRef = (id: string) => expect.stringMatching(new RegExp(`^\\$\\{digitalocean_tag\\.${id}_Tag_[0-9A-F]{8}\\.name\\}$`));

describe('RoleFirewall and Connections', () => {
  test('creates the role tag and a firewall applied to it', () => {
    const { stack } = testStack();
    new RoleFirewall(stack, 'Web', { name: 'site-web' });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Tag, { name: 'site-web' });
    expect(synth).toHaveResourceWithProperties(Firewall, { name: 'site-web', tags: [tagRef('Web')] });
  });

  test('allowFrom another role writes a rule with the source tag on the destination firewall', () => {
    // GIVEN a web role and a database role
    const { stack } = testStack();
    const web = new RoleFirewall(stack, 'Web', { name: 'site-web' });
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db' });
    // WHEN the database admits the web role on 3306
    db.connections.allowFrom(web, Port.tcp(3306));
    // THEN the database firewall has exactly that inbound rule, sourced by the web tag
    const json = synthJson(stack);
    const dbFirewall = resources(json, 'digitalocean_firewall').find((f) => f.name === 'site-db');
    expect(dbFirewall.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '3306', source_tags: [tagRef('Web')] }]);
    const webFirewall = resources(json, 'digitalocean_firewall').find((f) => f.name === 'site-web');
    expect(webFirewall.inbound_rule).toBeUndefined();
  });

  test('allowTo is the mirror of allowFrom', () => {
    const { stack } = testStack();
    const web = new RoleFirewall(stack, 'Web', { name: 'site-web' });
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db' });
    web.connections.allowTo(db, Port.tcp(3306));
    const json = synthJson(stack);
    const dbFirewall = resources(json, 'digitalocean_firewall').find((f) => f.name === 'site-db');
    expect(dbFirewall.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '3306', source_tags: [tagRef('Web')] }]);
    expect(db.connections.flows.map((f) => `${f.direction} ${f.port}`)).toEqual(['inbound tcp/3306']);
    expect(web.connections.flows.map((f) => `${f.direction} ${f.port}`)).toEqual(['outbound tcp/3306']);
  });

  test('allowDefaultPortFrom admits the other role on the role’s default port (Port.MYSQL, …)', () => {
    const { stack } = testStack();
    const web = new RoleFirewall(stack, 'Web', { name: 'site-web' });
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db', defaultPort: Port.MYSQL });
    db.connections.allowDefaultPortFrom(web, 'app to MySQL');
    web.connections.allowToDefaultPort(db, 'again, from the other side');
    const dbFirewall = resources(synthJson(stack), 'digitalocean_firewall').find((f) => f.name === 'site-db');
    expect(dbFirewall.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '3306', source_tags: [tagRef('Web')] }]);
    expect(db.connections.defaultPort).toBe(Port.MYSQL);
    expect([Port.SSH, Port.HTTP, Port.HTTPS, Port.MYSQL].map(String)).toEqual(['tcp/22', 'tcp/80', 'tcp/443', 'tcp/3306']);
  });

  test('throws if allowDefaultPortFrom is used on a role without a default port', () => {
    const { stack } = testStack();
    const web = new RoleFirewall(stack, 'Web', { name: 'site-web' });
    const other = new RoleFirewall(stack, 'Other', { name: 'site-other' });
    expect(() => other.connections.allowDefaultPortFrom(web)).toThrow(
      'test/Other: allowDefaultPortFrom() needs a default port, and this role has none: call allowFrom(other, Port.tcp(<port>)).',
    );
  });

  test('the same rule added twice appears once', () => {
    const { stack } = testStack();
    const lb = new RoleFirewall(stack, 'Lb', { name: 'site-lb' });
    lb.connections.allowFrom(Peer.anywhere(), Port.tcp(80));
    lb.connections.allowFrom(Peer.anywhere(), Port.tcp(80));
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(fw.inbound_rule).toHaveLength(1);
    expect(fw.inbound_rule[0]).toEqual({ protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] });
  });

  test('allows all outbound tcp, udp and icmp by default (DigitalOcean drops unlisted outbound traffic)', () => {
    const { stack } = testStack();
    new RoleFirewall(stack, 'Web', { name: 'site-web' });
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(fw.outbound_rule.map((r: { protocol: string }) => r.protocol)).toEqual(['tcp', 'udp', 'icmp']);
  });

  test('with outbound restricted, allowFrom also writes the outbound rule on the source', () => {
    const { stack } = testStack();
    const app = new RoleFirewall(stack, 'App', { name: 'site-app', outbound: OutboundPolicy.none() });
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db' });
    db.connections.allowFrom(app, Port.tcp(3306));
    const fw = resources(synthJson(stack), 'digitalocean_firewall').find((f) => f.name === 'site-app');
    expect(fw.outbound_rule).toEqual([{ protocol: 'tcp', port_range: '3306', destination_tags: [tagRef('Db')] }]);
  });

  test('throws if a rule names a port out of range', () => {
    const { stack } = testStack();
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db' });
    expect(() => db.connections.allowFrom(Peer.cidr('10.0.0.0/8'), Port.tcp(0))).toThrow(
      "test/Db: 'port' has tcp port out of range, got 0. Ports are integers from 1 to 65535.",
    );
  });

  test('throws if a peer is not a CIDR block', () => {
    const { stack } = testStack();
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db' });
    expect(() => db.connections.allowFrom(Peer.cidr('10.0.0.300/8'), Port.tcp(3306))).toThrow(
      "test/Db: 'peer' is not a valid CIDR block, got '10.0.0.300/8'. Pass an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32.",
    );
  });

  test('essential outbound allows DNS, NTP, HTTP(S) and icmp, plus the flows to other roles', () => {
    // GIVEN an app role that reaches the database, in a stack whose outbound traffic is then restricted
    const { stack } = testStack();
    const app = new RoleFirewall(stack, 'App', { name: 'site-app' });
    const db = new RoleFirewall(stack, 'Db', { name: 'site-db' });
    db.connections.allowFrom(app, Port.tcp(3306));
    // WHEN
    restrictOutbound(stack);
    // THEN the app may send only the essentials and MySQL to the database tag
    const fw = resources(synthJson(stack), 'digitalocean_firewall').find((f) => f.name === 'site-app');
    const summary = fw.outbound_rule.map(
      (r: { protocol: string; port_range?: string; destination_tags?: string[] }) =>
        `${r.protocol}/${r.port_range ?? '-'}${r.destination_tags ? ' to tag' : ''}`,
    );
    expect(summary).toEqual(['udp/53', 'tcp/53', 'udp/123', 'tcp/80', 'tcp/443', 'icmp/-', 'tcp/3306 to tag']);
    expect(JSON.stringify(fw.outbound_rule)).not.toContain('1-65535');
  });

  test('flows added after restricting still get their outbound rule', () => {
    const { stack } = testStack();
    const app = new RoleFirewall(stack, 'App', { name: 'site-app', outbound: OutboundPolicy.essential() });
    const cache = new RoleFirewall(stack, 'Cache', { name: 'site-cache' });
    app.connections.allowTo(cache, Port.tcp(6379));
    const fw = resources(synthJson(stack), 'digitalocean_firewall').find((f) => f.name === 'site-app');
    expect(fw.outbound_rule).toContainEqual({ protocol: 'tcp', port_range: '6379', destination_tags: [tagRef('Cache')] });
  });
});
