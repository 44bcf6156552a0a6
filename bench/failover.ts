/**
 * `npm run bench:failover`: stage 3's failover and replication, measured in the lab (root; see bench/README.md).
 *
 * 1. Synthesizes the stages with TIERFORM_ENGINE=mariadb-10.11 into a temporary outdir and boots
 *    stage3-high-availability in the lab (lib/lab): ten droplets in network namespaces, keepalived's VRRP in
 *    VXLAN, the reserved IP moved by the DigitalOcean API stand-in.
 * 2. Scenarios, one after the other on the same lab, each under its own bounded open-loop load from the lab's
 *    client through the reserved IP (`--rps` requests per second for `--seconds`, each a new HTTPS connection with
 *    a 1 s timeout), the failure injected on the active load balancer at `--kill-at`:
 *    - `haproxy-killed`: HAProxy's tracked process SIGKILLed, systemd's restart held (a crash that persists);
 *    - `haproxy-hung`: HAProxy's processes SIGSTOPped (alive, answering nothing), SIGCONT after the load;
 *    - `droplet-off`: the droplet cut off every network (`LabNetwork.disconnect`): as powered off for its peer
 *      and its clients; reconnected after the load;
 *    - `haproxy-killed` again with the API stand-in moving the address `--assign-delay` seconds after it
 *      answers the assign call (DigitalOcean's edge taking its time; see docs/decisions.md, "Failover timing").
 *    After each, the failed side is healed and the pair settles (one master holding the reserved IP) before the
 *    next. failover_seconds: from the injection to the backup's assign call reaching the API; recovery_seconds:
 *    until requests succeed again; lost_percent: failed requests of the whole load.
 * 3. Writes `--lag-rate` rows per second for `--lag-seconds` on the primary from an app droplet (the app's own
 *    account) while readers poll both replicas: replica_lag_seconds is the worst row's commit → visible delay.
 * 4. Tears the lab down (also on failure and Ctrl-C) and checks that nothing of it is left.
 *
 * The last lines are for machines: one `scenario=<name> assign_delay_seconds=<s> failover_seconds=<s>
 * recovery_seconds=<s> lost_percent=<p>` line per scenario, then `replica_lag_seconds=<s>`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LabBoot, bootStage } from '../lib/lab/boot';
import { analyzeLoad, measureReplicaLag, startLoad, vrrpMasters, vrrpNodes } from '../lib/lab/failover';
import { LabError } from '../lib/lab/netns';
import { listLabs } from '../lib/lab/teardown';
import { synthesizeForLab } from './synth-stages';

const STAGE = 'stage3-high-availability';
/** For a dead HAProxy at zero assign delay: failover_seconds is the injection → assign call. */
const TARGETS = { failoverSeconds: 1, lostPercent: 2, replicaLagSeconds: 1 };
const SCENARIOS = ['haproxy-killed', 'haproxy-hung', 'droplet-off'] as const;
/**
 * Seconds DigitalOcean's edge takes to move a reserved IP after the assign call, used for the last scenario. No
 * figure is documented by DigitalOcean (its docs say "instantly"); see docs/decisions.md, "Failover timing".
 */
const DEFAULT_ASSIGN_DELAY_SECONDS = 5;

