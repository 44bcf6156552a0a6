/**
 * Synth benchmark: prints figures, asserts nothing (see bench/README.md).
 *
 *   npm run bench:synth                       # defaults
 *   npm run bench:synth -- --rounds=15 --warmup=5 --scale-runs=3
 *
 * 1. Every stage of lib/stages synthesized through the library, against the same plan written with raw
 *    provider constructs (L1, rebuilt from the library's JSON by bench/l1.ts and checked equal first),
 *    interleaved A B A B ..., median and p90 of each side and the ratio of medians.
 * 2. One stack of 1,000 (and 100) web droplets: WebTier behind a HaproxyLoadBalancer with a
 *    PrimaryReplicaMysql, construct + synth seconds and the scaling factor time(1000) / time(100).
 * The last line is machine-readable:
 * `ratio_vs_l1=<x> ratio_vs_l1_cpu=<x> scale_1000_seconds=<s> scale_1000_vs_l1=<x>` (the CPU ratio only on Linux).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { Dns } from '../constructs/dns';
import { HaproxyLoadBalancer } from '../constructs/haproxy-load-balancer';
import { PrimaryReplicaMysql } from '../constructs/primary-replica-mysql';
import { Vpc } from '../constructs/vpc';
import { WebTier } from '../constructs/web-tier';
import { configureProvider } from '../lib/stages/common';
import { L1StackPlan, TfJson, buildL1Stack, firstDifference, planL1Stack, withoutMetadata } from './l1';
import { Sample, Summary, median, removeDir, summarize, tempDir, time } from './stats';
import { PROPS, STAGES } from './synth-stages';

// ---------------------------------------------------------------------------------------------- inputs

const TARGETS = { ratioVsL1: 1.2, scale1000Seconds: 5, scaleFactor: 11, scaleVsL1: 1.5 } as const;

function option(name: string, fallback: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got '${arg}'`);
  return value;
}

const ROUNDS = option('rounds', 15);
const WARMUP = option('warmup', 5);
const SCALE_RUNS = option('scale-runs', 3);
const SCALE_SMALL = 100;
const SCALE_LARGE = 1000;

// ---------------------------------------------------------------------------------------------- the apps

function readStack(outdir: string, stackId: string): TfJson {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stackId, 'cdk.tf.json'), 'utf8'));
}

/** Side A: every stage through the library, synthesized to `outdir`. */
function synthLibraryStages(outdir: string): void {
  const app = new App({ outdir });
  for (const { id, stage } of STAGES) new stage(app, id, PROPS);
  app.synth();
}

/** Side B: the same plans from raw provider constructs. */
function synthL1(outdir: string, plans: readonly L1StackPlan[]): void {
  const app = new App({ outdir });
  for (const plan of plans) buildL1Stack(app, plan);
  app.synth();
}

function scaleStackId(webCount: number): string {
  return `scale-${webCount}`;
}

/** One stack: `webCount` web droplets behind one HaproxyLoadBalancer, with a PrimaryReplicaMysql, a Vpc and a Dns zone. */
function buildScaleStack(app: App, webCount: number): TerraformStack {
  const stack = new TerraformStack(app, scaleStackId(webCount));
  configureProvider(stack);
  const access = { sshKeys: PROPS.sshKeys!, adminCidrs: PROPS.adminCidrs };
  const vpc = new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'foobar-scale-vpc', ipRange: '10.20.16.0/20' });
  // Droplets find their peers by internal names in the stack's zone (constructs refuse a stack without one).
  new Dns(stack, 'Dns', { domain: PROPS.domain });
  const database = new PrimaryReplicaMysql(stack, 'Database', { ...access, vpc, name: 'foobar-scale-db' });
  const web = new WebTier(stack, 'Web', {
    ...access,
    vpc,
    name: 'foobar-scale-web',
    count: webCount,
    database,
    serverNames: [PROPS.domain, `www.${PROPS.domain}`],
  });
  new HaproxyLoadBalancer(stack, 'LoadBalancer', {
    ...access,
    vpc,
    name: 'foobar-scale-lb',
    healthCheckHost: `www.${PROPS.domain}`,
    backends: [web],
    maxServersPerBackend: webCount,
  });
  return stack;
}

interface ScaleSample extends Sample {
  readonly constructMs: number;
  readonly synthMs: number;
}

/** Construct + synth of the scale stack, timed as a whole and by phase. Leaves the output in `outdir`. */
function timeScaleStack(outdir: string, webCount: number): ScaleSample {
  let constructMs = 0;
  const { sample } = time(() => {
    const t0 = performance.now();
    const app = new App({ outdir });
    buildScaleStack(app, webCount);
    constructMs = performance.now() - t0;
    app.synth();
  });
  return { ...sample, constructMs, synthMs: sample.wallMs - constructMs };
}

// ---------------------------------------------------------------------------------------------- checks

