import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import { NET_ENV_FILE } from '../../../lib/render/base';
import {
  DEFAULT_CONTENT_SECURITY_POLICY,
  HAPROXY_DROP_IN_PATH,
  HaproxyBalance,
  HaproxyConfigOptions,
  HaproxyTlsOptions,
  renderHaproxyCfg,
  renderHaproxyDropIn,
} from '../../../lib/render/haproxy';
import { checkFiles } from '../../helpers/check-files';
import { CleanOptions, expectClean, makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';
import { resolveTokens } from '../../helpers/tokens';
import { freePort, sleep } from '../../helpers/processes';

const BALANCES: readonly HaproxyBalance[] = ['roundrobin', 'leastconn', 'source'];

/** Options as the construct layer passes them: server addresses are Terraform tokens until apply. */
function options(overrides: Partial<HaproxyConfigOptions> = {}): HaproxyConfigOptions {
  return {
    balance: 'roundrobin',
    servers: [
      { name: 'web-0', address: '${TfToken[TOKEN.3]}', port: 80 },
      { name: 'web-1', address: '${TfToken[TOKEN.4]}', port: 80 },
    ],
    healthCheckPath: '/health',
    healthCheckHost: 'example.com',
    checkIntervalSeconds: 5,
    fall: 3,
    rise: 2,
    frontendPort: 80,
    maxConnections: 4096,
    connectSeconds: 5,
    clientSeconds: 30,
    serverSeconds: 30,
    httpRequestSeconds: 10,
    httpKeepAliveSeconds: 5,
    queueSeconds: 30,
    stats: { port: 8404, bindAddress: '${TIERFORM_PRIVATE_IP}' },
    ...overrides,
  };
}

function tokenServers(count: number): HaproxyConfigOptions['servers'] {
  return Array.from({ length: count }, (_, i) => ({ name: `web-${i}`, address: `\${TfToken[TOKEN.${i}]}`, port: 80 }));
}

/** What Terraform does at apply: token n becomes a droplet's private IP (10.10.x.y, 250 per /24). */
const privateIp = (i: number): string => `10.10.${Math.floor(i / 250)}.${(i % 250) + 2}`;

/** haproxy -c prints "Configuration file is valid": any output, but never a warning or an alert. */
const HAPROXY_CLEAN: CleanOptions = { output: 'any', forbid: /\[(WARNING|ALERT)\]/ };

/** `haproxy -c` with the environment the systemd unit provides (TIERFORM_PRIVATE_IP from /etc/default/haproxy). */
function haproxyCheck(cfg: string): RunResult {
  const haproxy = requireTool('haproxy', 'haproxy');
  const tmp = makeTempDir('haproxy-check');
  try {
    const file = writeFile(tmp.dir, 'haproxy.cfg', cfg);
    return run(haproxy, ['-c', '-f', file], { env: { ...process.env, TIERFORM_PRIVATE_IP: '127.0.0.1' } });
  } finally {
    tmp.cleanup();
  }
}

describe('renderHaproxyCfg text', () => {
  test.each(BALANCES)('renders balance %s', (balance) => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ balance }));
    // THEN
    expect(cfg).toContain(`\n    balance ${balance}\n`);
  });

  test('source balancing uses consistent hashing so one server change remaps only its clients', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ balance: 'source' }));
    // THEN
    expect(cfg).toContain('    balance source\n    hash-type consistent\n');
  });

  test('health check is an HTTP/1.1 GET with a Host header, expecting 200', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ healthCheckPath: '/healthz', healthCheckHost: 'shop.example.org' }));
    // THEN
    expect(cfg).toContain('    option httpchk\n');
    expect(cfg).toContain('    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host shop.example.org\n');
    expect(cfg).toContain('    http-check expect status 200\n');
  });

  test('servers are checked with inter/fall/rise, per-server maxconn and slowstart', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ checkIntervalSeconds: 4, fall: 5, rise: 3, serverMaxConnections: 64, slowStartSeconds: 20 }));
    // THEN
    expect(cfg).toContain('    default-server inter 4s fall 5 rise 3 maxconn 64 slowstart 20s on-marked-down shutdown-sessions\n');
    expect(cfg).toMatch(/^    server web-0 \S+ check$/m);
  });

  test('server addresses that are Terraform tokens are inserted verbatim, in the given order', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options());
    // THEN
    expect(cfg).toContain('    server web-0 ${TfToken[TOKEN.3]}:80 check\n    server web-1 ${TfToken[TOKEN.4]}:80 check\n');
  });

  test('IPv6 server addresses are bracketed', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ servers: [{ name: 'v6', address: 'fd00::5', port: 8080 }] }));
    // THEN
    expect(cfg).toContain('    server v6 [fd00::5]:8080 check\n');
  });

  test('frontend binds every address on frontendPort and sets forwarding headers', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ frontendPort: 8080 }));
    // THEN
    expect(cfg).toContain('\nfrontend http\n    bind :8080\n');
    expect(cfg).toContain('    http-request del-header X-Forwarded-For\n    option forwardfor\n');
    expect(cfg).toContain('    http-request set-header X-Forwarded-Proto http\n');
    expect(cfg).toContain('    http-request set-header X-Request-ID %[unique-id]\n');
  });

  test('global and default settings: limits, timeouts, logging, privileges, no daemon', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(
      options({ maxConnections: 2000, connectSeconds: 3, httpRequestSeconds: 7, httpKeepAliveSeconds: 4, queueSeconds: 9 }),
    );
    // THEN
    expect(cfg).toEqual(expect.stringContaining('    maxconn 2000\n'));
    for (const line of [
      'log /dev/log local0',
      'chroot /var/lib/haproxy',
      'user haproxy',
      'group haproxy',
      'stats socket /run/haproxy/admin.sock mode 660 level admin',
      'log global',
      'option httplog',
      'option dontlognull',
      'timeout connect 3s',
      'timeout http-request 7s',
      'timeout http-keep-alive 4s',
      'timeout queue 9s',
    ]) {
      expect(cfg).toContain(`\n    ${line}\n`);
    }
    expect(cfg).not.toMatch(/^\s*(daemon|errorfile)\b/m);
  });

  test('stats listener binds the quoted environment variable, read-only, with the Prometheus exporter', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options());
    // THEN
    expect(cfg).toContain('\nlisten stats\n    bind "${TIERFORM_PRIVATE_IP}:8404"\n');
    expect(cfg).toContain('    http-request use-service prometheus-exporter if { path /metrics }\n');
    expect(cfg).toContain('    stats uri /stats\n');
    expect(cfg).not.toContain('stats admin');
  });

  test('stats listener refuses clients outside private ranges by default', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options());
    // THEN
    expect(cfg).toContain('    http-request deny deny_status 403 unless { src 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 127.0.0.0/8 }\n');
  });

  test('output is deterministic', () => {
    // GIVEN / WHEN / THEN
    const render = () => renderHaproxyCfg(options({ servers: tokenServers(7) }));
    expect(render()).toBe(render());
  });

  test('throws if there are no servers', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderHaproxyCfg(options({ servers: [] }))).toThrow("'servers' or 'serverTemplates' must list at least one web server, got none");
  });

  test('servers found by DNS: one server-template per backend and a resolvers section that keeps the last good answer', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(
      options({ servers: [], serverTemplates: [{ name: 'site-web', fqdn: 'site-web.internal.example.com', port: 80, slots: 32 }] }),
    );
    // THEN
    expect(cfg).toContain(
      '    server-template site-web 1-32 site-web.internal.example.com:80 check resolvers tierform resolve-prefer ipv4 init-addr none\n',
    );
    expect(cfg).toContain(
      [
        'resolvers tierform',
        '    parse-resolv-conf',
        '    accepted_payload_size 8192',
        '    resolve_retries 3',
        '    timeout retry 1s',
        '    timeout resolve 5s',
        '    hold valid 5s',
        '    hold obsolete 30s',
        '    hold nx 86400s',
        '    hold timeout 86400s',
        '    hold refused 86400s',
        '    hold other 86400s',
      ].join('\n'),
    );
    expect(cfg).not.toMatch(/^ {4}server /m);
  });

  test('without server templates there is no resolvers section', () => {
    expect(renderHaproxyCfg(options())).not.toContain('resolvers');
  });

  test.each<[string, Partial<HaproxyConfigOptions>, string]>([
    [
      'a template name with a space',
      { serverTemplates: [{ name: 'a b', fqdn: 'x.example.com', port: 80, slots: 2 }] },
      "'serverTemplates[0].name' must be one word",
    ],
    [
      'a template name with a newline',
      { serverTemplates: [{ name: 'a\nb', fqdn: 'x.example.com', port: 80, slots: 2 }] },
      "'serverTemplates[0].name' must be one word",
    ],
    [
      'an fqdn that is not a DNS name',
      { serverTemplates: [{ name: 'a', fqdn: 'x.example.com\nbackend evil', port: 80, slots: 2 }] },
      "'serverTemplates[0].fqdn' must be a DNS name",
    ],
    [
      'zero slots',
      { serverTemplates: [{ name: 'a', fqdn: 'x.example.com', port: 80, slots: 0 }] },
      "'serverTemplates[0].slots' must be an integer from 1 to 1024, got 0",
    ],
    [
      'too many slots',
      { serverTemplates: [{ name: 'a', fqdn: 'x.example.com', port: 80, slots: 1025 }] },
      "'serverTemplates[0].slots' must be an integer from 1 to 1024, got 1025",
    ],
  ])('throws if %s', (_name, overrides, message) => {
    expect(() => renderHaproxyCfg(options({ servers: [], ...overrides }))).toThrow(message);
  });

  test('throws if a value would inject configuration', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderHaproxyCfg(options({ healthCheckHost: 'a.com\n    stats admin if TRUE' }))).toThrow(/'healthCheckHost' must be one word/);
  });
});

