import { Testing } from 'cdktf';
import { StackView } from '../../../lib/checks';
import { architectureOf, reachabilityMatrix } from '../../../lib/report/architecture';
import { readerEndpoints, singlePointsOfFailure } from '../../../lib/report/spof';
import { Stage2SecuredMonitored, Stage3HighAvailability } from '../../../lib/stages';
import { cloudConfig } from '../checks/fixtures';

const ANY = ['0.0.0.0/0', '::/0'];
const tag = (name: string) => `\${digitalocean_tag.${name}.name}`;
const fw = (
  name: string,
  inbound: Record<string, unknown>[],
  outbound: Record<string, unknown>[] = [{ protocol: 'tcp', port_range: '1-65535', destination_addresses: ANY }],
) => ({
  name,
  tags: [tag(name)],
  inbound_rule: inbound,
  outbound_rule: outbound,
});
const droplet = (name: string, role: string, userData = '') => ({
  name,
  image: 'ubuntu-24-04-x64',
  size: 's-1vcpu-1gb',
  region: 'nyc3',
  tags: [tag(role)],
  user_data: userData,
});
const HAPROXY = cloudConfig({
  packages: ['haproxy'],
  write_files: [{ path: '/etc/haproxy/haproxy.cfg', content: 'backend web\n    server-template web 1-4 web.internal:80 check\n' }],
});
const UNCHECKED = cloudConfig({
  packages: ['haproxy'],
  write_files: [{ path: '/etc/haproxy/haproxy.cfg', content: 'backend web\n    server w1 10.0.0.3:80\n' }],
});

function handWritten(lbConfig: string, lbOutbound?: Record<string, unknown>[]) {
  return new StackView({
    resource: {
      digitalocean_tag: { lb: { name: 'lb' }, web: { name: 'web' } },
      digitalocean_droplet: { lb0: droplet('lb-0', 'lb', lbConfig), web0: droplet('web-0', 'web'), web1: droplet('web-1', 'web') },
      digitalocean_firewall: {
        lb: fw(
          'lb',
          [
            { protocol: 'tcp', port_range: '80', source_addresses: ANY },
            { protocol: 'tcp', port_range: '22', source_addresses: '${var.admin_cidrs}' },
          ],
          lbOutbound,
        ),
        web: fw('web', [{ protocol: 'tcp', port_range: '80', source_tags: [tag('lb')] }]),
      },
      digitalocean_record: { www: { domain: 'foobar.com', type: 'A', name: 'www', value: '${digitalocean_droplet.lb0.ipv4_address}' } },
    },
  });
}