/** Compares the library's and the L1's stacks; returns the first difference of the `resource` sections and of the documents. */
function compare(libraryOut: string, l1Out: string, stackIds: readonly string[]): { resource?: string; document?: string } {
  let resource: string | undefined;
  let document: string | undefined;
  for (const id of stackIds) {
    const a = withoutMetadata(readStack(libraryOut, id)) as TfJson;
    const b = withoutMetadata(readStack(l1Out, id)) as TfJson;
    resource ??= firstDifference(a.resource, b.resource, `${id}.resource`);
    document ??= firstDifference(a, b, id);
  }
  return { resource, document };
}

function countResources(json: TfJson): { resources: number; droplets: number } {
  const r = json.resource ?? {};
  return {
    resources: Object.values<TfJson>(r).reduce((n, byId) => n + Object.keys(byId).length, 0),
    droplets: Object.keys(r.digitalocean_droplet ?? {}).length,
  };
}

// ---------------------------------------------------------------------------------------------- output

const ms = (x: number): string => `${x.toFixed(1)} ms`;
const sec = (x: number): string => `${(x / 1000).toFixed(2)} s`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/** Library/L1 of the mean main-thread CPU, when /proc gave it for both. */
function mainCpuRatio(library: Summary, l1: Summary): number | undefined {
  return library.mainCpuMeanMs === undefined || l1.mainCpuMeanMs === undefined || l1.mainCpuMeanMs === 0
    ? undefined
    : library.mainCpuMeanMs / l1.mainCpuMeanMs;
}

function line(label: string, s: Summary): string {
  return `  ${label.padEnd(9)} median ${ms(s.medianMs).padStart(9)}   p90 ${ms(s.p90Ms).padStart(9)}   (cpu median ${ms(s.cpuMedianMs)}, n=${s.n})`;
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown cpu';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  // scripts/run-ts.js turns source maps on; they make every cdktf token's stack capture dearer (see README).
  const sourceMaps = process.sourceMapsEnabled ? 'on' : 'off';
  return (
    `machine: ${model} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.arch()}, ` +
    `node ${process.version}, source maps ${sourceMaps}, load avg ${load}`
  );
}

// ---------------------------------------------------------------------------------------------- main

