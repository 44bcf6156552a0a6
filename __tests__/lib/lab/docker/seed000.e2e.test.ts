/**
 * End to end, seed 000 (the multi-app Docker host) as main.ts synthesizes it: `docker-host` booted in the lab, then
 * `docker-apps` applied to its engine through the cross-stack reference. Root, docker.io and the lab's images.
 */
import { DockerState } from '../../../../lib/lab/docker/apply';
import { ensureImages } from '../../../../lib/lab/docker/images';
import { BootedStage, httpAnswer, httpHead, poll, shutdownAndCheck, synthAndBoot, tcpProbe } from '../stage-fixture';
import { requireLab } from '../lab-fixture';
import { apply, docker, planVariant, stackPlanFile } from './docker-stack-fixture';

const APPS = 'docker-apps';
let booted: BootedStage | undefined;
let droplet = '';
let state: DockerState | undefined;

function b() {
  if (!booted) throw new Error('the lab did not boot');
  return booted.boot;
}

beforeAll(async () => {
  requireLab();
  await ensureImages(['postgres', 'mariadb', 'nginx', 'python']);
  booted = await synthAndBoot('docker-host');
  droplet = b().labPlan.droplets[0].name;
  state = (await apply(b(), stackPlanFile(b(), APPS))).state;
  await b().addNames(['recipe.foobar.com', 'bookfinder.foobar.com']);
  await poll(
    'the edge answers https://foobar.com/',
    async () => ((await httpAnswer(b(), 'client', 'https://foobar.com/')).status === 200 ? true : undefined),
    { attempts: 60, timeoutMs: 90_000, intervalMs: 1000 },
  );
}, 45 * 60_000);

afterAll(async () => {
  const left = await shutdownAndCheck(booted);
  expect(left).toEqual({ namespaces: [], processes: [], hostMounts: [], errors: [] });
}, 120_000);

test('each Host reaches its app and the apex serves the static site', async () => {
  const apex = await httpAnswer(b(), 'client', 'https://foobar.com/');
  expect(apex.status).toBe(200);
  expect(apex.json).toBeUndefined();
  for (const app of ['recipe', 'bookfinder']) {
    const r = await httpAnswer(b(), 'client', `https://${app}.foobar.com/`);
    expect({ app, status: r.status, degraded: r.json?.degraded }).toEqual({ app, status: 200, degraded: false });
  }
});

test('the load-balanced app keeps a client on one replica (ip_hash)', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) seen.add(String((await httpAnswer(b(), 'client', 'https://recipe.foobar.com/')).json?.container));
  expect(seen.size).toBe(1);
});

test('killing the replica serving a client: nginx keeps serving, with at most the failed request lost', async () => {
  const sticky = String((await httpAnswer(b(), 'client', 'https://recipe.foobar.com/')).json?.container);
  const name = await docker(b(), droplet, ['inspect', '--format', '{{.Name}}', sticky]);
  await docker(b(), droplet, ['stop', '--time', '0', name.replace(/^\//, '')]);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await httpAnswer(b(), 'client', 'https://recipe.foobar.com/')).status);
    expect(statuses.filter((s) => s !== 200).length).toBeLessThanOrEqual(1);
  } finally {
    await docker(b(), droplet, ['start', name.replace(/^\//, '')]);
  }
});

test('the database cannot be reached from the frontend network, the public address or the client', async () => {
  const ip = b().labPlan.droplets[0].publicIp;
  await expect(tcpProbe(b(), 'client', ip, 5432)).resolves.toBe('dropped');
  await expect(tcpProbe(b(), 'client', ip, 3306)).resolves.toBe('dropped');
  const probe = await b().exec(
    droplet,
    [
      'docker',
      'run',
      '--rm',
      '--network',
      'recipe-frontend',
      '--entrypoint',
      'python3',
      'tierform-sample-app:d6a686380f76',
      '-c',
      "import socket\ntry:\n socket.create_connection(('recipe-db',5432),timeout=3); print('open')\nexcept OSError as e: print('failed', type(e).__name__)",
    ],
    { timeoutMs: 60_000 },
  );
  expect(probe.stdout).toMatch(/failed/);
});

test('the migration ran exactly once, before the web replicas started', async () => {
  const finished = Date.parse(await docker(b(), droplet, ['inspect', '--format', '{{.State.FinishedAt}}', 'recipe-migrate']));
  expect(await docker(b(), droplet, ['inspect', '--format', '{{.State.ExitCode}}', 'recipe-migrate'])).toBe('0');
  for (const w of ['recipe-web-0', 'recipe-web-1', 'recipe-web-2']) {
    expect(Date.parse(await docker(b(), droplet, ['inspect', '--format', '{{.State.StartedAt}}', w]))).toBeGreaterThan(finished);
  }
  const logs = await b().exec(droplet, ['docker', 'logs', 'recipe-migrate']);
  expect(`${logs.stdout}${logs.stderr}`.match(/applied 001_visits/g)).toHaveLength(1);
});

test('the security headers and TLS are on every response', async () => {
  for (const url of ['https://foobar.com/', 'https://recipe.foobar.com/', 'https://bookfinder.foobar.com/']) {
    const h = await httpHead(b(), 'client', url);
    expect({ url, status: h.status }).toEqual({ url, status: 200 });
    for (const name of [
      'strict-transport-security',
      'x-frame-options',
      'x-content-type-options',
      'referrer-policy',
      'permissions-policy',
      'content-security-policy',
    ]) {
      expect({ url, name, present: h.headers[name] !== undefined }).toEqual({ url, name, present: true });
    }
  }
  const plain = await httpHead(b(), 'client', 'http://recipe.foobar.com/');
  expect(plain.status).toBe(301);
});

test('a container over its memory limit is OOM-killed and restarted while the other apps keep serving', async () => {
  // The kernel's OOM killer picks the container's main process once it is the likeliest victim.
  await b().exec(
    droplet,
    ['docker', 'exec', 'bookfinder-web', 'sh', '-c', 'echo 1000 > /proc/1/oom_score_adj; python3 -c "b = bytearray(1024 * 1024 * 1024)"'],
    { timeoutMs: 60_000 },
  );
  const oom = await poll(
    'bookfinder-web OOM-killed and restarted',
    async () => {
      const s = await docker(b(), droplet, ['inspect', '--format', '{{.State.OOMKilled}} {{.RestartCount}} {{.State.Running}}', 'bookfinder-web']);
      return /^(true|false) [1-9][0-9]* true$/.test(s) ? s : undefined;
    },
    { attempts: 60, timeoutMs: 60_000, intervalMs: 1000 },
  );
  expect(oom).toMatch(/ [1-9]/);
  expect((await httpAnswer(b(), 'client', 'https://recipe.foobar.com/')).status).toBe(200);
});

test("changing one app's image tag re-creates only that container; the others keep their ids", async () => {
  const ids = Object.fromEntries(Object.values(state!.resources).map((r) => [r.address, r.id]));
  const changed = planVariant(b(), APPS, 'new-tag', (json) => {
    const images = (json.resource as Record<string, Record<string, Record<string, unknown>>>).docker_image;
    for (const img of Object.values(images)) if (img.name === 'postgres:16.4') img.name = 'postgres:16.5';
  });
  const r = await apply(b(), changed, { state });
  expect(r.replaced.filter((a) => a.startsWith('docker_container.'))).toEqual([expect.stringMatching(/^docker_container\.Recipe_Database/)]);
  for (const [a, id] of Object.entries(ids))
    if (a.startsWith('docker_container.') && !/Recipe_Database/.test(a)) expect({ [a]: r.state.resources[a].id }).toEqual({ [a]: id });
});
