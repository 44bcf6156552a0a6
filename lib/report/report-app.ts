/**
 * `npm run report`: synthesizes the example app (main.ts, every stage) with the production-readiness pack and the
 * stages' documented suppressions, then writes `<out>/<stack>.json` and `<out>/<stack>.html` for every stack.
 * Error findings do not stop the synth here (they are the report's content); the command exits non-zero when
 * any stack has one. With `deployed` (the synth output last deployed), each stack found there also gets what
 * deploying the new synth would create, update, replace or destroy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Aspects, TerraformStack } from 'cdktf';
import { buildApp } from '../../main';
import { ProductionReadiness, suppressStageWeaknesses } from '../checks';
import { compareStacks } from '../plan/impact';
import { Plan, loadStack, loadStacks } from '../plan/plan';
import { ReadinessReport, readinessReport } from './readiness-report';

export interface ReportOptions {
  /** Where the reports go. @default 'cdktf.out/report' */
  readonly outDir?: string;
  /** Where the stacks are synthesized. @default - cdktf's (CDKTF_OUTDIR or cdktf.out) */
  readonly synthDir?: string;
  /** Also write the stage 3 diagram the README shows, to this file. @default - not written */
  readonly readmeDiagram?: string;
  /** The synth output last deployed (`stacks/<name>/cdk.tf.json`): adds the impact of the new synth. @default - none */
  readonly deployed?: string;
}

export interface WrittenReport {
  readonly stack: string;
  readonly html: string;
  readonly json: string;
  readonly report: ReadinessReport;
}

export async function writeReports(options: ReportOptions = {}): Promise<WrittenReport[]> {
  const outDir = options.outDir ?? path.join('cdktf.out', 'report');
  // The findings are the report's content: let synth finish and write them, then judge.
  const previous = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
  process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = '1';
  let app;
  try {
    app = buildApp(options.synthDir);
  } finally {
    if (previous === undefined) delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    else process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = previous;
  }
  const pack = new ProductionReadiness();
  const stacks = app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c));
  for (const stack of stacks) {
    suppressStageWeaknesses(stack);
    Aspects.of(stack).add(pack);
  }
  app.synth();
  let deployed: Map<string, Plan> | undefined;
  if (options.deployed !== undefined) {
    if (!fs.existsSync(path.join(options.deployed, 'stacks'))) {
      throw new Error(
        `--deployed ${options.deployed} has no stacks/<name>/cdk.tf.json: give the synth output you last deployed (e.g. cdktf.deployed)`,
      );
    }
    deployed = loadStacks(options.deployed);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const written: WrittenReport[] = [];
  for (const stack of stacks) {
    const old = deployed?.get(stack.node.id);
    const impact = old ? compareStacks(old, loadStack(path.join(app.outdir, 'stacks', stack.node.id, 'cdk.tf.json')), {}, stack.node.id) : undefined;
    const { report, svg, html } = await readinessReport(stack, pack, { impact });
    const base = path.join(outDir, stack.node.id);
    fs.writeFileSync(`${base}.json`, `${JSON.stringify({ ...report, diagramSvg: svg }, null, 2)}\n`);
    fs.writeFileSync(`${base}.html`, html);
    written.push({ stack: stack.node.id, html: `${base}.html`, json: `${base}.json`, report });
    if (options.readmeDiagram && stack.node.id === 'stage3-high-availability') {
      fs.mkdirSync(path.dirname(options.readmeDiagram), { recursive: true });
      fs.writeFileSync(options.readmeDiagram, svg);
    }
  }
  return written;
}
