/** Small timing helpers for bench/synth.ts: samples of wall and CPU time, median and p90. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';

export interface Sample {
  /** Wall-clock milliseconds. */
  readonly wallMs: number;
  /** CPU milliseconds of this process (user + system, all threads: includes parallel GC). */
  readonly cpuMs: number;
  /**
   * CPU milliseconds of the main (JavaScript) thread alone, from /proc (Linux; 10 ms ticks, so compare sums over
   * many samples). Other people's load on the machine stretches wall time but hardly this; undefined elsewhere.
   */
  readonly mainCpuMs?: number;
}

/** The main thread's user + system CPU time in ms, or undefined where /proc is not available. */
export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * A full garbage collection, so one side's garbage is not collected on the other side's clock.
 * `node --expose-gc` cannot be passed through `npm run`, so the flag is set at run time.
 */
export const collectGarbage: () => void = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // fall through
  }
  return () => undefined;
})();

/** A fresh temporary directory for one synth's outdir; removed by `removeDir` outside the timing. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Times `fn` (wall and CPU); collects garbage first so the sample starts from a clean heap. */
export function time<T>(fn: () => T): { result: T; sample: Sample } {
  collectGarbage();
  const main0 = mainThreadCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuMs();
  const mainCpuMs = main0 === undefined || main1 === undefined ? undefined : main1 - main0;
  return { result, sample: { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs } };
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Summary {
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly cpuMedianMs: number;
  /** Mean main-thread CPU per sample (the sum over samples / n), when measured. */
  readonly mainCpuMeanMs?: number;
  readonly n: number;
}

export function summarize(samples: readonly Sample[]): Summary {
  const wall = samples.map((s) => s.wallMs);
  const main = samples.map((s) => s.mainCpuMs);
  const mainCpuMeanMs = main.every((m): m is number => m !== undefined) ? main.reduce((a, b) => a + b, 0) / samples.length : undefined;
  return { medianMs: median(wall), p90Ms: percentile(wall, 90), cpuMedianMs: median(samples.map((s) => s.cpuMs)), mainCpuMeanMs, n: samples.length };
}
