/**
 * End to end: scaling the web tier of a running stage from 2 to 3 droplets with `LabBoot.apply`, under a steady
 * bounded load, as `terraform apply` of the re-synthesized plan would. Stages 1 and 3 are synthesized from main.ts
 * (TIERFORM_WEB_COUNT=3 the second time) and booted in the lab. Asserted: the apply creates the third web droplet and
 * replaces nothing; no request of the load fails; the new droplet serves a share of the requests soon after the apply
 * returns; no process of any droplet that was there before restarted (every unit's pid and start time, the mount
 * holder, the metadata service); a connection the existing database had accepted survives the reload of its
 * firewall, which now admits the new web droplet; stage 3's Prometheus finds the new droplet's exporters by DNS.
 * Root and the Debian packages are required. Every load is bounded.
 */
import * as path from 'path';
import { ApplyResult } from '../../../lib/lab/apply';
import { LabBoot, stagePlanFile } from '../../../lib/lab/boot';
import { LoadRecord, analyzeLoad, startLoad } from '../../../lib/lab/failover';
import { LabProcess } from '../../../lib/lab/netns';
import { sleep } from '../../helpers/processes';
import { httpAnswer, noteNamespaces, poll, synthesize, useBootedStage } from './stage-fixture';

/** Requests per second of the load (2 per user address: far under the plan's per-client limits). */
const LOAD_RPS = 10;
/**
 * A request that gets no answer within this is failed. Generous: this test counts failures, not latency, and on a
 * loaded machine a new droplet's first requests (gunicorn's first imports and database connections) take seconds.
 */
const REQUEST_TIMEOUT_SECONDS = 10;
/**
 * Seconds from the apply returning until the new droplet must have served a request of the load. Measured (see
 * lib/lab/README.md, "Applying a changed plan"): HAProxy re-resolves its servers' name every few seconds and lets a
 * server in after its health checks pass.
 */
const FIRST_SERVED_BOUND_SECONDS = 15;
/**
 * Seconds from the apply returning until Prometheus scrapes the new droplet's exporters: its dns_sd refresh_interval
 * (30 s in the plan) plus a scrape interval (15 s), with room for a loaded machine.
 */
const PROMETHEUS_BOUND_SECONDS = 75;
/**
 * The smallest share of the load the new droplet must take once HAProxy's slowstart (read from the plan's
 * haproxy.cfg) has ended, over SHARE_WINDOW_SECONDS: round robin over three servers gives a third.
 */
const MIN_SHARE = 0.2;
const SHARE_WINDOW_SECONDS = 10;

interface Scenario {
  readonly stage: string;
  readonly url: string;
  readonly prefix: string;
  /** A load balancer droplet (its haproxy.cfg gives the servers' slowstart). */
  readonly lb: string;
  /** A droplet holding a connection to its database (app.env's DB_HOST) across the apply. */
  readonly heldConnection?: { readonly from: string };
  /** The monitoring droplet, whose Prometheus finds targets by DNS (dns_sd_configs). */
  readonly prometheus?: string;
}

/** Every process of a droplet that must survive an apply: units (pid and start time), mount holder, metadata service. */
function processes(boot: LabBoot, names: readonly string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const name of names) {
    const d = boot.droplets.get(name);
    if (!d) continue;
    const p: Record<string, string> = { 'mount-holder': `${d.host.holderPid}/${d.host.holderStartTime}` };
    for (const u of d.units.status()) if (u.pid !== undefined) p[u.name] = `${u.pid}/${u.startTime}`;
    const metadata = boot.metadata?.processes.get(name);
    if (metadata) p.metadata = String(metadata.pid);
    out[name] = p;
  }
  return out;
}

