/**
 * What deploying a new synth would do to what an old synth deployed, per stack: created, updated in place,
 * replaced (and why), destroyed; stateful and entry-point resources marked. Run before `cdktf deploy`.
 *
 *   npm run impact -- <old cdktf.out> <new cdktf.out> [--allow-replace] [--json]
 *
 * Each argument is a synth output directory (with stacks/<name>/cdk.tf.json), one stack's directory, or a
 * cdk.tf.json file. Exit status: 0 fine; 1 usage or unreadable input; 2 a stateful or entry-point resource
 * would be replaced or destroyed (0 with --allow-replace); 3 Terraform would refuse a new plan (cycle, dangling
 * reference).
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, compareOutdirs, impactExitCode } from '../lib/plan/impact';
import { formatImpact } from '../lib/plan/impact-report';
import { Plan, loadStack, loadStacks } from '../lib/plan/plan';

const USAGE = 'usage: npm run impact -- <old cdktf.out> <new cdktf.out> [--allow-replace] [--json]';

/** The stacks at `where`: a synth output directory, a stack directory or a cdk.tf.json file. */
export function readStacks(where: string): Map<string, Plan> {
  if (!fs.existsSync(where)) throw new Error(`${where} does not exist: give a synth output directory such as cdktf.out`);
  if (fs.statSync(where).isFile()) {
    const plan = loadStack(where);
    return new Map([[plan.name!, plan]]);
  }
  if (fs.existsSync(path.join(where, 'stacks'))) return loadStacks(where);
  if (fs.existsSync(path.join(where, 'cdk.tf.json'))) return readStacks(path.join(where, 'cdk.tf.json'));
  throw new Error(`${where} has neither stacks/<name>/cdk.tf.json nor cdk.tf.json: give a synth output directory such as cdktf.out`);
}

export function main(argv: readonly string[], out: (text: string) => void = (t) => process.stdout.write(t)): number {
  const flags = new Set(argv.filter((a) => a.startsWith('-')));
  const positional = argv.filter((a) => !a.startsWith('-'));
  const unknown = [...flags].filter((f) => !['--allow-replace', '--json', '--help', '-h'].includes(f));
  if (flags.has('--help') || flags.has('-h')) {
    out(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (unknown.length > 0 || positional.length !== 2) {
    process.stderr.write(`${unknown.length > 0 ? `unknown option ${unknown.join(', ')}\n` : ''}${USAGE}\n`);
    return EXIT.usage;
  }
  const allowReplace = flags.has('--allow-replace');
  let report;
  try {
    report = compareOutdirs(readStacks(positional[0]), readStacks(positional[1]));
  } catch (e) {
    process.stderr.write(`impact: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  const code = impactExitCode(report, { allowReplace });
  out(flags.has('--json') ? `${JSON.stringify({ ...report, exitCode: code }, null, 2)}\n` : formatImpact(report, { allowReplace }));
  return code;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
