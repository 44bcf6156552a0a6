import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LabNetwork, renderEdgeRuleset } from '../../../lib/lab/netns';
import { prerequisiteProblems } from '../../../lib/lab/host-tools';
import { downLab, listLabs } from '../../../lib/lab/teardown';
import { isRunning } from '../../../lib/lab/processes';
import { makeTempDir, run } from '../../helpers/tools';
import { requireLab, startHttp, httpOutcome, whoAnswers } from './lab-fixture';
import { sleep } from '../../helpers/processes';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** Polls (every 50 ms, at most `ms`) until `done()` holds; returns whether it did. */
async function eventually(done: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await sleep(50);
  return done();
}

function namespacesOf(id: string): string[] {
  return run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`tfl-${id}-`));
}

describe('prerequisites', () => {
  test('refuses to run when not root, saying so', () => {
    expect(prerequisiteProblems({ uid: 1000 })).toEqual(expect.arrayContaining([expect.stringMatching(/must run as root.*uid 1000.*sudo/)]));
  });

  test('names the Debian packages of missing tools', () => {
    const problems = prerequisiteProblems({ uid: 0, searchPath: '/nonexistent' });
    expect(problems).toEqual([expect.stringMatching(/missing tools: 'ip', 'nft', 'unshare': apt-get install iproute2 nftables util-linux/)]);
  });

  test('finds nothing to complain about on this machine', () => {
    requireLab();
    expect(prerequisiteProblems()).toEqual([]);
  });
});

describe('renderEdgeRuleset', () => {
  test('DNATs an assigned reserved IP to its holder anchor IP', () => {
    const text = renderEdgeRuleset([{ ip: '203.0.113.20', anchorIp: '10.19.0.10', holderPublicIp: '203.0.113.10' }], '10.19.0.1');
    expect(text).toContain('ip daddr 203.0.113.20 dnat to 10.19.0.10');
    expect(text).toContain('ip saddr 203.0.113.10 ip daddr 10.19.0.10 ct status dnat snat to 10.19.0.1');
  });

  test('resets flows established to a previous holder', () => {
    const text = renderEdgeRuleset([{ ip: '203.0.113.20', anchorIp: '10.19.0.11' }], '10.19.0.1');
    expect(text).toContain('ct original ip daddr 203.0.113.20 ct reply ip saddr != 10.19.0.11 meta l4proto tcp reject with tcp reset');
  });

  test('drops everything sent to an unassigned reserved IP', () => {
    const text = renderEdgeRuleset([{ ip: '203.0.113.20' }], '10.19.0.1');
    expect(text).not.toContain('dnat');
    expect(text).toContain('ip daddr { 203.0.113.20 } drop');
  });
});

