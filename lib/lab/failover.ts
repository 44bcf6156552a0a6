/**
 * Measuring a booted stage's failover from inside the lab (the stage 3 end-to-end test and `npm run
 * bench:failover`): which node of a keepalived pair is master, a bounded open-loop HTTPS load from the client,
 * what that load saw around a failure, and replica lag under a bounded write rate.
 *
 * Everything here runs in the lab's namespaces and is bounded: the load sends at most `rps × seconds` requests,
 * each with its own timeout; the writer writes at most `rate × seconds` rows; the processes are the lab's
 * tracked `exec`s (killed at their timeout and at teardown).
 */
import * as fs from 'fs';
import { LabBoot } from './boot';
import { LabError } from './netns';

// ---------------------------------------------------------------------------------------------------------------
// the keepalived pair

/** A keepalived node of a booted stage: its VRRP interface and the master marker keepalived puts on the master. */
export interface VrrpNode {
  readonly droplet: string;
  readonly interfaceName: string;
  readonly marker: string;
}

/** The droplets running keepalived, from their /etc/keepalived/keepalived.conf (as the plan wrote it). */
export function vrrpNodes(boot: LabBoot): VrrpNode[] {
  const nodes: VrrpNode[] = [];
  for (const [name, d] of boot.droplets) {
    const conf = d.host.readFile('/etc/keepalived/keepalived.conf');
    if (conf === undefined) continue;
    const iface = /^\s*interface\s+(\S+)/m.exec(conf)?.[1];
    const marker = /virtual_ipaddress\s*\{\s*([0-9.]+)\/32/.exec(conf)?.[1];
    if (!iface || !marker) throw new LabError(`${name}: keepalived.conf has no interface or /32 virtual address`);
    nodes.push({ droplet: name, interfaceName: iface, marker });
  }
  return nodes.sort((a, b) => (a.droplet < b.droplet ? -1 : 1));
}

/** The nodes holding their master marker now (one when the pair is healthy; two is a split brain). */
export function vrrpMasters(boot: LabBoot, nodes: readonly VrrpNode[] = vrrpNodes(boot)): string[] {
  return nodes
    .filter((n) => {
      const r = boot.lab.run(n.droplet, ['ip', '-o', '-4', 'addr', 'show', 'dev', n.interfaceName, 'to', `${n.marker}/32`], { timeoutMs: 5000 });
      return r.status === 0 && r.stdout.includes(` inet ${n.marker}/`);
    })
    .map((n) => n.droplet);
}

/** `vrrpMasters` without blocking the event loop (the lab's tracked, bounded `exec`). */
export async function vrrpMastersAsync(boot: LabBoot, nodes: readonly VrrpNode[] = vrrpNodes(boot)): Promise<string[]> {
  const held = await Promise.all(
    nodes.map(async (n) => {
      const r = await boot.lab.exec(n.droplet, ['ip', '-o', '-4', 'addr', 'show', 'dev', n.interfaceName, 'to', `${n.marker}/32`], {
        timeoutMs: 5000,
        hostname: false,
      });
      return r.status === 0 && r.stdout.includes(` inet ${n.marker}/`);
    }),
  );
  return nodes.filter((_, i) => held[i]).map((n) => n.droplet);
}

/** Samples the masters every `intervalMs` until stopped (bounded by `maxSeconds`): the pair's history. */
export class MasterMonitor {
  public readonly samples: { readonly at: number; readonly masters: readonly string[] }[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly until: number;

  constructor(
    private readonly boot: LabBoot,
    private readonly intervalMs = 250,
    maxSeconds = 600,
  ) {
    this.until = Date.now() + maxSeconds * 1000;
    const nodes = vrrpNodes(boot);
    const tick = async () => {
      if (this.stopped || this.boot.lab.isTornDown || Date.now() > this.until) return;
      const at = Date.now();
      try {
        this.samples.push({ at, masters: await vrrpMastersAsync(this.boot, nodes) });
      } catch {
        return; // the lab is going down
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => void tick(), Math.max(0, at + this.intervalMs - Date.now()));
      this.timer.unref();
    };
    void tick();
  }

  public stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Samples with two masters between `from` and `to` (epoch ms). */
  public splitBrains(from = 0, to = Infinity): { at: number; masters: readonly string[] }[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to && s.masters.length > 1);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// load

export interface LoadOptions {
  /** e.g. 'https://www.foobar.com/'; resolved by the lab's DNS in `node`. */
  readonly url: string;
  /** Requests started per second (open loop: on schedule, whatever the answers). */
  readonly rps: number;
  readonly seconds: number;
  /** Per request (connect + answer). @default 1 */
  readonly timeoutSeconds?: number;
  /** @default 'client' */
  readonly node?: string;
  /**
   * Source addresses, used in turn (many users; see `LabNetwork.addClientAddresses`). @default - the node's own
   */
  readonly sources?: readonly string[];
  /**
   * A file whose existence stops the load early (no request is started once it exists); `stop()` creates it.
   * @default - the load runs its whole `seconds`
   */
  readonly stopFile?: string;
}

/** One request: epoch seconds at start and end, HTTP status (0: none), error class when it failed. */
export interface LoadRecord {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly error?: string;
}

const LOAD = `
import http.client, json, os, ssl, sys, threading, time, urllib.parse
cfg = json.loads(sys.stdin.read())
stop = cfg.get('stop')
u = urllib.parse.urlsplit(cfg['url'])
https = u.scheme == 'https'
port = u.port or (443 if https else 80)
path = (u.path or '/') + ('?' + u.query if u.query else '')
rps, total, timeout = cfg['rps'], cfg['total'], cfg['timeout']
sources = cfg['sources']
ctx = ssl.create_default_context() if https else None
results = [None] * total
lock = threading.Lock()
state = {'next': 0}
t0 = time.time() + 0.2
def one(i):
    start = time.time()
    try:
        src = (sources[i % len(sources)], 0) if sources else None
        if https:
            c = http.client.HTTPSConnection(u.hostname, port, timeout=timeout, context=ctx, source_address=src)
        else:
            c = http.client.HTTPConnection(u.hostname, port, timeout=timeout, source_address=src)
        c.request('GET', path, headers={'Connection': 'close', 'User-Agent': 'tierform-lab-load'})
        r = c.getresponse()
        r.read()
        c.close()
        results[i] = [start, time.time(), r.status, None]
    except Exception as e:
        results[i] = [start, time.time(), 0, type(e).__name__]
def worker():
    while True:
        with lock:
            i = state['next']
            state['next'] += 1
        if i >= total:
            return
        delay = t0 + i / rps - time.time()
        if delay > 0:
            time.sleep(delay)
        if stop and os.path.exists(stop):
            return
        one(i)
workers = [threading.Thread(target=worker, daemon=True) for _ in range(cfg['workers'])]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps([r for r in results if r is not None]))
`;

/**
 * Starts a bounded load (at most rps × seconds requests, new connection each, `Connection: close`) from `node`;
 * resolves with every request once the last one ended. `startedAt` is when the first request is due (epoch ms);
 * `stop()` (with `stopFile`) ends it early: requests already started finish.
 */
export function startLoad(
  boot: LabBoot,
  o: LoadOptions,
): { readonly startedAt: number; readonly done: Promise<LoadRecord[]>; readonly stop: () => void } {
  const total = Math.round(o.rps * o.seconds);
  if (!(o.rps > 0 && o.rps <= 500 && o.seconds > 0 && o.seconds <= 120)) throw new LabError('load: rps must be in (0, 500] and seconds in (0, 120]');
  const timeout = o.timeoutSeconds ?? 1;
  const workers = Math.min(200, Math.ceil(o.rps * (timeout + 0.5)) + 4);
  const startedAt = Date.now() + 200;
  const done = boot.lab
    .exec(o.node ?? 'client', ['python3', '-c', LOAD], {
      input: JSON.stringify({ url: o.url, rps: o.rps, total, timeout, workers, sources: o.sources ?? [], stop: o.stopFile }),
      timeoutMs: (o.seconds + timeout + 30) * 1000,
    })
    .then((r) => {
      if (r.status !== 0)
        throw new LabError(`load from ${o.node ?? 'client'} failed (${r.timedOut ? 'timed out' : r.status}): ${r.stderr.slice(-2000)}`);
      return (JSON.parse(r.stdout) as [number, number, number, string | null][]).map(([start, end, status, error]) => ({
        start,
        end,
        status,
        error: error ?? undefined,
      }));
    });
  const stop = () => {
    if (!o.stopFile) throw new LabError('load: stop() needs a stopFile');
    fs.writeFileSync(o.stopFile, 'stop\n');
  };
  return { startedAt, done, stop };
}

export interface LoadReport {
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly lostPercent: number;
  /**
   * Seconds from `eventAt` until requests succeed again: the end of the first request, started after the event,
   * that begins a stable run of successes (see `analyzeLoad`); 0 when nothing failed after the event.
   */
  readonly recoverySeconds?: number;
  /** The failures from the event to the recovery, and the window they span (epoch seconds). */
  readonly outage?: { readonly first: number; readonly last: number; readonly failed: number };
  /** Failed requests after the recovery (not part of the outage; they count in `lostPercent`). */
  readonly laterFailures: number;
  /** Error classes and statuses of the failed requests, with counts. */
  readonly failures: Readonly<Record<string, number>>;
}

/**
 * What a load saw. With `eventAt` (epoch ms: the kill, the cut), requests "succeed again" at the first success
 * started after the event that begins a stable run: successes only, for at least `stableSeconds` of start times
 * (or up to the end of the load). A lone failure later (a timeout under CPU load) is then a later failure, not an
 * outage that never ended.
 */
export function analyzeLoad(records: readonly LoadRecord[], eventAt?: number, options: { readonly stableSeconds?: number } = {}): LoadReport {
  const ok = (r: LoadRecord) => r.status === 200;
  const total = records.length;
  const good = records.filter(ok).length;
  const failures: Record<string, number> = {};
  for (const r of records.filter((x) => !ok(x))) {
    const key = r.error ?? `HTTP ${r.status}`;
    failures[key] = (failures[key] ?? 0) + 1;
  }
  let recoverySeconds: number | undefined;
  let outage: LoadReport['outage'];
  let laterFailures = 0;
  if (eventAt !== undefined) {
    const event = eventAt / 1000;
    const stable = options.stableSeconds ?? 1;
    const after = [...records].filter((r) => r.end >= event).sort((a, b) => a.start - b.start);
    const firstFail = after.findIndex((r) => !ok(r));
    if (firstFail === -1) recoverySeconds = 0;
    else {
      let recovered = -1;
      for (let i = firstFail + 1; i < after.length && recovered === -1; i++) {
        if (!ok(after[i]) || after[i].start <= event) continue;
        let j = i;
        while (j + 1 < after.length && ok(after[j + 1])) j++;
        if (j === after.length - 1 || after[j].start - after[i].start >= stable) recovered = i;
        else i = j;
      }
      const window = recovered === -1 ? after.slice(firstFail) : after.slice(firstFail, recovered);
      const failedIn = window.filter((r) => !ok(r));
      outage = { first: after[firstFail].start, last: Math.max(...failedIn.map((r) => r.end)), failed: failedIn.length };
      if (recovered !== -1) {
        recoverySeconds = after[recovered].end - event;
        laterFailures = after.slice(recovered).filter((r) => !ok(r)).length;
      }
    }
  }
  return {
    total,
    ok: good,
    failed: total - good,
    lostPercent: total === 0 ? 0 : (100 * (total - good)) / total,
    recoverySeconds,
    outage,
    laterFailures,
    failures,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// replica lag

export interface ReplicaLagOptions {
  /** The droplet the writer and readers run in (its network namespace): one allowed to reach the databases. */
  readonly from: string;
  readonly primary: string;
  readonly replicas: readonly string[];
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Rows per second written on the primary (one autocommitted INSERT each). @default 200 */
  readonly rate?: number;
  /** @default 10 */
  readonly seconds?: number;
  /** @default 'tierform_lab_heartbeat' */
  readonly table?: string;
}

export interface ReplicaLagReport {
  readonly rows: number;
  /** Rows per second actually committed. */
  readonly achievedRate: number;
  /** Per replica: lag of the rows (seconds from the commit on the primary to first seen on the replica). */
  readonly replicas: Readonly<Record<string, { readonly max: number; readonly p50: number; readonly p99: number; readonly seen: number }>>;
  /** The worst replica's maximum. */
  readonly maxLagSeconds: number;
}

const LAG = `
import json, sys, threading, time
import pymysql
cfg = json.loads(sys.stdin.read())
table = cfg['table']
def connect(host):
    return pymysql.connect(host=host, user=cfg['user'], password=cfg['password'], database=cfg['database'], autocommit=True, connect_timeout=5, read_timeout=10, write_timeout=10)
p = connect(cfg['primary'])
c = p.cursor()
c.execute('CREATE TABLE IF NOT EXISTS %s (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts DOUBLE NOT NULL) ENGINE=InnoDB' % table)
c.execute('SELECT COALESCE(MAX(id), 0) FROM %s' % table)
base = c.fetchone()[0]
readers = {h: connect(h) for h in cfg['replicas']}
deadline = time.time() + 15
for h, conn in readers.items():
    while True:
        try:
            conn.cursor().execute('SELECT 1 FROM %s LIMIT 1' % table)
            break
        except pymysql.err.ProgrammingError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
rate, total = cfg['rate'], cfg['total']
commits = []
done = threading.Event()
seen = {h: [] for h in readers}
def read(h, conn):
    cur = conn.cursor()
    end = time.time() + cfg['seconds'] + 10
    while time.time() < end:
        cur.execute('SELECT COALESCE(MAX(id), 0) FROM %s' % table)
        seen[h].append((time.time(), cur.fetchone()[0]))
        if done.is_set() and commits and seen[h][-1][1] >= commits[-1][0]:
            return
        time.sleep(0.01)
threads = [threading.Thread(target=read, args=(h, conn), daemon=True) for h, conn in readers.items()]
for t in threads:
    t.start()
t0 = time.time()
for i in range(total):
    delay = t0 + i / rate - time.time()
    if delay > 0:
        time.sleep(delay)
    c.execute('INSERT INTO %s (ts) VALUES (%%s)' % table, (time.time(),))
    commits.append((c.lastrowid, time.time()))
elapsed = time.time() - t0
done.set()
for t in threads:
    t.join()
out = {'rows': len(commits), 'elapsed': elapsed, 'replicas': {}}
for h, samples in seen.items():
    lags = []
    j = 0
    for rid, committed in commits:
        while j < len(samples) and samples[j][1] < rid:
            j += 1
        if j < len(samples):
            lags.append(max(0.0, samples[j][0] - committed))
    lags.sort()
    pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))] if lags else None
    out['replicas'][h] = {'max': lags[-1] if lags else None, 'p50': pick(0.5), 'p99': pick(0.99), 'seen': len(lags)}
print(json.dumps(out))
`;

/**
 * Writes `rate` rows per second for `seconds` on the primary (a heartbeat table with the commit time) from droplet
 * `from`, while one reader per replica polls the newest replicated row every ~10 ms; each row's lag is the time it
 * was first seen on a replica minus its commit on the primary. Bounded: rate × seconds rows, seconds + 25 s.
 */
export async function measureReplicaLag(boot: LabBoot, o: ReplicaLagOptions): Promise<ReplicaLagReport> {
  const rate = o.rate ?? 200;
  const seconds = o.seconds ?? 10;
  if (!(rate > 0 && rate <= 2000 && seconds > 0 && seconds <= 60))
    throw new LabError('replica lag: rate must be in (0, 2000] and seconds in (0, 60]');
  const table = o.table ?? 'tierform_lab_heartbeat';
  if (!/^[A-Za-z0-9_]+$/.test(table)) throw new LabError(`replica lag: table '${table}' is not a plain name`);
  const ip = (name: string) => boot.droplet(name).planned.privateIp;
  const r = await boot.lab.exec(o.from, ['python3', '-c', LAG], {
    input: JSON.stringify({
      primary: ip(o.primary),
      replicas: o.replicas.map(ip),
      user: o.user,
      password: o.password,
      database: o.database,
      rate,
      total: Math.round(rate * seconds),
      seconds,
      table,
    }),
    timeoutMs: (seconds + 40) * 1000,
  });
  if (r.status !== 0)
    throw new LabError(`replica lag measurement from ${o.from} failed (${r.timedOut ? 'timed out' : r.status}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout) as {
    rows: number;
    elapsed: number;
    replicas: Record<string, { max: number | null; p50: number | null; p99: number | null; seen: number }>;
  };
  const byName: Record<string, { max: number; p50: number; p99: number; seen: number }> = {};
  for (const name of o.replicas) {
    const x = out.replicas[ip(name)];
    if (!x || x.max === null || x.seen < out.rows)
      throw new LabError(`replica ${name} did not show every row within the bound (${x?.seen ?? 0} of ${out.rows})`);
    byName[name] = { max: x.max, p50: x.p50 ?? x.max, p99: x.p99 ?? x.max, seen: x.seen };
  }
  return {
    rows: out.rows,
    achievedRate: out.rows / out.elapsed,
    replicas: byName,
    maxLagSeconds: Math.max(...Object.values(byName).map((x) => x.max)),
  };
}
