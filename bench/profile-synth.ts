/**
 * The library side (or the L1 side) of bench:synth's stage comparison, in a loop, for a CPU profile:
 *
 *   node scripts/run-ts.js bench/profile-synth.ts            # builds .tierform/build/bench__profile-synth.js
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof .tierform/build/bench__profile-synth.js --side=library --rounds=40
 *   node scripts/profile-summary.js /tmp/prof/<file>.cpuprofile  # self time by function and by package
 *
 * `--side=library|l1|both`, `--rounds=N` (after 5 warm-up rounds that the profile also holds; compare
 * summaries of equal round counts). It prints the construct and synth phases of each side per round.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { TfJson, buildL1Stack, planL1Stack } from './l1';
import { mainThreadCpuMs, removeDir, tempDir } from './stats';
import { PROPS, STAGES } from './synth-stages';

function arg(name: string, fallback: string): string {
  const a = process.argv.slice(2).find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
}

const phases: Record<string, number> = { libraryConstruct: 0, librarySynth: 0, l1Construct: 0, l1Synth: 0 };
let measuring = false;

function librarySide(outdir: string): void {
  const t0 = performance.now();
  const app = new App({ outdir });
  for (const { id, stage } of STAGES) new stage(app, id, PROPS);
  const t1 = performance.now();
  app.synth();
  if (measuring) {
    phases.libraryConstruct += t1 - t0;
    phases.librarySynth += performance.now() - t1;
  }
}

const side = arg('side', 'library');
const rounds = Number(arg('rounds', '40'));
const reference = tempDir('tierform-prof-');
librarySide(reference);
const plans = STAGES.map(({ id }) =>
  planL1Stack(id, JSON.parse(fs.readFileSync(path.join(reference, 'stacks', id, 'cdk.tf.json'), 'utf8')) as TfJson),
);
removeDir(reference);
function l1Side(outdir: string): void {
  const t0 = performance.now();
  const app = new App({ outdir });
  for (const plan of plans) buildL1Stack(app, plan);
  const t1 = performance.now();
  app.synth();
  if (measuring) {
    phases.l1Construct += t1 - t0;
    phases.l1Synth += performance.now() - t1;
  }
}
const t0 = performance.now();
const times: Record<string, number> = { library: 0, l1: 0 };
const cpu: Record<string, number> = { library: 0, l1: 0 };
for (let i = 0; i < rounds + 5; i++) {
  measuring = i >= 5;
  for (const [name, fn] of [
    ['library', librarySide],
    ['l1', l1Side],
  ] as const) {
    if (side !== 'both' && side !== name) continue;
    const out = tempDir('tierform-prof-');
    (globalThis as { __side?: (s: string) => void }).__side?.(name);
    const t = performance.now();
    const c = mainThreadCpuMs() ?? 0;
    fn(out);
    if (i >= 5) {
      times[name] += performance.now() - t;
      cpu[name] += (mainThreadCpuMs() ?? 0) - c;
    }
    removeDir(out);
  }
}
const per = (x: number): string => (x / rounds).toFixed(1);
console.log(
  `phases per round: library construct ${per(phases.libraryConstruct)} + synth ${per(phases.librarySynth)} ms; ` +
    `l1 construct ${per(phases.l1Construct)} + synth ${per(phases.l1Synth)} ms`,
);
console.log(
  `side=${side} rounds=${rounds} total ${(performance.now() - t0).toFixed(0)} ms; per round library ${per(times.library)} ms, l1 ${per(times.l1)} ms; ` +
    `main-thread cpu per round library ${per(cpu.library)} ms, l1 ${per(cpu.l1)} ms`,
);