describe('LabNetwork (live)', () => {
  let root: ReturnType<typeof makeTempDir>;
  let lab: LabNetwork;

  beforeAll(async () => {
    requireLab();
    root = makeTempDir('lab');
    lab = LabNetwork.create({
      labRoot: root.dir,
      vpcs: [{ name: 'main', ipRange: '10.10.0.0/20' }],
      droplets: [
        { name: 'db-0', id: '100000001', publicIp: '203.0.113.10', vpc: 'main', privateIp: '10.10.0.2', tags: ['db'] },
        { name: 'web-0', id: '100000002', publicIp: '203.0.113.11', vpc: 'main', privateIp: '10.10.0.3', tags: ['x'] },
      ],
      reservedIps: [{ ip: '203.0.113.20', holder: 'db-0' }],
    });
    // db-0 listens everywhere; web-0 only on its anchor IP, as HAProxy may on DigitalOcean.
    await startHttp(lab, 'db-0', [80]);
    await startHttp(lab, 'web-0', [80], lab.droplet('web-0').anchorIp);
  });

  afterAll(() => {
    lab?.teardown();
    root?.cleanup();
  });

  test('creates namespaces named tfl-<id>-* and leaves the root namespace without lab links', () => {
    expect(namespacesOf(lab.id).sort()).toEqual([`tfl-${lab.id}-client`, `tfl-${lab.id}-db-0`, `tfl-${lab.id}-internet`, `tfl-${lab.id}-web-0`]);
    expect(run('ip', ['-o', 'link', 'show']).stdout).not.toContain(`tfl-${lab.id}-`);
  });

  test('gives droplets DigitalOcean interfaces: eth0 public with the anchor IP, eth1 in the VPC', () => {
    const addresses = lab.runOrThrow('db-0', ['ip', '-4', '-o', 'addr', 'show']);
    expect(addresses).toMatch(/eth0\s+inet 203\.0\.113\.10\/24/);
    expect(addresses).toMatch(/eth0\s+inet 10\.19\.0\.10\/16/);
    expect(addresses).toMatch(/eth1\s+inet 10\.10\.0\.2\/20/);
  });

  test('records its state for other processes', () => {
    const listed = listLabs(root.dir).find((l) => l.state.id === lab.id);
    expect(listed?.state).toMatchObject({ status: 'up', ownerPid: process.pid, reservedIps: { '203.0.113.20': 'db-0' } });
    expect(listed?.state.namespaces).toHaveLength(4);
    expect(listed?.state.processes.length).toBeGreaterThanOrEqual(2);
  });

  test('the client reaches a droplet public address, not its VPC address', async () => {
    expect(await whoAnswers(lab, 'client', 'http://203.0.113.10/')).toBe('db-0');
    expect(['refused', 'timeout', 'error']).toContain((await httpOutcome(lab, 'client', 'http://10.10.0.2/')).kind);
  });

  test('droplets reach each other over the VPC', async () => {
    const o = await httpOutcome(lab, 'web-0', 'http://10.10.0.2/');
    expect(o).toMatchObject({ kind: 'answer', answer: { host: 'db-0', remote: '10.10.0.3' } });
  });

  test('the reserved IP reaches its holder anchor IP with the client address as source', async () => {
    const o = await httpOutcome(lab, 'client', 'http://203.0.113.20/');
    expect(o).toMatchObject({ kind: 'answer', answer: { host: 'db-0', local: '10.19.0.10', remote: lab.client.ip } });
  });

  test('moving the reserved IP sends new connections to the new holder, bound to its anchor IP', async () => {
    lab.moveAddress('203.0.113.20', 'web-0');
    try {
      expect(await whoAnswers(lab, 'client', 'http://203.0.113.20/')).toBe('web-0');
      expect(await whoAnswers(lab, 'db-0', 'http://203.0.113.20/')).toBe('web-0');
      expect(lab.holderOf('203.0.113.20')?.name).toBe('web-0');
    } finally {
      lab.moveAddress('203.0.113.20', 'db-0');
    }
    expect(await whoAnswers(lab, 'client', 'http://203.0.113.20/')).toBe('db-0');
  });

  test('the holder reaches its own reserved IP', async () => {
    expect(await whoAnswers(lab, 'db-0', 'http://203.0.113.20/')).toBe('db-0');
  });

  test('an unassigned reserved IP answers nothing', async () => {
    lab.addAddress('203.0.113.21');
    expect(await whoAnswers(lab, 'client', 'http://203.0.113.21/')).toBe('timeout');
  });

  test('processes see the lab names from /etc/hosts and the droplet hostname', async () => {
    lab.setHosts([
      { name: 'www.foobar.com', address: '203.0.113.20' },
      { name: 'db-1.internal.foobar.com', address: '10.10.0.2' },
    ]);
    const r = await lab.exec('web-0', ['sh', '-c', 'getent hosts www.foobar.com db-1.internal.foobar.com; hostname']);
    expect(r.stdout).toMatch(/^203\.0\.113\.20\s+www\.foobar\.com$/m);
    expect(r.stdout).toMatch(/^10\.10\.0\.2\s+db-1\.internal\.foobar\.com$/m);
    expect(r.stdout).toMatch(/^web-0$/m);
    expect(await whoAnswers(lab, 'client', 'http://www.foobar.com/')).toBe('db-0');
  });

  test('an unknown name fails fast inside the lab', async () => {
    const started = Date.now();
    const r = await lab.exec('web-0', ['getent', 'hosts', 'example.org'], { timeoutMs: 10_000 });
    expect(r.status).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('exec kills a command at its timeout', async () => {
    const started = Date.now();
    const r = await lab.exec('client', ['sleep', '30'], { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('disconnect cuts a droplet off and reconnect plugs it back', async () => {
    lab.disconnect('db-0');
    try {
      expect(await whoAnswers(lab, 'client', 'http://203.0.113.10/')).toBe('timeout');
    } finally {
      lab.reconnect('db-0');
    }
    expect(await whoAnswers(lab, 'client', 'http://203.0.113.10/')).toBe('db-0');
  });
});

describe('teardown (live)', () => {
  test('stops tracked processes, their forks and escaped ones, deletes everything, and is idempotent', async () => {
    requireLab();
    const root = makeTempDir('lab');
    const lab = LabNetwork.create({ labRoot: root.dir, droplets: [{ name: 'a', id: '1', publicIp: '203.0.113.10' }] });
    try {
      const sleeper = lab.spawn('a', ['sleep', '300']);
      const forker = lab.spawn('a', ['sh', '-c', 'sleep 300 & setsid sleep 300 & echo "pids $! "; wait']);
      const escaped = Number(/pids ([0-9]+) /.exec(await forker.waitForOutput(/pids [0-9]+ /))![1]);
      const pids = [sleeper.pid, forker.pid, escaped];
      expect(pids.every((p) => isRunning(p))).toBe(true);
      const watchdog = lab.watchdogPid!;
      expect(isRunning(watchdog)).toBe(true);

      const report = lab.teardown();

      expect(report).toMatchObject({ survivors: [], errors: [] });
      expect(report.killed).toEqual(expect.arrayContaining(pids));
      expect(pids.filter((p) => isRunning(p))).toEqual([]);
      expect(namespacesOf(lab.id)).toEqual([]);
      expect(fs.existsSync(`/etc/netns/tfl-${lab.id}-a`)).toBe(false);
      expect(fs.existsSync(lab.dir)).toBe(false);
      expect(await eventually(() => !isRunning(watchdog), 3000)).toBe(true);
      expect(lab.teardown()).toBe(report);
      expect(() => lab.spawn('a', ['true'])).toThrow(/torn down/);
    } finally {
      lab.teardown();
      root.cleanup();
    }
  });

  test('tears down what it built when building fails, and nothing it did not build', () => {
    requireLab();
    const root = makeTempDir('lab');
    const foreign = 'tfl-failtest-b';
    run('ip', ['netns', 'add', foreign]);
    try {
      expect(() =>
        LabNetwork.create({
          labRoot: root.dir,
          id: 'failtest',
          droplets: [
            { name: 'a', id: '1', publicIp: '203.0.113.10' },
            { name: 'b', id: '2', publicIp: '203.0.113.11' },
          ],
        }),
      ).toThrow(/network namespace tfl-failtest-b already exists/);
      expect(namespacesOf('failtest')).toEqual([foreign]);
    } finally {
      run('ip', ['netns', 'delete', foreign]);
      root.cleanup();
    }
  });
});

describe('cleanup from another process (live)', () => {
  let root: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    requireLab();
    root = makeTempDir('lab');
  });
  afterAll(() => {
    // Only labs of this test's own root: other labs on this machine are none of its business.
    for (const l of listLabs(root.dir)) downLab(l.state.id, { labRoot: root.dir });
    root.cleanup();
  });

  /** Starts fixtures/lab-owner.ts in a child process and waits for its lab. */
  async function startOwner(
    ...flags: string[]
  ): Promise<{ child: ReturnType<typeof spawn>; id: string; pids: number[]; watchdog?: number; exited: Promise<unknown> }> {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'scripts', 'run-ts.js'), path.join(__dirname, 'fixtures', 'lab-owner.ts'), root.dir, ...flags],
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
      const timer = setTimeout(() => reject(new Error(`lab owner did not start within 30 s: ${err}`)), 30_000);
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0]);
        }
      });
      child.on('exit', () => reject(new Error(`lab owner exited early: ${err}`)));
    });
    const { id, pids, watchdog } = JSON.parse(line) as { id: string; pids: number[]; watchdog?: number };
    return { child, id, pids, watchdog, exited };
  }

  test('the watchdog tears the lab down when its owner is killed with SIGKILL', async () => {
    const owner = await startOwner();
    owner.child.kill('SIGKILL');
    await owner.exited;

    expect(await eventually(() => namespacesOf(owner.id).length === 0)).toBe(true);
    expect(await eventually(() => owner.pids.every((p) => !isRunning(p)))).toBe(true);
    expect(await eventually(() => !isRunning(owner.watchdog!))).toBe(true);
    expect(listLabs(root.dir).map((l) => l.state.id)).not.toContain(owner.id);
  });

  test('downLab cleans up by ids after the owner was killed with SIGKILL', async () => {
    const owner = await startOwner('--no-watchdog');
    owner.child.kill('SIGKILL');
    await owner.exited;
    expect(namespacesOf(owner.id)).toHaveLength(3);
    expect(owner.pids.every((p) => isRunning(p))).toBe(true);

    const report = downLab(owner.id, { labRoot: root.dir });

    expect(report).toMatchObject({ survivors: [], errors: [] });
    expect(namespacesOf(owner.id)).toEqual([]);
    expect(owner.pids.filter((p) => isRunning(p))).toEqual([]);
    expect(listLabs(root.dir).map((l) => l.state.id)).not.toContain(owner.id);
  });

  test('Ctrl-C (SIGINT) makes the owner tear its lab down', async () => {
    const owner = await startOwner();
    owner.child.kill('SIGINT');
    expect(await owner.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(namespacesOf(owner.id)).toEqual([]);
    expect(owner.pids.filter((p) => isRunning(p))).toEqual([]);
    expect(await eventually(() => !isRunning(owner.watchdog!), 3000)).toBe(true);
  });

  test('downLab stops a running owner, which cleans up', async () => {
    const owner = await startOwner();
    downLab(owner.id, { labRoot: root.dir });
    expect(await owner.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(namespacesOf(owner.id)).toEqual([]);
    expect(owner.pids.filter((p) => isRunning(p))).toEqual([]);
  });
});