function main(): void {
  console.log(`tierform bench:synth  ${new Date().toISOString()}`);
  console.log(machine());

  // 1. Library vs L1, all stages. -------------------------------------------------------------------
  // Reference output and the L1 plan, outside the timing.
  const reference = tempDir('tierform-bench-lib-');
  synthLibraryStages(reference);
  const stackIds = STAGES.map((s) => s.id);
  const jsons = stackIds.map((id) => readStack(reference, id));
  const plans = stackIds.map((id, i) => planL1Stack(id, jsons[i]));
  const l1Reference = tempDir('tierform-bench-l1-');
  synthL1(l1Reference, plans);
  const diff = compare(reference, l1Reference, stackIds);
  removeDir(reference);
  removeDir(l1Reference);
  const totals = jsons.map(countResources).reduce((a, b) => ({ resources: a.resources + b.resources, droplets: a.droplets + b.droplets }));
  console.log(`stages: ${stackIds.join(', ')} (${totals.resources} resources, ${totals.droplets} droplets)`);
  console.log(`l1_equivalent=${diff.resource === undefined}`);
  if (diff.resource !== undefined) {
    console.log(`  first difference: ${diff.resource}`);
    console.log('The L1 rebuild does not match the library: the comparison would be meaningless. Fix bench/l1.ts.');
    process.exitCode = 1;
    return;
  }
  console.log(`  whole documents (variables, outputs, provider, backend) equal too: ${diff.document === undefined ? 'yes' : `no, ${diff.document}`}`);

  const librarySamples: Sample[] = [];
  const l1Samples: Sample[] = [];
  const runLibrary = (): Sample => {
    const out = tempDir('tierform-bench-');
    const { sample } = time(() => synthLibraryStages(out));
    removeDir(out);
    return sample;
  };
  const runL1 = (): Sample => {
    const out = tempDir('tierform-bench-');
    const { sample } = time(() => synthL1(out, plans));
    removeDir(out);
    return sample;
  };
  for (let i = 0; i < WARMUP; i++) {
    runLibrary();
    runL1();
  }
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which side goes first, so neither always runs right after the other's garbage or cache state.
    if (i % 2 === 0) {
      librarySamples.push(runLibrary());
      l1Samples.push(runL1());
    } else {
      l1Samples.push(runL1());
      librarySamples.push(runLibrary());
    }
  }
  const lib = summarize(librarySamples);
  const l1 = summarize(l1Samples);
  const ratio = lib.medianMs / l1.medianMs;
  console.log(
    `all stages, construct + app.synth() to a temp dir, ${WARMUP} warm-up + ${ROUNDS} interleaved rounds each (wall time; order alternates):`,
  );
  console.log(line('library', lib));
  console.log(line('L1', l1));
  console.log(`  ratio of medians library/L1: ${ratio.toFixed(2)} (target <= ${TARGETS.ratioVsL1}: ${verdict(ratio <= TARGETS.ratioVsL1)})`);
  const cpuRatio = mainCpuRatio(lib, l1);
  if (cpuRatio !== undefined) {
    console.log(
      `  main-thread CPU per round (mean): library ${ms(lib.mainCpuMeanMs!)}, L1 ${ms(l1.mainCpuMeanMs!)}, library/L1 ${cpuRatio.toFixed(2)}` +
        ' (steadier than wall time when others load the machine)',
    );
  }

  // 2. Scale: 100 and 1,000 web droplets. ----------------------------------------------------------
  console.log(
    `scale: one stack, WebTier(count) + HaproxyLoadBalancer + PrimaryReplicaMysql (+ Vpc, provider), construct + app.synth(), ` +
      `1 warm-up + ${SCALE_RUNS} interleaved runs each:`,
  );
  const small: ScaleSample[] = [];
  const large: ScaleSample[] = [];
  const l1Large: Sample[] = [];
  let l1LargePlan: L1StackPlan | undefined;
  let largeInfo = '';
  let smallInfo = '';
  let largeEquivalent = '';
  {
    const warm = tempDir('tierform-bench-');
    timeScaleStack(warm, SCALE_SMALL);
    removeDir(warm);
  }
  for (let i = 0; i < SCALE_RUNS; i++) {
    const outSmall = tempDir('tierform-bench-');
    small.push(timeScaleStack(outSmall, SCALE_SMALL));
    if (i === 0) smallInfo = describeOutput(outSmall, scaleStackId(SCALE_SMALL));
    removeDir(outSmall);

    const outLarge = tempDir('tierform-bench-');
    large.push(timeScaleStack(outLarge, SCALE_LARGE));
    if (i === 0) {
      // Outside the timing: the L1 program for the same 1,000-droplet plan, checked equal like the stages.
      const id = scaleStackId(SCALE_LARGE);
      largeInfo = describeOutput(outLarge, id);
      l1LargePlan = planL1Stack(id, readStack(outLarge, id));
      const check = tempDir('tierform-bench-l1-');
      synthL1(check, [l1LargePlan]);
      const d = compare(outLarge, check, [id]).resource;
      largeEquivalent = d === undefined ? 'true' : `false, ${d}`;
      removeDir(check);
    }
    removeDir(outLarge);

    const outL1 = tempDir('tierform-bench-');
    l1Large.push(time(() => synthL1(outL1, [l1LargePlan!])).sample);
    removeDir(outL1);
  }
  const s = summarize(small);
  const l = summarize(large);
  const factor = l.medianMs / s.medianMs;
  const phases = (xs: ScaleSample[]) => `construct ${sec(median(xs.map((x) => x.constructMs)))} + synth ${sec(median(xs.map((x) => x.synthMs)))}`;
  console.log(
    `  ${String(SCALE_SMALL).padStart(5)} web droplets: median ${sec(s.medianMs)}, p90 ${sec(s.p90Ms)} (${phases(small)}; cpu ${sec(s.cpuMedianMs)}) ${smallInfo}`,
  );
  console.log(
    `  ${String(SCALE_LARGE).padStart(5)} web droplets: median ${sec(l.medianMs)}, p90 ${sec(l.p90Ms)} (${phases(large)}; cpu ${sec(l.cpuMedianMs)}) ${largeInfo}` +
      ` (target < ${TARGETS.scale1000Seconds} s: ${verdict(l.medianMs / 1000 < TARGETS.scale1000Seconds)})`,
  );
  console.log(
    `  scaling time(${SCALE_LARGE})/time(${SCALE_SMALL}): ${factor.toFixed(2)}x for 10x droplets (target <= ${TARGETS.scaleFactor}: ${verdict(factor <= TARGETS.scaleFactor)})`,
  );
  const l1l = summarize(l1Large);
  const scaleRatio = l.medianMs / l1l.medianMs;
  const scaleCpuRatio = mainCpuRatio(l, l1l);
  console.log(
    `  same ${SCALE_LARGE}-droplet plan as raw L1 constructs: median ${sec(l1l.medianMs)}, p90 ${sec(l1l.p90Ms)}` +
      ` (l1_equivalent=${largeEquivalent}); library/L1 ${scaleRatio.toFixed(2)} (target <= ${TARGETS.scaleVsL1}: ${verdict(scaleRatio <= TARGETS.scaleVsL1)})` +
      (scaleCpuRatio === undefined ? '' : `, main-thread CPU library/L1 ${scaleCpuRatio.toFixed(2)}`),
  );

  console.log(
    `ratio_vs_l1=${ratio.toFixed(2)}${cpuRatio === undefined ? '' : ` ratio_vs_l1_cpu=${cpuRatio.toFixed(2)}`} ` +
      `scale_1000_seconds=${(l.medianMs / 1000).toFixed(2)} scale_1000_vs_l1=${scaleRatio.toFixed(2)}`,
  );
}

function describeOutput(outdir: string, stackId: string): string {
  const file = path.join(outdir, 'stacks', stackId, 'cdk.tf.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as TfJson;
  const { resources, droplets } = countResources(json);
  return `[${droplets} droplets, ${resources} resources, ${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB JSON]`;
}

main();
