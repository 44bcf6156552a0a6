/**
 * `npm run lab -- <command>` (package.json: "lab": "node scripts/run-ts.js lib/lab/cli.ts"):
 *
 *   status             the labs of this machine (state files under $TIERFORM_LAB_DIR or /run/tierform-lab)
 *   down <id>...       tear labs down by the ids in their state files: SIGTERM their owner process, then kill
 *                      whatever runs in their namespaces, delete the namespaces and /etc/netns directories
 *   down --all         every lab listed by status
 *
 * `up <stage>` comes with booting a stage (reading cdk.tf.json).
 */
import { checkPrerequisites, defaultLabRoot, downLab, LabError, listLabs } from './netns';

export function main(argv: readonly string[]): number {
  const [command, ...args] = argv;
  const root = defaultLabRoot();
  if (command === 'status') {
    const labs = listLabs(root);
    if (labs.length === 0) console.log(`no labs under ${root}`);
    for (const { state, ownerRunning } of labs) {
      const reserved = Object.entries(state.reservedIps).map(([ip, h]) => `${ip}→${h ?? 'unassigned'}`);
      console.log(
        `${state.id}  ${state.status}  owner ${state.ownerPid} ${ownerRunning ? 'running' : 'gone'}  ` +
          `${state.droplets.length} droplets  ${state.processes.length} processes  created ${state.createdAt}` +
          (reserved.length ? `  reserved ${reserved.join(' ')}` : ''),
      );
      for (const ns of state.namespaces) console.log(`    ${ns}`);
    }
    return 0;
  }
  if (command === 'down') {
    checkPrerequisites();
    const ids = args.includes('--all') ? listLabs(root).map((l) => l.state.id) : args;
    if (ids.length === 0) {
      console.error('usage: lab down <id>... | lab down --all');
      return 2;
    }
    let failed = false;
    for (const id of ids) {
      const report = downLab(id, { labRoot: root });
      const owner = report.ownerStopped ? 'owner stopped (it tore its lab down); ' : '';
      console.log(`${id}: ${owner}${report.namespacesDeleted.length} namespaces deleted, ${report.killed.length} processes stopped`);
      for (const e of report.errors) {
        failed = true;
        console.error(`${id}: ${e}`);
      }
    }
    return failed ? 1 : 0;
  }
  console.error('usage: lab status | lab down <id>... | lab down --all');
  return 2;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof LabError) {
      console.error(e.message);
      process.exitCode = 1;
    } else throw e;
  }
}