describe('haproxy -c accepts the rendered file without warnings', () => {
  const cases = BALANCES.flatMap((balance) => [1, 2, 50].map((count) => [balance, count] as const));

  test.each(cases)('balance %s with %i servers', (balance, count) => {
    // GIVEN
    const cfg = resolveTokens(renderHaproxyCfg(options({ balance, servers: tokenServers(count) })), privateIp);
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expectClean(result, HAPROXY_CLEAN);
  });

  test.each(BALANCES)('balance %s with two server templates found by DNS (1 and 1024 slots)', (balance) => {
    // GIVEN
    const templates = [
      { name: 'site-web', fqdn: 'site-web.internal.example.com', port: 80, slots: 1 },
      { name: 'site-web2', fqdn: 'site-web2.internal.example.com', port: 8080, slots: 1024 },
    ];
    const cfg = renderHaproxyCfg(options({ balance, servers: [], serverTemplates: templates }));
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expectClean(result, HAPROXY_CLEAN);
  });

  test('the check fails on a broken file', () => {
    // GIVEN
    const cfg = resolveTokens(renderHaproxyCfg(options()), privateIp).replace('balance roundrobin', 'balance round-robin');
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('[ALERT]');
  });

  test('the check reports warnings (here: `no log` beside an inherited httplog, the one hit while writing this)', () => {
    // GIVEN
    const cfg = resolveTokens(renderHaproxyCfg(options()), privateIp).replace('    http-request set-log-level silent', '    no log');
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expect(result.output).toContain('[WARNING]');
  });
});

// ---- behaviour on loopback ---------------------------------------------------------------------------------

interface Backend {
  readonly name: string;
  readonly port: number;
  healthy: boolean;
  readonly healthChecks: { httpVersion: string; method: string; host?: string }[];
  close(): Promise<void>;
}

async function startBackend(name: string, address = '127.0.0.1', listenPort = 0): Promise<Backend> {
  const healthChecks: Backend['healthChecks'] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      healthChecks.push({ httpVersion: req.httpVersion, method: req.method ?? '', host: req.headers.host });
      res.writeHead(backend.healthy ? 200 : 503, { 'content-type': 'text/plain' }).end(backend.healthy ? 'ok' : 'down');
      return;
    }
    const body = JSON.stringify({
      name,
      xff: req.headers['x-forwarded-for'],
      xfp: req.headers['x-forwarded-proto'],
      rid: req.headers['x-request-id'],
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, address, resolve));
  const backend: Backend = {
    name,
    port: (server.address() as net.AddressInfo).port,
    healthy: true,
    healthChecks,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return backend;
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

interface GetOptions {
  readonly headers?: http.OutgoingHttpHeaders;
  readonly localAddress?: string;
}

function get(port: number, path: string, opts: GetOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, timeout: 5000, headers: opts.headers, localAddress: opts.localAddress },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on('error', reject);
  });
}

async function servedBy(port: number, localAddress?: string): Promise<string> {
  const reply = await get(port, '/', { localAddress });
  expect(reply.status).toBe(200);
  return (JSON.parse(reply.body) as { name: string }).name;
}

