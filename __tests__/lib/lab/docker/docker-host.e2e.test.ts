/**
 * End to end: a Docker host droplet booted in the lab from its user_data (docker.io installed → the real dockerd in
 * the droplet's namespaces, with the daemon.json the cloud-config wrote), then the stack's docker_* resources
 * applied to that engine through the Engine API (lib/lab/docker/apply.ts), then changed and applied again.
 * Root, Debian's docker.io and the lab's images (built on first use, lib/lab/docker/images.ts) are required.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabBoot, bootStage } from '../../../../lib/lab/boot';
import { ApplyReport, DockerState } from '../../../../lib/lab/docker/apply';
import { EngineClient, dockerCgroupParent } from '../../../../lib/lab/docker/engine';
import { LAB_IMAGE_RECIPES, LabImageName, ensureImages } from '../../../../lib/lab/docker/images';
import { applyInLab, destroyInLab } from '../../../../lib/lab/docker/lab-docker';
import { cgroupsWithPrefix } from '../../../../lib/lab/processes';
import { makeTempDir } from '../../../helpers/tools';
import { requireLab } from '../lab-fixture';
import { httpAnswer, poll, shutdownAndCheck, tcpProbe } from '../stage-fixture';
import { dockerHostStack, writeStack } from './docker-fixture';

const STAGE = 'lab-docker-host';
const DROPLET = 'lab-docker-host';

let tmp: { dir: string; cleanup: () => void } | undefined;
let boot: LabBoot | undefined;
let first: ApplyReport | undefined;
let engine: EngineClient | undefined;
let labId = '';

function b(): LabBoot {
  if (!boot) throw new Error('the lab did not boot');
  return boot;
}

interface Inspect {
  Id: string;
  State: { Running: boolean; ExitCode: number; Health?: { Status: string } };
  HostConfig: Record<string, unknown> & {
    Memory: number;
    NanoCpus: number;
    ReadonlyRootfs: boolean;
    LogConfig: { Type: string; Config: Record<string, string> };
    RestartPolicy: { Name: string };
  };
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
  Config: { Labels: Record<string, string>; Cmd: string[] };
}

const inspect = (name: string) => engine!.get<Inspect>(`/containers/${name}/json`);

beforeAll(async () => {
  requireLab();
  const t0 = Date.now();
  // Images first (minutes on a cold cache; CI builds them here), so that the boot's own timing is the boot's.
  await ensureImages(Object.keys(LAB_IMAGE_RECIPES) as LabImageName[], { log: (l) => process.stdout.write(`${l}\n`) });
  const t1 = Date.now();
  tmp = makeTempDir('docker-e2e');
  writeStack(path.join(tmp.dir, 'out'), STAGE, dockerHostStack());
  boot = await bootStage({ stage: STAGE, outdir: path.join(tmp.dir, 'out'), labRoot: path.join(tmp.dir, 'labs') });
  labId = boot.lab.id;
  const t2 = Date.now();
  first = await applyInLab(boot);
  engine = new EngineClient(`/proc/${boot.droplet(DROPLET).host.holderPid}/root/run/docker.sock`);
  process.stdout.write(
    `${STAGE}: images ${((t1 - t0) / 1000).toFixed(1)} s, boot ${((t2 - t1) / 1000).toFixed(1)} s, apply ${((Date.now() - t2) / 1000).toFixed(1)} s\n`,
  );
}, 45 * 60_000);

afterAll(async () => {
  if (boot) {
    const inodes = new Set<number>();
    const left = await shutdownAndCheck(
      boot ? { boot, inodes, tmpDir: tmp!.dir, totalSeconds: 0, synthSeconds: 0, cleanup: () => undefined } : undefined,
    );
    expect(left).toEqual({ namespaces: [], processes: [], hostMounts: [], errors: [] });
    // The containers ran in network namespaces of their own: their cgroups are gone too (nothing left running).
    expect(cgroupsWithPrefix(`tfl-${labId}-`)).toEqual([]);
  }
  tmp?.cleanup();
}, 120_000);

test('the droplet runs dockerd from its cloud-config, with the daemon.json it wrote', async () => {
  const d = b().droplet(DROPLET);
  expect(d.steps.filter((s) => s.outcome === 'failed')).toEqual([]);
  expect(d.steps).toContainEqual(
    expect.objectContaining({ module: 'packages', what: 'postinst: systemctl start docker.service', outcome: 'substituted' }),
  );
  await expect(b().systemctl(DROPLET, 'is-active', 'docker')).resolves.toMatchObject({ status: 0 });
  const info = await engine!.get<{
    LoggingDriver: string;
    LiveRestoreEnabled: boolean;
    DockerRootDir: string;
    CgroupDriver: string;
    ServerVersion: string;
  }>('/info');
  expect(info).toMatchObject({ LoggingDriver: 'json-file', LiveRestoreEnabled: true, DockerRootDir: '/var/lib/docker' });
  // Its data root, exec root and socket are in the lab directory, not on this machine.
  expect(fs.existsSync(path.join(d.host.dir, 'run', 'docker.sock'))).toBe(true);
  expect(fs.readdirSync(path.join(d.host.dir, 'run', 'tierform-lab', 'docker'))).toEqual(
    expect.arrayContaining(['overlay2', 'volumes', 'containers']),
  );
});

test('applies every docker_* resource of the plan', () => {
  expect([...first!.created].sort()).toEqual(
    [
      'docker_container.cache',
      'docker_container.db',
      'docker_container.probe_backend',
      'docker_container.probe_frontend',
      'docker_container.web',
      'docker_image.nginx',
      'docker_image.postgres',
      'docker_image.python',
      'docker_image.redis',
      'docker_network.backend',
      'docker_network.frontend',
      'docker_volume.pgdata',
    ].sort(),
  );
});

test('maps the container attributes: limits, restart, logging, labels, read-only root, aliases, command', async () => {
  const db = await inspect('db');
  expect(db.State).toMatchObject({ Running: true, Health: { Status: 'healthy' } });
  expect(db.HostConfig).toMatchObject({
    Memory: 256 * 1024 * 1024,
    RestartPolicy: { Name: 'unless-stopped' },
    LogConfig: { Type: 'json-file', Config: { 'max-size': '5m', 'max-file': '2' } },
  });
  expect(db.Config.Labels).toMatchObject({ 'org.tierform.role': 'database' });
  expect(Object.keys(db.NetworkSettings.Networks)).toEqual(['backend']);
  expect(db.NetworkSettings.Networks.backend.Aliases).toEqual(expect.arrayContaining(['db']));
  const cache = await inspect('cache');
  expect(cache.HostConfig).toMatchObject({ NanoCpus: 300_000_000, Memory: 64 * 1024 * 1024 });
  expect(cache.Config.Cmd).toEqual(['redis-server', '--appendonly', 'yes']);
  expect(cache.HostConfig.ReadonlyRootfs).toBe(true);
  expect(cache.HostConfig.Tmpfs).toEqual({ '/tmp': 'rw,size=16m' });
  const web = await inspect('web');
  // The kernel enforces the limit: the container's memory cgroup, under the lab's cgroup.
  const limit = fs.readFileSync(`/sys/fs/cgroup/memory/${dockerCgroupParent(labId, DROPLET)}/${web.Id}/memory.limit_in_bytes`, 'utf8').trim();
  expect(Number(limit)).toBe(64 * 1024 * 1024);
});

test('Redis runs with append-only persistence as its command line asks', async () => {
  const r = await b().exec(DROPLET, ['docker', 'exec', 'cache', 'redis-cli', 'CONFIG', 'GET', 'appendonly']);
  expect(r.stdout.split('\n').map((l) => l.trim())).toEqual(expect.arrayContaining(['appendonly', 'yes']));
});

test('the published port answers from the client through the Cloud Firewall; the database port does not', async () => {
  const ip = b().droplet(DROPLET).planned.publicIp;
  const health = await poll(
    'web /health from the client',
    async () => {
      const r = await httpAnswer(b(), 'client', `http://${ip}/health`);
      return r.status === 200 ? r : undefined;
    },
    { attempts: 40, timeoutMs: 20_000 },
  );
  expect(health.body.trim()).toBe('ok');
  await expect(tcpProbe(b(), 'client', ip, 5432)).resolves.toBe('dropped');
});

test('the internal backend network is isolated: frontend containers cannot reach the database, backend ones cannot leave', () => {
  const logs = (address: string) => first!.state.resources[address].outputs[`${address}.container_logs`] ?? '';
  const front = logs('docker_container.probe_frontend');
  expect(front).toMatch(/probe db 5432 failed/);
  expect(front).toMatch(/probe web 80 open/);
  expect(front).toMatch(/probe 203\.0\.113\.1 443 open/);
  const back = logs('docker_container.probe_backend');
  expect(back).toMatch(/marks 1/);
  expect(back).toMatch(/probe cache 6379 open/);
  expect(back).toMatch(/probe 203\.0\.113\.1 443 failed/);
});

describe('applying again', () => {
  let again: ApplyReport | undefined;
  let changed: ApplyReport | undefined;
  let ids: Record<string, string> = {};

  beforeAll(async () => {
    ids = Object.fromEntries(Object.values(first!.state.resources).map((r) => [r.address, r.id]));
    again = await applyInLab(b(), { state: first!.state });
    const out = path.join(tmp!.dir, 'out2');
    const planFile = writeStack(out, STAGE, dockerHostStack({ redisImage: 'redis:7.2-alpine', webMemory: 96 }));
    changed = await applyInLab(b(), { planFile, state: again.state });
  }, 10 * 60_000);

  test('with the same plan changes nothing: every container keeps its id', () => {
    // The one-shot probes (must_run false) exited: they are left as they are, as the provider leaves them.
    expect(again!.created).toEqual([]);
    expect(again!.replaced).toEqual([]);
    expect(again!.updated).toEqual([]);
    for (const r of Object.values(again!.state.resources)) expect({ [r.address]: r.id }).toEqual({ [r.address]: ids[r.address] });
  });

  test('after one image tag changes, only that image and its container are replaced; a memory change is made in place', async () => {
    expect(changed!.replaced.sort()).toEqual(['docker_container.cache', 'docker_image.redis']);
    expect(changed!.updated).toEqual(['docker_container.web']);
    const state: DockerState = changed!.state;
    for (const a of ['docker_container.db', 'docker_container.web', 'docker_container.probe_frontend', 'docker_container.probe_backend']) {
      expect({ [a]: state.resources[a].id }).toEqual({ [a]: ids[a] });
    }
    expect(state.resources['docker_container.cache'].id).not.toBe(ids['docker_container.cache']);
    expect((await inspect('web')).HostConfig.Memory).toBe(96 * 1024 * 1024);
  });

  test('destroy removes the containers, networks and volume; the image kept locally stays', async () => {
    const destroyed = await destroyInLab(b(), changed!.state, { planFile: path.join(tmp!.dir, 'out2', 'stacks', STAGE, 'cdk.tf.json') });
    expect(destroyed).toHaveLength(12);
    const containers = await engine!.get<unknown[]>('/containers/json', { query: { all: true } });
    expect(containers).toEqual([]);
    const volumes = await engine!.get<{ Volumes: { Name: string }[] | null }>('/volumes');
    expect((volumes.Volumes ?? []).map((v) => v.Name)).not.toContain('pgdata');
    await expect(engine!.get('/images/postgres:16/json')).resolves.toBeDefined();
    await expect(engine!.get('/images/nginx:1.27-alpine/json')).rejects.toThrow(/404/);
  });
});
