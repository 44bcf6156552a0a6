/**
 * Shared pieces of the end-to-end tests that boot a synthesized stage in the lab (stage0.e2e.test.ts, ...).
 *
 * The stage is synthesized in the test, into a temporary outdir, exactly as a user would:
 * `node scripts/run-ts.js main.ts` with CDKTF_OUTDIR and TIERFORM_ENGINE=mariadb-10.11 (the lab runs MariaDB).
 * TIERFORM_LAB_E2E_OUTDIR=<dir> boots an already synthesized outdir instead (to try a hand-edited plan).
 *
 * Every wait is bounded in attempts and time; all traffic stays inside the lab's namespaces.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabBoot, bootStage } from '../../../lib/lab/boot';
import { allPids, netnsInode } from '../../../lib/lab/processes';
import { makeTempDir, run } from '../../helpers/tools';
import { requireLab } from './lab-fixture';
import { sleep } from '../../helpers/processes';

const REPO = path.resolve(__dirname, '..', '..', '..');

export interface BootedStage {
  readonly boot: LabBoot;
  /** A temporary directory of the test (removed by shutdownAndCheck). */
  readonly tmpDir: string;
  /** Seconds from the start of synth to the end of the boot. */
  readonly totalSeconds: number;
  readonly synthSeconds: number;
  /** Namespace inodes (network and mount) of the lab, recorded while up, to prove nothing is left (see noteNamespaces). */
  readonly inodes: Set<number>;
  readonly cleanup: () => void;
}

/** Synthesizes every stage with MariaDB into `outdir`, as a user would (`main.ts`), with more environment `env`. */
export function synthesize(outdir: string, env: Readonly<Record<string, string>> = {}): string {
  const synth = run(process.execPath, [path.join(REPO, 'scripts', 'run-ts.js'), 'main.ts'], {
    cwd: REPO,
    env: { ...process.env, CDKTF_OUTDIR: outdir, TIERFORM_ENGINE: 'mariadb-10.11', ...env },
    timeout: 60_000,
  });
  if (synth.status !== 0) throw new Error(`synth failed:\n${synth.output}`);
  return outdir;
}

/**
 * Synthesizes `stage` with MariaDB (and `env`, e.g. TIERFORM_WEB_COUNT) and boots it in a fresh lab root; tears down
 * again if the boot fails.
 */
export async function synthAndBoot(stage: string, env: Readonly<Record<string, string>> = {}): Promise<BootedStage> {
  requireLab();
  const started = Date.now();
  const tmp = makeTempDir('e2e');
  const outdir = process.env.TIERFORM_LAB_E2E_OUTDIR ?? synthesize(path.join(tmp.dir, 'cdktf.out'), env);
  const synthSeconds = (Date.now() - started) / 1000;
  const labRoot = path.join(tmp.dir, 'labs');
  let boot: LabBoot;
  try {
    boot = await bootStage({ stage, outdir, labRoot });
  } catch (e) {
    tmp.cleanup();
    throw e;
  }
  const inodes = new Set<number>();
  noteNamespaces(boot, inodes);
  return { boot, tmpDir: tmp.dir, totalSeconds: (Date.now() - started) / 1000, synthSeconds, inodes, cleanup: tmp.cleanup };
}

export interface UseBootedStageOptions {
  /** Environment for the synth (e.g. TIERFORM_WEB_COUNT). @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs in beforeAll once the stage is up (the lab is shut down even when it throws). */
  readonly afterBoot?: (booted: BootedStage) => void | Promise<void>;
  /** Runs in afterAll before the shutdown (stop monitors, print facts, await background scans). */
  readonly beforeShutdown?: () => void | Promise<void>;
  /** beforeAll's timeout: synth, boot and afterBoot. @default 120_000 */
  readonly bootTimeoutMs?: number;
  /** afterAll's timeout: beforeShutdown and the shutdown. @default 60_000 */
  readonly shutdownTimeoutMs?: number;
  /** Print the "synth … s, synth + boot … s" line after the boot. @default true */
  readonly printTiming?: boolean;
}

