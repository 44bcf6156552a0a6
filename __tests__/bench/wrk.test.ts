import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { milliseconds, outcome, parseWrk, STATUS_SCRIPT, wrkArgv } from '../../bench/wrk';

// A report in the format of Debian's wrk 4.1 --latency, followed by the status script's lines (the figures are stage 1's
// web_down=1 run of 2026-12-06, with made-up socket errors and 502s so every field is read).
const REPORT = `Running 15s test @ https://www.foobar.com/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms   12.01ms 210.44ms   97.20%
    Req/Sec     1.43k   210.11     1.90k    70.33%
  Latency Distribution
     50%    2.70ms
     75%    3.41ms
     90%    5.02ms
     99%  100.60ms
  43022 requests in 15.06s, 21.30MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 40295
Requests/sec:   2857.20
Transfer/sec:      1.41MB
tierform-status 200 2727
tierform-status 429 40290
tierform-status 502 5
`;

describe('parseWrk', () => {
  it('reads the request count, rate, percentiles, socket errors and the script’s statuses', () => {
    const r = parseWrk(REPORT);
    expect(r).toMatchObject({ requests: 43022, rps: 2857.2, p50Ms: 2.7, p99Ms: 100.6, non2xx3xx: 40295 });
    expect(r.socketErrors).toEqual({ connect: 0, read: 3, write: 0, timeout: 2 });
    expect([...r.statuses]).toEqual([
      [200, 2727],
      [429, 40290],
      [502, 5],
    ]);
  });

  it('tells the rate limit from failures: 429s apart, other statuses and socket errors as errors', () => {
    expect(outcome(parseWrk(REPORT))).toEqual({ ok: 2727, rateLimited: 40290, errors: 5 + 3 + 2, counted: true });
  });

  it('without the script, every non-2xx/3xx response is an error (nothing claimed about 429s)', () => {
    const plain = REPORT.replace(/^tierform-status.*\n/gm, '');
    expect(outcome(parseWrk(plain))).toEqual({ ok: 43022 - 40295, rateLimited: 0, errors: 40295 + 5, counted: false });
  });

  it('refuses a report whose statuses do not add up to wrk’s own counts', () => {
    expect(() => outcome(parseWrk(REPORT.replace('tierform-status 502 5', 'tierform-status 502 4')))).toThrow(
      'wrk: 43022 requests but the status script counted 43021',
    );
  });

  it('reads every duration unit wrk prints and refuses others', () => {
    expect([milliseconds('512.00us'), milliseconds('12.34ms'), milliseconds('1.20s'), milliseconds('2.00m')]).toEqual([0.512, 12.34, 1200, 120_000]);
    expect(() => milliseconds('3 days')).toThrow('wrk: unreadable duration 3 days');
  });

  it('names what is missing from a report', () => {
    expect(() => parseWrk('unable to connect to localhost:1 Connection refused')).toThrow('wrk: no request count in its output');
  });
});

describe('the status script, run by the real wrk', () => {
  let server: http.Server;
  let dir: string;
  const served = new Map<number, number>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-wrk-'));
    let n = 0;
    // Every third request is "rate limited", every seventh a 503: known shares the script must count exactly.
    server = http.createServer((_req, res) => {
      n += 1;
      const status = n % 7 === 0 ? 503 : n % 3 === 0 ? 429 : 200;
      served.set(status, (served.get(status) ?? 0) + 1);
      res.writeHead(status, { 'content-type': 'text/plain' }).end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts every response by status across threads, and the counts agree with wrk’s and the server’s', async () => {
    const script = path.join(dir, 'status.lua');
    fs.writeFileSync(script, STATUS_SCRIPT);
    const { port } = server.address() as AddressInfo;
    // Bounded: one second, two connections, loopback only.
    const argv = wrkArgv(`http://127.0.0.1:${port}/`, { threads: 2, connections: 2, seconds: 1, script, timeoutSeconds: 2 });
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(argv[0], argv.slice(1), { timeout: 20_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const r = parseWrk(stdout);
    const o = outcome(r);
    expect(o.counted).toBe(true);
    expect(r.requests).toBeGreaterThan(10);
    expect(o.ok + o.rateLimited + o.errors).toBe(r.requests);
    // wrk may close with requests in flight: the server answered at most two more than wrk counted.
    for (const code of [200, 429, 503]) {
      expect(r.statuses.get(code)).toBeGreaterThan(0);
      expect(served.get(code)! - r.statuses.get(code)!).toBeGreaterThanOrEqual(0);
      expect(served.get(code)! - r.statuses.get(code)!).toBeLessThanOrEqual(2);
    }
    expect(o.rateLimited).toBe(r.statuses.get(429));
    expect(o.errors).toBe(r.statuses.get(503));
  });
});
