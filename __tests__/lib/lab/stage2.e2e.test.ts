/**
 * End to end: stage 2 (HAProxy with HTTPS → 2 × nginx+gunicorn → MariaDB primary + replica, Prometheus with
 * exporters, three firewall layers) synthesized from main.ts and booted in the lab from its cdk.tf.json. Let's
 * Encrypt is the lab CA (the client trusts it); everything else runs as the plan wrote it. Root and the Debian
 * packages are required.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabBoot } from '../../../lib/lab/boot';
import { mismatches, reachabilityMatrix, runProbes, summary } from './reachability';
import {
  TestsslFinding,
  headersFromHaproxyCfg,
  httpAnswer,
  httpHead,
  observatoryScan,
  observatorySummary,
  poll,
  testsslRating,
  useBootedStage,
} from './stage-fixture';

const STAGE = 'stage2-secured-monitored';
const DOMAIN = 'foobar.com';
const LB = 'foobar-s2-lb';
const MON = 'foobar-s2-mon';
const WEB = ['foobar-s2-web-0', 'foobar-s2-web-1'];
const PRIMARY = 'foobar-s2-db-primary';
const REPLICA = 'foobar-s2-db-replica-1';

/** testssl runs in the background while the other tests run (it takes about 45 s here). */
let testssl: Promise<{ status: number | null; output: string; findings?: TestsslFinding[]; seconds: number }> | undefined;

const { boot } = useBootedStage(STAGE, {
  bootTimeoutMs: 120_000,
  // beforeShutdown waits for testssl (bounded at 300 s below, minutes on a busy machine), then the lab shuts down:
  // the hook's budget covers both, or a run under load (or `-t Observatory`, which skips the testssl test but still
  // starts it) fails in afterAll and leaves the lab to the watchdog.
  shutdownTimeoutMs: 480_000,
  afterBoot: (booted) => startTestssl(booted.boot),
  beforeShutdown: async () => {
    await testssl;
  },
});

function startTestssl(boot: LabBoot): void {
  const json = path.join(boot.lab.dir, 'testssl.json');
  const started = Date.now();
  testssl = boot.lab
    .exec(
      'client',
      [
        'testssl',
        '--fast',
        '--quiet',
        '--warnings',
        'off',
        '--color',
        '0',
        '--nodns',
        'none',
        '--add-ca',
        boot.ca!.certFile,
        '--jsonfile',
        json,
        // The site's name, connecting to the address the lab's DNS gives it (--ip: no lookup).
        '--ip',
        boot.droplet(LB).planned.publicIp,
        `https://www.${DOMAIN}/`,
      ],
      // ~45 s on an idle machine; several minutes when other suites share the two cores. Killed at the timeout, it
      // leaves an unterminated JSON file: the failure then says so, with its exit status and run time.
      { timeoutMs: 300_000 },
    )
    .then((r) => {
      const seconds = (Date.now() - started) / 1000;
      const text = fs.existsSync(json) ? fs.readFileSync(json, 'utf8') : undefined;
      let findings: TestsslFinding[] | undefined;
      try {
        findings = text === undefined ? undefined : (JSON.parse(text) as TestsslFinding[]);
      } catch (e) {
        return {
          status: r.status,
          seconds,
          output: `exit ${r.status} after ${seconds.toFixed(0)} s, ${(e as Error).message}; last output: ${`${r.stdout}${r.stderr}`.slice(-400)}`,
        };
      }
      return { status: r.status, output: `${r.stdout}${r.stderr}`, findings, seconds };
    })
    .catch((e: Error) => ({ status: null, output: e.message, seconds: (Date.now() - started) / 1000 }));
}

