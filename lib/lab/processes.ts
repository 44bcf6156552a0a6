/**
 * Process bookkeeping for the lab, synchronous on purpose: teardown must also work from an `exit` handler,
 * where only synchronous code runs. Processes are found and killed by id only — a pid verified by its start
 * time (pids are recycled), a process group the lab created, or membership of a network namespace the lab
 * created — never by name.
 */
import * as fs from 'fs';

/** What /proc/<pid>/stat says about a process. */
export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z (zombie), T, ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  /** Clock ticks since boot; with the pid, identifies a process even after its pid is recycled. */
  readonly startTime: string;
}

/** The process's stat line, or undefined when there is no such process. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] };
}

/** The process's start time, to store beside its pid. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** True when `pid` runs (zombies do not count) and, when given, started at `startTime`. */
export function isRunning(pid: number, startTime?: string): boolean {
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Every pid in /proc. */
export function allPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^[0-9]+$/.test(e))
    .map(Number);
}

/** The inode of a network namespace file (`/run/netns/<name>` or `/proc/<pid>/ns/net`), or undefined. */
export function netnsInode(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Pids of running processes whose network namespace is one of `inodes` (what `ip netns pids` does). */
export function pidsInNetns(inodes: ReadonlySet<number>): number[] {
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const pid of allPids()) {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    const m = /^net:\[([0-9]+)\]$/.exec(link);
    if (m && inodes.has(Number(m[1])) && isRunning(pid)) out.push(pid);
  }
  return out;
}

/** Pids of running processes in one of the process groups `pgids`. */
export function pidsInGroups(pgids: ReadonlySet<number>): number[] {
  if (pgids.size === 0) return [];
  return allPids().filter((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && pgids.has(stat.pgid) && stat.state !== 'Z';
  });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (teardown runs in exit handlers, where nothing async runs). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** A process to stop: its pid, verified by start time when known. */
export interface KillTarget {
  readonly pid: number;
  readonly startTime?: string;
}

export interface KillOptions {
  /** How long processes get to exit after SIGTERM before SIGKILL. @default 3000 */
  readonly graceMs?: number;
  /** Pids never to signal (this process, its parent). @default [process.pid, process.ppid] */
  readonly spare?: readonly number[];
}

/**
 * SIGTERM every target, wait (bounded) until all have exited, SIGKILL the rest and wait again (bounded).
 * Returns the targets still running at the end (normally none: only an uninterruptible process survives).
 */
export function killAndWait(targets: readonly KillTarget[], options: KillOptions = {}): KillTarget[] {
  const spare = new Set(options.spare ?? [process.pid, process.ppid]);
  const alive = () => targets.filter((t) => !spare.has(t.pid) && isRunning(t.pid, t.startTime));
  const signal = (list: KillTarget[], sig: NodeJS.Signals) => {
    for (const t of list) {
      try {
        process.kill(t.pid, sig);
      } catch {
        // exited meanwhile
      }
    }
  };
  const waitUntilGone = (ms: number) => {
    const deadline = Date.now() + ms;
    let left = alive();
    while (left.length > 0 && Date.now() < deadline) {
      sleepSync(25);
      left = alive();
    }
    return left;
  };
  let left = alive();
  if (left.length === 0) return [];
  signal(left, 'SIGTERM');
  left = waitUntilGone(options.graceMs ?? 3000);
  if (left.length === 0) return [];
  signal(left, 'SIGKILL');
  return waitUntilGone(2000);
}

// ---------------------------------------------------------------------------------------------------------------
// cgroups: the lab's Docker Engines put every container under a cgroup named after the lab (lib/lab/docker)

/** The mounted cgroup hierarchies of this machine: the v1 controllers' and the v2 unified tree's mount points. */
export function cgroupRoots(): string[] {
  const out: string[] = [];
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      if (sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2')) out.push(f[4]);
    }
  } catch {
    // no /proc
  }
  return out;
}

/** Top-level cgroup names (in any hierarchy) starting with `prefix`. */
export function cgroupsWithPrefix(prefix: string): string[] {
  const names = new Set<string>();
  for (const root of cgroupRoots()) {
    try {
      for (const e of fs.readdirSync(root, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith(prefix)) names.add(e.name);
    } catch {
      // unreadable
    }
  }
  return [...names].sort();
}

/** Pids of every process in the top-level cgroup `name` or below it, in any hierarchy. */
export function pidsInCgroup(name: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n')) if (/^[0-9]+$/.test(l)) pids.add(Number(l));
    } catch {
      // not readable
    }
    for (const e of entries) if (e.isDirectory()) walk(`${dir}/${e.name}`);
  };
  for (const root of cgroupRoots()) walk(`${root}/${name}`);
  return [...pids];
}

/**
 * Kills (SIGKILL: containers are disposable) every process in the top-level cgroup `name`, bounded, then removes its
 * directories deepest first in every hierarchy. Returns the pids killed.
 */
export function killCgroupTree(name: string): number[] {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`not a cgroup name: '${name}'`);
  const killed = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const pids = pidsInCgroup(name).filter((p) => p !== process.pid);
    if (pids.length === 0) break;
    for (const p of pids) {
      killed.add(p);
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    sleepSync(100);
  }
  const remove = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) remove(`${dir}/${e.name}`);
    try {
      fs.rmdirSync(dir);
    } catch {
      // a process is still in it (uninterruptible), or gone
    }
  };
  for (const root of cgroupRoots()) remove(`${root}/${name}`);
  return [...killed];
}