describe('architectureOf', () => {
  test('roles are firewalls and the droplets they cover; flows come from inbound rules; tiers count hops from the internet', () => {
    const a = architectureOf(handWritten(HAPROXY), 'hand');
    expect(a.roles.map((r) => ({ id: r.id, droplets: r.droplets.map((d) => d.name), tier: r.tier, egress: r.egress }))).toEqual([
      { id: 'lb', droplets: ['lb-0'], tier: 1, egress: 'all' },
      { id: 'web', droplets: ['web-0', 'web-1'], tier: 2, egress: 'all' },
    ]);
    expect(a.flows).toEqual([
      { from: 'internet', to: 'lb', port: 'tcp/80', kind: 'service' },
      { from: 'admins', to: 'lb', port: 'tcp/22', kind: 'admin' },
      { from: 'lb', to: 'web', port: 'tcp/80', kind: 'service' },
    ]);
    expect(a.entryPoints).toEqual([{ id: 'dns:digitalocean_droplet.lb0', kind: 'dns', label: 'DNS foobar.com', role: 'lb', detail: 'www' }]);
  });

  test('a flow needs both sides: an inbound rule is not a flow when the source role may not send it', () => {
    const a = architectureOf(handWritten(HAPROXY, [{ protocol: 'tcp', port_range: '443', destination_addresses: ANY }]), 'hand');
    expect(a.flows.map((f) => `${f.from}->${f.to}`)).not.toContain('lb->web');
    expect(a.roles.find((r) => r.id === 'web')!.tier).toBeUndefined();
  });

  test('the reachability matrix of stage 2 is the three firewall layers', () => {
    const stack = new Stage2SecuredMonitored(Testing.app(), 's2', { domain: 'foobar.com', email: 'ops@foobar.com' });
    const m = reachabilityMatrix(architectureOf(new StackView(stack.toTerraform() as Record<string, unknown>), 's2', stack));
    expect(m.cells.internet).toEqual({ 'foobar-s2-db': [], 'foobar-s2-web': [], 'foobar-s2-lb': ['tcp/80', 'tcp/443'], 'foobar-s2-mon': [] });
    expect(m.cells['foobar-s2-lb']['foobar-s2-web']).toEqual(['tcp/80']);
    expect(m.cells['foobar-s2-web']['foobar-s2-db']).toEqual(['tcp/3306']);
    expect(m.cells['foobar-s2-lb']['foobar-s2-db']).toEqual([]);
    expect(m.cells['foobar-s2-mon']['foobar-s2-db']).toEqual(['tcp/9100', 'tcp/9104']);
    expect(m.cells.admins).toEqual({
      'foobar-s2-db': ['tcp/22'],
      'foobar-s2-web': ['tcp/22'],
      'foobar-s2-lb': ['tcp/22'],
      'foobar-s2-mon': ['tcp/22'],
    });
  });
});

describe('singlePointsOfFailure', () => {
  test('one load balancer in front of two health-checked web droplets: the load balancer is the single point', () => {
    const view = handWritten(HAPROXY);
    const v = singlePointsOfFailure(architectureOf(view, 'hand'), view);
    expect(v.map((x) => [x.role, x.singlePoints])).toEqual([
      ['lb', ['lb-0']],
      ['web', []],
    ]);
  });

  test('two web droplets nothing health-checks are not redundant', () => {
    const view = handWritten(UNCHECKED);
    expect(singlePointsOfFailure(architectureOf(view, 'hand'), view).find((x) => x.role === 'web')).toEqual({
      role: 'web',
      paths: ['request'],
      singlePoints: ['web-0', 'web-1'],
      reason: '2 droplets, but nothing in front of them leaves a dead one',
    });
  });

  test('stage 3: the pair survives (reserved IP moved by keepalived), reads spread over both replicas; the primary does not', () => {
    const stack = new Stage3HighAvailability(Testing.app(), 's3', { domain: 'foobar.com', email: 'ops@foobar.com' });
    const view = new StackView(stack.toTerraform() as Record<string, unknown>);
    const a = architectureOf(view, 's3', stack);
    expect(readerEndpoints(a, view)).toEqual([
      { role: 'foobar-s3-db', droplets: [expect.stringMatching(/Database_Replica1_/), expect.stringMatching(/Database_Replica2_/)] },
    ]);
    expect(singlePointsOfFailure(a, view, readerEndpoints(a, view)).map((x) => [x.role, x.paths, x.singlePoints])).toEqual([
      ['foobar-s3-db', ['request', 'write'], ['foobar-s3-db-primary']],
      ['foobar-s3-app', ['request', 'write'], []],
      ['foobar-s3-web', ['request', 'write'], []],
      ['foobar-s3-lb', ['request', 'write'], []],
    ]);
  });

  test('stage 2: one replica takes every read, so losing it stops the site as losing the primary does', () => {
    const stack = new Stage2SecuredMonitored(Testing.app(), 's2', { domain: 'foobar.com', email: 'ops@foobar.com' });
    const view = new StackView(stack.toTerraform() as Record<string, unknown>);
    const a = architectureOf(view, 's2', stack);
    expect(singlePointsOfFailure(a, view, readerEndpoints(a, view)).find((x) => x.role === 'foobar-s2-db')).toEqual({
      role: 'foobar-s2-db',
      paths: ['request', 'write'],
      singlePoints: ['foobar-s2-db-primary', 'foobar-s2-db-replica-1'],
      reason: 'foobar-s2-db-primary takes every write and nothing promotes a replica; the app reads from foobar-s2-db-replica-1 only',
    });
  });
});