test('boots all six droplets from the plan; the lab CA issued the certificate certbot asked for', async () => {
  expect([...boot().droplets.keys()].sort()).toEqual([PRIMARY, REPLICA, LB, MON, ...WEB].sort());
  for (const d of boot().droplets.values()) {
    expect({ droplet: d.planned.name, failed: d.steps.filter((s) => s.outcome === 'failed') }).toEqual({ droplet: d.planned.name, failed: [] });
  }
  // certbot ran from tierform-certbot-issue.service (started --no-block at boot): poll until it has finished.
  await poll('the issuing service to finish', async () => (boot().ca!.issued.length > 0 ? true : undefined), { attempts: 50, timeoutMs: 20_000 });
  expect(boot().ca!.issued).toEqual([expect.objectContaining({ droplet: LB, certName: DOMAIN, domains: [DOMAIN, `*.${DOMAIN}`] })]);
  const pem = boot().droplet(LB).host.readFile('/etc/haproxy/certs/site.pem') ?? '';
  expect(pem).toContain(boot().ca!.certPem.trim());
});

test('the reachability matrix: every flow the firewalls forbid is dropped, every allowed one connects', async () => {
  const probes = reachabilityMatrix(boot());
  const results = await runProbes(boot(), probes);
  process.stdout.write(`${STAGE}: ${summary(results)}\n`);
  expect(mismatches(results)).toEqual([]);
  // The matrix is not vacuous: the three layers are all in it.
  const outcome = (source: string, destination: string, port: number) =>
    results.find(
      (r) => r.source === source && r.destination === destination && r.port === port && r.address === boot().droplet(destination).planned.privateIp,
    )?.outcome;
  expect({
    lbToWeb80: outcome(LB, WEB[0], 80),
    webToPrimary3306: outcome(WEB[0], PRIMARY, 3306),
    lbToPrimary3306: outcome(LB, PRIMARY, 3306),
    monToWebNode: outcome(MON, WEB[1], 9100),
    webToWebNode: outcome(WEB[0], WEB[1], 9100),
  }).toEqual({ lbToWeb80: 'open', webToPrimary3306: 'open', lbToPrimary3306: 'dropped', monToWebNode: 'open', webToWebNode: 'dropped' });
  expect(
    results
      .filter((r) => r.source === 'client' && r.outcome === 'open')
      .map((r) => `${r.destination}:${r.port}`)
      .sort(),
  ).toEqual([`${LB}:443`, `${LB}:80`]);
}, 60_000);

test('plain HTTP answers only with a 301 to the same URL over HTTPS', async () => {
  for (const host of [DOMAIN, `www.${DOMAIN}`]) {
    const r = await httpHead(boot(), 'client', `http://${host}/visits/1?x=1`);
    expect({ host, status: r.status, location: r.headers.location }).toEqual({ host, status: 301, location: `https://${host}/visits/1?x=1` });
    expect(r.headers['strict-transport-security']).toBeUndefined();
  }
});

test('HTTPS answers with a certificate the client trusts and the security headers the plan sets', async () => {
  const cfg = boot().droplet(LB).host.readFile('/etc/haproxy/haproxy.cfg') ?? '';
  const wanted = headersFromHaproxyCfg(cfg);
  expect(wanted.map((h) => h.name).sort()).toEqual(
    [
      'content-security-policy',
      'permissions-policy',
      'referrer-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
    ].sort(),
  );
  // curl verifies the chain against the client's trust store (the lab CA only): no -k.
  const r = await httpHead(boot(), 'client', `https://www.${DOMAIN}/`);
  expect({ status: r.status, curlExit: r.curlExit, stderr: r.stderr }).toEqual({ status: 200, curlExit: 0, stderr: '' });
  for (const h of wanted) expect({ [h.name]: r.headers[h.name] }).toEqual({ [h.name]: h.value });
  const page = await httpAnswer(boot(), 'client', `https://www.${DOMAIN}/`);
  expect(page.status).toBe(200);
  expect(WEB).toContain(page.json?.instance);
  // A name the certificate does not cover is refused by the client.
  const wrong = await boot().lab.exec(
    'client',
    ['curl', '-sS', '--max-time', '5', '--resolve', `other.example:443:${boot().droplet(LB).planned.publicIp}`, 'https://other.example/'],
    { timeoutMs: 10_000 },
  );
  expect(wrong.status).toBe(60);
});