/** Epoch ms of the load's requests in a web droplet's nginx access log (the load's User-Agent marks them). */
function loadRequestsServed(boot: LabBoot, droplet: string): number[] {
  const log = boot.droplets.get(droplet)?.host.readFile('/var/log/nginx/access.log') ?? '';
  return log
    .split('\n')
    .filter((l) => l.includes('"tierform-lab-load"'))
    .map((l) => {
      const m = /\[([0-9]{2})\/([A-Za-z]{3})\/([0-9]{4}):([0-9:]{8}) ([+-][0-9]{4})\]/.exec(l);
      return m ? Date.parse(`${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5]}`) : NaN;
    })
    .filter((t) => !Number.isNaN(t));
}

/** When each kind of failure happened, in seconds from the start of the apply (for the record of a failed run). */
function failureWindows(records: readonly LoadRecord[], applyStarted: number): string {
  const byKind = new Map<string, number[]>();
  for (const r of records.filter((x) => x.status !== 200)) {
    const kind = r.error ?? `HTTP ${r.status}`;
    byKind.set(kind, [...(byKind.get(kind) ?? []), r.start - applyStarted / 1000]);
  }
  return [...byKind].map(([k, t]) => `; ${k} from ${Math.min(...t).toFixed(1)} s to ${Math.max(...t).toFixed(1)} s after the apply started`).join('');
}