interface RunningHaproxy {
  readonly frontendPort: number;
  /** The HTTPS port when started with `tls`. */
  readonly tlsPort?: number;
  readonly statsPort: number;
  readonly pid: number | undefined;
  /** Everything HAProxy printed so far (its log goes to stdout in this run). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Minimal edits so the production file runs unprivileged in the foreground, on loopback only. Each edit must
 * match, so a renderer change cannot silently bypass it:
 * - log to stdout instead of /dev/log (no syslog here), to read the log lines;
 * - no chroot/user/group (needs root and the haproxy user);
 * - the admin socket in the temp dir; the public frontend on 127.0.0.1 instead of every address.
 */
function forLoopbackRun(cfg: string, dir: string, frontendPort: number, tlsPort?: number): string {
  const edits: [RegExp, string][] = [
    [/^ {4}log \/dev\/log local0$/m, '    log stdout format raw local0'],
    [/^ {4}chroot \/var\/lib\/haproxy\n/m, ''],
    [/^ {4}user haproxy\n/m, ''],
    [/^ {4}group haproxy\n/m, ''],
    [/^ {4}stats socket \/run\/haproxy\/admin\.sock /m, `    stats socket ${dir}/admin.sock `],
    [new RegExp(`^ {4}bind :${frontendPort}$`, 'm'), `    bind 127.0.0.1:${frontendPort}`],
    ...(tlsPort === undefined ? [] : [[new RegExp(`^ {4}bind :${tlsPort} ssl `, 'm'), `    bind 127.0.0.1:${tlsPort} ssl `] as [RegExp, string]]),
  ];
  return edits.reduce((text, [pattern, replacement]) => {
    expect(text).toMatch(pattern);
    return text.replace(pattern, replacement);
  }, cfg);
}

/**
 * `overrides.tls` (if any) gets a free port; `extraEdit` changes the rendered file further (control experiments).
 */
async function startHaproxy(
  overrides: Partial<Omit<HaproxyConfigOptions, 'frontendPort' | 'stats'>>,
  statsAllowedSources?: readonly string[],
  extraEdit: (cfg: string) => string = (cfg) => cfg,
): Promise<RunningHaproxy> {
  const haproxy = requireTool('haproxy', 'haproxy');
  const tmp = makeTempDir('haproxy-run');
  const frontendPort = await freePort();
  const statsPort = await freePort();
  const tlsPort = overrides.tls ? await freePort() : undefined;
  const tls = overrides.tls ? { ...overrides.tls, port: tlsPort } : undefined;
  const rendered = renderHaproxyCfg(
    options({
      frontendPort,
      checkIntervalSeconds: 1,
      fall: 2,
      rise: 2,
      slowStartSeconds: 1,
      connectSeconds: 2,
      clientSeconds: 10,
      serverSeconds: 10,
      httpRequestSeconds: 5,
      httpKeepAliveSeconds: 2,
      queueSeconds: 5,
      maxConnections: 256,
      ...overrides,
      tls,
      stats: { port: statsPort, bindAddress: '${TIERFORM_PRIVATE_IP}', allowedSources: statsAllowedSources },
    }),
  );
  const file = writeFile(tmp.dir, 'haproxy.cfg', extraEdit(forLoopbackRun(rendered, tmp.dir, frontendPort, tlsPort)));
  const child: ChildProcess = spawn(haproxy, ['-db', '-f', file], {
    env: { ...process.env, TIERFORM_PRIVATE_IP: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const pid = child.pid;
      const timer = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    tmp.cleanup();
  };
  // Ready when the frontend answers; bounded, and fails with HAProxy's own words if it exits.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
    }
    try {
      await get(frontendPort, '/');
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`haproxy did not answer on 127.0.0.1:${frontendPort} within 10s: ${String(error)}\n${output}`, { cause: error });
      }
      await sleep(50);
    }
  }
  return { frontendPort, tlsPort, statsPort, pid: child.pid, output: () => output, stop };
}