/**
 * Registers the hooks of an end-to-end suite around one booted stage, in the describe block (or file) it is called
 * in: beforeAll synthesizes and boots `stage` (synthAndBoot) and prints the timing line; afterAll shuts it down and
 * expects nothing left behind (no namespace, process, host mount or shutdown error). Returns accessors that throw
 * when the boot failed, so every test after a failed boot fails with that reason rather than a TypeError.
 */
export function useBootedStage(stage: string, options: UseBootedStageOptions = {}): { boot(): LabBoot; booted(): BootedStage } {
  let booted: BootedStage | undefined;
  beforeAll(async () => {
    booted = await synthAndBoot(stage, options.env);
    if (options.printTiming ?? true) {
      process.stdout.write(
        `${stage}: synth ${booted.synthSeconds.toFixed(1)} s, synth + boot ${booted.totalSeconds.toFixed(1)} s (boot ${booted.boot.bootSeconds?.toFixed(1)} s)\n`,
      );
    }
    await options.afterBoot?.(booted);
  }, options.bootTimeoutMs ?? 120_000);

  afterAll(async () => {
    await options.beforeShutdown?.();
    const left = await shutdownAndCheck(booted);
    expect(left).toEqual({ namespaces: [], processes: [], hostMounts: [], errors: [] });
  }, options.shutdownTimeoutMs ?? 60_000);

  const current = (): BootedStage => {
    if (!booted) throw new Error('the lab did not boot');
    return booted;
  };
  return { booted: current, boot: () => current().boot };
}

/** Adds the lab's current namespaces (network, and droplets' mount namespaces) to `inodes`: call after an apply. */
export function noteNamespaces(boot: LabBoot, inodes: Set<number>): void {
  for (const ns of [boot.lab.internet.netns, boot.lab.client.netns, ...boot.lab.droplets.map((d) => d.netns)]) {
    const ino = netnsInode(path.join('/run/netns', ns));
    if (ino !== undefined) inodes.add(ino);
  }
  for (const d of boot.droplets.values()) {
    const ino = mntInode(d.host.holderPid);
    if (ino !== undefined) inodes.add(ino);
  }
}