interface Options {
  readonly rps: number;
  readonly seconds: number;
  readonly killAt: number;
  readonly lagRate: number;
  readonly lagSeconds: number;
  readonly assignDelay: number;
  readonly scenarios: readonly string[];
  readonly outdir?: string;
}

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string, fallback: number) => {
    const a = argv.find((x) => x.startsWith(`--${name}=`));
    const v = a === undefined ? fallback : Number(a.slice(name.length + 3));
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  const o = {
    rps: get('rps', 40),
    seconds: get('seconds', 30),
    killAt: get('kill-at', 10),
    lagRate: get('lag-rate', 200),
    lagSeconds: get('lag-seconds', 10),
    assignDelay: get('assign-delay', DEFAULT_ASSIGN_DELAY_SECONDS),
    scenarios: argv
      .find((x) => x.startsWith('--scenarios='))
      ?.slice(12)
      .split(',') ?? [...SCENARIOS],
    outdir: argv.find((x) => x.startsWith('--outdir='))?.slice(9),
  };
  const unknown = o.scenarios.filter((x) => !(SCENARIOS as readonly string[]).includes(x));
  if (unknown.length > 0) throw new Error(`--scenarios: unknown ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  // Bounds: the load and the writer are bounded in rate, count and time.
  if (o.rps > 200 || o.seconds > 120 || o.killAt >= o.seconds - 5 || o.lagRate > 1000 || o.lagSeconds > 60 || o.assignDelay > 60) {
    throw new Error('bounds: --rps ≤ 200, --seconds ≤ 120, --kill-at ≤ --seconds − 5, --lag-rate ≤ 1000, --lag-seconds ≤ 60, --assign-delay ≤ 60');
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line: string) => process.stdout.write(`${line}\n`);

async function poll<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new LabError(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** The app droplet, its database account and the database droplets, from the app's environment file. */
function database(boot: LabBoot): { app: string; primary: string; replicas: string[]; user: string; database: string; password: string } {
  for (const [name, d] of boot.droplets) {
    const env = d.host.readFile('/etc/tierform/app.env');
    if (env === undefined || d.host.readFile('/etc/systemd/system/tierform-app.service') === undefined) continue;
    const value = (key: string) => new RegExp(`^${key}='([^']*)'$`, 'm').exec(env)?.[1];
    const host = value('DB_HOST');
    // DB_HOST is the primary's internal DNS name (or an address): the plan's records give its address.
    const address = boot.labPlan.records.find((r) => r.name === host)?.address ?? host;
    const primary = boot.labPlan.droplets.find((x) => x.privateIp === address);
    if (!primary) throw new LabError(`${name}: DB_HOST ${host} is no droplet of the lab`);
    const replicas = boot.labPlan.droplets.filter((x) => x.name !== primary.name && x.tags.some((t) => primary.tags.includes(t))).map((x) => x.name);
    const password = boot.labPlan.variables.mysql_app_password;
    if (typeof password !== 'string') throw new LabError('the plan has no mysql_app_password variable');
    return { app: name, primary: primary.name, replicas, user: value('DB_USER') ?? 'app', database: value('DB_NAME') ?? 'app', password };
  }
  throw new LabError('no app droplet (/etc/tierform/app.env) in the lab');
}

type Scenario = 'haproxy-killed' | 'haproxy-hung' | 'droplet-off';

