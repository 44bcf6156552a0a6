/**
 * The lab's systemd stand-in and a droplet's own filesystem, live: one droplet namespace with its mount namespace,
 * units written into it, driven through the droplet's `systemctl` shim as its scripts would.
 */
import * as fs from 'fs';
import { DropletHost } from '../../../lib/lab/droplet-host';
import { LabNetwork } from '../../../lib/lab/netns';
import { isRunning } from '../../../lib/lab/processes';
import { UnitManager } from '../../../lib/lab/systemd';
import { makeTempDir } from '../../helpers/tools';
import { requireLab } from './lab-fixture';
import { hostMountsUnder, poll } from './stage-fixture';
import { sleep } from '../../helpers/processes';

const DEMO = `[Unit]
Description=demo service

[Service]
Type=simple
User=nobody
Group=nogroup
EnvironmentFile=-/etc/default/demo-missing
EnvironmentFile=/etc/demo.env
RuntimeDirectory=demo
WorkingDirectory=/opt/demo
ExecStart=/bin/sh -c 'trap "echo reloaded" HUP; echo "$0 uid=$(id -u) cwd=$(pwd)"; while :; do sleep 0.1; done' \${GREETING}
Restart=on-failure
RestartSec=100ms
NoNewPrivileges=yes
`;

const SETUP = `[Unit]
Requires=demo.service network-online.target
After=demo.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'systemctl is-active demo.service > /opt/demo/seen'
`;

let root: ReturnType<typeof makeTempDir>;
let lab: LabNetwork;
let host: DropletHost;
let units: UnitManager;

beforeAll(async () => {
  requireLab();
  root = makeTempDir('lab');
  lab = LabNetwork.create({ labRoot: root.dir, droplets: [{ name: 'a', id: '1', publicIp: '203.0.113.10' }] });
  host = await DropletHost.create(lab, 'a', (req) =>
    req.tool === 'systemctl' ? units.systemctl(req.argv) : Promise.resolve({ status: 127, stdout: '', stderr: '' }),
  );
  units = new UnitManager(host, { environment: { TIERFORM_LAB_MARK: 'lab' } });
  host.writeFile('/etc/systemd/system/demo.service', DEMO, 0o644);
  host.writeFile('/etc/systemd/system/setup.service', SETUP, 0o644);
  host.writeFile('/etc/demo.env', "GREETING='hello lab'\n", 0o600);
  host.mkdirp('/opt/demo');
});

afterAll(() => {
  lab?.teardown();
  root?.cleanup();
});

/** systemctl inside the droplet, through its shim. */
async function systemctl(...args: string[]) {
  return host.exec(['systemctl', ...args], { timeoutMs: 30_000 });
}

const demo = () => units.status().find((u) => u.name === 'demo.service');

test("the droplet's files are its own: written there, absent here, no mount in this namespace", () => {
  expect(host.readFile('/etc/demo.env')).toBe("GREETING='hello lab'\n");
  expect(fs.existsSync('/etc/demo.env')).toBe(false);
  expect(fs.existsSync('/etc/systemd/system/demo.service')).toBe(false);
  expect(hostMountsUnder(lab.dir)).toEqual([]);
});