/** Tears the lab down and returns what is left of it (namespaces, processes, host mounts): should be nothing. */
export async function shutdownAndCheck(
  booted: BootedStage | undefined,
): Promise<{ namespaces: string[]; processes: number[]; hostMounts: string[]; errors: readonly string[] }> {
  if (!booted) return { namespaces: [], processes: [], hostMounts: [], errors: [] };
  const { boot } = booted;
  const report = await boot.shutdown();
  const namespaces = run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`tfl-${boot.lab.id}-`));
  const leftover = () =>
    allPids().filter((pid) => {
      for (const kind of ['net', 'mnt']) {
        try {
          const m = /\[([0-9]+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/${kind}`));
          if (m && booted.inodes.has(Number(m[1]))) return true;
        } catch {
          // gone
        }
      }
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`TIERFORM_LAB_ID=${boot.lab.id}`);
      } catch {
        return false;
      }
    });
  // SIGKILL is delivered at once but a process leaves /proc only once it has exited and been reaped: a process that
  // the shutdown killed may still be listed for a moment (many containers exit together). Wait for that, bounded;
  // whatever is still there after 5 s was not killed, and is reported with its command line.
  let processes = leftover();
  for (let i = 0; i < 50 && processes.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    processes = leftover();
  }
  if (processes.length > 0) {
    process.stderr.write(`left running after the lab's shutdown:\n${processes.map((p) => `  ${p} ${describePid(p)}`).join('\n')}\n`);
  }
  const hostMounts = hostMountsUnder(boot.lab.dir);
  booted.cleanup();
  return { namespaces, processes, hostMounts, errors: report.errors };
}

/** `<state> <command line>` of a process, for failure messages. */
function describePid(pid: number): string {
  try {
    const state = /\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';
    return `${state} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return '(gone)';
  }
}

/** Mount points of this (the host's) mount namespace under `dir`. */
export function hostMountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)));
}

function mntInode(pid: number): number | undefined {
  try {
    const m = /\[([0-9]+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/mnt`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface HttpAnswer {
  /** 0 when curl got no answer. */
  readonly status: number;
  readonly body: string;
  /** The body as JSON, when it is. */
  readonly json?: Record<string, unknown>;
  readonly curlExit: number | null;
}

/**
 * GET `url` from lab host `node` (usually 'client'), 2 s to connect, 5 s in all: status, body and the body as JSON.
 * Arguments in the order of every lab probe (`lab.exec(node, …)`, lab-fixture's `httpOutcome`, `tcpProbe`): where
 * from, then what.
 */
export async function httpAnswer(boot: LabBoot, node: string, url: string): Promise<HttpAnswer> {
  const r = await boot.lab.exec(node, ['curl', '-sS', '--connect-timeout', '2', '--max-time', '5', '-o', '-', '-w', '\n%{http_code}', url], {
    timeoutMs: 10_000,
  });
  const lines = r.stdout.split('\n');
  const status = Number(lines.pop() ?? '0') || 0;
  const body = lines.join('\n');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status, body, json, curlExit: r.status };
}

/**
 * Calls `attempt` until it returns a value (not undefined): at most `attempts` times and `timeoutMs` in all,
 * `intervalMs` apart. Returns the value, or throws with `describe()` of the last state.
 */
export async function poll<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: { readonly attempts?: number; readonly timeoutMs?: number; readonly intervalMs?: number; readonly describe?: () => string } = {},
): Promise<T> {
  const attempts = options.attempts ?? 40;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (let i = 0; i < attempts && Date.now() < deadline; i++) {
    const value = await attempt();
    if (value !== undefined) return value;
    await sleep(options.intervalMs ?? 250);
  }
  throw new Error(`${what}: not within ${attempts} attempts / ${options.timeoutMs ?? 20_000} ms${options.describe ? `\n${options.describe()}` : ''}`);
}

/** What a request through nginx to the app answered until now, with nginx's last errors (for failure messages). */
export function nginxDiagnosis(boot: LabBoot, droplet: string, last: HttpAnswer | undefined): string {
  const log = boot.droplet(droplet).host.readFile('/var/log/nginx/error.log') ?? '';
  const errors = log.trim().split('\n').slice(-3).join('\n');
  const hint = /gunicorn\.sock failed \(13: Permission denied\)/.test(log)
    ? '\nnginx\'s workers may not connect to gunicorn\'s socket: they were started (runcmd "systemctl restart nginx") before ' +
      'the app setup script added www-data to the tierform-app group, and a worker gets its groups when it starts — ' +
      'the same happens on a real droplet (fix in lib/fragments: reload nginx after the usermod, or set up the app before nginx).'
    : '';
  return `last answer: ${last ? `${last.status} ${last.body.slice(0, 200)}` : 'none'}\nnginx error.log of ${droplet}:\n${errors}${hint}`;
}

/** Whether a TCP connection from `node` to `address:port` is accepted ('open'), refused, or gets no answer (dropped). */
export async function tcpProbe(boot: LabBoot, node: string, address: string, port: number): Promise<'open' | 'refused' | 'dropped' | 'unreachable'> {
  const r = await boot.lab.exec(node, ['timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], { timeoutMs: 10_000 });
  if (r.status === 0) return 'open';
  if (r.status === 124) return 'dropped';
  return /refused/i.test(r.stderr) ? 'refused' : 'unreachable';
}

/** Status and headers (lower-case names) of one request from `node` (usually 'client'), bounded; `extra` curl flags. */
export async function httpHead(
  boot: LabBoot,
  node: string,
  url: string,
  extra: readonly string[] = [],
): Promise<{ status: number; headers: Record<string, string>; curlExit: number | null; stderr: string }> {
  const r = await boot.lab.exec(node, ['curl', '-sS', '--connect-timeout', '2', '--max-time', '5', '-D', '-', '-o', '/dev/null', ...extra, url], {
    timeoutMs: 10_000,
  });
  const blocks = r.stdout.split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
  const last = blocks[blocks.length - 1] ?? '';
  const [statusLine, ...lines] = last.split(/\r?\n/);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(/^HTTP\/\S+ ([0-9]{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, curlExit: r.status, stderr: r.stderr };
}

/**
 * The response headers haproxy.cfg sets on every response (`http-after-response set-header`), as the plan wrote
 * them: name (lower case) → value; `tlsOnly` when the line is conditioned on `ssl_fc`.
 */
export function headersFromHaproxyCfg(cfg: string): { name: string; value: string; tlsOnly: boolean }[] {
  const out: { name: string; value: string; tlsOnly: boolean }[] = [];
  for (const line of cfg.split('\n')) {
    const m = /^\s*http-after-response set-header (\S+) (?:"([^"]*)"|(\S+))(\s+if .*)?$/.exec(line);
    if (m) out.push({ name: m[1].toLowerCase(), value: m[2] ?? m[3], tlsOnly: /ssl_fc/.test(m[4] ?? '') });
  }
  return out;
}

export interface TestsslFinding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

const SEVERITIES = ['OK', 'INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/**
 * testssl's overall grade (`overall_grade`, testssl 3.1 and later). Debian 12's testssl 3.0.8 predates the rating,
 * so then the summary is the worst severity it gave, the count per severity and every finding rated LOW or worse
 * (as __tests__/lib/render/haproxy.test.ts records it). WARN findings are about the scan itself and listed apart.
 */
export function testsslRating(findings: readonly TestsslFinding[]): { summary: string; worst: string } {
  const grade = findings.find((f) => f.id === 'overall_grade');
  const rank = (f: TestsslFinding) => SEVERITIES.indexOf(f.severity);
  const worst = SEVERITIES[Math.max(...findings.map(rank))] ?? 'none';
  if (grade) return { summary: `overall grade ${grade.finding}`, worst };
  const counts = SEVERITIES.map((s) => `${s} ${findings.filter((f) => f.severity === s).length}`).join(', ');
  const notable = findings.filter((f) => rank(f) >= SEVERITIES.indexOf('LOW')).map((f) => `${f.id} ${f.severity} (${f.finding})`);
  const scanWarnings = findings.filter((f) => f.severity === 'WARN').map((f) => `${f.id} (${f.finding})`);
  return {
    summary:
      `no overall grade in this testssl version; worst severity ${worst} [${counts}]; ` +
      `LOW or worse: ${notable.join(', ') || 'none'}; scan warnings: ${scanWarnings.join(', ') || 'none'}`,
    worst,
  };
}

export interface ObservatoryResult {
  readonly grade: string;
  readonly score: number;
  readonly tests: Record<string, { result: string; modifier: number; pass: boolean }>;
}

/**
 * Mozilla's HTTP Observatory scan of `host` (its own engine, `@mdn/mdn-http-observatory`, through
 * scripts/observatory.mjs), run from the lab's client: it fetches http:// and https:// of the host as the lab's DNS
 * answers it, follows the redirects, trusts the lab CA, and grades with Mozilla's scoring. Bounded to 60 s.
 */
export async function observatoryScan(boot: LabBoot, host: string): Promise<ObservatoryResult> {
  const script = path.join(REPO, 'scripts', 'observatory.mjs');
  const r = await boot.lab.exec('client', [process.execPath, script, 'scan', host], {
    env: { NODE_EXTRA_CA_CERTS: boot.ca!.certFile },
    timeoutMs: 60_000,
  });
  let parsed: ObservatoryResult & { error?: string };
  try {
    parsed = JSON.parse(r.stdout) as ObservatoryResult & { error?: string };
  } catch {
    throw new Error(`the Observatory scan printed no result (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  if (parsed.error) throw new Error(`the Observatory scan failed: ${parsed.error}`);
  return parsed;
}

/** One line for the test log: grade, score, and every test's result with its modifier. */
export function observatorySummary(r: ObservatoryResult): string {
  return `${r.grade} ${r.score}/100 (${Object.entries(r.tests)
    .map(([name, t]) => `${name} ${t.result} ${t.modifier >= 0 ? '+' : ''}${t.modifier}`)
    .join(', ')})`;
}
