/**
 * A Docker host's containers run in network namespaces of their own, outside the lab's: the lab finds them by the
 * cgroup its droplets' engines put them under. These tests kill the lab's owner (SIGKILL: no handler runs) and check
 * that the watchdog removes the containers, dockerd and everything else; and that `lab down` from another process
 * does the same. Root, docker.io and the lab's images are required.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LabImageName, ensureImages } from '../../../../lib/lab/docker/images';
import { downLab } from '../../../../lib/lab/teardown';
import { cgroupsWithPrefix, isRunning, pidsInCgroup } from '../../../../lib/lab/processes';
import { makeTempDir, run } from '../../../helpers/tools';
import { requireLab } from '../lab-fixture';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

interface Owner {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<unknown>;
  readonly id: string;
  readonly containerPids: number[];
  readonly cgroup: string;
  readonly dockerd: number;
  readonly dir: string;
}

let root: { dir: string; cleanup: () => void };

beforeAll(async () => {
  requireLab();
  await ensureImages(['redis'] as LabImageName[]);
  root = makeTempDir('dtd');
}, 45 * 60_000);

afterAll(() => root?.cleanup());

async function startOwner(name: string): Promise<Owner> {
  const child = spawn(
    process.execPath,
    [
      path.join(REPO, 'scripts', 'run-ts.js'),
      path.join(__dirname, 'fixtures', 'docker-owner.ts'),
      path.join(root.dir, name[0]),
      path.join(root.dir, `o${name[0]}`),
    ],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`docker owner did not start within 180 s: ${err}`)), 180_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]);
      }
    });
    child.on('exit', () => reject(new Error(`docker owner exited early: ${err}`)));
  });
  return { child, exited, ...(JSON.parse(line) as Omit<Owner, 'child' | 'exited'>) };
}

async function eventually(check: () => boolean, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

function gone(owner: Owner): Record<string, unknown> {
  return {
    containers: owner.containerPids.filter((p) => isRunning(p)),
    dockerd: isRunning(owner.dockerd),
    cgroups: cgroupsWithPrefix(`tfl-${owner.id}-`),
    namespaces: run('ip', ['netns', 'list'])
      .stdout.split('\n')
      .filter((l) => l.startsWith(`tfl-${owner.id}-`)),
    labDir: fs.existsSync(owner.dir),
  };
}

const CLEAN = { containers: [], dockerd: false, cgroups: [], namespaces: [], labDir: false };

test('the watchdog kills the containers (by the lab cgroup), dockerd and the namespaces when the owner dies', async () => {
  const owner = await startOwner('watchdog');
  expect(owner.containerPids.length).toBeGreaterThan(0);
  // Redis' server (health-check commands join the cgroup too, and come and go).
  expect(owner.containerPids.some((p) => isRunning(p))).toBe(true);
  owner.child.kill('SIGKILL');
  await owner.exited;
  await eventually(() => JSON.stringify(gone(owner)) === JSON.stringify(CLEAN), 60_000);
  expect(gone(owner)).toEqual(CLEAN);
  expect(pidsInCgroup(owner.cgroup)).toEqual([]);
}, 300_000);

test('lab down from another process does the same', async () => {
  const owner = await startOwner('down');
  const report = downLab(owner.id, { labRoot: path.join(root.dir, 'd') });
  await owner.exited;
  expect(report.errors).toEqual([]);
  await eventually(() => JSON.stringify(gone(owner)) === JSON.stringify(CLEAN), 60_000);
  expect(gone(owner)).toEqual(CLEAN);
}, 300_000);
