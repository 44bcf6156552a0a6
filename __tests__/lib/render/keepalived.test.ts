import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import {
  CHECK_HAPROXY_SCRIPT_PATH,
  DO_TOKEN_FILE,
  HAPROXY_STATE_DROP_IN_PATH,
  HAPROXY_STATE_FILE,
  HAPROXY_STATE_SCRIPT_PATH,
  KEEPALIVED_DROP_IN_PATH,
  KeepalivedConfOptions,
  RECONCILE_SERVICE_PATH,
  RECONCILE_TIMER_PATH,
  RESERVED_IP_ASSIGN_SCRIPT_PATH,
  ReservedIpAssignScriptOptions,
  TunnelScriptOptions,
  VRRP_TUNNEL_SCRIPT_PATH,
  VRRP_TUNNEL_UNIT_PATH,
  renderApiTokenFile,
  renderCheckHaproxyScript,
  renderHaproxyStateDropIn,
  renderHaproxyStateScript,
  renderKeepalivedConf,
  renderKeepalivedDropIn,
  renderReconcileService,
  renderReconcileTimer,
  renderReservedIpAssignScript,
  renderTunnelScript,
  renderTunnelUnit,
  vrrpTunnelAddresses,
} from '../../../lib/render/keepalived';
import { RenderError } from '../../../lib/render/guards';
import { checkFiles } from '../../helpers/check-files';
import { expectClean, makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';
import { resolveTokens } from '../../helpers/tokens';
import { sleep } from '../../helpers/processes';

// ---- shared fixtures -----------------------------------------------------------------------------------------

const RESERVED_IP = '203.0.113.10';
const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef';

function confOptions(overrides: Partial<KeepalivedConfOptions> = {}): KeepalivedConfOptions {
  return { routerId: 'foobar-lb-0', nodeIndex: 0, ...overrides };
}

/** The reserved IP as the construct layer passes it: a Terraform token until apply. */
function assignOptions(overrides: Partial<ReservedIpAssignScriptOptions> = {}): ReservedIpAssignScriptOptions {
  return { reservedIp: '${TfToken[TOKEN.7]}', nodeIndex: 0, ...overrides };
}

function tunnelOptions(overrides: Partial<TunnelScriptOptions> = {}): TunnelScriptOptions {
  return { nodeIndex: 0, peerDnsName: 'lb-1.internal.foobar.com', ...overrides };
}

/** Polls `probe` until it returns a value other than undefined/false; throws with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false, diag?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diag ? `\n${diag()}` : ''}`);
    }
    await sleep(100);
  }
}

// ---- processes and network namespaces this file creates (and only those are ever killed or deleted) -----------

const IP = requireTool('ip', 'iproute2');
const NODE = process.execPath;

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** JSON lines printed so far (other lines skipped). */
  records<T = Record<string, unknown>>(): T[];
  exited(): boolean;
}

const ownedNamespaces = new Set<string>();
const ownedProcs = new Set<Proc>();
/** Extra pids to stop (keepalived's VRRP child, read from its pid file), with the command name they must have. */
const ownedPids = new Map<number, string>();

function nsName(suffix: string): string {
  return `tfk${process.pid}${suffix}`;
}