test('starts a unit as its user, in its directory, with its environment file and runtime directory', async () => {
  expect(await systemctl('start', 'demo')).toMatchObject({ status: 0 });
  const s = demo()!;
  expect(s).toMatchObject({ state: 'active', subState: 'running' });
  const nobody = host.user('nobody')!;
  expect(Number(/^Uid:\s+([0-9]+)/m.exec(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'))![1])).toBe(nobody.uid);
  expect(fs.statSync(host.resolve('/run/demo')).uid).toBe(nobody.uid);
  const out = await poll(
    'the greeting',
    async () => (/hello lab uid=/.test(fs.readFileSync(s.logFile!, 'utf8')) ? fs.readFileSync(s.logFile!, 'utf8') : undefined),
    { timeoutMs: 5000 },
  );
  expect(out).toContain(`hello lab uid=${nobody.uid} cwd=/opt/demo`);
  expect(await systemctl('is-active', 'demo')).toMatchObject({ status: 0, stdout: 'active\n' });
});

test('reload sends SIGHUP to the main process', async () => {
  expect(await systemctl('reload', 'demo.service')).toMatchObject({ status: 0 });
  const log = demo()!.logFile!;
  await poll('reloaded', async () => (fs.readFileSync(log, 'utf8').includes('reloaded') ? true : undefined), { timeoutMs: 5000 });
});

test('Restart=on-failure restarts a killed service (bounded by the start limit)', async () => {
  const before = demo()!.pid!;
  expect(await systemctl('kill', '-s', 'KILL', 'demo')).toMatchObject({ status: 0 });
  const after = await poll(
    'a new main process',
    async () => {
      const s = demo();
      return s?.state === 'active' && s.pid !== undefined && s.pid !== before ? s : undefined;
    },
    { timeoutMs: 10_000 },
  );
  expect(after.restarts).toBe(1);
  expect(isRunning(before)).toBe(false);
});

test('a oneshot unit starts what it Requires first and stays active with RemainAfterExit', async () => {
  await systemctl('stop', 'demo');
  expect(await systemctl('start', 'setup.service')).toMatchObject({ status: 0 });
  expect(host.readFile('/opt/demo/seen')).toBe('active\n');
  expect(units.status().find((u) => u.name === 'setup.service')).toMatchObject({ state: 'active', subState: 'exited' });
});

test('stop ends the process and removes its runtime directory', async () => {
  const pid = demo()!.pid!;
  expect(await systemctl('stop', 'demo')).toMatchObject({ status: 0 });
  expect(demo()).toMatchObject({ state: 'inactive', pid: undefined });
  expect(isRunning(pid)).toBe(false);
  expect(host.exists('/run/demo')).toBe(false);
});

test('unknown units fail as with systemd; skipped units succeed with a note; enable and daemon-reload are no-ops', async () => {
  expect(await systemctl('start', 'nope')).toMatchObject({ status: 5, stderr: expect.stringContaining('Unit nope.service not found') });
  expect(await systemctl('restart', 'systemd-journald')).toMatchObject({
    status: 0,
    stderr: expect.stringContaining('skipped: no journald in the lab'),
  });
  expect(await systemctl('daemon-reload')).toMatchObject({ status: 0 });
  expect(await systemctl('enable', 'demo.service')).toMatchObject({ status: 0 });
  expect(await systemctl('enable', 'nope')).toMatchObject({ status: 1 });
});

test('a failing start reports the command and its output', async () => {
  host.writeFile(
    '/etc/systemd/system/broken.service',
    '[Service]\nExecStartPre=/bin/sh -c "echo no config >&2; exit 3"\nExecStart=/bin/sleep 60\n',
    0o644,
  );
  const r = await systemctl('start', 'broken');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/failed \(status 3\): no config/);
  expect(units.status().find((u) => u.name === 'broken.service')).toMatchObject({ state: 'failed' });
});

test('every service gets the lab environment (before its own Environment=)', async () => {
  host.writeFile(
    '/etc/systemd/system/envdemo.service',
    "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo $TIERFORM_LAB_MARK > /opt/demo/mark'\n",
    0o644,
  );
  expect(await systemctl('start', 'envdemo')).toMatchObject({ status: 0 });
  expect(host.readFile('/opt/demo/mark')).toBe('lab\n');
});

test('a package unit is read from the droplet /lib/systemd/system when no stand-in or droplet unit exists', async () => {
  host.writeFile(
    '/usr/lib/systemd/system/pkgdemo.service',
    "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo pkg > /opt/demo/pkg'\n",
    0o644,
  );
  expect(await systemctl('start', 'pkgdemo')).toMatchObject({ status: 0 });
  expect(host.readFile('/opt/demo/pkg')).toBe('pkg\n');
  expect(units.status().find((u) => u.name === 'pkgdemo.service')?.sources[0]).toMatch(/\/lib\/systemd\/system\/pkgdemo\.service \(package unit\)$/);
});

test('ConditionPathExists= that does not hold skips the start, which succeeds (as systemd)', async () => {
  host.writeFile(
    '/etc/systemd/system/conddemo.service',
    "[Unit]\nConditionPathExists=!/opt/demo/done\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo ran >> /opt/demo/cond'\n",
    0o644,
  );
  expect(await systemctl('start', 'conddemo')).toMatchObject({ status: 0 });
  host.writeFile('/opt/demo/done', '', 0o644);
  expect(await systemctl('start', 'conddemo')).toMatchObject({ status: 0 });
  expect(host.readFile('/opt/demo/cond')).toBe('ran\n');
});

test('start --no-block returns before the job ends; the job runs on', async () => {
  host.writeFile(
    '/etc/systemd/system/slowdemo.service',
    "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 1; echo done > /opt/demo/slow'\n",
    0o644,
  );
  const t0 = Date.now();
  expect(await systemctl('start', '--no-block', 'slowdemo')).toMatchObject({ status: 0 });
  expect(Date.now() - t0).toBeLessThan(900);
  await poll('the queued job to finish', async () => (host.readFile('/opt/demo/slow') === 'done\n' ? true : undefined), { timeoutMs: 10_000 });
});

test('a timer starts its service after OnActiveSec=, again every OnUnitActiveSec=, and stop disarms it', async () => {
  host.writeFile('/etc/systemd/system/tick.service', "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo tick >> /opt/demo/ticks'\n", 0o644);
  host.writeFile(
    '/etc/systemd/system/tick.timer',
    '[Timer]\nOnActiveSec=200ms\nOnUnitActiveSec=300ms\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n',
    0o644,
  );
  expect(await systemctl('enable', '--now', 'tick.timer')).toMatchObject({ status: 0 });
  expect(await systemctl('is-active', 'tick.timer')).toMatchObject({ status: 0, stdout: 'active\n' });
  await poll('three ticks', async () => ((host.readFile('/opt/demo/ticks') ?? '').split('\n').length > 3 ? true : undefined), { timeoutMs: 10_000 });
  expect(await systemctl('stop', 'tick.timer')).toMatchObject({ status: 0 });
  await sleep(500);
  const count = (host.readFile('/opt/demo/ticks') ?? '').split('\n').length;
  await sleep(800);
  expect((host.readFile('/opt/demo/ticks') ?? '').split('\n').length).toBe(count);
});

test('killUnit with restart held leaves a Restart=on-failure service down until the next start', async () => {
  expect(await systemctl('start', 'demo')).toMatchObject({ status: 0 });
  const pid = demo()!.pid!;
  expect(units.killUnit('demo', 'SIGKILL', { restart: false })).toBe(pid);
  await poll('the service down', async () => (demo()?.state === 'failed' ? true : undefined), { timeoutMs: 5000 });
  await sleep(500);
  expect(demo()).toMatchObject({ state: 'failed', pid: undefined });
  expect(await systemctl('start', 'demo')).toMatchObject({ status: 0 });
  expect(demo()).toMatchObject({ state: 'active' });
  await systemctl('stop', 'demo');
});

test('after a crash, ExecStop= and ExecStopPost= run (with the exit in their environment), then Restart= (as systemd)', async () => {
  // GIVEN: a service that records its stop commands, restarted on failure
  host.writeFile(
    '/etc/systemd/system/crashy.service',
    `[Service]
ExecStart=/bin/sh -c 'while :; do sleep 0.1; done'
ExecStop=/bin/sh -c 'echo stop >> /opt/demo/crashy.log'
ExecStopPost=/bin/sh -c 'echo "post $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" >> /opt/demo/crashy.log'
Restart=on-failure
RestartSec=100ms
`,
    0o644,
  );
  const log = () => host.readFile('/opt/demo/crashy.log') ?? '';
  const crashy = () => units.status().find((u) => u.name === 'crashy.service');
  expect(await systemctl('start', 'crashy')).toMatchObject({ status: 0 });
  // WHEN: killed with the restart held
  units.killUnit('crashy', 'SIGKILL', { restart: false });
  // THEN: both stop commands ran once, in order, and it stays down
  await poll('the stop commands', async () => (log().includes('post') ? true : undefined), { timeoutMs: 10_000 });
  expect(log()).toBe('stop\npost signal killed KILL\n');
  expect(crashy()).toMatchObject({ state: 'failed', pid: undefined });
  // WHEN: started, then killed without holding the restart
  expect(await systemctl('start', 'crashy')).toMatchObject({ status: 0 });
  const second = crashy()!.pid!;
  units.killUnit('crashy', 'SIGKILL');
  // THEN: the stop commands ran again before the restart
  const restarted = await poll(
    'a new main process',
    async () => {
      const s = crashy();
      return s?.state === 'active' && s.pid !== undefined && s.pid !== second ? s : undefined;
    },
    { timeoutMs: 10_000 },
  );
  expect(log()).toBe('stop\npost signal killed KILL\nstop\npost signal killed KILL\n');
  expect(restarted.restarts).toBe(1);
  await systemctl('stop', 'crashy');
}, 60_000);