describe('HAProxy running the rendered file on loopback', () => {
  let a: Backend;
  let b: Backend;
  let roundrobin: RunningHaproxy | undefined;
  let source: RunningHaproxy | undefined;

  beforeAll(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    const servers = [
      { name: 'a', address: '127.0.0.1', port: a.port },
      { name: 'b', address: '127.0.0.1', port: b.port },
    ];
    roundrobin = await startHaproxy({ balance: 'roundrobin', servers });
    // Second instance: source balancing, and a stats audience that excludes loopback.
    source = await startHaproxy({ balance: 'source', servers }, ['192.0.2.0/24']);
  });

  afterAll(async () => {
    await roundrobin?.stop();
    await source?.stop();
    await a?.close();
    await b?.close();
  });

  test('roundrobin spreads 20 requests evenly across both servers', async () => {
    // GIVEN
    const counts: Record<string, number> = {};
    // WHEN
    for (let i = 0; i < 20; i++) {
      const name = await servedBy(roundrobin!.frontendPort);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    // THEN
    expect(counts).toEqual({ a: expect.any(Number), b: expect.any(Number) });
    expect(Math.abs(counts.a - counts.b)).toBeLessThanOrEqual(2);
  });

  test('source sends every request from one client to the same server', async () => {
    // GIVEN
    const names = new Set<string>();
    // WHEN
    for (let i = 0; i < 20; i++) {
      names.add(await servedBy(source!.frontendPort));
    }
    // THEN
    expect(names.size).toBe(1);
  });

  test('source spreads different clients (127.0.0.2-21) over both servers', async () => {
    // GIVEN
    const names = new Set<string>();
    // WHEN
    for (let i = 2; i < 22; i++) {
      names.add(await servedBy(source!.frontendPort, `127.0.0.${i}`));
    }
    // THEN
    expect([...names].sort()).toEqual(['a', 'b']);
  });

  test('health checks are HTTP/1.1 GET /health with the configured Host header', async () => {
    // GIVEN / WHEN: checks run every second (bounded wait for the first one)
    const deadline = Date.now() + 3000;
    while (a.healthChecks.length === 0 && Date.now() < deadline) {
      await sleep(50);
    }
    // THEN
    expect(a.healthChecks.length).toBeGreaterThan(0);
    expect(a.healthChecks[0]).toEqual({ httpVersion: '1.1', method: 'GET', host: 'example.com' });
  });

  test('forwards the client address, scheme and a request id, replacing spoofed values', async () => {
    // GIVEN
    const headers = { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https', 'X-Request-ID': 'mine' };
    // WHEN
    const reply = await get(roundrobin!.frontendPort, '/', { headers });
    // THEN
    const seen = JSON.parse(reply.body) as { xff: string; xfp: string; rid: string };
    expect(seen).toEqual(expect.objectContaining({ xff: '127.0.0.1', xfp: 'http' }));
    expect(seen.rid).toMatch(/^7F000001:[0-9A-F]+_7F000001:[0-9A-F]+_[0-9A-F]+_[0-9A-F]+:[0-9A-F]+$/);
  });

  test('logs the request id it forwarded', async () => {
    // GIVEN
    const reply = await get(roundrobin!.frontendPort, '/');
    const rid = (JSON.parse(reply.body) as { rid: string }).rid;
    // WHEN: the log line reaches stdout (bounded wait)
    const deadline = Date.now() + 3000;
    while (!roundrobin!.output().includes(`{${rid}}`) && Date.now() < deadline) {
      await sleep(50);
    }
    // THEN
    expect(roundrobin!.output()).toContain(`{${rid}}`);
  });

  test('stats page and Prometheus metrics are served on the stats listener', async () => {
    // GIVEN / WHEN
    const page = await get(roundrobin!.statsPort, '/stats');
    const metrics = await get(roundrobin!.statsPort, '/metrics');
    // THEN
    expect(page).toEqual({ status: 200, body: expect.stringContaining('Statistics Report') });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^haproxy_server_status\{proxy="web",server="a",state="UP"\} 1$/m);
  });

  test('stats listener refuses clients outside allowedSources', async () => {
    // GIVEN: the second instance allows only 192.0.2.0/24; this client is 127.0.0.1
    // WHEN
    const page = await get(source!.statsPort, '/stats');
    const metrics = await get(source!.statsPort, '/metrics');
    // THEN
    expect([page.status, metrics.status]).toEqual([403, 403]);
  });

  test('a server failing its health check leaves rotation within (fall + 1) x inter + 1 s, and returns', async () => {
    // GIVEN: fall 2, rise 2, inter 1s. HAProxy starts a server at the edge of UP (one failed check takes it
    // out); it needs fall - 1 passed checks to reach full health, so wait for `fall` checks (bounded).
    const warmup = Date.now() + 5000;
    while (b.healthChecks.length < 2 && Date.now() < warmup) {
      await sleep(50);
    }
    expect(b.healthChecks.length).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    b.healthy = false;
    // WHEN: requests until 10 in a row are served by a (bounded)
    // A request in flight to b at the instant b is marked down is cut (on-marked-down shutdown-sessions) and
    // answered 502/503: allowed during the transition, at most twice, never otherwise.
    let streak = 0;
    const cut: number[] = [];
    while (streak < 10 && Date.now() - started < 8000) {
      const reply = await get(roundrobin!.frontendPort, '/');
      if (reply.status === 200) {
        streak = (JSON.parse(reply.body) as { name: string }).name === 'a' ? streak + 1 : 0;
      } else {
        cut.push(reply.status);
        streak = 0;
      }
      await sleep(20);
    }
    const leftAfterMs = Date.now() - started;
    // THEN
    expect(streak).toBe(10);
    expect(cut.length).toBeLessThanOrEqual(2);
    for (const status of cut) expect([502, 503]).toContain(status);
    expect(leftAfterMs).toBeGreaterThanOrEqual(900); // two failed checks, one inter apart: fall is honoured
    expect(leftAfterMs).toBeLessThan(3000 + 1000);

    // WHEN: healthy again
    b.healthy = true;
    const back = Date.now();
    let seenB = false;
    while (!seenB && Date.now() - back < 8000) {
      seenB = (await servedBy(roundrobin!.frontendPort)) === 'b';
      await sleep(20);
    }
    // THEN
    expect(seenB).toBe(true);
    process.stdout.write(`haproxy: b left rotation ${leftAfterMs} ms after failing /health, returned after ${Date.now() - back} ms\n`);
  });
});

// ---- servers found by DNS, live: HAProxy's resolver against a real DNS server (dnsmasq) --------------------------

describe('HAProxy finding its servers by DNS (dnsmasq on loopback)', () => {
  const NAME = 'site-web.internal.example.com';
  let dns: Dnsmasq;
  let port: number;
  const backends: Backend[] = [];
  let lb: RunningHaproxy | undefined;
  let pid: number | undefined;

  beforeAll(async () => {
    port = await freePort();
    for (const [i, address] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) backends.push(await startBackend(`web-${i}`, address, port));
    dns = await startDnsmasq(NAME);
    dns.setAddresses(['127.0.0.2', '127.0.0.3']);
    await dns.start();
    lb = await startHaproxy(
      { servers: [], serverTemplates: [{ name: 'site-web', fqdn: NAME, port, slots: 4 }], resolver: { intervalSeconds: 1, obsoleteSeconds: 2 } },
      undefined,
      (cfg) => replaceOnce(cfg, /^ {4}parse-resolv-conf$/m, `    nameserver lab 127.0.0.1:${dns.port}`),
    );
    pid = lb.pid;
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await dns?.dispose();
    for (const b of backends) await b.close();
  });

  /** Names of the backends that served within `ms` (bounded), polling until `until` holds. */
  async function servingWithin(ms: number, until: (names: Set<string>) => boolean): Promise<Set<string>> {
    const deadline = Date.now() + ms;
    let names = new Set<string>();
    while (Date.now() < deadline) {
      names = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const reply = await get(lb!.frontendPort, '/');
        if (reply.status === 200) names.add((JSON.parse(reply.body) as { name: string }).name);
      }
      if (until(names)) return names;
      await sleep(200);
    }
    return names;
  }

  test('fills its slots from the A records: both servers serve', async () => {
    const names = await servingWithin(15_000, (n) => n.size === 2);
    expect([...names].sort()).toEqual(['web-0', 'web-1']);
  }, 30_000);

  test('a third A record (a droplet added to the tier) is picked up without a reload', async () => {
    dns.setAddresses(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    const started = Date.now();
    const names = await servingWithin(15_000, (n) => n.size === 3);
    expect([...names].sort()).toEqual(['web-0', 'web-1', 'web-2']);
    expect(lb!.pid).toBe(pid);
    process.stdout.write(`haproxy: a new A record served after ${Date.now() - started} ms (resolver every 1 s, rise 2 x inter 1 s)\n`);
  }, 30_000);

  test('while DNS is down the last good servers keep serving (never an empty backend)', async () => {
    await dns.stop();
    await sleep(4000); // several resolution intervals with no answer
    const names = await servingWithin(5_000, (n) => n.size === 3);
    expect([...names].sort()).toEqual(['web-0', 'web-1', 'web-2']);
  }, 30_000);

  test('an address removed from the answer (a droplet removed) leaves after hold obsolete', async () => {
    dns.setAddresses(['127.0.0.2', '127.0.0.3']);
    await dns.start();
    const names = await servingWithin(15_000, (n) => n.size === 2 && !n.has('web-2'));
    expect([...names].sort()).toEqual(['web-0', 'web-1']);
    expect(lb!.pid).toBe(pid);
  }, 30_000);
});