function ipRun(args: readonly string[]): RunResult {
  const result = run(IP, args);
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.output}`);
  return result;
}

function addNamespace(suffix: string): string {
  const ns = nsName(suffix);
  ownedNamespaces.add(ns);
  ipRun(['netns', 'add', ns]);
  ipRun(['-n', ns, 'link', 'set', 'lo', 'up']);
  return ns;
}

/** Runs `command` inside `ns` synchronously. */
function nsRun(ns: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): RunResult {
  return run(IP, ['netns', 'exec', ns, command, ...args], { env: { ...process.env, ...env } });
}

/** Starts `command` inside `ns` (`ip netns exec` execs it, so the child's pid is the command's). */
function nsSpawn(name: string, ns: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(IP, ['netns', 'exec', ns, command, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const proc: Proc = {
    name,
    child,
    pid: child.pid,
    output: () => output,
    records: <T>() =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as T),
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
  ownedProcs.add(proc);
  return proc;
}

/** Runs `command` inside `ns` without blocking the event loop (servers in this process must keep answering). */
function nsRunAsync(
  ns: string | undefined,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<RunResult & { ms: number }> {
  const started = Date.now();
  const [cmd, argv] = ns === undefined ? [command, args] : [IP, ['netns', 'exec', ns, command, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, output: `${stdout}${stderr}`, ms: Date.now() - started });
    });
  });
}

function alive(pid: number, comm?: string): boolean {
  try {
    const actual = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && (comm === undefined || actual === comm);
  } catch {
    return false;
  }
}

async function stopProc(proc: Proc, graceMs = 5000): Promise<void> {
  if (!proc.exited()) {
    try {
      process.kill(proc.pid, 'SIGCONT');
      process.kill(proc.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + graceMs;
    while (!proc.exited() && Date.now() < deadline) await sleep(50);
    if (!proc.exited()) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  ownedProcs.delete(proc);
}

/** Everything this file started: its processes, then whatever still runs in its namespaces, then the namespaces. */
async function cleanupAll(): Promise<void> {
  await Promise.all([...ownedProcs].map((p) => stopProc(p)));
  cleanupSync();
}

/** Synchronous part of the cleanup, also run at process exit if a test run is interrupted. */
function cleanupSync(): void {
  for (const [pid, comm] of ownedPids) {
    if (alive(pid, comm)) process.kill(pid, 'SIGKILL');
    ownedPids.delete(pid);
  }
  for (const proc of ownedProcs) {
    if (!proc.exited()) process.kill(proc.pid, 'SIGKILL');
  }
  for (const ns of ownedNamespaces) {
    // Processes left in our namespaces (notify scripts, their curls) were started by this file.
    const pids = spawnSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync(IP, ['netns', 'del', ns]);
    fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    ownedNamespaces.delete(ns);
  }
}

process.on('exit', cleanupSync);
afterAll(cleanupAll, 30_000);

// ---- fake services (run with `node -e` inside a namespace) ---------------------------------------------------

/**
 * A fake DigitalOcean API and metadata service. Metadata answers the droplet id by the caller's source address,
 * as the real one answers per droplet. Every request is printed as a JSON line. Environment: PORT, TOKEN,
 * RESERVED_IP, DROPLETS (JSON: source address -> droplet id), HOLDER, FAIL_POSTS (first N assigns get 500),
 * POST_STATUS (every assign gets it), POST_DELAY_MS.
 */
const FAKE_API = `
const http = require('http');
const env = process.env;
const ids = JSON.parse(env.DROPLETS);
let holder = env.HOLDER ? Number(env.HOLDER) : null;
let failPosts = Number(env.FAIL_POSTS || 0);
const rec = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\\n');
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const from = req.socket.remoteAddress.replace(/^::ffff:/, '');
    const send = (status, obj) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
    if (req.method === 'GET' && req.url === '/metadata/v1/id') {
      rec({ kind: 'metadata', from });
      return res.end(String(ids[from]));
    }
    const auth = req.headers.authorization === 'Bearer ' + env.TOKEN;
    if (req.url === '/v2/reserved_ips/' + env.RESERVED_IP && req.method === 'GET') {
      rec({ kind: 'get', from, auth, holder });
      if (!auth) return send(401, { id: 'unauthorized', message: 'Unable to authenticate you' });
      const droplet = holder === null ? null : { id: holder, name: 'droplet-' + holder };
      return send(200, { reserved_ip: { ip: env.RESERVED_IP, droplet, region: { slug: 'fra1' }, locked: false } });
    }
    if (req.url === '/v2/reserved_ips/' + env.RESERVED_IP + '/actions' && req.method === 'POST') {
      let parsed = null;
      try { parsed = JSON.parse(body); } catch (e) { parsed = body; }
      const reply = () => {
        if (!auth) { rec({ kind: 'assign', from, auth, body: parsed, status: 401 }); return send(401, { id: 'unauthorized', message: 'Unable to authenticate you' }); }
        if (env.POST_STATUS) { rec({ kind: 'assign', from, auth, body: parsed, status: Number(env.POST_STATUS) }); return send(Number(env.POST_STATUS), { id: 'error', message: 'fake failure' }); }
        if (failPosts > 0) { failPosts--; rec({ kind: 'assign', from, auth, body: parsed, status: 500 }); return send(500, { id: 'server_error', message: 'Server was unable to give you a response.' }); }
        rec({ kind: 'assign', from, auth, body: parsed, contentType: req.headers['content-type'], status: 201, was: holder });
        holder = parsed.droplet_id;
        send(201, { action: { id: 1, status: 'in-progress', type: 'assign_ip', resource_type: 'reserved_ip' } });
      };
      return setTimeout(reply, Number(env.POST_DELAY_MS || 0));
    }
    rec({ kind: 'unknown', from, method: req.method, url: req.url });
    send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' });
  });
}).listen(Number(env.PORT), env.HOST || '0.0.0.0', () => rec({ kind: 'ready' }));
`;

/** HAProxy's health frontend stand-in: 200 on the monitor path, 404 elsewhere. */
const FAKE_HAPROXY_HEALTH = `
require('http').createServer((q, s) => { s.writeHead(q.url === process.env.HEALTH_PATH ? 200 : 404).end('ok'); })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('{"kind":"ready"}'));
`;

interface ApiRecord {
  readonly t: number;
  readonly kind: 'ready' | 'metadata' | 'get' | 'assign' | 'unknown';
  readonly from?: string;
  readonly auth?: boolean;
  readonly holder?: number | null;
  readonly body?: { type?: string; droplet_id?: number } | string;
  readonly status?: number;
  readonly contentType?: string;
}

async function startFakeApi(ns: string, port: number, env: NodeJS.ProcessEnv): Promise<Proc> {
  const api = nsSpawn('fake DigitalOcean API', ns, NODE, ['-e', FAKE_API], {
    PORT: String(port),
    TOKEN,
    RESERVED_IP,
    ...env,
  });
  await waitFor('the fake API', 10_000, () => api.records<ApiRecord>().some((r) => r.kind === 'ready'), api.output);
  return api;
}

// ---- keepalived.conf text ----------------------------------------------------------------------------------

describe('renderKeepalivedConf text', () => {
  test('VRRP is unicast inside the tunnel, between the fixed tunnel addresses', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain('    interface vrrp0\n');
    expect(conf).toContain('    unicast_src_ip 10.255.255.1\n    check_unicast_src\n    unicast_peer {\n        10.255.255.2\n    }\n');
  });

  test('node 1 mirrors node 0: its own tunnel address as source, node 0 as peer', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions({ nodeIndex: 1, routerId: 'foobar-lb-1' }));
    // THEN
    expect(conf).toContain('    unicast_src_ip 10.255.255.2\n');
    expect(conf).toContain('    unicast_peer {\n        10.255.255.1\n    }\n');
    expect(conf).toContain('    router_id foobar-lb-1\n');
  });

  test('node 0 has the higher priority; both start BACKUP and never preempt', () => {
    // GIVEN / WHEN
    const [node0, node1] = ([0, 1] as const).map((nodeIndex) => renderKeepalivedConf(confOptions({ nodeIndex })));
    // THEN
    expect(node0).toContain('    priority 150\n');
    expect(node1).toContain('    priority 100\n');
    for (const conf of [node0, node1]) {
      expect(conf).toContain('    state BACKUP\n    nopreempt\n');
      expect(conf).not.toMatch(/state MASTER|preempt_delay/);
    }
  });

  test('VRRPv3 without an authentication block', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain('    vrrp_version 3\n');
    expect(conf).not.toMatch(/^\s*(authentication|auth_type|auth_pass)\b/m);
  });

  test('the only virtual address is the master marker, a /32 on the tunnel', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain('    virtual_ipaddress {\n        10.255.255.6/32 dev vrrp0\n    }\n');
    expect(conf.match(/virtual_ipaddress/g)).toHaveLength(1);
  });

  test('HAProxy health is tracked with the default interval, timeout, fall and rise', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain(
      `vrrp_script chk_haproxy {\n    script "${CHECK_HAPROXY_SCRIPT_PATH}"\n    interval 1\n    timeout 2\n    fall 2\n    rise 2\n}\n`,
    );
    expect(conf).toContain('    track_script {\n        chk_haproxy\n    }\n');
  });

  test('a stopped or crashed HAProxy is tracked through the file haproxy.service writes (any value but 0: FAULT)', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain(`track_file haproxy_stopped {\n    file "${HAPROXY_STATE_FILE}"\n    weight 0\n    init_file 0\n}\n`);
    expect(conf).toContain('    track_file {\n        haproxy_stopped\n    }\n');
    expect(conf).not.toContain('track_process');
  });

  test('VRRP adverts every 0.2 s by default (a dead master is replaced after about 0.7 s); the interval is an option', () => {
    // GIVEN / WHEN / THEN
    expect(renderKeepalivedConf(confOptions())).toContain('    advert_int 0.2\n');
    expect(renderKeepalivedConf(confOptions({ advertIntervalSeconds: 1 }))).toContain('    advert_int 1\n');
    expect(renderKeepalivedConf(confOptions({ advertIntervalSeconds: 0.05 }))).toContain('    advert_int 0.05\n');
  });

  test.each([0, 0.005, 0.125, 41, Number.NaN])(
    'throws if the advert interval is %p (VRRPv3: 0.01 to 40.95 s in centiseconds)',
    (advertIntervalSeconds) => {
      // GIVEN / WHEN / THEN
      expect(() => renderKeepalivedConf(confOptions({ advertIntervalSeconds }))).toThrow(/advertIntervalSeconds/);
    },
  );

  test('health check timing follows the options', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions({ checkIntervalSeconds: 3, checkTimeoutSeconds: 4, checkFall: 5, checkRise: 6 }));
    // THEN
    expect(conf).toContain('    interval 3\n    timeout 4\n    fall 5\n    rise 6\n');
  });

  test('becoming master, and hearing a lower-priority master, both run the assign script', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain(`    notify_master "${RESERVED_IP_ASSIGN_SCRIPT_PATH} master"\n`);
    expect(conf).toContain(`    notify_master_rx_lower_pri "${RESERVED_IP_ASSIGN_SCRIPT_PATH} rx-lower-pri"\n`);
    expect(conf).toMatch(/^ {4}notify_backup "\/usr\/bin\/logger .*"$/m);
    expect(conf).toMatch(/^ {4}notify_fault "\/usr\/bin\/logger .*"$/m);
  });

  test('scripts run as root with script security', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions());
    // THEN
    expect(conf).toContain('    enable_script_security\n    script_user root\n');
  });

  test('a custom tunnel subnet and interface move every tunnel address', () => {
    // GIVEN / WHEN
    const conf = renderKeepalivedConf(confOptions({ nodeIndex: 1, cidr: '172.31.255.16/28', interfaceName: 'vrrp7', virtualRouterId: 9 }));
    // THEN
    expect(conf).toContain('    interface vrrp7\n    virtual_router_id 9\n');
    expect(conf).toContain('    unicast_src_ip 172.31.255.18\n');
    expect(conf).toContain('        172.31.255.17\n');
    expect(conf).toContain('        172.31.255.30/32 dev vrrp7\n');
  });

  test('output is deterministic', () => {
    // GIVEN / WHEN / THEN
    expect(renderKeepalivedConf(confOptions())).toBe(renderKeepalivedConf(confOptions()));
  });

  test('throws if routerId would inject configuration', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderKeepalivedConf(confOptions({ routerId: 'lb }\nvrrp_instance x {' }))).toThrow(/'routerId' must be one word/);
  });

  test('throws if the tunnel subnet has no room for the master marker', () => {
    // GIVEN / WHEN / THEN
    expect(() => vrrpTunnelAddresses({ nodeIndex: 0, cidr: '10.255.255.0/30' })).toThrow(
      '\'cidr\' must be a /29 or wider (two nodes and the master marker), got "10.255.255.0/30"',
    );
  });
});

// ---- script and unit text ----------------------------------------------------------------------------------

describe('script and unit text', () => {
  test('assign script: the reserved IP token is inserted verbatim', () => {
    // GIVEN / WHEN
    const script = renderReservedIpAssignScript(assignOptions());
    // THEN
    expect(script).toContain("readonly RESERVED_IP='${TfToken[TOKEN.7]}'\n");
  });

  test('assign script: the token reaches curl on stdin (-K -), not in its arguments', () => {
    // GIVEN / WHEN
    const script = renderReservedIpAssignScript(assignOptions());
    // THEN
    expect(script).toContain('-X "$method" -K -)');
    expect(script).toContain('<<<"header = \\"Authorization: Bearer $TOKEN\\""');
    expect(script.match(/\$TOKEN(?![A-Z_])/g)).toHaveLength(2); // the check of its form and the here-string
  });

  test('assign script: the API, metadata, token file and lock can be redirected for labs and tests', () => {
    // GIVEN / WHEN
    const script = renderReservedIpAssignScript(assignOptions());
    // THEN
    expect(script).toContain('readonly API="${TIERFORM_DO_API:-https://api.digitalocean.com}"\n');
    expect(script).toContain('readonly METADATA_URL="${TIERFORM_METADATA_URL:-http://169.254.169.254/metadata/v1}"\n');
    expect(script).toContain('readonly TOKEN_FILE="${TIERFORM_DO_TOKEN_FILE:-/etc/tierform/do-token}"\n');
    expect(script).toContain('readonly LOCK_FILE="${TIERFORM_LOCK_FILE:-/run/tierform-reserved-ip.lock}"\n');
  });

  test('assign script: throws if the reserved IP would break out of its quotes', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderReservedIpAssignScript(assignOptions({ reservedIp: "1.2.3.4'; rm -rf /; '" }))).toThrow(
      /^'reservedIp' must be non-empty without single quotes, backslashes or line breaks, got /,
    );
  });

  test('tunnel script: the peer DNS name, VNI, port and MTU are rendered', () => {
    // GIVEN / WHEN
    const script = renderTunnelScript(tunnelOptions({ peerDnsName: '${TfToken[TOKEN.9]}', vni: 77, udpPort: 4790, mtu: 1400 }));
    // THEN
    expect(script).toContain("readonly PEER_NAME='${TfToken[TOKEN.9]}'\n");
    expect(script).toContain('readonly VNI=77\nreadonly UDP_PORT=4790\nreadonly MTU=1400\n');
    expect(script).toContain("readonly TUNNEL_ADDRESS='10.255.255.1/29'\n");
  });

  test('check script: asks HAProxy on loopback with a one-second limit', () => {
    // GIVEN / WHEN
    const script = renderCheckHaproxyScript();
    // THEN
    expect(script).toContain("exec curl -fsS -o /dev/null --max-time 1 --noproxy '*' 'http://127.0.0.1:8405/tierform-lb-health'\n");
  });

  test('HAProxy state: haproxy.service reports its starts and its main process exits (a crash too) to keepalived', () => {
    // GIVEN / WHEN
    const dropIn = renderHaproxyStateDropIn();
    const script = renderHaproxyStateScript();
    // THEN
    expect(HAPROXY_STATE_DROP_IN_PATH).toMatch(/^\/etc\/systemd\/system\/haproxy\.service\.d\/.+\.conf$/);
    expect(dropIn).toContain(`[Service]\nExecStartPost=-${HAPROXY_STATE_SCRIPT_PATH} started\nExecStopPost=-${HAPROXY_STATE_SCRIPT_PATH} stopped\n`);
    expect(script).toContain(`readonly STATE_FILE="\${TIERFORM_HAPROXY_STATE_FILE:-${HAPROXY_STATE_FILE}}"`);
  });

  test('tunnel unit: a oneshot that stays active, ordered before keepalived and after the network', () => {
    // GIVEN / WHEN
    const unit = renderTunnelUnit();
    // THEN
    expect(unit).toContain('Wants=network-online.target\nAfter=network-online.target\nBefore=keepalived.service\n');
    expect(unit).toContain(`Type=oneshot\nRemainAfterExit=yes\nExecStart=${VRRP_TUNNEL_SCRIPT_PATH} up\nExecStop=${VRRP_TUNNEL_SCRIPT_PATH} down\n`);
  });

  test('keepalived drop-in: keepalived requires the tunnel and starts after it', () => {
    // GIVEN / WHEN
    const dropIn = renderKeepalivedDropIn();
    // THEN
    expect(dropIn).toContain('[Unit]\nRequires=tierform-vrrp-tunnel.service\nAfter=tierform-vrrp-tunnel.service\n');
  });

  test("keepalived drop-in: the state file's directory exists before keepalived starts watching it", () => {
    // GIVEN / WHEN
    const dropIn = renderKeepalivedDropIn();
    // THEN
    expect(HAPROXY_STATE_FILE).toBe('/run/tierform/haproxy-stopped');
    expect(dropIn).toContain('[Service]\n');
    expect(dropIn).toContain('ExecStartPre=/bin/mkdir -p /run/tierform\n');
  });

  test('reconcile timer: runs the reconcile service every intervalSeconds', () => {
    // GIVEN / WHEN
    const timer = renderReconcileTimer({ intervalSeconds: 20 });
    // THEN
    expect(timer).toContain('OnUnitActiveSec=20s\n');
    expect(renderReconcileService()).toContain(`ExecStart=${RESERVED_IP_ASSIGN_SCRIPT_PATH} reconcile\n`);
  });
});

// ---- shellcheck --------------------------------------------------------------------------------------------

describe('shellcheck finds nothing in the scripts', () => {
  // As on the droplet: Terraform has replaced the tokens (a token text in single quotes is an SC2016 info).
  const scripts: Array<[string, string]> = [
    ['assign, node 0', resolveTokens(renderReservedIpAssignScript(assignOptions()), RESERVED_IP)],
    [
      'assign, node 1, custom tunnel',
      resolveTokens(renderReservedIpAssignScript(assignOptions({ nodeIndex: 1, interfaceName: 'vrrp7', cidr: '172.31.255.16/28' })), RESERVED_IP),
    ],
    ['tunnel', renderTunnelScript(tunnelOptions())],
    ['tunnel, node 1', renderTunnelScript(tunnelOptions({ nodeIndex: 1, peerDnsName: 'lb-0.internal.foobar.com' }))],
    ['check', renderCheckHaproxyScript()],
    ['haproxy state', renderHaproxyStateScript()],
  ];

  function shellcheck(script: string): RunResult {
    const bin = requireTool('shellcheck', 'shellcheck');
    const tmp = makeTempDir('keepalived-shellcheck');
    try {
      return run(bin, ['--norc', writeFile(tmp.dir, 'script', script, 0o755)]);
    } finally {
      tmp.cleanup();
    }
  }

  test.each(scripts)('%s', (_name, script) => {
    // GIVEN / WHEN
    const result = shellcheck(script);
    // THEN
    expectClean(result);
  });

  test('the check fails on a script with a finding', () => {
    // GIVEN
    const script = renderTunnelScript(tunnelOptions()).replace('remote "$remote" dstport', 'remote $remote dstport');
    expect(script).toContain('remote $remote dstport');
    // WHEN
    const result = shellcheck(script);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('SC2086');
  });
});

// ---- systemd-analyze verify ------------------------------------------------------------------------------

describe('systemd-analyze verify accepts the units', () => {
  let tmp: { dir: string; cleanup: () => void };
  let unitDir: string;

  /** Our units in a unit directory; ExecStart= scripts point at executable copies (verify checks them). */
  function writeUnits(extraDropIn = ''): void {
    unitDir = path.join(tmp.dir, `units-${Math.random().toString(36).slice(2)}`);
    const sbin = path.join(tmp.dir, 'sbin');
    for (const script of [VRRP_TUNNEL_SCRIPT_PATH, RESERVED_IP_ASSIGN_SCRIPT_PATH, HAPROXY_STATE_SCRIPT_PATH]) {
      writeFile(sbin, path.basename(script), '#!/bin/sh\n', 0o755);
    }
    const rebase = (text: string) => text.split('/usr/local/sbin/').join(`${sbin}/`);
    for (const [file, text] of [
      [VRRP_TUNNEL_UNIT_PATH, renderTunnelUnit()],
      [RECONCILE_SERVICE_PATH, renderReconcileService()],
      [RECONCILE_TIMER_PATH, renderReconcileTimer()],
      [KEEPALIVED_DROP_IN_PATH, renderKeepalivedDropIn() + extraDropIn],
      [HAPROXY_STATE_DROP_IN_PATH, renderHaproxyStateDropIn()],
    ] as const) {
      writeFile(unitDir, path.relative('/etc/systemd/system', file), rebase(text));
    }
  }

  function verify(unit: string): RunResult {
    const analyze = requireTool('systemd-analyze', 'systemd');
    // Our directory ahead of the system's (the trailing ':' keeps those, with the packaged keepalived.service).
    return run(analyze, ['verify', unit], { env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitDir}:` } });
  }

  beforeAll(() => {
    tmp = makeTempDir('keepalived-units');
    writeUnits();
  });
  afterAll(() => tmp.cleanup());

  test.each(['tierform-vrrp-tunnel.service', 'tierform-reserved-ip-reconcile.service', 'tierform-reserved-ip-reconcile.timer'])('%s', (unit) => {
    // GIVEN (beforeAll) / WHEN
    const result = verify(path.join(unitDir, unit));
    // THEN: verify exits 0 on unknown keys, so an empty stderr is the verdict
    expectClean(result);
  });

  test('keepalived.service with our drop-in (the packaged unit from the keepalived package)', () => {
    // GIVEN
    requireTool('keepalived', 'keepalived');
    // WHEN
    const result = verify('keepalived.service');
    // THEN
    expectClean(result);
  });

  test('haproxy.service with our drop-in (the packaged unit from the haproxy package)', () => {
    // GIVEN
    requireTool('haproxy', 'haproxy');
    // WHEN
    const result = verify('haproxy.service');
    // THEN
    expectClean(result);
  });

  test('the check reads the drop-in: a bad key in it is reported', () => {
    // GIVEN
    writeUnits('\n[Unit]\nTierformCanary=1\n');
    // WHEN
    const result = verify('keepalived.service');
    // THEN
    expect(result.stderr).toContain("Unknown key 'TierformCanary'");
    writeUnits();
  });
});

