/**
 * `npm run lab -- <command>` (package.json: "lab": "node scripts/run-ts.js lib/lab/cli.ts"):
 *
 *   up <stage> [--outdir cdktf.out] [--id <id>] [--keep-logs] [--detach] [--apply <stack>]... [--local <droplet>]
 *                      boot the synthesized stage (cdktf.out/stacks/<stage>/cdk.tf.json) and keep it up until
 *                      Ctrl-C, SIGTERM or `down`; with --detach, boot in a background process and return once it
 *                      is up (its output: <lab root>/<id>.up.log). --apply applies a Docker stack's docker_*
 *                      resources (the booted stage's own with --apply <stage>) to the droplets' engines, in order
 *                      (lib/lab/docker); --local names the droplet standing in for a stack's local Docker engine
 *   status             the labs of this machine (state under $TIERFORM_LAB_DIR or /run/tierform-lab): droplets,
 *                      addresses, units and their pids, reserved IPs
 *   down [<id>...]     tear labs down by the ids in their state files (all labs when no id is given): SIGTERM their
 *                      owner process, then kill whatever runs in their namespaces, delete the namespaces and
 *                      /etc/netns directories and the lab directory
 *   down --all         the same as `down` without ids
 *   apply <stage> [--outdir cdktf.out] [--id <id>] [--refuse-replace]
 *                      apply the stage's plan as synthesized now to the running lab of that stage (its owner process
 *                      does it: see lib/lab/apply.ts): droplets created, replaced (loudly; with --refuse-replace the
 *                      apply fails instead, changing nothing) or destroyed, DNS records, firewalls and reserved IPs
 *                      updated; prints what it did. --id picks the lab when several run the stage.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { bootStage, formatStatus, listBoots, readStagePlan, siteHint, stagePlanFile } from './boot';
import { requestApply } from './control';
import { applyInLab } from './docker/lab-docker';
import { LabError } from './netns';
import { checkPrerequisites, defaultLabRoot } from './host-tools';
import { downLab, listLabs } from './teardown';

const USAGE =
  'usage: lab up <stage> [--outdir cdktf.out] [--id <id>] [--keep-logs] [--detach] [--apply <stack>]... [--local <droplet>] | ' +
  'lab status | lab down [<id>... | --all] | lab apply <stage> [--outdir cdktf.out] [--id <id>] [--refuse-replace]';

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  const root = defaultLabRoot();
  if (command === 'status') {
    console.log(formatStatus(listBoots(root)));
    return 0;
  }
  if (command === 'down') {
    checkPrerequisites();
    const ids = args.filter((a) => a !== '--all');
    const targets = ids.length > 0 ? ids : listLabs(root).map((l) => l.state.id);
    if (targets.length === 0) console.log(`no labs under ${root}`);
    let failed = false;
    for (const id of targets) {
      const report = downLab(id, { labRoot: root });
      fs.rmSync(path.join(root, `${id}.up.log`), { force: true });
      const owner = report.ownerStopped ? 'owner stopped (it tore its lab down); ' : '';
      console.log(`${id}: ${owner}${report.namespacesDeleted.length} namespaces deleted, ${report.killed.length} processes stopped`);
      for (const e of report.errors) {
        failed = true;
        console.error(`${id}: ${e}`);
      }
    }
    return failed ? 1 : 0;
  }
  if (command === 'up') return up(args, root);
  if (command === 'apply') return apply(args, root);
  console.error(USAGE);
  return 2;
}

function parseArgs(args: readonly string[]): { options: Map<string, string>; flags: Set<string>; positional: string[]; applies: string[] } {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  const applies: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--apply') applies.push(args[++i] ?? '');
    else if (a.startsWith('--apply=')) applies.push(a.slice(8));
    else if (a === '--outdir' || a === '--id' || a === '--local') options.set(a, args[++i] ?? '');
    else if (a.startsWith('--outdir=') || a.startsWith('--id=')) options.set(a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1));
    else if (a.startsWith('--')) flags.add(a);
    else positional.push(a);
  }
  return { options, flags, positional, applies };
}

/** Sends the stage's plan to the owner of the running lab of that stage, printing its progress and summary. */
async function apply(args: readonly string[], root: string): Promise<number> {
  const { options, flags, positional } = parseArgs(args);
  const stage = positional[0];
  const unknown = [...flags].filter((f) => f !== '--refuse-replace');
  if (!stage || positional.length > 1 || unknown.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const { planFile } = readStagePlan(stage, options.get('--outdir') ?? 'cdktf.out');
  const id = options.get('--id');
  const running = listBoots(root).filter((l) => l.boot?.stage === stage && l.ownerRunning && (id === undefined || l.id === id));
  if (running.length !== 1) {
    const all = listBoots(root).map((l) => `${l.id} (${l.boot?.stage ?? 'no stage'}, owner ${l.ownerRunning ? 'running' : 'gone'})`);
    console.error(
      running.length === 0
        ? `no running lab of ${stage}${id ? ` with id ${id}` : ''} under ${root} (labs: ${all.join(', ') || 'none'}): boot it with npm run lab -- up ${stage}`
        : `several labs run ${stage}: ${running.map((l) => l.id).join(', ')}: choose one with --id`,
    );
    return 1;
  }
  // The owner's progress lines end with the summary of what was done.
  await requestApply(running[0].dir, { planFile, refuseReplace: flags.has('--refuse-replace') }, (line) => console.log(line));
  return 0;
}

async function up(args: readonly string[], root: string): Promise<number> {
  const { options, flags, positional, applies } = parseArgs(args);
  const stage = positional[0];
  if (!stage || positional.length > 1) {
    console.error(USAGE);
    return 2;
  }
  if (flags.has('--detach')) return detach(args, root, options.get('--id'));
  const boot = await bootStage({
    stage,
    outdir: options.get('--outdir') ?? 'cdktf.out',
    id: options.get('--id'),
    keepLogs: flags.has('--keep-logs'),
    log: (line) => console.log(line),
  });
  for (const stack of applies) {
    const planFile = stagePlanFile(stack, options.get('--outdir') ?? 'cdktf.out');
    try {
      const r = await applyInLab(boot, { planFile, localDroplet: options.get('--local'), log: (line) => console.log(line) });
      console.log(`${stack}: ${r.created.length} docker resources created`);
    } catch (e) {
      await boot.shutdown();
      throw e;
    }
  }
  console.log(formatStatus(listBoots(root).filter((l) => l.id === boot.lab.id)));
  console.log(
    `ready: lab ${boot.lab.id} is up. Try, from the client namespace: ${siteHint(boot.lab.client.netns, boot.labPlan.records, boot.labPlan.droplets)}`,
  );
  console.log(`Ctrl-C (or npm run lab -- down ${boot.lab.id}) tears it down.`);
  // Stay up: the lab's signal handlers tear it down on SIGINT/SIGTERM/SIGHUP and end the process.
  setInterval(() => undefined, 1 << 30);
  return 0;
}

/** Runs `up` without --detach in a detached process and waits (bounded) until it prints "ready" or exits. */
async function detach(args: readonly string[], root: string, id?: string): Promise<number> {
  const labId = id ?? [...randomBytes(6)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  fs.mkdirSync(root, { recursive: true });
  const logFile = path.join(root, `${labId}.up.log`);
  const fd = fs.openSync(logFile, 'w');
  const rest = args.filter((a) => a !== '--detach' && a !== '--id' && !a.startsWith('--id=') && a !== id);
  const child = spawn(process.execPath, [process.argv[1], 'up', ...rest, '--id', labId], { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  const deadline = Date.now() + 600_000;
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  for (;;) {
    const out = fs.readFileSync(logFile, 'utf8');
    if (/^ready: /m.test(out)) {
      process.stdout.write(out);
      console.log(`(running in the background as pid ${child.pid}; its output: ${logFile})`);
      return 0;
    }
    if (exited !== undefined || Date.now() > deadline) {
      process.stdout.write(out);
      console.error(exited !== undefined ? `the lab process exited (${exited}) before the lab was up` : 'the lab did not come up within 600 s');
      return 1;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof LabError) {
        console.error(e.message);
        process.exitCode = 1;
      } else throw e;
    },
  );
}