describe('entry points and Docker services', () => {
  test('stage 3: DNS names the reserved IP, which the lb pair moves itself on failure', () => {
    const stack = new Stage3HighAvailability(Testing.app(), 's3', { domain: 'foobar.com', email: 'ops@foobar.com' });
    const a = architectureOf(new StackView(stack.toTerraform() as Record<string, unknown>), 's3', stack);
    expect(a.entryPoints.map((e) => ({ kind: e.kind, role: e.role, detail: e.detail }))).toEqual(
      expect.arrayContaining([
        { kind: 'reserved-ip', role: 'foobar-s3-lb', detail: 'moved by the role on failover' },
        { kind: 'dns', role: expect.stringMatching(/^digitalocean_reserved_ip\./), detail: expect.stringMatching(/www/) },
      ]),
    );
    expect(a.roles.map((r) => [r.id, r.droplets.length, [...new Set(r.droplets.map((d) => d.size))].length, r.tier])).toEqual([
      ['foobar-s3-db', 3, 1, 4],
      ['foobar-s3-app', 2, 1, 3],
      ['foobar-s3-web', 2, 1, 2],
      ['foobar-s3-lb', 2, 1, 1],
      ['foobar-s3-mon', 1, 1, undefined],
    ]);
  });

  test('containers are roles per service; published ports come from the internet (or the host), shared Docker networks allow every port', () => {
    const net = (name: string) => `\${docker_network.${name}.name}`;
    const container = (name: string, networks: string[], over: Record<string, unknown> = {}) => ({
      name,
      image: '${docker_image.app.image_id}',
      memory: 256,
      networks_advanced: networks.map((n) => ({ name: net(n) })),
      ...over,
    });
    const view = new StackView({
      resource: {
        docker_image: { app: { name: 'registry.example/app:1.4.2' } },
        docker_network: { front: { name: 'front' }, back: { name: 'back', internal: true } },
        docker_container: {
          proxy: container('proxy', ['front'], { ports: [{ internal: 443, external: 443 }] }),
          app0: container('app-0', ['front', 'back']),
          app1: container('app-1', ['front', 'back']),
          db: container('db', ['back'], { ports: [{ internal: 5432, external: 5432, ip: '127.0.0.1' }] }),
          lone: container('lone', []),
        },
      },
    });
    const a = architectureOf(view, 'hand');
    expect(a.roles.map((r) => ({ id: r.id, containers: r.containers?.length, networks: r.networks, egress: r.egress, tier: r.tier }))).toEqual([
      { id: 'proxy', containers: 1, networks: ['front'], egress: 'all', tier: 1 },
      { id: 'app', containers: 2, networks: ['front', 'back'], egress: 'all', tier: 2 },
      { id: 'db', containers: 1, networks: ['back'], egress: 'restricted', tier: 3 },
      { id: 'lone', containers: 1, networks: [], egress: 'all', tier: undefined },
    ]);
    expect(a.flows.map((f) => `${f.from} -> ${f.to} ${f.port} ${f.kind}`).sort()).toEqual(
      [
        'internet -> proxy tcp/443 service',
        'docker-host -> db tcp/5432 service',
        'proxy -> app all service',
        'app -> proxy all service',
        'app -> app all internal',
        'app -> db all service',
        'db -> app all service',
      ].sort(),
    );
    expect(reachabilityMatrix(a).cells.proxy.db).toEqual([]);
    // Containers share one Docker host: judged in the host's stack, not as droplets here.
    expect(singlePointsOfFailure(a, view)).toEqual([]);
  });
});