// ---- keepalived -t -----------------------------------------------------------------------------------------

describe('keepalived -t accepts the rendered file without warnings', () => {
  /** One namespace per tunnel variant, with the tunnel interface up (keepalived -t needs the interface). */
  const checkNamespaces = new Map<string, string>();
  let tmp: { dir: string; cleanup: () => void };

  function checkNamespace(o: TunnelScriptOptions): string {
    const key = JSON.stringify([o.nodeIndex, o.interfaceName, o.cidr]);
    const existing = checkNamespaces.get(key);
    if (existing) return existing;
    const ns = addNamespace(`c${checkNamespaces.size}`);
    const script = writeFile(tmp.dir, `tunnel-${checkNamespaces.size}`, renderTunnelScript(o), 0o755);
    const netEnv = writeFile(tmp.dir, `net-${checkNamespaces.size}.env`, 'TIERFORM_PRIVATE_IP=10.77.1.1\n');
    const up = nsRun(ns, script, ['up'], { TIERFORM_NET_ENV: netEnv, TIERFORM_PEER_ADDRESS: '10.77.1.2' });
    if (up.status !== 0) throw new Error(`tunnel up failed: ${up.output}`);
    checkNamespaces.set(key, ns);
    return ns;
  }

  /**
   * keepalived -t checks that the scripts exist, are executable and that only root can change them: the
   * /usr/local/sbin paths point at copies of the rendered scripts (each path must be present).
   */
  function keepalivedCheck(conf: string, o: TunnelScriptOptions = tunnelOptions()): RunResult {
    const keepalived = requireTool('keepalived', 'keepalived');
    const ns = checkNamespace(o);
    for (const [script, text] of [
      [CHECK_HAPROXY_SCRIPT_PATH, renderCheckHaproxyScript()],
      [RESERVED_IP_ASSIGN_SCRIPT_PATH, resolveTokens(renderReservedIpAssignScript(assignOptions({ nodeIndex: o.nodeIndex })), RESERVED_IP)],
    ]) {
      expect(conf).toContain(script);
      conf = conf.split(script).join(writeFile(tmp.dir, path.basename(script), text, 0o755));
    }
    const file = writeFile(tmp.dir, 'keepalived.conf', conf);
    // -l: messages to the console (there is no syslog here), -D: detailed; -t: check and exit (5 on any finding).
    return nsRun(ns, keepalived, ['-t', '-l', '-D', '-f', file]);
  }

  beforeAll(() => {
    tmp = makeTempDir('keepalived-check');
  });
  afterAll(() => tmp.cleanup());

  test.each([0, 1] as const)('node %i with default options', (nodeIndex) => {
    // GIVEN
    const conf = renderKeepalivedConf(confOptions({ nodeIndex }));
    // WHEN
    const result = keepalivedCheck(conf, tunnelOptions({ nodeIndex }));
    // THEN
    expectClean(result);
  });

  test('custom tunnel, router id and timing', () => {
    // GIVEN
    const tunnel = { interfaceName: 'vrrp7', cidr: '172.31.255.16/28' };
    const conf = renderKeepalivedConf(
      confOptions({ ...tunnel, nodeIndex: 1, virtualRouterId: 200, advertIntervalSeconds: 2, checkIntervalSeconds: 2, checkFall: 3, checkRise: 5 }),
    );
    // WHEN
    const result = keepalivedCheck(conf, tunnelOptions({ ...tunnel, nodeIndex: 1 }));
    // THEN
    expectClean(result);
  });

  test('the check fails on a broken file', () => {
    // GIVEN
    const conf = renderKeepalivedConf(confOptions()).replace('nopreempt', 'no_preempt_please');
    // WHEN
    const result = keepalivedCheck(conf);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("Unknown keyword 'no_preempt_please'");
  });

  test('the check fails without a virtual address: why the master marker exists', () => {
    // GIVEN
    const conf = renderKeepalivedConf(confOptions()).replace(/ {4}virtual_ipaddress \{\n[^}]*\}\n/, '');
    // WHEN
    const result = keepalivedCheck(conf);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('No VIP specified; at least one is required');
  });

  test('the check reports warnings: an authentication block is ignored by VRRPv3', () => {
    // GIVEN
    const conf = renderKeepalivedConf(confOptions()).replace(
      '    advert_int 0.2\n',
      '    advert_int 0.2\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n',
    );
    // WHEN
    const result = keepalivedCheck(conf);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('VRRP version 3 does not support authentication');
  });
});