interface ScenarioResult {
  readonly name: Scenario;
  readonly assignDelaySeconds: number;
  readonly active: string;
  /** Injection → the assign call reaching the API (undefined: none). */
  readonly failoverSeconds?: number;
  readonly recoverySeconds?: number;
  readonly lostPercent: number;
  readonly line: string;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('bench:failover boots the lab: run it as root (network namespaces, nftables)');
  out(
    `bench:failover — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  out(
    `load per scenario: ${o.rps} req/s for ${o.seconds} s (${Math.round(o.rps * o.seconds)} requests at most, 1 s timeout each, from ${Math.ceil(o.rps / 2)} client addresses), failure at ${o.killAt} s; assign delay of the last scenario ${o.assignDelay} s; replica lag at ${o.lagRate} writes/s for ${o.lagSeconds} s`,
  );

  let tmp: string | undefined;
  // Ctrl-C: remove the temporary outdir and exit; the lab's exit handler tears the lab down (and its watchdog would).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench:failover: ${signal}, tearing down\n`);
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }
  let boot: LabBoot | undefined;
  try {
    let outdir = o.outdir;
    if (!outdir) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-bench-failover-'));
      outdir = path.join(tmp, 'cdktf.out');
      synthesizeForLab(outdir, 'bench:failover');
    }
    boot = await bootStage({ stage: STAGE, outdir });
    const lab = boot;
    out(`booted ${STAGE} in ${lab.bootSeconds?.toFixed(1)} s (lab ${lab.lab.id}, ${lab.droplets.size} droplets)`);
    const reservedIp = [...lab.lab.reservedIps().keys()][0];
    if (!reservedIp) throw new LabError(`${STAGE} has no reserved IP`);
    const api = lab.api;
    if (!api) throw new LabError(`${STAGE} booted without the API stand-in`);
    const nodes = vrrpNodes(lab);
    const holder = () => lab.lab.holderOf(reservedIp)?.name;
    const settled = (what: string) =>
      poll(
        what,
        () => {
          const m = vrrpMasters(lab, nodes);
          return m.length === 1 && holder() === m[0] ? m[0] : undefined;
        },
        60_000,
      );
    const url = `https://www.${lab.labPlan.records.find((r) => r.address === reservedIp && r.name.startsWith('www.'))?.name.slice(4) ?? 'foobar.com'}/`;
    const siteAnswers = (what: string) =>
      poll(
        what,
        async () => {
          const r = await lab.lab.exec('client', ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', url], {
            timeoutMs: 10_000,
          });
          return r.stdout === '200' ? true : undefined;
        },
        60_000,
      );
    const first = await settled('one keepalived master holding the reserved IP');
    await siteAnswers('the site answering through the reserved IP');
    out(`${first} is master and holds ${reservedIp}; ${url} answers`);
    // Many users, each well under the plan's per-client rate limit (nginx limit_req): 2 requests/s each.
    const users = lab.lab.addClientAddresses(Math.min(100, Math.ceil(o.rps / 2)));

    const runScenario = async (name: Scenario, assignDelaySeconds: number): Promise<ScenarioResult> => {
      const active = await settled(`${name}: one master holding the reserved IP before the scenario`);
      await siteAnswers(`${name}: the site answering before the scenario`);
      api.assignDelayMs = assignDelaySeconds * 1000;
      const load = startLoad(lab, { url, rps: o.rps, seconds: o.seconds, timeoutSeconds: 1, sources: users });
      await sleep(load.startedAt - Date.now() + o.killAt * 1000);
      const at = Date.now();
      let what: string;
      let heal: () => Promise<void>;
      if (name === 'haproxy-killed') {
        const pid = lab.killUnit(active, 'haproxy', { restart: false });
        what = `killed HAProxy (pid ${pid}, SIGKILL, restart held)`;
        heal = async () => {
          const r = await lab.systemctl(active, 'start', 'haproxy');
          if (r.status !== 0) throw new LabError(`${active}: systemctl start haproxy failed: ${r.stderr}`);
        };
      } else if (name === 'haproxy-hung') {
        const pid = lab.killUnit(active, 'haproxy', { signal: 'SIGSTOP' });
        what = `stopped HAProxy (pid ${pid} and its group, SIGSTOP)`;
        heal = async () => {
          lab.killUnit(active, 'haproxy', { signal: 'SIGCONT' });
        };
      } else {
        lab.lab.disconnect(active);
        what = 'cut the droplet off every network';
        heal = async () => lab.lab.reconnect(active);
      }
      const records = await load.done;
      const report = analyzeLoad(records, at);
      const move = api.calls.find((c) => c.method === 'POST' && c.status === 201 && Date.parse(c.at) >= at);
      const failoverSeconds = move ? (Date.parse(move.at) - at) / 1000 : undefined;
      out(
        `${name}: ${what} on ${active} at ${o.killAt} s; assign call from ${move?.caller ?? 'nobody'} ${failoverSeconds?.toFixed(2) ?? '-'} s later (address moved ${assignDelaySeconds} s after the call); requests succeed again after ${report.recoverySeconds?.toFixed(2) ?? 'never'} s`,
      );
      out(
        `${name}: ${report.total} requests, ${report.ok} ok, ${report.failed} failed (${
          Object.entries(report.failures)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none'
        }); outage ${report.outage ? `${(report.outage.last - report.outage.first).toFixed(2)} s, ${report.outage.failed} requests` : 'none'}; ${report.laterFailures} failed after the recovery`,
      );
      await heal();
      api.assignDelayMs = 0;
      const after = await settled(`${name}: one master holding the reserved IP after the heal`);
      out(`${name}: healed; ${after} is master and holds ${reservedIp}`);
      if (!move || move.caller === active) throw new LabError(`${name}: the reserved IP did not move off ${active}`);
      const line = `scenario=${name} assign_delay_seconds=${assignDelaySeconds} failover_seconds=${failoverSeconds?.toFixed(2) ?? 'none'} recovery_seconds=${report.recoverySeconds?.toFixed(2) ?? 'never'} lost_percent=${report.lostPercent.toFixed(2)}`;
      return { name, assignDelaySeconds, active, failoverSeconds, recoverySeconds: report.recoverySeconds, lostPercent: report.lostPercent, line };
    };

    const results: ScenarioResult[] = [];
    for (const [name, delay] of [
      ['haproxy-killed', 0],
      ['haproxy-hung', 0],
      ['droplet-off', 0],
      ['haproxy-killed', o.assignDelay],
    ] as const) {
      if (!o.scenarios.includes(name)) continue;
      if (delay > 0 && results.some((r) => r.name === name && r.assignDelaySeconds === delay)) continue;
      results.push(await runScenario(name, delay));
    }

    const db = database(lab);
    const lag = await measureReplicaLag(lab, {
      from: db.app,
      primary: db.primary,
      replicas: db.replicas,
      user: db.user,
      password: db.password,
      database: db.database,
      rate: o.lagRate,
      seconds: o.lagSeconds,
    });
    out(
      `replica lag: ${lag.rows} rows at ${lag.achievedRate.toFixed(1)}/s written on ${db.primary} from ${db.app}; ${Object.entries(lag.replicas)
        .map(([k, v]) => `${k} max ${v.max.toFixed(3)} s, p99 ${v.p99.toFixed(3)} s, p50 ${v.p50.toFixed(3)} s`)
        .join('; ')}`,
    );

    const killed = results.find((r) => r.name === 'haproxy-killed' && r.assignDelaySeconds === 0);
    if (killed) {
      const verdict = (v: number | undefined, target: number) => (v !== undefined && v < target ? 'met' : 'MISSED');
      out(
        `dead HAProxy at zero assign delay: failover ${killed.failoverSeconds?.toFixed(2) ?? '-'} s: ${verdict(killed.failoverSeconds, TARGETS.failoverSeconds)} (target < ${TARGETS.failoverSeconds}); lost ${killed.lostPercent.toFixed(2)} %: ${verdict(killed.lostPercent, TARGETS.lostPercent)} (target < ${TARGETS.lostPercent}); replica lag ${lag.maxLagSeconds.toFixed(3)} s: ${verdict(lag.maxLagSeconds, TARGETS.replicaLagSeconds)} (target < ${TARGETS.replicaLagSeconds})`,
      );
    }
    const report2 = await boot.shutdown();
    boot = undefined;
    const left = listLabs().filter((l) => l.state.id === lab.lab.id).length + report2.survivors.length + report2.errors.length;
    out(
      `lab torn down: ${report2.namespacesDeleted.length} namespaces deleted, ${report2.killed.length} processes stopped${left > 0 ? `; LEFT: ${JSON.stringify(report2)}` : ', nothing left'}`,
    );
    for (const r of results) out(r.line);
    out(`replica_lag_seconds=${lag.maxLagSeconds.toFixed(3)}`);
  } finally {
    if (boot) await boot.shutdown().catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench:failover failed: ${e.message}\n`);
  process.exitCode = 1;
});