interface Dnsmasq {
  readonly port: number;
  setAddresses(addresses: readonly string[]): void;
  start(): Promise<void>;
  /** Stops the server (start() again later). */
  stop(): Promise<void>;
  /** Stops it for good and removes its files. */
  dispose(): Promise<void>;
}

/** dnsmasq answering `name` with A records from a hosts file it re-reads on change (TTL 1 s); stopped by pid. */
async function startDnsmasq(name: string): Promise<Dnsmasq> {
  const dnsmasq = requireTool('dnsmasq', 'dnsmasq-base');
  const tmp = makeTempDir('dnsmasq');
  const hostsDir = path.join(tmp.dir, 'hosts');
  fs.mkdirSync(hostsDir);
  fs.chmodSync(tmp.dir, 0o755);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const setAddresses = (addresses: readonly string[]) => {
    const file = path.join(hostsDir, 'records');
    fs.writeFileSync(`${file}.tmp`, addresses.map((a) => `${a} ${name}\n`).join(''));
    fs.renameSync(`${file}.tmp`, file);
  };
  const start = async () => {
    child = spawn(
      dnsmasq,
      [
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        `--hostsdir=${hostsDir}`,
        '--local-ttl=1',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        `--port=${port}`,
        '--user=root',
        '--pid-file=',
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const running = child;
    exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    await sleep(300);
    if (running.exitCode !== null) throw new Error(`dnsmasq exited with ${running.exitCode}`);
  };
  const stop = async () => {
    const running = child;
    if (running?.pid !== undefined && running.exitCode === null && running.signalCode === null) {
      process.kill(running.pid, 'SIGTERM');
      await exited;
    }
    child = undefined;
  };
  const dispose = async () => {
    await stop();
    tmp.cleanup();
  };
  return { port, setAddresses, start, stop, dispose };
}

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(text)) throw new Error(`edit did not match: ${pattern}`);
  return text.replace(pattern, replacement);
}

// ---- HTTPS at the load balancer ------------------------------------------------------------------------------

const TLS: HaproxyTlsOptions = { certificatePath: '/etc/haproxy/certs/site.pem' };

/** The security headers every response must carry (HSTS over HTTPS only), as HAProxy sends them. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'SAMEORIGIN',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'content-security-policy': DEFAULT_CONTENT_SECURITY_POLICY,
};
const HSTS = 'max-age=63072000; includeSubDomains';

const MOZILLA_INTERMEDIATE_TLS12 =
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:' +
  'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';
const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

describe('renderHaproxyCfg with tls (text)', () => {
  test('without tls nothing about TLS is rendered', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options());
    // THEN
    expect(cfg).not.toMatch(/ssl|https|http-after-response|redirect/);
  });

  test('intermediate (default): TLS 1.2 and 1.3, Mozilla 6.0 ECDHE+AEAD suites, no tickets, day-long sessions', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ tls: TLS }));
    // THEN
    expect(cfg).toContain(
      [
        '    maxconn 4096',
        '    ssl-default-bind-curves X25519:prime256v1:secp384r1',
        `    ssl-default-bind-ciphers ${MOZILLA_INTERMEDIATE_TLS12}`,
        `    ssl-default-bind-ciphersuites ${TLS13}`,
        '    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
        '    tune.ssl.lifetime 86400',
        '',
      ].join('\n'),
    );
    expect(cfg).not.toMatch(/[: ]DHE-|ssl-dh-param-file|ssl-default-server/);
  });

  test('modern: TLS 1.3 only, without a TLS 1.2 cipher list', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ tls: { ...TLS, profile: 'modern' } }));
    // THEN
    expect(cfg).toContain('    ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets\n');
    expect(cfg).toContain(`    ssl-default-bind-ciphersuites ${TLS13}\n`);
    expect(cfg).not.toContain('ssl-default-bind-ciphers ');
  });

  test('binds HTTPS on 443 with the certificate and ALPN h2,http/1.1; plain HTTP redirects with 301 first', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ tls: TLS }));
    // THEN
    expect(cfg).toContain(
      '\nfrontend http\n    bind :80\n    bind :443 ssl crt /etc/haproxy/certs/site.pem alpn h2,http/1.1\n' +
        '    http-request redirect scheme https code 301 unless { ssl_fc }\n    http-request del-header X-Forwarded-For\n',
    );
  });

  test('forwards X-Forwarded-Proto https (plain HTTP never reaches a web server)', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ tls: TLS }));
    // THEN
    expect(cfg).toContain('    http-request set-header X-Forwarded-Proto https\n');
    expect(cfg).not.toContain('X-Forwarded-Proto http\n');
  });

  test('sets the security headers on every response, HSTS over HTTPS only', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ tls: TLS }));
    // THEN
    expect(cfg).toContain(
      [
        `    http-after-response set-header Strict-Transport-Security "${HSTS}" if { ssl_fc }`,
        '    http-after-response set-header X-Frame-Options SAMEORIGIN',
        '    http-after-response set-header X-Content-Type-Options nosniff',
        '    http-after-response set-header Referrer-Policy strict-origin-when-cross-origin',
        '    http-after-response set-header Permissions-Policy "camera=(), microphone=(), geolocation=(), payment=()"',
        `    http-after-response set-header Content-Security-Policy "${DEFAULT_CONTENT_SECURITY_POLICY}"`,
        '    default_backend web',
      ].join('\n'),
    );
  });

  test("the default policy allows seed 000's sources without data: in default-src (HTTP Observatory A+)", () => {
    // GIVEN / WHEN / THEN
    expect(DEFAULT_CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
    );
  });

  test('port, HSTS max-age and policy are configurable; a % in the policy stays literal', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(
      options({ tls: { ...TLS, port: 8443, hstsMaxAgeSeconds: 300, contentSecurityPolicy: "default-src 'self'; x 50%" } }),
    );
    // THEN
    expect(cfg).toContain('    bind :8443 ssl crt ');
    expect(cfg).toContain('Strict-Transport-Security "max-age=300; includeSubDomains" if { ssl_fc }\n');
    expect(cfg).toContain(`set-header Content-Security-Policy "default-src 'self'; x 50%%"\n`);
  });

  test('a certificate directory is passed to crt as is', () => {
    // GIVEN / WHEN
    const cfg = renderHaproxyCfg(options({ tls: { certificatePath: '/etc/haproxy/certs/' } }));
    // THEN
    expect(cfg).toContain('    bind :443 ssl crt /etc/haproxy/certs/ alpn h2,http/1.1\n');
  });

  test('throws if tls.port equals frontendPort', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderHaproxyCfg(options({ frontendPort: 443, tls: TLS }))).toThrow("'tls.port' must differ from 'frontendPort' (443), got 443");
  });

  test.each(['a "b"', 'x ${HOME}', 'a\\b', 'a\nb', ' '])('throws if the policy is %p', (policy) => {
    // GIVEN / WHEN / THEN
    expect(() => renderHaproxyCfg(options({ tls: { ...TLS, contentSecurityPolicy: policy } }))).toThrow(
      /'tls.contentSecurityPolicy' must be non-empty printable text/,
    );
  });

  test('throws if certificatePath would inject configuration', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderHaproxyCfg(options({ tls: { certificatePath: '/a.pem verify none' } }))).toThrow(/'tls.certificatePath' must be one word/);
  });
});

interface TestCertificate {
  /** Certificate alone (the trust anchor for clients). */
  readonly cert: string;
  /** Combined PEM (certificate, then key), mode 0600, in its own directory `certDir`. */
  readonly pem: string;
  readonly certDir: string;
  cleanup(): void;
}

