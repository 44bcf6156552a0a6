/**
 * Tearing a lab down, from its own process or from any other: the state file (`<lab dir>/state.json`, written
 * before anything is created) names every namespace, /etc/netns directory and process; teardown kills the
 * processes (pid checked against its start time, then its process group, then everything in the lab's namespaces
 * and Docker cgroups), deletes the namespaces and directories. `npm run lab -- down` and the watchdog use it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ETC_NETNS_DIR, NETNS_DIR, defaultLabRoot, runSync } from './host-tools';
import { LabError } from './lab-error';
import { TrackedProcess } from './lab-process';
import {
  KillTarget,
  cgroupsWithPrefix,
  isRunning,
  killAndWait,
  killCgroupTree,
  netnsInode,
  pidsInCgroup,
  pidsInGroups,
  pidsInNetns,
  procStat,
  sleepSync,
} from './processes';
import type { LabDroplet } from './netns';

/** What `state.json` holds: enough for another process to tear the lab down. */
export interface LabState {
  readonly version: 1;
  readonly id: string;
  readonly dir: string;
  readonly status: 'creating' | 'up';
  readonly createdAt: string;
  readonly ownerPid: number;
  readonly ownerStartTime?: string;
  /** Every namespace created (or about to be), in creation order. */
  readonly namespaces: readonly string[];
  /** Every /etc/netns/<ns> directory created (or about to be). */
  readonly etcDirs: readonly string[];
  readonly processes: readonly TrackedProcess[];
  readonly keepLogs: boolean;
  /** The watchdog process, if any. */
  readonly watchdog?: { readonly pid: number; readonly startTime: string };
  readonly internet?: { readonly netns: string; readonly routerIp: string; readonly anchorGateway: string };
  readonly client?: { readonly netns: string; readonly ip: string };
  readonly droplets: readonly LabDroplet[];
  readonly reservedIps: Readonly<Record<string, string | null>>;
}

export interface TeardownReport {
  readonly id: string;
  /** Processes signalled. */
  readonly killed: readonly number[];
  /** Processes still running afterwards (should be none). */
  readonly survivors: readonly number[];
  readonly namespacesDeleted: readonly string[];
  readonly errors: readonly string[];
  /** downLab: the owner process was running and was sent SIGTERM (it tears its lab down itself). */
  readonly ownerStopped?: boolean;
}

