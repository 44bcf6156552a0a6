/**
 * `npm run bench:serve`: throughput and latency of the sample app's `/` (a MariaDB write on the primary and a read
 * on the replica) through a stage's entry point, measured in the lab with Debian's `wrk` (root; see bench/README.md).
 *
 * For stage 1 (`stage1-load-balanced`) and then stage 3 (`stage3-high-availability`), one lab at a time:
 * 1. synthesizes the stages with TIERFORM_ENGINE=mariadb-10.11 (once) and boots the stage in the lab;
 * 2. waits until the site's URL (the plan's `www.` DNS record; HTTPS verified against the lab CA when the stage
 *    serves HTTPS) answers 200 from the lab's client;
 * 3. runs `wrk -t<threads> -c<connections> -d<seconds>s --latency --timeout 5s <url>` from the client, each
 *    connection from its own client address (an nftables SNAT rule in the client's namespace: the plan's nginx
 *    limits each client address to 10 requests/s with a burst of 20, and one address for all the load would
 *    measure that limit, not the app);
 * 4. stops nginx on one web droplet, waits (bounded) until every HAProxy of the stage marks it down, and runs the
 *    same load again;
 * 5. shuts the lab down (always, in `finally`).
 *
 * Responses are counted by HTTP status (bench/wrk.ts's Lua script). The last lines are for machines:
 * `stage=<name> web_down=<0|1> rps=<r> ok_rps=<r> p50_ms=<ms> p99_ms=<ms> rate_limited=<n> errors=<n>` (rps: every
 * response; ok_rps: the 2xx/3xx share of it; rate_limited: nginx's 429s, the plan's per-address limit working;
 * errors: any other status plus socket errors).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LabBoot, bootStage } from '../lib/lab/boot';
import { LabError } from '../lib/lab/netns';
import { synthesizeForLab } from './synth-stages';
import { Outcome, STATUS_SCRIPT, WrkResult, outcome, parseWrk, wrkArgv } from './wrk';

const STAGES = ['stage1-load-balanced', 'stage3-high-availability'];

interface Options {
  readonly seconds: number;
  readonly connections: number;
  readonly threads: number;
  readonly stages: readonly string[];
}

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string, fallback: number) => {
    const a = argv.find((x) => x.startsWith(`--${name}=`));
    const v = a === undefined ? fallback : Number(a.slice(name.length + 3));
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${a?.slice(name.length + 3)}`);
    return v;
  };
  const o = {
    seconds: get('duration', 15),
    connections: get('connections', 16),
    threads: get('threads', 2),
    stages: argv
      .find((x) => x.startsWith('--stages='))
      ?.slice(9)
      .split(',') ?? [...STAGES],
  };
  const unknown = o.stages.filter((x) => !STAGES.includes(x));
  if (unknown.length > 0) throw new Error(`--stages: unknown ${unknown.join(', ')} (known: ${STAGES.join(', ')})`);
  // Bounds: the load is bounded in time and in connections (one client address each, at most 100).
  if (o.seconds > 120 || o.connections > 64 || o.threads > o.connections || o.threads > 4) {
    throw new Error('bounds: --duration ≤ 120 (seconds), --connections ≤ 64, --threads ≤ 4 and ≤ --connections');
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (line: string) => process.stdout.write(`${line}\n`);

async function poll<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new LabError(`${what}: not within ${timeoutMs / 1000} s${describe ? ` (${describe()})` : ''}`);
    await sleep(500);
  }
}

/** HAProxy's `show servers state` on `lb`: address → running (operational state 2). */
async function haproxyServers(boot: LabBoot, lb: string): Promise<Map<string, boolean>> {
  const script = [
    'import socket',
    's = socket.socket(socket.AF_UNIX)',
    "s.connect('/run/haproxy/admin.sock')",
    "s.sendall(b'show servers state\\n')",
    "print(b''.join(iter(lambda: s.recv(65536), b'')).decode())",
  ].join('\n');
  const r = await boot.exec(lb, ['python3', '-c', script], { timeoutMs: 10_000 });
  const servers = new Map<string, boolean>();
  // Columns: be_id be_name srv_id srv_name srv_addr srv_op_state ...; unused server-template slots have no address.
  for (const f of r.stdout
    .split('\n')
    .filter((l) => /^\d+ \S+ \d+ /.test(l))
    .map((l) => l.split(/\s+/))) {
    if (f[4] !== '0.0.0.0' && f[4] !== '-') servers.set(f[4], f[5] === '2');
  }
  return servers;
}