/**
 * A self-signed certificate for www.foobar.com, foobar.com and *.foobar.com, 90 days like Let's Encrypt's, with a
 * CRL URL as Let's Encrypt's have (nothing serves it; no test fetches it).
 */
function makeTestCertificate(keyType: 'ec' | 'rsa' = 'ec'): TestCertificate {
  const openssl = requireTool('openssl', 'openssl');
  const tmp = makeTempDir('tls-cert');
  const key = path.join(tmp.dir, 'key.pem');
  const cert = path.join(tmp.dir, 'cert.pem');
  const newkey = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const result = run(openssl, [
    'req',
    '-x509',
    ...newkey,
    '-nodes',
    '-days',
    '90',
    '-subj',
    '/CN=www.foobar.com',
    '-addext',
    'subjectAltName=DNS:www.foobar.com,DNS:foobar.com,DNS:*.foobar.com',
    '-addext',
    'crlDistributionPoints=URI:http://127.0.0.1:9/test.crl',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.any(String) });
  const pem = writeFile(tmp.dir, 'certs/site.pem', fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'), 0o600);
  return { cert, pem, certDir: path.dirname(pem), cleanup: tmp.cleanup };
}

describe('haproxy -c accepts the TLS file without warnings', () => {
  let ec: TestCertificate;
  let rsa: TestCertificate;

  beforeAll(() => {
    ec = makeTestCertificate('ec');
    rsa = makeTestCertificate('rsa');
  });

  afterAll(() => {
    ec?.cleanup();
    rsa?.cleanup();
  });

  const profiles = ['intermediate', 'modern'] as const;
  const cases = profiles.flatMap((profile) => BALANCES.map((balance) => [profile, balance] as const));

  test.each(cases)('%s profile, balance %s, ECDSA certificate', (profile, balance) => {
    // GIVEN
    const tls = { certificatePath: ec.pem, profile };
    const cfg = resolveTokens(renderHaproxyCfg(options({ balance, servers: tokenServers(3), tls })), privateIp);
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expectClean(result, HAPROXY_CLEAN);
    expect(result.output).not.toContain('[NOTICE]');
  });

  test('intermediate with an RSA certificate', () => {
    // GIVEN
    const cfg = resolveTokens(renderHaproxyCfg(options({ tls: { certificatePath: rsa.pem } })), privateIp);
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expectClean(result, HAPROXY_CLEAN);
    expect(result.output).not.toContain('[NOTICE]');
  });

  test('a certificate directory', () => {
    // GIVEN
    const cfg = resolveTokens(renderHaproxyCfg(options({ tls: { certificatePath: `${ec.certDir}/` } })), privateIp);
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expectClean(result, HAPROXY_CLEAN);
  });

  test('the check fails when the certificate is missing (it reads the certificate)', () => {
    // GIVEN
    const cfg = resolveTokens(renderHaproxyCfg(options({ tls: { certificatePath: `${ec.certDir}/missing.pem` } })), privateIp);
    // WHEN
    const result = haproxyCheck(cfg);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('[ALERT]');
  });
});

interface FullReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request with `Host: www.foobar.com`; HTTPS verifies the server against the test certificate. */
function request(scheme: 'http' | 'https', port: number, urlPath: string, ca?: string): Promise<FullReply> {
  return new Promise((resolve, reject) => {
    const base = { host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 5000, headers: { Host: 'www.foobar.com' } };
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req = scheme === 'https' ? https.get({ ...base, ca, servername: 'www.foobar.com' }, onResponse) : http.get(base, onResponse);
    req.on('timeout', () => req.destroy(new Error(`${scheme} 127.0.0.1:${port}${urlPath} timed out`)));
    req.on('error', reject);
  });
}

/** Runs a command without blocking the event loop (the node web servers must keep answering), bounded in time. */
function runAsync(command: string, args: readonly string[], timeoutMs: number, cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout can end the command and whatever it started (testssl runs openssl).
    const child = spawn(command, args, { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}${stderr}`));
      } else {
        resolve({ status, stdout, stderr, output: `${stdout}${stderr}` });
      }
    });
    child.stdin?.end();
  });
}

/** One TLS handshake with `openssl s_client` (then EOF): the handshake's outcome, as openssl printed it. */
function handshake(port: number, ca: string, extra: readonly string[]): Promise<RunResult> {
  const openssl = requireTool('openssl', 'openssl');
  return runAsync(openssl, ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'www.foobar.com', '-CAfile', ca, ...extra], 10_000);
}

/** The client would offer TLS 1.0/1.1 (OpenSSL 3 clients need security level 0 for them). */
const OLD_CLIENT = ['-cipher', 'DEFAULT@SECLEVEL=0'];

function expectRefusedProtocol(result: RunResult): void {
  expect(result.status).not.toBe(0);
  // The server's alert, not a client-side refusal.
  expect(result.output).toMatch(/alert protocol version/);
}

/**
 * The handshake succeeded with `protocol` and a verified certificate. s_client prints the protocol in its session
 * block up to TLS 1.2; for TLS 1.3 it prints only the suite, and TLS 1.3 suites exist in TLS 1.3 alone.
 */
function expectNegotiated(result: RunResult, protocol: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'): void {
  expect(result.status).toBe(0);
  expect(result.output).toMatch(
    protocol === 'TLSv1.3' ? /^New, TLSv1\.3, Cipher is TLS_/m : new RegExp(`^\\s*Protocol\\s*: ${protocol.replace('.', '\\.')}$`, 'm'),
  );
  expect(result.output).toContain('Verify return code: 0 (ok)');
}

describe('HAProxy terminating TLS on loopback', () => {
  let cert: TestCertificate;
  let app: Backend;
  let intermediate: RunningHaproxy | undefined;
  let modern: RunningHaproxy | undefined;
  let noWebServer: RunningHaproxy | undefined;
  let ca: string;

  beforeAll(async () => {
    cert = makeTestCertificate();
    ca = fs.readFileSync(cert.cert, 'utf8');
    app = await startBackend('app');
    const servers = [{ name: 'app', address: '127.0.0.1', port: app.port }];
    intermediate = await startHaproxy({ servers, tls: { certificatePath: cert.pem } });
    modern = await startHaproxy({ servers, tls: { certificatePath: cert.pem, profile: 'modern' } });
    // A web server that is not there: HAProxy answers 503 itself.
    const nobody = await freePort();
    noWebServer = await startHaproxy({ servers: [{ name: 'gone', address: '127.0.0.1', port: nobody }], tls: { certificatePath: cert.pem } });
  });

  afterAll(async () => {
    await intermediate?.stop();
    await modern?.stop();
    await noWebServer?.stop();
    await app?.close();
    cert?.cleanup();
  });

  test('plain HTTP answers 301 to the same host, path and query over HTTPS, with the headers but no HSTS', async () => {
    // GIVEN / WHEN
    const reply = await request('http', intermediate!.frontendPort, '/shop/cart?item=42&q=a%20b');
    // THEN
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe('https://www.foobar.com/shop/cart?item=42&q=a%20b');
    expect(reply.headers).toEqual(expect.objectContaining(SECURITY_HEADERS));
    expect(reply.headers['strict-transport-security']).toBeUndefined();
  });

  test('HTTPS serves the application with every security header, and tells it the scheme was https', async () => {
    // GIVEN / WHEN
    const reply = await request('https', intermediate!.tlsPort!, '/', ca);
    // THEN
    expect(reply.status).toBe(200);
    expect(reply.headers).toEqual(expect.objectContaining({ ...SECURITY_HEADERS, 'strict-transport-security': HSTS }));
    expect(JSON.parse(reply.body)).toEqual(expect.objectContaining({ name: 'app', xfp: 'https', xff: '127.0.0.1' }));
  });

  test('a 503 made by HAProxy itself (no web server up) carries the security headers too', async () => {
    // GIVEN / WHEN
    const reply = await request('https', noWebServer!.tlsPort!, '/', ca);
    // THEN
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('No server is available');
    expect(reply.headers).toEqual(expect.objectContaining({ ...SECURITY_HEADERS, 'strict-transport-security': HSTS }));
  });

  test('offers HTTP/2 and HTTP/1.1 by ALPN', async () => {
    // GIVEN / WHEN
    const h2 = await handshake(intermediate!.tlsPort!, cert.cert, ['-alpn', 'h2,http/1.1']);
    const h1 = await handshake(intermediate!.tlsPort!, cert.cert, ['-alpn', 'http/1.1']);
    // THEN
    expect(h2.output).toContain('ALPN protocol: h2');
    expect(h1.output).toContain('ALPN protocol: http/1.1');
  });

  test('intermediate accepts TLS 1.3 and TLS 1.2', async () => {
    // GIVEN / WHEN
    const tls13 = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1_3']);
    const tls12 = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1_2']);
    // THEN
    expectNegotiated(tls13, 'TLSv1.3');
    expectNegotiated(tls12, 'TLSv1.2');
    expect(tls12.output).toMatch(/Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
  });

  test('intermediate refuses TLS 1.1 and TLS 1.0', async () => {
    // GIVEN / WHEN
    const tls11 = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1_1', ...OLD_CLIENT]);
    const tls10 = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1', ...OLD_CLIENT]);
    // THEN
    expectRefusedProtocol(tls11);
    expectRefusedProtocol(tls10);
  });

  test('control: the same TLS 1.1 client gets through when ssl-min-ver is lowered (the refusal above is ours)', async () => {
    // GIVEN: the rendered file with TLS 1.0 allowed and OpenSSL's security level 0 (which TLS < 1.2 needs)
    const lowered = await startHaproxy(
      { servers: [{ name: 'app', address: '127.0.0.1', port: app.port }], tls: { certificatePath: cert.pem } },
      undefined,
      (cfg) => {
        const edited = cfg
          .replace('ssl-min-ver TLSv1.2', 'ssl-min-ver TLSv1.0')
          .replace(/^ {4}ssl-default-bind-ciphers .*$/m, '    ssl-default-bind-ciphers DEFAULT:@SECLEVEL=0');
        expect(edited).toContain('ssl-min-ver TLSv1.0');
        expect(edited).toContain('DEFAULT:@SECLEVEL=0');
        return edited;
      },
    );
    try {
      // WHEN
      const tls11 = await handshake(lowered.tlsPort!, cert.cert, ['-tls1_1', ...OLD_CLIENT]);
      // THEN
      expectNegotiated(tls11, 'TLSv1.1');
    } finally {
      await lowered.stop();
    }
  });

  test('intermediate refuses TLS 1.2 suites outside the list (CBC)', async () => {
    // GIVEN / WHEN
    const cbc = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA']);
    const sha256 = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256']);
    // THEN
    expect([cbc.status, sha256.status]).not.toContain(0);
    expect(cbc.output).toMatch(/handshake failure/);
    expect(sha256.output).toMatch(/handshake failure/);
  });

  test('no TLS 1.2 session tickets are issued', async () => {
    // GIVEN / WHEN
    const tls12 = await handshake(intermediate!.tlsPort!, cert.cert, ['-tls1_2']);
    // THEN
    expectNegotiated(tls12, 'TLSv1.2');
    expect(tls12.output).not.toMatch(/TLS session ticket lifetime hint/);
  });

  test('modern refuses TLS 1.2 and accepts TLS 1.3', async () => {
    // GIVEN / WHEN
    const tls12 = await handshake(modern!.tlsPort!, cert.cert, ['-tls1_2']);
    const tls13 = await handshake(modern!.tlsPort!, cert.cert, ['-tls1_3']);
    // THEN
    expectRefusedProtocol(tls12);
    expectNegotiated(tls13, 'TLSv1.3');
  });

  test('modern serves the application with every security header', async () => {
    // GIVEN / WHEN
    const reply = await request('https', modern!.tlsPort!, '/', ca);
    // THEN
    expect(reply.status).toBe(200);
    expect(reply.headers).toEqual(expect.objectContaining({ ...SECURITY_HEADERS, 'strict-transport-security': HSTS }));
  });

  test('testssl scans the intermediate listener and its rating is recorded', async () => {
    // GIVEN: testssl against loopback only (no DNS lookups), trusting the test certificate as a CA
    const testssl = requireTool('testssl', 'testssl.sh');
    const tmp = makeTempDir('testssl');
    try {
      const json = path.join(tmp.dir, 'testssl.json');
      // WHEN: bounded (the scan takes about 90 s here)
      const result = await runAsync(
        testssl,
        [
          '--fast',
          '--quiet',
          '--warnings',
          'off',
          '--color',
          '0',
          '--nodns',
          'none',
          '--openssl',
          requireTool('openssl', 'openssl'),
          '--add-ca',
          cert.cert,
          '--jsonfile',
          json,
          // The certificate's name, connecting to 127.0.0.1 (--ip: no name lookup).
          '--ip',
          '127.0.0.1',
          `https://www.foobar.com:${intermediate!.tlsPort!}/`,
        ],
        240_000,
        tmp.dir,
      );
      // THEN: it ran to the end and judged the listener
      expect(fs.existsSync(json)).toBe(true);
      const findings = JSON.parse(fs.readFileSync(json, 'utf8')) as TestsslFinding[];
      const byId = new Map(findings.map((f) => [f.id, f]));
      expect(byId.get('scanTime')).toBeDefined();
      expect(byId.get('TLS1')?.finding).toMatch(/not offered/);
      expect(byId.get('TLS1_1')?.finding).toMatch(/not offered/);
      expect(byId.get('TLS1_2')?.finding).toMatch(/^offered/);
      expect(byId.get('TLS1_3')?.finding).toMatch(/^offered/);
      const rating = testsslRating(findings);
      expect(rating).toMatch(/\S/);
      process.stdout.write(`testssl (127.0.0.1:${intermediate!.tlsPort}, intermediate): ${rating}\n`);
      expect(result.output).toContain('Done');
    } finally {
      tmp.cleanup();
    }
  }, 300_000);
});