// ---- the HAProxy check script (host loopback, servers in this process) ------------------------------------------

describe('the HAProxy check script', () => {
  let tmp: { dir: string; cleanup: () => void };
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];

  beforeAll(() => {
    tmp = makeTempDir('keepalived-check-script');
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    for (const server of servers) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    tmp.cleanup();
  });

  async function listen(server: net.Server): Promise<number> {
    servers.push(server);
    server.on('connection', (socket: net.Socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  async function check(port: number): Promise<RunResult & { ms: number }> {
    const script = writeFile(tmp.dir, `check-${port}`, renderCheckHaproxyScript({ port }), 0o755);
    return nsRunAsync(undefined, script, [], {}, 10_000);
  }

  test('healthy when HAProxy answers 200 on the monitor path', async () => {
    // GIVEN
    const paths: string[] = [];
    const port = await listen(http.createServer((req, res) => (paths.push(req.url ?? ''), res.writeHead(200).end('ok'))));
    // WHEN
    const result = await check(port);
    // THEN
    expect(result.status).toBe(0);
    expect(paths).toEqual(['/tierform-lb-health']);
  });

  test('unhealthy when HAProxy answers 503 (monitor fail: no web server up)', async () => {
    // GIVEN
    const port = await listen(http.createServer((_req, res) => res.writeHead(503).end('down')));
    // WHEN
    const result = await check(port);
    // THEN
    expect(result.status).not.toBe(0);
  });

  test('unhealthy within about a second when HAProxy accepts but never answers (hung)', async () => {
    // GIVEN
    const port = await listen(net.createServer(() => undefined));
    // WHEN
    const result = await check(port);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.ms).toBeLessThan(2500);
  });

  test('unhealthy when nothing listens (HAProxy dead)', async () => {
    // GIVEN
    const port = await listen(net.createServer());
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    // WHEN
    const result = await check(port);
    // THEN
    expect(result.status).not.toBe(0);
  });
});

// ---- the tunnel script, in a namespace of its own ----------------------------------------------------------

describe('the tunnel script', () => {
  let tmp: { dir: string; cleanup: () => void };
  let ns: string;
  let netEnv: string;

  interface LinkJson {
    ifindex: number;
    mtu: number;
    flags: string[];
    linkinfo: { info_kind: string; info_data: { id: number; remote: string; local: string; port: number; learning: boolean } };
    addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  }

  function link(name = 'vrrp0'): LinkJson | undefined {
    const result = run(IP, ['-n', ns, '-d', '-j', 'addr', 'show', 'dev', name]);
    return result.status === 0 ? (JSON.parse(result.stdout) as LinkJson[])[0] : undefined;
  }

  function tunnel(args: string[], env: NodeJS.ProcessEnv, o: Partial<TunnelScriptOptions> = {}): RunResult {
    const script = writeFile(tmp.dir, 'tunnel', renderTunnelScript(tunnelOptions(o)), 0o755);
    return nsRun(ns, script, args, { TIERFORM_NET_ENV: netEnv, ...env });
  }

  beforeAll(() => {
    tmp = makeTempDir('keepalived-tunnel');
    ns = addNamespace('t');
    // The droplet's VPC interface with its address (getent ahostsv4 finds nothing without one: AI_ADDRCONFIG).
    ipRun(['-n', ns, 'link', 'add', 'vpc0', 'type', 'veth', 'peer', 'name', 'vpc1']);
    ipRun(['-n', ns, 'addr', 'add', '10.77.9.1/24', 'dev', 'vpc0']);
    ipRun(['-n', ns, 'link', 'set', 'vpc0', 'up']);
    netEnv = writeFile(tmp.dir, 'net.env', 'TIERFORM_PRIVATE_IP=10.77.9.1\n');
    // `ip netns exec` bind-mounts these over /etc/hosts and /etc/resolv.conf: names resolve without the network.
    writeFile(`/etc/netns/${ns}`, 'hosts', '127.0.0.1 localhost\n10.77.9.2 lb-1.internal.foobar.com\n');
    writeFile(`/etc/netns/${ns}`, 'resolv.conf', 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  });
  afterAll(() => tmp.cleanup());

  test('up creates the VXLAN link to the peer with the tunnel address, MTU and no learning', () => {
    // GIVEN / WHEN
    const result = tunnel(['up'], { TIERFORM_PEER_ADDRESS: '10.77.9.2' });
    // THEN
    expect(result.status).toBe(0);
    expect(link()).toMatchObject({
      mtu: 1450,
      flags: expect.arrayContaining(['UP']),
      linkinfo: { info_kind: 'vxlan', info_data: { id: 4242, remote: '10.77.9.2', local: '10.77.9.1', port: 4789, learning: false } },
      addr_info: expect.arrayContaining([expect.objectContaining({ family: 'inet', local: '10.255.255.1', prefixlen: 29 })]),
    });
  });

  test('up again leaves a matching link alone (same interface index)', () => {
    // GIVEN
    tunnel(['up'], { TIERFORM_PEER_ADDRESS: '10.77.9.2' });
    const before = link()?.ifindex;
    // WHEN
    const result = tunnel(['up'], { TIERFORM_PEER_ADDRESS: '10.77.9.2' });
    // THEN
    expect(result.status).toBe(0);
    expect(link()?.ifindex).toBe(before);
  });

  test('up recreates the link when the peer address changed', () => {
    // GIVEN
    tunnel(['up'], { TIERFORM_PEER_ADDRESS: '10.77.9.2' });
    // WHEN
    const result = tunnel(['up'], { TIERFORM_PEER_ADDRESS: '10.77.9.3' });
    // THEN
    expect(result.status).toBe(0);
    expect(link()?.linkinfo.info_data.remote).toBe('10.77.9.3');
    expect(result.stderr).toContain('recreating it');
  });

  test('up resolves the peer by its DNS name', () => {
    // GIVEN
    tunnel(['down'], {});
    // WHEN
    const result = tunnel(['up'], {});
    // THEN
    expect(result.status).toBe(0);
    expect(link()?.linkinfo.info_data.remote).toBe('10.77.9.2');
  });

  test('up gives up within its bound when the peer name does not resolve', () => {
    // GIVEN
    tunnel(['down'], {});
    const started = Date.now();
    // WHEN
    const result = tunnel(['up'], {}, { peerDnsName: 'lb-9.internal.invalid', resolveTimeoutSeconds: 2 });
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('lb-9.internal.invalid did not resolve within 2s');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(link()).toBeUndefined();
  });

  test('up refuses to run without net.env', () => {
    // GIVEN / WHEN
    const result = tunnel(['up'], { TIERFORM_NET_ENV: path.join(tmp.dir, 'missing.env'), TIERFORM_PEER_ADDRESS: '10.77.9.2' });
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('missing.env is missing');
  });

  test('down removes the link', () => {
    // GIVEN
    tunnel(['up'], { TIERFORM_PEER_ADDRESS: '10.77.9.2' });
    // WHEN
    const result = tunnel(['down'], {});
    // THEN
    expect(result.status).toBe(0);
    expect(link()).toBeUndefined();
  });
});

// ---- the assign script against a fake API, in a namespace of its own ----------------------------------------

describe('the reserved IP assign script', () => {
  let tmp: { dir: string; cleanup: () => void };
  let ns: string;
  let port = 18000;
  const MARKER = '10.255.255.6/32';

  beforeAll(() => {
    tmp = makeTempDir('keepalived-assign');
    ns = addNamespace('s');
    // The tunnel interface with this node's address; tests add or remove the master marker.
    ipRun(['-n', ns, 'link', 'add', 'vrrp0', 'type', 'vxlan', 'id', '1', 'local', '10.77.8.1', 'remote', '10.77.8.2', 'dstport', '4789']);
    ipRun(['-n', ns, 'addr', 'add', '10.255.255.1/29', 'dev', 'vrrp0']);
    ipRun(['-n', ns, 'link', 'set', 'vrrp0', 'up']);
    writeFile(tmp.dir, 'token', `${TOKEN}\n`, 0o600);
  });
  afterAll(() => tmp.cleanup());

  /** This namespace's tunnel address (the marker goes too; tests set it again). */
  function setTunnelAddress(cidr: string): void {
    ipRun(['-n', ns, 'addr', 'flush', 'dev', 'vrrp0', 'scope', 'global']);
    ipRun(['-n', ns, 'addr', 'add', cidr, 'dev', 'vrrp0']);
  }

  function setMaster(master: boolean): void {
    const has = run(IP, ['-n', ns, '-o', 'addr', 'show', 'dev', 'vrrp0', 'to', MARKER]).stdout.includes('inet');
    if (master && !has) ipRun(['-n', ns, 'addr', 'add', MARKER, 'dev', 'vrrp0']);
    if (!master && has) ipRun(['-n', ns, 'addr', 'del', MARKER, 'dev', 'vrrp0']);
  }

  interface Scenario {
    readonly api: Proc;
    run(args?: string[], env?: NodeJS.ProcessEnv): Promise<RunResult & { ms: number }>;
    /** API records after the run (the API prints before it answers; give the pipe a moment). */
    records(): Promise<ApiRecord[]>;
  }

  async function scenario(apiEnv: NodeJS.ProcessEnv, o: Partial<ReservedIpAssignScriptOptions> = {}): Promise<Scenario> {
    port += 1;
    const api = await startFakeApi(ns, port, { HOST: '127.0.0.1', DROPLETS: JSON.stringify({ '127.0.0.1': 1001 }), ...apiEnv });
    const script = writeFile(tmp.dir, `assign-${port}`, resolveTokens(renderReservedIpAssignScript(assignOptions(o)), RESERVED_IP), 0o755);
    const env = {
      TIERFORM_DO_API: `http://127.0.0.1:${port}`,
      TIERFORM_METADATA_URL: `http://127.0.0.1:${port}/metadata/v1`,
      TIERFORM_DO_TOKEN_FILE: path.join(tmp.dir, 'token'),
      TIERFORM_LOCK_FILE: path.join(tmp.dir, 'lock'),
    };
    return {
      api,
      run: (args = [], extra = {}) => nsRunAsync(ns, script, args, { ...env, ...extra }),
      records: async () => {
        await sleep(150);
        return api.records<ApiRecord>().filter((r) => r.kind !== 'ready');
      },
    };
  }

  afterEach(async () => {
    for (const proc of [...ownedProcs].filter((p) => p.name === 'fake DigitalOcean API')) await stopProc(proc);
  });

  test('assigns the reserved IP to this droplet with the token as a bearer header', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002' });
    // WHEN
    const result = await s.run();
    // THEN
    expect(result.status).toBe(0);
    expect((await s.records()).filter((r) => r.kind === 'assign')).toEqual([
      expect.objectContaining({ auth: true, body: { type: 'assign', droplet_id: 1001 }, contentType: 'application/json', status: 201 }),
    ]);
    expect(result.stderr).toContain('[master] assigned 203.0.113.10 to this droplet (1001; it was on an unknown or no droplet), HTTP 201');
    expect(result.output).not.toContain(TOKEN);
  });

  test('a new master assigns at once: no status call before the assign call', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002' });
    // WHEN
    const result = await s.run(['master']);
    // THEN
    expect(result.status).toBe(0);
    expect((await s.records()).map((r) => r.kind)).toEqual(['metadata', 'assign']);
  });

  test("takes this droplet's id from net.env when it is there: no metadata call either", async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002' });
    const netEnv = writeFile(tmp.dir, 'net.env', 'TIERFORM_PRIVATE_IP=10.77.8.1\nTIERFORM_PUBLIC_IP=203.0.113.50\nTIERFORM_DROPLET_ID=1001\n');
    // WHEN
    const result = await s.run(['master'], { TIERFORM_NET_ENV: netEnv });
    // THEN
    expect(result.status).toBe(0);
    expect((await s.records()).map((r) => [r.kind, r.kind === 'assign' ? (r.body as { droplet_id: number }).droplet_id : undefined])).toEqual([
      ['assign', 1001],
    ]);
  });

  test.each(['rx-lower-pri', 'reconcile'])('%s: skips the assign call when the IP is already on this droplet', async (trigger) => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1001' });
    // WHEN
    const result = await s.run([trigger]);
    // THEN
    expect(result.status).toBe(0);
    expect((await s.records()).map((r) => r.kind)).toEqual(['metadata', 'get']);
  });

  test('master: after a failed assign call, the retry asks first and stops when the IP is already here', async () => {
    // GIVEN: the first assign fails (500); the IP is on this droplet by then
    setMaster(true);
    const s = await scenario({ HOLDER: '1001', FAIL_POSTS: '1' }, { firstRetryDelayMs: 100 });
    // WHEN
    const result = await s.run(['master']);
    // THEN
    expect(result.status).toBe(0);
    expect((await s.records()).map((r) => r.kind)).toEqual(['metadata', 'assign', 'get']);
    expect(result.stderr).toContain('203.0.113.10 is already assigned to this droplet (1001)');
  });

  test('the token never appears in any process argv while curl talks to the API', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002', POST_DELAY_MS: '1500' });
    // WHEN: the assign call is held open for 1.5 s; meanwhile every process's argv is read
    const running = s.run();
    const seen = await waitFor('curl calling the actions endpoint', 10_000, () => {
      const argvs = fs
        .readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map((pid) => {
          try {
            return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
          } catch {
            return '';
          }
        });
      return argvs.some((a) => a.includes('curl') && a.includes('/actions')) ? argvs : undefined;
    });
    const result = await running;
    // THEN
    expect(result.status).toBe(0);
    expect(seen.filter((a) => a.includes(TOKEN))).toEqual([]);
  });

  test('retries failed assign calls with growing, jittered pauses', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002', FAIL_POSTS: '2' }, { firstRetryDelayMs: 400 });
    // WHEN
    const result = await s.run();
    // THEN
    expect(result.status).toBe(0);
    const posts = (await s.records()).filter((r) => r.kind === 'assign');
    expect(posts.map((r) => r.status)).toEqual([500, 500, 201]);
    // Pauses are half the delay plus up to the other half: 200-400 ms, then 400-800 ms.
    expect(posts[1].t - posts[0].t).toBeGreaterThanOrEqual(200);
    expect(posts[2].t - posts[1].t).toBeGreaterThanOrEqual(400);
  });

  test('exits non-zero after the last failed attempt', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002', POST_STATUS: '500' }, { maxAttempts: 3, firstRetryDelayMs: 100 });
    // WHEN
    const result = await s.run();
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('giving up after 3 attempts');
    expect((await s.records()).filter((r) => r.kind === 'assign')).toHaveLength(3);
  });

  test('stops retrying when the next attempt would pass maxSeconds', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002', POST_STATUS: '503' }, { maxSeconds: 1, firstRetryDelayMs: 4000 });
    // WHEN
    const result = await s.run();
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the next one would start after 1s');
    expect(result.ms).toBeLessThan(3000);
  });

  test('gives up at once when the API refuses the token', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002', TOKEN: 'dop_v1_other' });
    // WHEN
    const result = await s.run();
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('HTTP 401 cannot be fixed by retrying');
    expect((await s.records()).filter((r) => r.kind === 'assign')).toHaveLength(1);
  });

  test('does nothing, without any API call, when this node is not master', async () => {
    // GIVEN
    setMaster(false);
    const s = await scenario({ HOLDER: '1002' });
    // WHEN
    const result = await s.run();
    // THEN
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('not MASTER');
    expect(await s.records()).toEqual([]);
  });

  test('reconcile on node 1 leaves the IP with the other droplet while the peer does not answer (split brain)', async () => {
    // GIVEN: this namespace plays node 1 (tunnel address .2); nothing answers at node 0's .1
    setTunnelAddress('10.255.255.2/29');
    setMaster(true);
    const s = await scenario({ HOLDER: '1002' }, { nodeIndex: 1 });
    // WHEN
    const result = await s.run(['reconcile']).finally(() => setTunnelAddress('10.255.255.1/29'));
    // THEN
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('the peer does not answer over vrrp0 (down, or a split brain): node 0 decides');
    expect((await s.records()).map((r) => r.kind)).toEqual(['metadata', 'get']);
  });

  test('reconcile on node 0 takes the IP even while the peer does not answer', async () => {
    // GIVEN
    setMaster(true);
    const s = await scenario({ HOLDER: '1002' }, { nodeIndex: 0 });
    // WHEN
    const result = await s.run(['reconcile']);
    // THEN
    expect(result.status).toBe(0);
    expect((await s.records()).filter((r) => r.kind === 'assign')).toEqual([expect.objectContaining({ status: 201 })]);
  });

  test('refuses an unknown trigger', async () => {
    // GIVEN
    const s = await scenario({});
    // WHEN
    const result = await s.run(['backup']);
    // THEN
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage:');
  });
});

