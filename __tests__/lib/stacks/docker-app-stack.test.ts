import { Testing } from 'cdktf';
import { DockerTarget } from '../../../constructs/docker-target';
import { DockerAppStack, DockerHostStack } from '../../../lib/stacks';
import { planProblems } from '../../../lib/plan/graph';
import { parseStack } from '../../../lib/plan/plan';
import { describeContainerUploads } from '../../helpers/checkers';
import { expectMachineIndependent } from '../../helpers/invariants';
import { ADMIN, Json, SSH_KEYS, resources } from '../../helpers/stacks';

function synth(target = DockerTarget.local()) {
  const stack = new DockerAppStack(Testing.app(), 'docker-app-local', { target });
  const text = Testing.synth(stack);
  return { stack, text, json: JSON.parse(text) as Json };
}
const byName = (json: Json, name: string): Json => resources(json, 'docker_container').find((c) => c.name === name);

describe('Seed 001: the app stack', () => {
  const { stack, text, json } = synth();

  test('matches the snapshot of the whole plan', () => {
    expectMachineIndependent(text);
    expect(text).toMatchSnapshot();
  });

  test('targets the local Docker socket', () => {
    expect(json.provider.docker).toEqual([{ host: 'unix:///var/run/docker.sock' }]);
  });

  test('nginx is the only published port', () => {
    const published = resources(json, 'docker_container')
      .filter((c) => c.ports)
      .map((c) => `${c.name} ${c.ports[0].external}:${c.ports[0].internal}`);
    expect(published).toEqual(['shop-nginx 8080:80']);
  });

  test('app, Redis and PostgreSQL share an internal network; nginx and the app a frontend one', () => {
    const nets = (name: string) =>
      byName(json, name).networks_advanced.map((n: Json) => n.name.replace(/^\$\{docker_network\.(\w+?)_[0-9A-F]+\.name\}$/, '$1'));
    expect({ nginx: nets('shop-nginx'), app: nets('shop-app'), redis: nets('shop-redis'), postgres: nets('shop-postgres') }).toEqual({
      nginx: ['Frontend'],
      app: ['Frontend', 'Backend'],
      redis: ['Backend'],
      postgres: ['Backend'],
    });
    expect(resources(json, 'docker_network').map((n) => [n.name, n.internal])).toEqual([
      ['shop-backend', true],
      ['shop-frontend', false],
    ]);
  });

  test('nginx resolves the app at request time through Docker\u2019s DNS and answers /health itself', () => {
    const conf = byName(json, 'shop-nginx').upload[0].content as string;
    expect(conf).toContain('resolver 127.0.0.11 valid=10s ipv6=off;');
    expect(conf).toContain('set $tierform_app http://shop-app:5000;');
    expect(conf).toContain('proxy_pass $tierform_app;');
    expect(byName(json, 'shop-nginx').depends_on).toBeUndefined();
    expect(conf).toMatch(/location = \/health \{[^}]*return 200 [^}]*\}/);
    expect(byName(json, 'shop-nginx').healthcheck.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/health']);
  });

  test('every service has its own health check: wget /health, python /health, redis-cli ping, pg_isready', () => {
    const tests = Object.fromEntries(resources(json, 'docker_container').map((c) => [c.name, c.healthcheck.test.slice(0, 2).join(' ')]));
    expect(tests).toEqual({ 'shop-nginx': 'CMD wget', 'shop-app': 'CMD python3', 'shop-redis': 'CMD redis-cli', 'shop-postgres': 'CMD pg_isready' });
    expect(
      resources(json, 'docker_container')
        .map((c) => c.healthcheck.interval)
        .every((i: string) => parseInt(i, 10) >= 10),
    ).toBe(true);
  });

  test('Redis persists append-only on a named volume; PostgreSQL data on another', () => {
    expect(byName(json, 'shop-redis').command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(
      resources(json, 'docker_volume')
        .map((v) => v.name)
        .sort(),
    ).toEqual(['shop-postgres-data', 'shop-redis-data']);
  });

  test('the same stack targets a droplet\u2019s Docker over SSH, published on 80 by default (what its firewall admits)', () => {
    const app = Testing.app();
    const host = new DockerHostStack(app, 'docker-host', { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    const onDroplet = new DockerAppStack(app, 'docker-app', { target: DockerTarget.droplet(host.host) });
    const droplet = JSON.parse(Testing.synth(onDroplet)) as Json;
    expect(droplet.provider.docker[0].host).toMatch(/^ssh:\/\/root@\$\{.+\}:22$/);
    expect(byName(droplet, 'shop-nginx').ports).toEqual([{ external: 80, internal: 80, protocol: 'tcp' }]);
    expect(droplet.output.url.value).toMatch(/^http:\/\/\$\{.+\}:80\/$/);
    expect(() => Testing.synth(onDroplet, true)).not.toThrow();
  });

  test('throws at synth if, on a droplet, nginx is published on a port the host\u2019s Cloud Firewall does not admit', () => {
    const app = Testing.app();
    const host = new DockerHostStack(app, 'docker-host', { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    const onDroplet = new DockerAppStack(app, 'docker-app', { target: DockerTarget.droplet(host.host), publishedPort: 8080 });
    expect(() => Testing.synth(onDroplet, true)).toThrow(
      "docker-app/Proxy: 'publishedPorts' publishes 8080 on the Docker host docker-host/Host, whose Cloud Firewall does not admit it (it admits tcp/80 from anywhere).",
    );
  });

  test('throws if the local socket is not an absolute path', () => {
    expect(() => new DockerAppStack(Testing.app(), 'docker-app-local', { target: DockerTarget.local('docker.sock') })).toThrow(
      "docker-app-local: 'target' is not a unix socket path, got 'unix://docker.sock'. Pass an absolute path such as '/var/run/docker.sock'.",
    );
  });

  test('Terraform can create it: no cycle, every reference resolvable (lib/plan/graph)', () => {
    expect(planProblems(parseStack(text, 'docker-app-local'))).toEqual([]);
  });

  test('validates the whole tree', () => {
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });

  describe('files uploaded into containers', () => {
    describeContainerUploads(json);
  });
});