interface TestsslFinding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

const SEVERITIES = ['OK', 'INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/**
 * testssl's overall grade (`overall_grade`, testssl 3.1 and later). Debian 12's testssl 3.0.8 predates the rating,
 * so then the summary is the worst severity it gave, the count per severity and every finding rated LOW or worse.
 * WARN findings are about the scan itself (checks the local openssl cannot do) and are listed apart.
 */
function testsslRating(findings: readonly TestsslFinding[]): string {
  const grade = findings.find((f) => f.id === 'overall_grade');
  if (grade) {
    return `overall grade ${grade.finding}`;
  }
  const rank = (f: TestsslFinding) => SEVERITIES.indexOf(f.severity);
  const worst = Math.max(...findings.map(rank));
  const counts = SEVERITIES.map((s) => `${s} ${findings.filter((f) => f.severity === s).length}`).join(', ');
  const notable = findings.filter((f) => rank(f) >= SEVERITIES.indexOf('LOW')).map((f) => `${f.id} ${f.severity} (${f.finding})`);
  const scanWarnings = findings.filter((f) => f.severity === 'WARN').map((f) => `${f.id} (${f.finding})`);
  return (
    `no overall grade in this testssl version; worst severity ${SEVERITIES[worst]} [${counts}]; ` +
    `LOW or worse: ${notable.join(', ') || 'none'}; scan warnings: ${scanWarnings.join(', ') || 'none'}`
  );
}

// ---- keepalived's health endpoint (HaproxyPair) ----------------------------------------------------------------

describe('lbHealth: a loopback monitor endpoint for keepalived', () => {
  test('renders a monitor-uri frontend on 127.0.0.1 that fails when no web server is up', () => {
    const text = renderHaproxyCfg(options({ lbHealth: { port: 8405, path: '/tierform-lb-health' } }));
    expect(text).toContain(
      'frontend lb_health\n    bind 127.0.0.1:8405\n    monitor-uri /tierform-lb-health\n    monitor fail if { nbsrv(web) lt 1 }',
    );
  });

  test('without lbHealth nothing is rendered', () => {
    expect(renderHaproxyCfg(options({}))).not.toContain('lb_health');
  });

  test('haproxy -c accepts it without warnings', () => {
    const servers = [{ name: 'web-0', address: '10.20.0.5', port: 80 }];
    expectClean(haproxyCheck(renderHaproxyCfg(options({ servers, lbHealth: { port: 8405, path: '/tierform-lb-health' } }))), HAPROXY_CLEAN);
  });

  test('answers 200 while a server is up and 503 once none is', async () => {
    // GIVEN one backend behind HAProxy with the health endpoint
    const backend = await startBackend('only');
    const healthPort = await freePort();
    const running = await startHaproxy({
      balance: 'roundrobin',
      servers: [{ name: 'only', address: '127.0.0.1', port: backend.port }],
      lbHealth: { port: healthPort, path: '/tierform-lb-health' },
    });
    try {
      // THEN healthy while the server is up (bounded wait for its first checks)
      let status = 0;
      const upBy = Date.now() + 5000;
      while (status !== 200 && Date.now() < upBy) {
        status = (await get(healthPort, '/tierform-lb-health')).status;
        await sleep(50);
      }
      expect(status).toBe(200);
      // WHEN the only server fails its health check
      backend.healthy = false;
      const downBy = Date.now() + 6000;
      while (status !== 503 && Date.now() < downBy) {
        status = (await get(healthPort, '/tierform-lb-health')).status;
        await sleep(100);
      }
      // THEN keepalived would see HAProxy as unable to serve
      expect(status).toBe(503);
    } finally {
      await running.stop();
      await backend.close();
    }
  });
});

describe('renderHaproxyDropIn', () => {
  test("gives haproxy.service the droplet's addresses from the netinfo file", () => {
    expect(renderHaproxyDropIn()).toContain(`\n[Service]\nEnvironmentFile=${NET_ENV_FILE}\n`);
  });

  test("passes systemd-analyze verify applied to the package's haproxy.service", () => {
    // GIVEN / WHEN
    const ran = checkFiles([{ path: HAPROXY_DROP_IN_PATH, content: renderHaproxyDropIn(), permissions: '0644' }]);
    // THEN
    expect(ran).toEqual([`${HAPROXY_DROP_IN_PATH}: systemd-analyze verify (drop-in)`]);
  });
});