interface RunLine {
  readonly stage: string;
  readonly webDown: number;
  readonly result: WrkResult;
  readonly outcome: Outcome;
}

async function benchStage(stage: string, outdir: string, script: string, o: Options): Promise<RunLine[]> {
  let boot: LabBoot | undefined;
  try {
    boot = await bootStage({ stage, outdir });
    const lab = boot;
    out(`${stage}: booted in ${lab.bootSeconds?.toFixed(1)} s (lab ${lab.lab.id}, ${lab.droplets.size} droplets)`);
    const www = lab.labPlan.records.find((r) => r.name.startsWith('www.'));
    if (!www) throw new LabError(`${stage}: the plan has no www. DNS record`);
    // A droplet's files include the machine's own (/etc/haproxy, /etc/nginx from Debian's packages): ask systemd.
    const active = async (name: string, unit: string) => (await lab.systemctl(name, 'is-active', '--quiet', unit)).status === 0;
    const lbs: string[] = [];
    const nginx: string[] = [];
    for (const name of [...lab.droplets.keys()].sort()) {
      if (await active(name, 'haproxy')) lbs.push(name);
      else if (await active(name, 'nginx')) nginx.push(name);
    }
    const webAddress = (name: string) => lab.droplet(name).planned.privateIp;
    // The web droplets: those running nginx that HAProxy balances over (its servers' addresses, found through DNS).
    let seen = '';
    const webs = await poll(
      `${stage}: every HAProxy (${lbs.join(', ')}) with at least two of ${nginx.join(', ')} up`,
      async () => {
        const states = await Promise.all(lbs.map((lb) => haproxyServers(lab, lb)));
        seen = states.map((s, i) => `${lbs[i]}: ${JSON.stringify([...s])}`).join('; ');
        const backends = nginx.filter((n) => states.some((s) => s.has(webAddress(n))));
        return lbs.length > 0 && backends.length >= 2 && states.every((s) => backends.every((w) => s.get(webAddress(w)) === true))
          ? backends
          : undefined;
      },
      120_000,
      () => seen,
    );
    if (lbs.length === 0 || webs.length < 2)
      throw new LabError(`${stage}: expected HAProxy and at least two web droplets (found ${lbs.length}, ${webs.length})`);
    // HTTPS where the stage serves it (its nginx/HAProxy redirects plain HTTP): try HTTPS, verified against the lab CA.
    const answers = async (url: string) => {
      const r = await lab.lab.exec('client', ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', url], { timeoutMs: 10_000 });
      return r.stdout;
    };
    const url = await poll(
      `${stage}: https://${www.name}/ or http://${www.name}/ answering 200 from the client`,
      async () => {
        for (const u of [`https://${www.name}/`, `http://${www.name}/`]) if ((await answers(u)) === '200') return u;
        return undefined;
      },
      90_000,
    );
    // One client address per connection (see the header): SNAT each new connection to the next address.
    const sources = lab.lab.addClientAddresses(o.connections);
    const map = sources.map((ip, i) => `${i} : ${ip}`).join(', ');
    lab.lab.runOrThrow('client', ['nft', '-f', '-'], {
      input: `table ip tierform_bench {\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname "eth0" snat to numgen inc mod ${sources.length} map { ${map} }\n  }\n}\n`,
    });
    out(`${stage}: ${url} answers; ${lbs.length} HAProxy (${lbs.join(', ')}), web ${webs.join(', ')}; load from ${sources.length} client addresses`);

    const wrk = async (webDown: number): Promise<RunLine> => {
      const argv = wrkArgv(url, { ...o, script });
      const r = await lab.lab.exec('client', argv, { timeoutMs: (o.seconds + 30) * 1000 });
      if (r.status !== 0) throw new LabError(`${stage}: ${argv.join(' ')} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
      const result = parseWrk(r.stdout);
      const counts = outcome(result);
      const s = result.socketErrors;
      const byStatus = [...result.statuses]
        .sort(([a], [b]) => a - b)
        .map(([code, n]) => `${code}: ${n}`)
        .join(', ');
      out(
        `${stage} web_down=${webDown}: ${result.requests} requests, ${result.rps.toFixed(1)} req/s (${(result.rps / o.connections).toFixed(1)} per client address), p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms; by status {${byStatus}}; socket errors connect ${s.connect} read ${s.read} write ${s.write} timeout ${s.timeout}`,
      );
      return { stage, webDown, result, outcome: counts };
    };

    const lines = [await wrk(0)];
    const victim = webs[0];
    const stop = await lab.systemctl(victim, 'stop', 'nginx');
    if (stop.status !== 0) throw new LabError(`${victim}: systemctl stop nginx failed: ${stop.stderr}`);
    const stoppedAt = Date.now();
    let last = '';
    await poll(
      `${stage}: every HAProxy marking ${victim} (${webAddress(victim)}) down`,
      async () => {
        const states = await Promise.all(lbs.map((lb) => haproxyServers(lab, lb)));
        last = states.map((s, i) => `${lbs[i]}: ${JSON.stringify([...s])}`).join('; ');
        return states.every((s) => s.get(webAddress(victim)) === false) ? true : undefined;
      },
      60_000,
      () => last,
    );
    out(`${stage}: nginx stopped on ${victim}; HAProxy marked it down ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s later`);
    lines.push(await wrk(1));

    const report = await boot.shutdown();
    boot = undefined;
    const left = report.survivors.length + report.errors.length;
    out(
      `${stage}: lab torn down: ${report.namespacesDeleted.length} namespaces deleted, ${report.killed.length} processes stopped${left > 0 ? `; LEFT: ${JSON.stringify(report)}` : ', nothing left'}`,
    );
    return lines;
  } finally {
    if (boot) await boot.shutdown().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('bench:serve boots the lab: run it as root (network namespaces, nftables)');
  out(
    `bench:serve — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  out(
    `load per run: wrk -t${o.threads} -c${o.connections} -d${o.seconds}s --latency --timeout 5s, GET / (a write on the primary, a read on the replica)`,
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-bench-serve-'));
  // Ctrl-C: remove the temporary outdir and exit; the lab's exit handler tears the lab down (and its watchdog would).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench:serve: ${signal}, tearing down\n`);
      fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    const outdir = path.join(tmp, 'cdktf.out');
    synthesizeForLab(outdir, 'bench:serve');
    const script = path.join(tmp, 'status.lua');
    fs.writeFileSync(script, STATUS_SCRIPT);
    const lines: RunLine[] = [];
    for (const stage of o.stages) lines.push(...(await benchStage(stage, outdir, script, o)));
    out(
      `load average after: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    for (const { stage, webDown, result: r, outcome: c } of lines) {
      out(
        `stage=${stage} web_down=${webDown} rps=${r.rps.toFixed(1)} ok_rps=${(r.requests > 0 ? (r.rps * c.ok) / r.requests : 0).toFixed(1)} p50_ms=${r.p50Ms.toFixed(1)} p99_ms=${r.p99Ms.toFixed(1)} rate_limited=${c.rateLimited} errors=${c.errors}`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench:serve failed: ${e.message}\n`);
  process.exitCode = 1;
});