/** Kills the lab's processes, deletes its namespaces and /etc/netns directories and its directory. */
export function destroy(state: LabState, tracked: readonly TrackedProcess[]): TeardownReport {
  const errors: string[] = [];
  const inodes = new Set<number>();
  const own = state.namespaces.filter((ns) => ns.startsWith(`tfl-${state.id}-`));
  for (const ns of own) {
    const ino = netnsInode(path.join(NETNS_DIR, ns));
    if (ino !== undefined) inodes.add(ino);
  }
  const killed = new Set<number>();
  let survivors: number[] = [];
  // Twice: a process may fork while the first round waits.
  for (let round = 0; round < 2; round++) {
    const targets = new Map<number, KillTarget>();
    const add = (pid: number) => {
      const stat = procStat(pid);
      if (stat && stat.state !== 'Z' && pid !== process.pid) targets.set(pid, { pid, startTime: stat.startTime });
    };
    const leaders = tracked.filter((p) => isRunning(p.pid, p.startTime));
    for (const p of leaders) add(p.pid);
    for (const pid of pidsInGroups(new Set(leaders.map((p) => p.pid)))) add(pid);
    for (const pid of pidsInNetns(inodes)) add(pid);
    if (targets.size === 0) break;
    for (const pid of targets.keys()) killed.add(pid);
    survivors = killAndWait([...targets.values()]).map((t) => t.pid);
  }
  if (survivors.length > 0) errors.push(`processes still running: ${survivors.join(', ')}`);
  // Containers of the droplets' Docker Engines run in network namespaces of their own, outside the lab's: they are
  // found by the cgroup every engine of this lab puts them under (`tfl-<id>-<droplet>`, lib/lab/docker/engine.ts).
  for (const cgroup of cgroupsWithPrefix(`tfl-${state.id}-`)) {
    for (const pid of killCgroupTree(cgroup)) killed.add(pid);
    if (pidsInCgroup(cgroup).length > 0) errors.push(`processes still in cgroup ${cgroup}: ${pidsInCgroup(cgroup).join(', ')}`);
  }

  const deleted: string[] = [];
  for (const ns of [...own].reverse()) {
    if (!fs.existsSync(path.join(NETNS_DIR, ns))) continue;
    const r = runSync(['ip', 'netns', 'delete', ns]);
    if (r.status === 0) deleted.push(ns);
    else errors.push(`ip netns delete ${ns}: ${r.stderr.trim()}`);
  }
  for (const dir of state.etcDirs) {
    if (path.dirname(dir) !== ETC_NETNS_DIR || !path.basename(dir).startsWith(`tfl-${state.id}-`)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    fs.rmdirSync(ETC_NETNS_DIR);
  } catch {
    // not empty (other namespaces) or absent
  }
  if (state.keepLogs) {
    fs.rmSync(path.join(state.dir, 'state.json'), { force: true });
  } else {
    fs.rmSync(state.dir, { recursive: true, force: true });
  }
  return { id: state.id, killed: [...killed], survivors, namespacesDeleted: deleted, errors };
}

/** A lab's state as found on disk, and whether its owner process still runs. */
export interface LabListing {
  readonly state: LabState;
  readonly ownerRunning: boolean;
}

/** Every lab with a state file under `labRoot`. */
export function listLabs(labRoot: string = defaultLabRoot()): LabListing[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(labRoot).sort();
  } catch {
    return [];
  }
  const out: LabListing[] = [];
  for (const id of entries) {
    const state = readState(path.join(labRoot, id, 'state.json'));
    if (state) out.push({ state, ownerRunning: state.ownerPid !== process.pid && isRunning(state.ownerPid, state.ownerStartTime) });
  }
  return out;
}

function readState(file: string): LabState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as LabState;
    return s.version === 1 && typeof s.id === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

export interface DownOptions {
  /** @default defaultLabRoot() */
  readonly labRoot?: string;
  /**
   * SIGTERM the lab's owner process first (its handlers tear the lab down and it ends), when it still runs.
   * @default true
   */
  readonly stopOwner?: boolean;
  /** How long the owner gets. @default 10000 */
  readonly ownerGraceMs?: number;
}

/** Tears down lab `id` from any process, by the ids in its state file. */
export function downLab(id: string, options: DownOptions = {}): TeardownReport {
  const root = path.resolve(options.labRoot ?? defaultLabRoot());
  const file = path.join(root, id, 'state.json');
  const state = readState(file);
  if (!state)
    throw new LabError(
      `no lab '${id}' under ${root} (labs: ${
        listLabs(root)
          .map((l) => l.state.id)
          .join(', ') || 'none'
      })`,
    );
  const ownerRunning = state.ownerPid !== process.pid && isRunning(state.ownerPid, state.ownerStartTime);
  if (ownerRunning && (options.stopOwner ?? true)) {
    try {
      process.kill(state.ownerPid, 'SIGTERM');
    } catch {
      // gone
    }
    const deadline = Date.now() + (options.ownerGraceMs ?? 10_000);
    while (Date.now() < deadline && isRunning(state.ownerPid, state.ownerStartTime) && fs.existsSync(file)) sleepSync(50);
  }
  const ownerStopped = ownerRunning && (options.stopOwner ?? true);
  const latest = readState(file);
  if (!latest) return { id, killed: [], survivors: [], namespacesDeleted: [], errors: [], ownerStopped };
  const report = destroy(latest, latest.processes);
  stopWatchdog(latest.watchdog);
  return { ...report, ownerStopped };
}

export function stopWatchdog(watchdog: { readonly pid: number; readonly startTime: string } | undefined): void {
  if (watchdog && watchdog.pid !== process.pid && isRunning(watchdog.pid, watchdog.startTime)) {
    try {
      process.kill(watchdog.pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
}