test("Mozilla's HTTP Observatory (its own engine, offline) grades the site A+", async () => {
  const r = await observatoryScan(boot(), `www.${DOMAIN}`);
  process.stdout.write(`${STAGE}: HTTP Observatory ${observatorySummary(r)}\n`);
  const failed = Object.entries(r.tests)
    .filter(([, t]) => !t.pass)
    .map(([name, t]) => `${name}: ${t.result}`);
  expect({ grade: r.grade, failed, csp: r.tests['content-security-policy']?.result }).toEqual({
    grade: 'A+',
    failed: [],
    csp: 'csp-implemented-with-no-unsafe',
  });
  expect(r.score).toBeGreaterThanOrEqual(100);
}, 90_000);

test('testssl.sh scans the site; its rating is recorded', async () => {
  const r = await testssl!;
  // testssl's exit status is the sum of its checks' return codes (a check that cannot decide something returns 1),
  // not a verdict; only 242..255 are fatal (ERR_CONNECT, ERR_CMDLINE, ...). The findings below decide.
  expect({
    finished: r.status !== null,
    fatal: (r.status ?? 0) >= 242,
    findings: r.findings !== undefined,
    output: r.findings ? '' : r.output,
  }).toEqual({
    finished: true,
    fatal: false,
    findings: true,
    output: '',
  });
  const findings = r.findings!;
  const byId = new Map(findings.map((f) => [f.id, f]));
  expect(byId.get('TLS1')?.finding).toMatch(/not offered/);
  expect(byId.get('TLS1_1')?.finding).toMatch(/not offered/);
  expect(byId.get('TLS1_2')?.finding).toMatch(/^offered/);
  expect(byId.get('TLS1_3')?.finding).toMatch(/^offered/);
  const rating = testsslRating(findings);
  process.stdout.write(`${STAGE}: testssl ${r.seconds.toFixed(0)} s, exit ${r.status} (https://www.${DOMAIN}/ from the client): ${rating.summary}\n`);
  expect(['OK', 'INFO', 'LOW', 'MEDIUM']).toContain(rating.worst);
}, 320_000);

test('Prometheus (in the lab) reports every target up', async () => {
  const mon = boot().droplet(MON).planned.privateIp;
  let last = '';
  const targets = await poll(
    'every Prometheus target up',
    async () => {
      const r = await boot().lab.exec(MON, ['curl', '-sS', '--max-time', '5', `http://${mon}:9090/api/v1/targets`], { timeoutMs: 10_000 });
      last = r.stdout;
      let active: { labels: Record<string, string>; health: string; lastError: string }[];
      try {
        active = (JSON.parse(r.stdout) as { data: { activeTargets: typeof active } }).data.activeTargets;
      } catch {
        return undefined;
      }
      return active.length > 0 && active.every((t) => t.health === 'up') ? active : undefined;
    },
    { attempts: 60, timeoutMs: 45_000, intervalMs: 1000, describe: () => last },
  );
  const jobs = [...new Set(targets.map((t) => t.labels.job))].sort();
  process.stdout.write(
    `${STAGE}: Prometheus: ${targets.length} targets up (${jobs.map((j) => `${j} ${targets.filter((t) => t.labels.job === j).length}`).join(', ')})\n`,
  );
  expect(jobs).toEqual(['haproxy', 'mysqld', 'nginx', 'node', 'prometheus']);
  // One node exporter per droplet, and the exporters see their daemons.
  expect(targets.filter((t) => t.labels.job === 'node')).toHaveLength(boot().droplets.size);
  for (const metric of ['mysql_up', 'nginx_up']) {
    const q = await boot().lab.exec(
      MON,
      ['curl', '-sS', '--max-time', '5', '-G', `http://${mon}:9090/api/v1/query`, '--data-urlencode', `query=${metric}`],
      { timeoutMs: 10_000 },
    );
    const values = (JSON.parse(q.stdout) as { data: { result: { value: [number, string] }[] } }).data.result.map((x) => x.value[1]);
    expect({ metric, values }).toEqual({ metric, values: ['1', '1'] });
  }
}, 60_000);