/** The load's requests a web droplet's nginx answered with another status than 200 (access log lines). */
function loadErrorsServed(boot: LabBoot, droplet: string): string[] {
  const log = boot.droplets.get(droplet)?.host.readFile('/var/log/nginx/access.log') ?? '';
  return log.split('\n').filter((l) => l.includes('"tierform-lab-load"') && !/" 200 /.test(l));
}

/** Holds a MySQL connection from `from` to the app database: prints its id, waits for a file, prints it again. */
const HOLD_CONNECTION = `
import os, time, pymysql
env = {}
for line in open('/etc/tierform/app.env'):
    if '=' in line and not line.startswith('#'):
        k, v = line.rstrip('\\n').split('=', 1)
        env[k] = v.strip("'\\"")
c = pymysql.connect(host=env['DB_HOST'], port=int(env.get('DB_PORT', '3306')), user=env['DB_USER'], password=os.environ['DB_PASSWORD'], database=env['DB_NAME'], connect_timeout=5, read_timeout=10)
cur = c.cursor()
cur.execute('SELECT CONNECTION_ID()')
print('connection', cur.fetchone()[0], flush=True)
deadline = time.time() + 300
while not os.path.exists('/tmp/tierform-scale-test.done') and time.time() < deadline:
    time.sleep(0.2)
cur.execute('SELECT CONNECTION_ID()')
print('after apply', cur.fetchone()[0], flush=True)
`;

/** Polls (every second, at most 150 s) until Prometheus on `mon` scrapes the node and nginx exporters at `address`. */
async function scrapedBy(boot: LabBoot, mon: string, address: string): Promise<number> {
  const api = `http://${boot.droplet(mon).planned.privateIp}:9090/api/v1/targets`;
  let last = '';
  await poll(
    `Prometheus scrapes ${address}`,
    async () => {
      const r = await boot.lab.exec(mon, ['curl', '-sS', '--max-time', '5', api], { timeoutMs: 10_000 });
      last = r.stdout;
      let active: { labels: Record<string, string>; health: string }[];
      try {
        active = (JSON.parse(r.stdout) as { data: { activeTargets: typeof active } }).data.activeTargets;
      } catch {
        return undefined;
      }
      const jobs = active.filter((t) => t.labels.instance?.startsWith(`${address}:`) && t.health === 'up').map((t) => t.labels.job);
      return jobs.includes('node') && jobs.includes('nginx') ? true : undefined;
    },
    { attempts: 150, timeoutMs: 150_000, intervalMs: 1000, describe: () => last.slice(0, 2000) },
  );
  return Date.now();
}

function scenario(s: Scenario): void {
  const web = [0, 1].map((i) => `${s.prefix}${i}`);
  const added = `${s.prefix}2`;
  let users: string[] = [];
  let scaledOutdir = '';
  /** Seconds from the apply returning until Prometheus scraped the new droplet (polled from the apply on). */
  let prometheusScraped: Promise<number> | undefined;
  const facts: string[] = [];
  const { boot, booted } = useBootedStage(s.stage, {
    printTiming: false,
    bootTimeoutMs: 240_000,
    shutdownTimeoutMs: 120_000,
    afterBoot: async (up) => {
      scaledOutdir = synthesize(path.join(up.tmpDir, 'cdktf.out.web3'), { TIERFORM_WEB_COUNT: '3' });
      users = up.boot.lab.addClientAddresses(5);
      await poll(`${s.url} answers 200`, async () => ((await httpAnswer(up.boot, 'client', s.url)).status === 200 ? true : undefined), {
        attempts: 120,
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    },
    beforeShutdown: () => {
      if (facts.length > 0) process.stdout.write(`${s.stage}:\n  ${facts.join('\n  ')}\n`);
    },
  });

  test(`web count 2 → 3 under load: ${added} is created and serves, nothing is replaced or restarted, no request fails`, async () => {
    const before = [...boot().droplets.keys()];
    const pidsBefore = processes(boot(), before);
    let held: LabProcess | undefined;
    let heldId = '';
    if (s.heldConnection) {
      const password = String(boot().labPlan.variables.mysql_app_password);
      held = boot()
        .droplet(s.heldConnection.from)
        .host.spawn(['python3', '-c', HOLD_CONNECTION], { name: 'held-connection', env: { DB_PASSWORD: password } });
      heldId = /connection ([0-9]+)/.exec(await held.waitForOutput(/connection [0-9]+/, 20_000))![1];
    }

    const load = startLoad(boot(), {
      url: s.url,
      rps: LOAD_RPS,
      seconds: 120,
      timeoutSeconds: REQUEST_TIMEOUT_SECONDS,
      sources: users,
      stopFile: path.join(booted().tmpDir, 'load.stop'),
    });
    await sleep(load.startedAt - Date.now() + 3000);
    const applyStarted = Date.now();
    let result: ApplyResult | undefined;
    let applyError: Error | undefined;
    try {
      result = await boot().apply(stagePlanFile(s.stage, scaledOutdir));
    } catch (e) {
      applyError = e as Error;
    }
    const applied = Date.now();
    noteNamespaces(boot(), booted().inodes);
    if (s.prometheus && boot().droplets.has(added)) {
      prometheusScraped = scrapedBy(boot(), s.prometheus, boot().droplet(added).planned.privateIp).then((t) => (t - applied) / 1000);
      prometheusScraped.catch(() => undefined);
    }
    let firstServed: number | undefined;
    if (boot().droplets.has(added)) {
      firstServed = await poll(`${added} serves a request of the load`, async () => loadRequestsServed(boot(), added)[0], {
        attempts: 400,
        timeoutMs: 100_000,
        intervalMs: 250,
      }).catch(() => undefined);
    }
    // HAProxy ramps a new server's weight up over its slowstart: the share is measured in a window after it.
    const slowstart = Number(/slowstart ([0-9]+)s/.exec(boot().droplet(s.lb).host.readFile('/etc/haproxy/haproxy.cfg') ?? '')?.[1] ?? 0);
    const windowStart = (firstServed ?? applied) + slowstart * 1000 + 1000;
    await sleep(Math.max(0, windowStart + SHARE_WINDOW_SECONDS * 1000 + 1000 - Date.now()));
    load.stop();
    const records: LoadRecord[] = await load.done;
    const report = analyzeLoad(records);
    if (held) {
      boot().droplet(s.heldConnection!.from).host.writeFile('/tmp/tierform-scale-test.done', 'done\n', 0o644);
    }
    const heldAfter = held
      ? /after apply ([0-9]+)/.exec(await held.waitForOutput(/after apply [0-9]+|Error/, 20_000).catch((e: Error) => e.message))?.[1]
      : undefined;

    const inWindow = (t: number) => t >= windowStart && t < windowStart + SHARE_WINDOW_SECONDS * 1000;
    const served = Object.fromEntries([...web, added].map((w) => [w, loadRequestsServed(boot(), w).filter(inWindow).length]));
    const total = Object.values(served).reduce((a, b) => a + b, 0);
    const share = total === 0 ? 0 : served[added] / total;
    const pidsAfter = processes(boot(), before);
    facts.push(
      `apply (web count 2 → 3) took ${((applied - applyStarted) / 1000).toFixed(1)} s${applyError ? ` and failed: ${applyError.message}` : ''}; ` +
        `DNS served the new records ${result?.dnsServedAfterSeconds?.toFixed(2) ?? '-'} s into it; firewalls reloaded on ${result?.firewallsReloaded.length ?? '-'} droplets`,
      `${result ? result.summary.split('\n').join('\n  ') : 'no summary'}`,
      `load ${LOAD_RPS} req/s from ${users.length} addresses: ${report.failed}/${report.total} failed ${JSON.stringify(report.failures)}${failureWindows(records, applyStarted)}`,
      `${added} served its first request of the load ${firstServed === undefined ? 'never' : `${((firstServed - applied) / 1000).toFixed(1)} s after the apply returned (access log, 1 s resolution)`}; ` +
        `in the ${SHARE_WINDOW_SECONDS} s after HAProxy's slowstart (${slowstart} s) ${JSON.stringify(served)} (share ${(share * 100).toFixed(0)} %)`,
      ...[...web, added].flatMap((w) =>
        loadErrorsServed(boot(), w)
          .slice(0, 3)
          .map((l) => `${w} answered: ${l}`),
      ),
      ...(held
        ? [
            `database connection ${heldId} held by ${s.heldConnection!.from} across the apply: ${heldAfter === heldId ? 'still open' : `lost (${heldAfter ?? 'no answer'})`}`,
          ]
        : []),
    );

    expect(applyError).toBeUndefined();
    expect(result!.diff.droplets.created.map((d) => d.name)).toEqual([added]);
    expect(result!.diff.droplets.destroyed).toEqual([]);
    expect(result!.diff.droplets.replaced).toEqual([]);
    expect({ failed: report.failed, failures: report.failures }).toEqual({ failed: 0, failures: {} });
    expect(firstServed).toBeDefined();
    expect((firstServed! - applied) / 1000).toBeLessThan(FIRST_SERVED_BOUND_SECONDS);
    expect(share).toBeGreaterThanOrEqual(MIN_SHARE);
    expect(pidsAfter).toEqual(pidsBefore);
    if (held) expect(heldAfter).toBe(heldId);
  }, 420_000);

  if (s.prometheus) {
    test(`Prometheus finds ${added}'s exporters by DNS (dns_sd_configs) and scrapes them`, async () => {
      if (!prometheusScraped) throw new Error(`${added} was not created: nothing to discover`);
      const seconds = await prometheusScraped;
      facts.push(`Prometheus scraped ${added}'s exporters (node, nginx) ${seconds.toFixed(1)} s after the apply returned (polled every second)`);
      expect(seconds).toBeLessThan(PROMETHEUS_BOUND_SECONDS);
    }, 200_000);
  }
}

describe('stage 1: scaling the web tier', () => {
  scenario({
    stage: 'stage1-load-balanced',
    url: 'http://www.foobar.com/',
    prefix: 'foobar-s1-web-',
    lb: 'foobar-s1-lb',
    heldConnection: { from: 'foobar-s1-web-0' },
  });
});

describe('stage 3: scaling the web tier', () => {
  scenario({
    stage: 'stage3-high-availability',
    url: 'https://www.foobar.com/',
    prefix: 'foobar-s3-web-',
    lb: 'foobar-s3-lb-0',
    prometheus: 'foobar-s3-mon',
  });
});
