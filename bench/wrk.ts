/**
 * Debian's `wrk` (4.x) for the benches: the command line, a Lua script that counts responses by HTTP status, and a
 * parser for its report. wrk itself only says "Non-2xx or 3xx responses: N", which cannot tell nginx's rate limit
 * (429, a policy working) from a failure (5xx, socket errors); the script makes the report say which.
 */

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  /** Latency percentiles in milliseconds (`--latency`'s distribution). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx3xx: number;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Responses by HTTP status, from {@link STATUS_SCRIPT}; empty when wrk ran without it. */
  readonly statuses: ReadonlyMap<number, number>;
}

/**
 * A wrk script (`-s file`) that counts responses by status in each thread (`response()` runs in the thread's own Lua
 * state) and prints the sum over threads after the report as `tierform-status <code> <count>` lines. `setup()` keeps
 * each thread so `done()` can read its table (`thread:get` copies tables between Lua states).
 */
export const STATUS_SCRIPT = `-- tierform: count responses by HTTP status (bench/wrk.ts)
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + count
    end
  end
  for code, count in pairs(total) do
    io.write(string.format("tierform-status %d %d\\n", code, count))
  end
end
`;

export interface WrkOptions {
  readonly threads: number;
  readonly connections: number;
  readonly seconds: number;
  /** Path of {@link STATUS_SCRIPT} written to a file, to count statuses. */
  readonly script?: string;
  readonly timeoutSeconds?: number;
}

/** The argv for one bounded run: `wrk -tT -cC -dSs --latency --timeout Ns [-s script] url`. */
export function wrkArgv(url: string, o: WrkOptions): string[] {
  return [
    'wrk',
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--latency',
    '--timeout',
    `${o.timeoutSeconds ?? 5}s`,
    ...(o.script === undefined ? [] : ['-s', o.script]),
    url,
  ];
}

/** wrk's durations: `512.00us`, `12.34ms`, `1.20s`, `2.00m`, `1.00h`. */
export function milliseconds(value: string): number {
  const m = /^([0-9.]+)(us|ms|s|m|h)$/.exec(value);
  if (!m) throw new Error(`wrk: unreadable duration ${value}`);
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'us' | 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

/** Parses the report of `wrk --latency` (wrk 4.x), with the status lines of {@link STATUS_SCRIPT} when present. */
export function parseWrk(text: string): WrkResult {
  const need = (re: RegExp, what: string) => {
    const m = re.exec(text);
    if (!m) throw new Error(`wrk: no ${what} in its output:\n${text}`);
    return m;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const statuses = new Map<number, number>();
  for (const m of text.matchAll(/^tierform-status (\d+) (\d+)$/gm)) statuses.set(Number(m[1]), (statuses.get(Number(m[1])) ?? 0) + Number(m[2]));
  return {
    requests: Number(need(/^\s*(\d+) requests in /m, 'request count')[1]),
    rps: Number(need(/^Requests\/sec:\s+([0-9.]+)/m, 'Requests/sec')[1]),
    p50Ms: milliseconds(need(/^\s*50(?:\.000)?%\s+(\S+)/m, '50% latency')[1]),
    p99Ms: milliseconds(need(/^\s*99(?:\.000)?%\s+(\S+)/m, '99% latency')[1]),
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    socketErrors: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
    statuses,
  };
}

/** What a run's responses were: served (2xx/3xx), rate limited (429), failed (any other status, socket errors). */
export interface Outcome {
  readonly ok: number;
  readonly rateLimited: number;
  /** Responses with another status (5xx from HAProxy or the app, other 4xx) plus socket errors. */
  readonly errors: number;
  /** True when the statuses were counted; without the script, every non-2xx/3xx response counts as an error. */
  readonly counted: boolean;
}

export function outcome(r: WrkResult): Outcome {
  const s = r.socketErrors;
  const socketErrors = s.connect + s.read + s.write + s.timeout;
  if (r.statuses.size === 0) return { ok: r.requests - r.non2xx3xx, rateLimited: 0, errors: r.non2xx3xx + socketErrors, counted: false };
  let ok = 0;
  let rateLimited = 0;
  let other = 0;
  for (const [code, n] of r.statuses) {
    if (code >= 200 && code < 400) ok += n;
    else if (code === 429) rateLimited += n;
    else other += n;
  }
  const counted = ok + rateLimited + other;
  // wrk counts a request when it has a response; the script sees every response, so the two must agree.
  if (counted !== r.requests) throw new Error(`wrk: ${r.requests} requests but the status script counted ${counted}`);
  if (rateLimited + other !== r.non2xx3xx)
    throw new Error(`wrk: ${r.non2xx3xx} non-2xx/3xx responses but the status script counted ${rateLimited + other}`);
  return { ok, rateLimited, errors: other + socketErrors, counted: true };
}