// ---- live failover: two keepalived nodes in network namespaces ---------------------------------------------

/**
 * The lab: three namespaces.
 *   a, b   the HAProxy pair: `vpc0` is their VPC (a veth pair, 10.77.0.2 and .3); `pub0` leads to the API
 *          namespace (10.78.1.2 for a, 10.78.2.2 for b), so cutting the VPC never cuts the API.
 *   api    the fake DigitalOcean API and metadata service on 10.78.1.1 and 10.78.2.1 (port 8080).
 * Each node runs the rendered tunnel script (a resolves the peer by name through /etc/netns/<ns>/hosts, b gets
 * TIERFORM_PEER_ADDRESS), keepalived with the rendered file, a fake HAProxy health endpoint on 127.0.0.1:8405,
 * and the reconcile command in a loop every 3 s (the systemd timer's job on a droplet, every 15 s there).
 */
describe('live failover between two keepalived nodes', () => {
  const RECONCILE_EVERY_SECONDS = 3;
  const API_PORT = 8080;
  const HEALTH_PORT = 8405;
  const IDS = { a: 1001, b: 1002 } as const;
  type NodeName = keyof typeof IDS;

  interface LabNode {
    readonly name: NodeName;
    readonly index: 0 | 1;
    readonly ns: string;
    readonly dir: string;
    keepalived?: Proc;
    health?: Proc;
    reconcile?: Proc;
    env: NodeJS.ProcessEnv;
  }

  let tmp: { dir: string; cleanup: () => void };
  let api: Proc;
  const nodes = {} as Record<NodeName, LabNode>;
  const facts: string[] = [];

  const apiRecords = () => api.records<ApiRecord>();
  const assigns = (since = 0) => apiRecords().filter((r) => r.kind === 'assign' && r.status === 201 && r.t >= since);
  const holder = (): number | undefined => {
    const last = assigns().at(-1);
    return last ? (last.body as { droplet_id: number }).droplet_id : IDS.a;
  };
  const isMaster = (n: LabNode) =>
    run(IP, ['-n', n.ns, '-o', '-4', 'addr', 'show', 'dev', 'vrrp0', 'to', '10.255.255.6/32']).stdout.includes(' inet 10.255.255.6/');
  const masters = () => (['a', 'b'] as const).filter((name) => isMaster(nodes[name]));
  const log = (n: LabNode) => {
    try {
      return fs.readFileSync(path.join(n.dir, 'assign.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const diag = () =>
    [
      `masters: ${masters().join(',') || 'none'}; holder: ${holder()}`,
      ...(['a', 'b'] as const).map((name) => `--- keepalived ${name}:\n${nodes[name].keepalived?.output().split('\n').slice(-25).join('\n')}`),
      ...(['a', 'b'] as const).map((name) => `--- assign log ${name}:\n${log(nodes[name])}`),
      `--- api:\n${api?.output().split('\n').slice(-15).join('\n')}`,
    ].join('\n');

  function prepareNode(name: NodeName, index: 0 | 1, ns: string): LabNode {
    const dir = path.join(tmp.dir, name);
    const sbin = path.join(dir, 'sbin');
    const check = writeFile(sbin, 'tierform-check-haproxy', renderCheckHaproxyScript({ port: HEALTH_PORT }), 0o755);
    const assign = writeFile(
      sbin,
      'tierform-reserved-ip-assign',
      resolveTokens(renderReservedIpAssignScript(assignOptions({ nodeIndex: index })), RESERVED_IP),
      0o755,
    );
    writeFile(sbin, 'tierform-haproxy-state', renderHaproxyStateScript(), 0o755);
    // What keepalived's drop-in does before it starts (ExecStartPre): the state file's directory exists.
    fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
    writeFile(
      sbin,
      'tierform-vrrp-tunnel',
      renderTunnelScript(tunnelOptions({ nodeIndex: index, peerDnsName: `lb-${1 - index}.internal.foobar.com` })),
      0o755,
    );
    // The production file with only the script paths and HAProxy's state file moved; each edit must match.
    let conf = renderKeepalivedConf(confOptions({ nodeIndex: index, routerId: `foobar-lb-${index}` }));
    for (const [from, to] of [
      [CHECK_HAPROXY_SCRIPT_PATH, check],
      [RESERVED_IP_ASSIGN_SCRIPT_PATH, assign],
      [HAPROXY_STATE_FILE, path.join(dir, 'run', 'haproxy-stopped')],
    ]) {
      expect(conf).toContain(from);
      conf = conf.split(from).join(to);
    }
    writeFile(dir, 'keepalived.conf', conf);
    writeFile(dir, 'net.env', `TIERFORM_PRIVATE_IP=10.77.0.${2 + index}\n`);
    writeFile(dir, 'do-token', `${TOKEN}\n`, 0o600);
    const apiAddress = `10.78.${1 + index}.1`;
    return {
      name,
      index,
      ns,
      dir,
      env: {
        TIERFORM_DO_API: `http://${apiAddress}:${API_PORT}`,
        TIERFORM_METADATA_URL: `http://${apiAddress}:${API_PORT}/metadata/v1`,
        TIERFORM_DO_TOKEN_FILE: path.join(dir, 'do-token'),
        TIERFORM_LOCK_FILE: path.join(dir, 'assign.lock'),
        TIERFORM_LOG_FILE: path.join(dir, 'assign.log'),
        TIERFORM_NET_ENV: path.join(dir, 'net.env'),
        TIERFORM_HAPROXY_STATE_FILE: path.join(dir, 'run', 'haproxy-stopped'),
      },
    };
  }

  async function startHealth(n: LabNode): Promise<void> {
    n.health = nsSpawn(`health ${n.name}`, n.ns, NODE, ['-e', FAKE_HAPROXY_HEALTH], {
      PORT: String(HEALTH_PORT),
      HEALTH_PATH: '/tierform-lb-health',
    });
    const health = n.health;
    await waitFor(`health server ${n.name}`, 10_000, () => health.output().includes('ready'), health.output);
  }

  function startKeepalived(n: LabNode): void {
    const keepalived = requireTool('keepalived', 'keepalived');
    const pid = (f: string) => path.join(n.dir, f);
    // -n foreground, -l log to the console, -D detailed, -P VRRP only; own pid files so nothing is shared.
    n.keepalived = nsSpawn(
      `keepalived ${n.name}`,
      n.ns,
      keepalived,
      ['-n', '-l', '-D', '-P', '-f', pid('keepalived.conf'), '-p', pid('keepalived.pid'), '-r', pid('vrrp.pid'), '-c', pid('checkers.pid')],
      n.env,
    );
  }

  async function trackVrrpChild(n: LabNode): Promise<void> {
    const file = path.join(n.dir, 'vrrp.pid');
    const pid = await waitFor(`keepalived ${n.name}'s VRRP child`, 10_000, () => fs.existsSync(file) && Number(fs.readFileSync(file, 'utf8').trim()));
    ownedPids.set(pid, 'keepalived');
  }

  function startReconcileLoop(n: LabNode): void {
    const assign = path.join(n.dir, 'sbin', 'tierform-reserved-ip-assign');
    n.reconcile = nsSpawn(
      `reconcile ${n.name}`,
      n.ns,
      '/bin/bash',
      ['-c', `while :; do "$0" reconcile 2>/dev/null || true; sleep ${RECONCILE_EVERY_SECONDS}; done`, assign],
      n.env,
    );
  }

  /** Messages keepalived printed that are warnings or errors (none are expected). */
  function keepalivedFindings(n: LabNode): string[] {
    return (n.keepalived?.output() ?? '').split('\n').filter((line) => /WARNING|error|Error|invalid|Unknown|deprecated/.test(line));
  }

  beforeAll(async () => {
    requireTool('keepalived', 'keepalived');
    requireTool('curl', 'curl');
    requireTool('jq', 'jq');
    requireTool('flock', 'util-linux');
    tmp = makeTempDir('keepalived-live');
    try {
      const [a, b, p] = [addNamespace('a'), addNamespace('b'), addNamespace('p')];
      ipRun(['-n', a, 'link', 'add', 'vpc0', 'type', 'veth', 'peer', 'name', 'vpc0', 'netns', b]);
      ipRun(['-n', a, 'link', 'add', 'pub0', 'type', 'veth', 'peer', 'name', 'pa0', 'netns', p]);
      ipRun(['-n', b, 'link', 'add', 'pub0', 'type', 'veth', 'peer', 'name', 'pb0', 'netns', p]);
      for (const [ns, dev, cidr] of [
        [a, 'vpc0', '10.77.0.2/24'],
        [b, 'vpc0', '10.77.0.3/24'],
        [a, 'pub0', '10.78.1.2/24'],
        [p, 'pa0', '10.78.1.1/24'],
        [b, 'pub0', '10.78.2.2/24'],
        [p, 'pb0', '10.78.2.1/24'],
      ]) {
        ipRun(['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
        ipRun(['-n', ns, 'link', 'set', dev, 'up']);
      }
      writeFile(`/etc/netns/${a}`, 'hosts', '127.0.0.1 localhost\n10.77.0.3 lb-1.internal.foobar.com\n');
      nodes.a = prepareNode('a', 0, a);
      nodes.b = prepareNode('b', 1, b);

      // Terraform assigned the reserved IP to node 0 at apply.
      api = await startFakeApi(p, API_PORT, { DROPLETS: JSON.stringify({ '10.78.1.2': IDS.a, '10.78.2.2': IDS.b }), HOLDER: String(IDS.a) });
      for (const n of [nodes.a, nodes.b]) {
        const tunnel = path.join(n.dir, 'sbin', 'tierform-vrrp-tunnel');
        const peerEnv = n.name === 'b' ? { TIERFORM_PEER_ADDRESS: '10.77.0.2' } : {};
        const up = nsRun(n.ns, tunnel, ['up'], { ...n.env, ...peerEnv });
        if (up.status !== 0) throw new Error(`tunnel up on ${n.name} failed: ${up.output}`);
        await startHealth(n);
      }
      // Node 0 first, so that it deterministically wins the first election.
      startKeepalived(nodes.a);
      await trackVrrpChild(nodes.a);
      await waitFor('node a to become master', 15_000, () => isMaster(nodes.a), diag);
      startKeepalived(nodes.b);
      await trackVrrpChild(nodes.b);
      const keepalivedB = nodes.b.keepalived!;
      await waitFor('node b to enter BACKUP', 15_000, () => keepalivedB.output().includes('Entering BACKUP STATE'), diag);
      startReconcileLoop(nodes.a);
      startReconcileLoop(nodes.b);
    } catch (error) {
      await cleanupAll();
      throw error;
    }
  }, 90_000);

  afterAll(async () => {
    // Printed once: the measured figures of this run.
    if (facts.length > 0) process.stdout.write(`keepalived live failover:\n  ${facts.join('\n  ')}\n`);
    await cleanupAll();
    tmp?.cleanup();
  }, 60_000);

  test('node 0 is the only master and holds the reserved IP (one assign call at its election, none from node 1)', async () => {
    // GIVEN (beforeAll) / WHEN
    await sleep(2000);
    // THEN: a new master assigns without asking first (no status round trip before a failover)
    expect(masters()).toEqual(['a']);
    expect(holder()).toBe(IDS.a);
    expect(assigns()).toEqual([expect.objectContaining({ from: '10.78.1.2', body: { type: 'assign', droplet_id: IDS.a } })]);
    expect(log(nodes.a)).toContain('[master] assigned 203.0.113.10 to this droplet (1001');
  });

  test('keepalived ran without warnings or errors on either node', () => {
    // GIVEN (beforeAll) / WHEN / THEN
    expect({ a: keepalivedFindings(nodes.a), b: keepalivedFindings(nodes.b) }).toEqual({ a: [], b: [] });
  });

  test('a hung HAProxy on the master moves the reserved IP to the backup within 8 s', async () => {
    // GIVEN
    const t0 = Date.now();
    // WHEN: the health endpoint stops answering (process stopped: connections hang, like a stuck HAProxy)
    process.kill(nodes.a.health!.pid, 'SIGSTOP');
    // THEN
    const assign = await waitFor('the backup to assign the reserved IP', 15_000, () => assigns(t0)[0], diag);
    const seconds = (assign.t - t0) / 1000;
    facts.push(`hung HAProxy on a -> b's assign call: ${seconds.toFixed(2)} s`);
    expect(assign).toMatchObject({ from: '10.78.2.2', body: { type: 'assign', droplet_id: IDS.b } });
    expect(seconds).toBeLessThan(8);
    expect(masters()).toEqual(['b']);
  });

  test('the recovered node stays backup: no flap back (nopreempt)', async () => {
    // GIVEN
    const t0 = Date.now();
    const before = nodes.a.keepalived!.output().split('Entering BACKUP STATE').length;
    // WHEN
    process.kill(nodes.a.health!.pid, 'SIGCONT');
    await waitFor(
      'node a to leave FAULT for BACKUP',
      15_000,
      () => nodes.a.keepalived!.output().split('Entering BACKUP STATE').length > before,
      diag,
    );
    await sleep(3 * RECONCILE_EVERY_SECONDS * 1000);
    // THEN
    expect(masters()).toEqual(['b']);
    expect(assigns(t0)).toEqual([]);
    expect(holder()).toBe(IDS.b);
  });

  test('a dead HAProxy (not just hung) on the master moves the reserved IP back', async () => {
    // GIVEN
    const t0 = Date.now();
    // WHEN
    await stopProc(nodes.b.health!);
    // THEN
    const assign = await waitFor('node a to assign the reserved IP', 15_000, () => assigns(t0)[0], diag);
    facts.push(`dead HAProxy on b -> a's assign call: ${((assign.t - t0) / 1000).toFixed(2)} s`);
    expect(assign).toMatchObject({ from: '10.78.1.2', body: { droplet_id: IDS.a } });
    expect(masters()).toEqual(['a']);
    // b's HAProxy comes back; b returns to BACKUP.
    const backups = () => nodes.b.keepalived!.output().split('Entering BACKUP STATE').length;
    const before = backups();
    await startHealth(nodes.b);
    await waitFor('node b back in BACKUP', 15_000, () => backups() > before, diag);
  });

  test('a crash systemd reports (ExecStopPost runs the state script) moves the reserved IP without waiting for the health check', async () => {
    // The health endpoints keep answering: only the state file, written by the rendered script, tells keepalived.
    const state = (n: LabNode, verb: 'started' | 'stopped') => {
      const r = nsRun(n.ns, path.join(n.dir, 'sbin', 'tierform-haproxy-state'), [verb], n.env);
      expect(r.status).toBe(0);
    };
    const backups = (n: LabNode) => n.keepalived!.output().split('Entering BACKUP STATE').length;
    for (const [from, to] of [
      [nodes.a, nodes.b],
      [nodes.b, nodes.a],
    ] as const) {
      // GIVEN
      expect(masters()).toEqual([from.name]);
      const t0 = Date.now();
      // WHEN
      state(from, 'stopped');
      // THEN
      const assign = await waitFor(`node ${to.name} to assign the reserved IP`, 15_000, () => assigns(t0)[0], diag);
      facts.push(`crash reported on ${from.name} (state file) -> ${to.name}'s assign call: ${((assign.t - t0) / 1000).toFixed(2)} s`);
      expect(assign).toMatchObject({ body: { droplet_id: IDS[to.name] } });
      expect(masters()).toEqual([to.name]);
      expect(from.keepalived!.output()).toContain('tracked file haproxy_stopped now FAULT state');
      // HAProxy starts again: the node returns to BACKUP (nopreempt), no move back.
      const before = backups(from);
      const started = Date.now();
      state(from, 'started');
      await waitFor(`node ${from.name} back in BACKUP`, 15_000, () => backups(from) > before, diag);
      expect(assigns(started)).toEqual([]);
    }
  });

  test('cutting the VPC between the pair makes both nodes master (split brain)', async () => {
    // GIVEN
    expect(masters()).toEqual(['a']);
    // WHEN
    ipRun(['-n', nodes.a.ns, 'link', 'set', 'vpc0', 'down']);
    // THEN
    await waitFor('two masters', 15_000, () => masters().length === 2, diag);
  });

  test('during the split brain the reserved IP settles on node 0 and stays there', async () => {
    // GIVEN (split brain) / WHEN: b's notify_master took the IP; a's reconcile takes it back, b's leaves it
    const settled = await waitFor(
      'the reserved IP to stay on a for 3 reconcile rounds',
      30_000,
      () => holder() === IDS.a && Date.now() - (assigns().at(-1)?.t ?? 0) > 3 * RECONCILE_EVERY_SECONDS * 1000 + 500,
      diag,
    );
    // THEN
    expect(settled).toBe(true);
    expect(masters()).toEqual(['a', 'b']);
    expect(log(nodes.b)).toContain('node 0 decides');
  });

  test('after healing exactly one master remains (node 0) and it holds the reserved IP', async () => {
    // GIVEN (split brain) / WHEN
    ipRun(['-n', nodes.a.ns, 'link', 'set', 'vpc0', 'up']);
    // THEN
    await waitFor('one master', 15_000, () => masters().length === 1, diag);
    await sleep(2000);
    expect(masters()).toEqual(['a']);
    expect(holder()).toBe(IDS.a);
  });

  test('a master hearing a lower-priority master re-runs the assign script (notify_master_rx_lower_pri)', async () => {
    // GIVEN: a split brain made with blackhole routes, so that it can heal one direction first
    ipRun(['-n', nodes.a.ns, 'route', 'add', 'blackhole', '10.77.0.3/32']);
    ipRun(['-n', nodes.b.ns, 'route', 'add', 'blackhole', '10.77.0.2/32']);
    await waitFor('two masters', 15_000, () => masters().length === 2, diag);
    const healed = Date.now();
    // WHEN: b's adverts reach a again (a's still cannot reach b). b gets a's tunnel MAC as a static neighbour:
    // its ARP entry failed during the split, and a's ARP reply could not reach it.
    const macA = (JSON.parse(run(IP, ['-n', nodes.a.ns, '-j', 'link', 'show', 'dev', 'vrrp0']).stdout) as Array<{ address: string }>)[0].address;
    ipRun(['-n', nodes.b.ns, 'neigh', 'replace', '10.255.255.1', 'lladdr', macA, 'dev', 'vrrp0', 'nud', 'permanent']);
    ipRun(['-n', nodes.b.ns, 'route', 'del', 'blackhole', '10.77.0.2/32']);
    // THEN
    const line = await waitFor(
      'an rx-lower-pri run on a',
      10_000,
      () =>
        log(nodes.a)
          .split('\n')
          .find((l) => l.includes('[rx-lower-pri]') && Number(l.split(' ')[0]) * 1000 >= healed),
      diag,
    );
    facts.push(`rx-lower-pri run on a after a one-way heal: ${line.replace(/^\S+ /, '')}`);
    ipRun(['-n', nodes.a.ns, 'route', 'del', 'blackhole', '10.77.0.3/32']);
    ipRun(['-n', nodes.b.ns, 'neigh', 'del', '10.255.255.1', 'dev', 'vrrp0']);
    await waitFor('one master', 15_000, () => masters().length === 1, diag);
    await waitFor('the reserved IP on node a', 15_000, () => holder() === IDS.a, diag);
    expect(masters()).toEqual(['a']);
  });
});

describe('renderApiTokenFile', () => {
  test("writes the token on one line, checked like the droplet's root-only token file", () => {
    // GIVEN / WHEN
    const content = renderApiTokenFile('${TfToken[TOKEN.5]}');
    const ran = checkFiles([{ path: DO_TOKEN_FILE, content, permissions: '0600' }]);
    // THEN
    expect(content).toBe('${TfToken[TOKEN.5]}\n');
    expect(ran).toEqual([`${DO_TOKEN_FILE}: root-only token file: 0600, one line, no spaces`]);
  });

  test.each(['', 'dop v1', 'dop\nv1'])('throws a RenderError on %p without showing it', (token) => {
    expect(() => renderApiTokenFile(token)).toThrow(RenderError);
    expect(() => renderApiTokenFile(token)).toThrow(/^'apiToken' must be one line without whitespace .*, got \(redacted\)$/);
  });
});
