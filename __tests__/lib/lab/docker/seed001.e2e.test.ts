/**
 * End to end, seed 001 (the app stack: nginx → app → Redis + PostgreSQL) as main.ts synthesizes it
 * (`docker-app-local`), applied to a real Docker Engine in the lab: the Docker host droplet stands in for the user's
 * machine (the stack targets the local engine, unix:///var/run/docker.sock). Root, docker.io and the lab's images.
 */
import { DockerState } from '../../../../lib/lab/docker/apply';
import { ensureImages } from '../../../../lib/lab/docker/images';
import { BootedStage, poll, shutdownAndCheck, synthAndBoot } from '../stage-fixture';
import { requireLab } from '../lab-fixture';
import { allHealthy, apply, containers, docker, planVariant, stackPlanFile } from './docker-stack-fixture';

const STACK = 'docker-app-local';
let booted: BootedStage | undefined;
let droplet = '';
let state: DockerState | undefined;
let nginxId = '';
let beforeApp = { health: 0, root: 0 };

function b() {
  if (!booted) throw new Error('the lab did not boot');
  return booted.boot;
}

/** GET on the droplet itself (the stack publishes on the user's machine: here, the droplet). */
async function get(path: string): Promise<{ status: number; json?: Record<string, unknown>; body: string }> {
  const r = await b().exec(droplet, ['curl', '-sS', '--max-time', '5', '-o', '-', '-w', '\n%{http_code}', `http://127.0.0.1:8080${path}`]);
  const lines = r.stdout.split('\n');
  const status = Number(lines.pop()) || 0;
  const body = lines.join('\n');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status, json, body };
}

beforeAll(async () => {
  requireLab();
  await ensureImages(['postgres', 'redis', 'nginx', 'python']);
  booted = await synthAndBoot('docker-host');
  droplet = b().labPlan.droplets[0].name;
  // First without the app: nginx must start and answer /health although its upstream does not exist yet.
  const withoutApp = planVariant(b(), STACK, 'without-app', (json) => {
    const c = containers(json);
    for (const [k, v] of Object.entries(c)) if (String(v.name).endsWith('-app')) delete c[k];
    for (const v of Object.values(c)) {
      if (Array.isArray(v.depends_on))
        v.depends_on = (v.depends_on as string[]).filter((d) => !d.startsWith('docker_container.') || d.split('.')[1] in c);
    }
  });
  const first = await apply(b(), withoutApp, { localDroplet: droplet });
  beforeApp = { health: (await get('/health')).status, root: (await get('/')).status };
  nginxId = await docker(b(), droplet, ['inspect', '--format', '{{.Id}}', 'shop-nginx']);
  state = (await apply(b(), stackPlanFile(b(), STACK), { state: first.state, localDroplet: droplet })).state;
}, 45 * 60_000);

afterAll(async () => {
  const left = await shutdownAndCheck(booted);
  expect(left).toEqual({ namespaces: [], processes: [], hostMounts: [], errors: [] });
}, 120_000);

test('nginx answers /health before the app exists, and proxies to it once it is up (runtime DNS, no restart)', async () => {
  // Without the app, / cannot be proxied (no answer, or a 5xx); nginx itself is up and healthy.
  expect(beforeApp.health).toBe(200);
  expect(beforeApp.root).not.toBe(200);
  const r = await poll(
    '/ through nginx',
    async () => {
      const x = await get('/');
      return x.status === 200 ? x : undefined;
    },
    { attempts: 60, timeoutMs: 60_000, intervalMs: 1000 },
  );
  expect(r.json).toMatchObject({ degraded: false });
  expect(await docker(b(), droplet, ['inspect', '--format', '{{.Id}}', 'shop-nginx'])).toBe(nginxId);
});

test('every container reports healthy', async () => {
  const names = Object.values(state!.resources)
    .filter((r) => r.type === 'docker_container')
    .map((r) => r.name);
  await expect(allHealthy(b(), droplet, names)).resolves.toEqual(Object.fromEntries(names.map((n) => [n, 'healthy'])));
});

test("only nginx's port is published", async () => {
  const published: Record<string, string> = {};
  for (const r of Object.values(state!.resources).filter((x) => x.type === 'docker_container')) {
    published[r.name] = await docker(b(), droplet, ['inspect', '--format', '{{json .HostConfig.PortBindings}}', r.name]);
  }
  expect(
    Object.entries(published)
      .filter(([, v]) => v !== '{}' && v !== 'null')
      .map(([k]) => k),
  ).toEqual(['shop-nginx']);
});

test('with Redis stopped the app still answers, degraded', async () => {
  await docker(b(), droplet, ['stop', 'shop-redis']);
  try {
    const r = await get('/');
    expect(r).toMatchObject({ status: 200, json: { degraded: true } });
    expect(typeof r.json?.redis_hits).not.toBe('number');
    expect(typeof r.json?.database_visits).toBe('number');
  } finally {
    await docker(b(), droplet, ['start', 'shop-redis']);
  }
});

test("Postgres' data survives the container's re-creation (named volume)", async () => {
  const before = Number((await get('/')).json?.database_visits);
  const relabelled = planVariant(b(), STACK, 'relabelled', (json) => {
    for (const v of Object.values(containers(json))) {
      if (String(v.name).endsWith('-postgres')) (v.labels as { label: string; value: string }[]).push({ label: 'tierform.test', value: 'recreate' });
    }
  });
  const r = await apply(b(), relabelled, { state, localDroplet: droplet });
  expect(r.replaced).toEqual([expect.stringMatching(/^docker_container\.Postgres/)]);
  const after = await poll(
    '/ after the re-creation',
    async () => {
      const x = await get('/');
      return x.status === 200 && x.json?.degraded === false ? x : undefined;
    },
    { attempts: 60, timeoutMs: 120_000, intervalMs: 1000 },
  );
  expect(Number(after.json?.database_visits)).toBeGreaterThan(before);
  state = r.state;
});
