import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { DockerTarget } from '../../../constructs/docker-target';
import { ContainerImage } from '../../../constructs/container-image';
import { WebAppProps } from '../../../constructs/web-app';
import { DockerHostStack, DockerMultiAppStack, SAMPLE_APP_DIR } from '../../../lib/stacks';
import { estimateMonthlyCost } from '../../../lib/report/cost';
import { planProblems } from '../../../lib/plan/graph';
import { parseStack } from '../../../lib/plan/plan';
import { DIGITALOCEAN_REPLACING_ATTRIBUTES, compareStacks } from '../../../lib/plan/impact';
import { DOCKER_REPLACING_ATTRIBUTES } from '../../../lib/plan/docker-replacing-attributes';
import {
  ContainerUpload,
  checkDockerDaemonJson,
  containerCheckersFor,
  describeContainerUploads,
  describeRenderedDroplet,
  renderDroplets,
} from '../../helpers/checkers';
import { expectMachineIndependent, expectSecretsOnlyFromSensitiveVariables } from '../../helpers/invariants';
import { ADMIN, SSH_KEYS, Json, asSet, resources } from '../../helpers/stacks';
import { makeTempDir } from '../../helpers/tools';

const PROPS = { domain: 'foobar.com', email: 'ops@foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN };

/**
 * Both stacks synthesized by the app, as `cdktf synth` writes them: the cross-stack reference becomes an output of
 * the host stack and a remote state of the apps stack only then.
 */
function build(extraApps?: WebAppProps[]) {
  const tmp = makeTempDir('docker-stacks');
  try {
    const app = Testing.app({ outdir: tmp.dir });
    const host = new DockerHostStack(app, 'docker-host', PROPS);
    const apps = new DockerMultiAppStack(app, 'docker-apps', { domain: 'foobar.com', target: DockerTarget.droplet(host.host), extraApps });
    app.synth();
    const read = (id: string) => fs.readFileSync(path.join(tmp.dir, 'stacks', id, 'cdk.tf.json'), 'utf8');
    const hostText = read('docker-host');
    const appsText = read('docker-apps');
    return { host, apps, hostText, appsText, hostJson: JSON.parse(hostText) as Json, appsJson: JSON.parse(appsText) as Json };
  } finally {
    tmp.cleanup();
  }
}
const shop = (tag: string): WebAppProps => ({ name: 'shop', subdomain: 'shop', image: ContainerImage.registry(`ghcr.io/foobar/shop:${tag}`) });

const containers = (json: Json): Json[] => resources(json, 'docker_container');
const byName = (json: Json, name: string): Json => containers(json).find((c) => c.name === name);

describe('Seed 000: the Docker host stack and its apps stack', () => {
  const built = build();

  test('matches the snapshot of the host stack', () => {
    expectMachineIndependent(built.hostText);
    expect(built.hostText).toMatchSnapshot();
  });

  test('matches the snapshot of the apps stack', () => {
    expectMachineIndependent(built.appsText);
    expect(built.appsText).toMatchSnapshot();
  });

  test('the apps stack reaches the droplet over SSH once cloud-init finished, through a cross-stack reference', () => {
    expect(built.appsJson.provider.docker[0].host).toMatch(
      /^ssh:\/\/root@\$\{data\.terraform_remote_state\.cross-stack-reference-input-docker-host\.outputs\.[^}]+\}:22$/,
    );
    expect(built.appsJson.provider.docker[0].ssh_opts).toEqual(expect.arrayContaining(['StrictHostKeyChecking=accept-new']));
    const ready = Object.values(built.hostJson.resource.terraform_data as Record<string, Json>)[0];
    expect(ready.provisioner[0]['remote-exec'].inline[0]).toBe('cloud-init status --wait > /dev/null');
    expect(built.hostJson.terraform.backend.local.path).toBe('../../../terraform.docker-host.tfstate');
  });

  test('the host firewall admits 80 and 443 from anywhere and SSH from the admin networks only', () => {
    const fw = resources(built.hostJson, 'digitalocean_firewall')[0];
    expect(asSet(fw.inbound_rule)).toEqual(
      asSet([
        { protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] },
        { protocol: 'tcp', port_range: '443', source_addresses: ['0.0.0.0/0', '::/0'] },
        { protocol: 'tcp', port_range: '22', source_addresses: ADMIN },
      ]),
    );
  });

  test('DNS: the apex and a wildcard point at the host, with CAA for Let\u2019s Encrypt', () => {
    const records = resources(built.hostJson, 'digitalocean_record').map((r) => `${r.type} ${r.name}`);
    expect(records).toEqual(expect.arrayContaining(['A @', 'A www', 'A *', 'CAA @']));
  });

  test('only the edge publishes ports, 80 and 443', () => {
    const published = containers(built.appsJson)
      .filter((c) => c.ports)
      .map((c) => [c.name, c.ports.map((p: Json) => `${p.external}:${p.internal}`)]);
    expect(published).toEqual([['tierform-edge', ['80:80', '443:443']]]);
  });

  test('databases live on internal backend networks only, and app networks are internal', () => {
    const networks = Object.fromEntries(resources(built.appsJson, 'docker_network').map((n) => [n.name, n.internal]));
    expect(networks).toEqual({
      'recipe-frontend': true,
      'recipe-backend': true,
      'bookfinder-frontend': true,
      'bookfinder-backend': true,
      'tierform-edge': false,
    });
    expect(byName(built.appsJson, 'recipe-db').networks_advanced).toEqual([{ name: expect.stringMatching(/Recipe_Backend/) }]);
    expect(byName(built.appsJson, 'bookfinder-db').networks_advanced).toEqual([{ name: expect.stringMatching(/Bookfinder_Backend/) }]);
  });

  test('load-balanced recipe: 3 web containers at fixed addresses behind ip_hash, after the migration exited 0', () => {
    const webs = ['recipe-web-0', 'recipe-web-1', 'recipe-web-2'].map((n) => byName(built.appsJson, n));
    expect(webs.map((w) => w.networks_advanced[0].ipv4_address)).toEqual(['172.30.126.10', '172.30.126.11', '172.30.126.12']);
    for (const w of webs) {
      expect(w).toEqual(
        expect.objectContaining({
          memory: 384,
          memory_swap: 384,
          cpus: '0.3',
          restart: 'unless-stopped',
          log_driver: 'json-file',
          log_opts: { 'max-file': '3', 'max-size': '10m' },
        }),
      );
      expect(w.lifecycle.precondition).toEqual([
        {
          condition: expect.stringMatching(/^\$\{docker_container\.Recipe_Migrate_Container_[0-9A-F]+\.exit_code == 0\}$/),
          error_message: expect.any(String),
        },
      ]);
    }
    const migrate = byName(built.appsJson, 'recipe-migrate');
    expect(migrate).toEqual(expect.objectContaining({ must_run: false, attach: true, restart: 'no', command: ['python', 'migrate.py'] }));
    expect(migrate.depends_on).toEqual([expect.stringMatching(/Recipe_Database_Service_Container/)]);
    const edge = byName(built.appsJson, 'tierform-edge').upload.find((u: Json) => u.file === '/etc/nginx/nginx.conf').content as string;
    expect(edge).toContain('ip_hash;\n        server 172.30.126.10:5000 max_fails=3 fail_timeout=30s;');
    // Failures counted across the workers, and a dead container (whose address does not refuse) given up on after 2 s.
    expect(edge).toMatch(/upstream app_recipe \{\n(?:\s*#.*\n)*\s*zone app_recipe 64k;/);
    expect(edge).toContain('proxy_pass http://app_recipe;');
    expect(edge.match(/proxy_connect_timeout (\d+)s;/g)).toEqual(['proxy_connect_timeout 2s;', 'proxy_connect_timeout 2s;']);
  });

  test('every long-running container has its own health check, none more often than every 10 s; the one-shot migrations none', () => {
    const checks = Object.fromEntries(
      containers(built.appsJson).map((c) => [
        c.name,
        c.healthcheck ? `${c.healthcheck.test.slice(1, 3).join(' ')} every ${c.healthcheck.interval}` : 'none',
      ]),
    );
    expect(checks).toEqual({
      'tierform-edge': 'wget -q every 30s',
      'recipe-db': 'pg_isready -h every 10s',
      'recipe-migrate': 'none',
      'recipe-web-0': 'python3 -c every 30s',
      'recipe-web-1': 'python3 -c every 30s',
      'recipe-web-2': 'python3 -c every 30s',
      'bookfinder-db': 'mysqladmin ping every 10s',
      'bookfinder-migrate': 'none',
      'bookfinder-web': 'python3 -c every 30s',
    });
    expect(byName(built.appsJson, 'recipe-web-0').healthcheck.test[3]).toContain("urlopen('http://127.0.0.1:5000/health'");
  });

  test('the database waits healthy before its dependants, with pg_isready every 10 s and a named volume kept on destroy', () => {
    const db = byName(built.appsJson, 'recipe-db');
    expect(db).toEqual(
      expect.objectContaining({
        wait: true,
        healthcheck: expect.objectContaining({ interval: '10s', test: expect.arrayContaining(['pg_isready']) }),
      }),
    );
    expect(db.volumes).toEqual([
      { container_path: '/var/lib/postgresql/data', read_only: false, volume_name: expect.stringMatching(/Recipe_Database_Data/) },
    ]);
    const volume = resources(built.appsJson, 'docker_volume').find((v) => v.name === 'recipe-db-data');
    expect(volume.lifecycle).toEqual({ prevent_destroy: true });
  });

  test('secrets come from sensitive variables and land in files, never in the environment', () => {
    expectSecretsOnlyFromSensitiveVariables(built.appsJson);
    expect(Object.keys(built.appsJson.variable).sort()).toEqual([
      'bookfinder_db_app_password',
      'bookfinder_db_root_password',
      'recipe_db_app_password',
      'recipe_db_superuser_password',
    ]);
    for (const c of containers(built.appsJson)) {
      expect({ name: c.name, secretEnv: (c.env ?? []).filter((e: string) => /PASSWORD=/.test(e)) }).toEqual({ name: c.name, secretEnv: [] });
    }
  });

  test('images are pinned registry references or builds of a directory of this repository, by a relative path', () => {
    const images = resources(built.appsJson, 'docker_image')
      .map((i) => i.name)
      .sort();
    expect(images).toEqual(['mysql:8.4', 'nginx:1.27-alpine', 'postgres:16.4', expect.stringMatching(/^tierform-sample-app:[0-9a-f]{12}$/)]);
    const build = resources(built.appsJson, 'docker_image').find((i) => i.build).build;
    expect(build.context).toMatch(/^assets\/[A-Za-z_0-9]+\/[0-9A-F]+$/);
    expect(SAMPLE_APP_DIR).toMatch(/apps\/flask-sample$/);
  });

  test('configuration reaches containers read-only: rendered files without write bits, bind mounts read-only', () => {
    const uploads = containers(built.appsJson).flatMap((c) =>
      ((c.upload ?? []) as Json[]).filter((u) => !/^\/run\/secrets\//.test(u.file)).map((u) => `${c.name}:${u.file} ${u.permissions}`),
    );
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploads.filter((u) => !/ 0[0-7][0145][0145]$/.test(u) || / 0[2367]/.test(u))).toEqual([]);
    const binds = containers(built.appsJson).flatMap((c) =>
      ((c.volumes ?? []) as Json[]).filter((v) => v.host_path).map((v) => [c.name, v.host_path, v.read_only]),
    );
    expect(binds).toEqual([['tierform-edge', '/etc/tierform/tls', true]]);
  });

  test('the host costs one s-1vcpu-2gb droplet a month', () => {
    expect(estimateMonthlyCost(built.host)).toEqual({
      lines: [{ item: 'droplet s-1vcpu-2gb', count: 1, unitMonthlyUsd: 12, monthlyUsd: 12 }],
      totalMonthlyUsd: 12,
      unpriced: [],
    });
  });

  test('Terraform can create both stacks: no cycle, every reference resolvable (lib/plan/graph)', () => {
    expect(planProblems(parseStack(built.hostText, 'docker-host'))).toEqual([]);
    expect(planProblems(parseStack(built.appsText, 'docker-apps'))).toEqual([]);
  });

  test('validates both stacks', () => {
    expect(() => Testing.synth(built.host, true)).not.toThrow();
    expect(() => Testing.synth(built.apps, true)).not.toThrow();
  });
});

describe('Seed 000: changes touch only what they must', () => {
  const before = build();

  test('adding an app changes neither the host stack nor the other apps\u2019 containers', () => {
    const after = build([shop('1.0.0')]);
    expect(after.hostText).toBe(before.hostText);
    const changed = containers(after.appsJson)
      .filter((c) => JSON.stringify(c) !== JSON.stringify(byName(before.appsJson, c.name)))
      .map((c) => c.name);
    expect(changed.sort()).toEqual(['shop-web', 'tierform-edge']);
  });

  test('a new image tag for one app changes only that app\u2019s image, and its containers follow the image id', () => {
    const v1 = build([shop('1.0.0')]);
    const v2 = build([shop('1.0.1')]);
    const diff = (type: string) =>
      Object.entries(v2.appsJson.resource[type] as Record<string, Json>)
        .filter(([id, r]) => JSON.stringify(r) !== JSON.stringify(v1.appsJson.resource[type][id]))
        .map(([id]) => id);
    expect(diff('docker_image')).toEqual([expect.stringMatching(/^App-shop_Web_Image_/)]);
    // The containers' image is a reference to the image's id: Terraform replaces exactly those whose image changed.
    expect(diff('docker_container')).toEqual([]);
    expect(byName(v2.appsJson, 'shop-web').image).toMatch(/^\$\{docker_image\.App-shop_Web_Image_[0-9A-F]+\.image_id\}$/);
    expect(v2.hostText).toBe(v1.hostText);
  });

  test('Terraform\u2019s plan of a new tag (lib/plan/impact with the Docker ForceNew table): that image and its one container are replaced, nothing else moves', () => {
    const v1 = build([shop('1.0.0')]);
    const v2 = build([shop('1.0.1')]);
    const replacing = { ...DIGITALOCEAN_REPLACING_ATTRIBUTES, ...DOCKER_REPLACING_ATTRIBUTES };
    const apps = compareStacks(parseStack(v1.appsText, 'docker-apps'), parseStack(v2.appsText, 'docker-apps'), { replacing });
    expect(apps.resources.map((r) => `${r.action} ${r.type} ${r.name}`).sort()).toEqual([
      'replace docker_container shop-web',
      'replace docker_image ghcr.io/foobar/shop:1.0.1',
    ]);
    expect(apps.problems).toEqual([]);
    const host = compareStacks(parseStack(v1.hostText, 'docker-host'), parseStack(v2.hostText, 'docker-host'), { replacing });
    expect(host.counts).toEqual(expect.objectContaining({ create: 0, update: 0, replace: 0, delete: 0 }));
  });

  test('Terraform\u2019s plan of a new app: its resources are created and only the edge is replaced', () => {
    const before = build();
    const after = build([shop('1.0.0')]);
    const replacing = { ...DIGITALOCEAN_REPLACING_ATTRIBUTES, ...DOCKER_REPLACING_ATTRIBUTES };
    const apps = compareStacks(parseStack(before.appsText, 'docker-apps'), parseStack(after.appsText, 'docker-apps'), { replacing });
    expect(apps.resources.filter((r) => r.action !== 'create').map((r) => `${r.action} ${r.name}`)).toEqual(['replace tierform-edge']);
    expect(
      apps.resources
        .filter((r) => r.action === 'create')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['ghcr.io/foobar/shop:1.0.0', 'shop-frontend', 'shop-web']);
  });
});

describe('Seed 000 on your machine (DockerTarget.local())', () => {
  const stack = new DockerMultiAppStack(Testing.app(), 'docker-apps-local', { domain: 'foobar.localhost', target: DockerTarget.local() });
  const json = JSON.parse(Testing.synth(stack)) as Json;

  test('targets the local Docker socket, and the edge serves plain HTTP on 80 (no certificate on your machine)', () => {
    expect(json.provider.docker).toEqual([{ host: 'unix:///var/run/docker.sock' }]);
    expect(byName(json, 'tierform-edge').ports).toEqual([{ external: 80, internal: 80, protocol: 'tcp' }]);
    expect(byName(json, 'tierform-edge').volumes).toBeUndefined();
  });

  test('validates, and Terraform can create it (lib/plan/graph)', () => {
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(planProblems(parseStack(Testing.synth(stack), 'docker-apps-local'))).toEqual([]);
  });
});

describe('Seed 000: files the host droplet boots with', () => {
  const { hostText } = build();
  describe.each(renderDroplets(hostText).map((d) => [d.droplet.name, d] as const))('%s', (_name, droplet) => {
    test('user_data names no app', () => {
      expect(droplet.userData).not.toMatch(/recipe|bookfinder/);
    });
    describeRenderedDroplet(droplet);
  });
});

describe('Seed 000: files uploaded into containers', () => {
  describeContainerUploads(build().appsJson);
});

describe('the Docker checkers catch planted mistakes', () => {
  const { appsJson, hostText } = build();

  test('dockerd refuses a misspelt daemon.json key', () => {
    const daemon = renderDroplets(hostText)[0].doc.writeFiles.find((f) => f.path === '/etc/docker/daemon.json')!;
    const tmp = makeTempDir('planted');
    try {
      const file = path.join(tmp.dir, 'daemon.json');
      fs.writeFileSync(file, daemon.content.replace('live-restore', 'live-restor'));
      expect(() => checkDockerDaemonJson(file, tmp.dir)).toThrow(/don't match any configuration option: live-restor/);
    } finally {
      tmp.cleanup();
    }
  });

  test('nginx -t refuses a misspelt directive in the edge configuration', () => {
    const upload = byName(appsJson, 'tierform-edge').upload.find((u: ContainerUpload) => u.file === '/etc/nginx/nginx.conf') as ContainerUpload;
    const planted = { ...upload, content: upload.content!.replace('client_max_body_size', 'client_max_body_sise') };
    const tmp = makeTempDir('planted');
    try {
      expect(() => containerCheckersFor(planted)[0].check(path.join(tmp.dir, 'nginx.conf'), planted.content!, tmp.dir)).toThrow(
        /unknown directive .*client_max_body_sise/,
      );
    } finally {
      tmp.cleanup();
    }
  });
});
