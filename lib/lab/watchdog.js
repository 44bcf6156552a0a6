#!/usr/bin/env node
/*
 * The lab's watchdog: started by LabNetwork (detached, in its own session, in the root network namespace)
 * so that a lab whose owner dies without tearing down — SIGKILL, a crash, a jest worker stopped by Ctrl-C
 * (jest gives test code a copy of `process`, so the lab's own signal handlers never see real signals there) —
 * is still cleaned up.
 *
 *   node watchdog.js <state.json> <owner pid> <owner start time> <max seconds>
 *
 * Every 250 ms: when the state file is gone, the owner tore the lab down: exit. When the owner is gone (its
 * pid no longer runs with the same start time), tear the lab down from the state file, by ids only, exactly
 * as `downLab` does: kill the tracked processes (pid + start time) and everything inside the lab's
 * namespaces (by namespace inode), SIGTERM then SIGKILL after 3 s, kill the containers of its Docker Engines (in the
 * cgroups tfl-<id>-<droplet>) and remove those cgroups, delete the namespaces and the
 * /etc/netns/<ns> directories, remove the lab directory. Gives up (exits, lab untouched) after <max seconds>.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const [stateFile, ownerPid, ownerStart, maxSeconds] = process.argv.slice(2);
if (!stateFile || !ownerPid || !ownerStart || !maxSeconds) {
  console.error('usage: watchdog.js <state.json> <owner pid> <owner start time> <max seconds>');
  process.exit(2);
}
for (const s of ['SIGINT', 'SIGHUP']) process.on(s, () => undefined);

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(sleeper, 0, 0, ms);

function stat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], pgid: Number(f[2]), start: f[19] };
  } catch {
    return undefined;
  }
}

function running(pid, start) {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X' && (start === undefined || s.start === start);
}

function pidsInNetns(inodes) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const m = /^net:\[([0-9]+)\]$/.exec(fs.readlinkSync(`/proc/${e}/ns/net`));
      if (m && inodes.has(Number(m[1]))) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

function cgroupRoots() {
  const out = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2')) out.push(f[4]);
  }
  return out;
}

function cgroupPids(dir) {
  const out = [];
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
    for (const l of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (/^[0-9]+$/.test(l)) out.push(Number(l));
  } catch {
    // gone
  }
  for (const e of entries) if (e.isDirectory()) out.push(...cgroupPids(path.join(dir, e.name)));
  return out;
}

function removeCgroup(dir) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // busy or gone
  }
}

function teardown(state) {
  const own = (state.namespaces || []).filter((ns) => ns.startsWith(`tfl-${state.id}-`));
  const inodes = new Set();
  for (const ns of own) {
    try {
      inodes.add(fs.statSync(path.join('/run/netns', ns)).ino);
    } catch {
      // not there
    }
  }
  for (let round = 0; round < 2; round++) {
    const targets = new Map();
    const add = (pid) => {
      const s = stat(pid);
      if (s && s.state !== 'Z' && pid !== process.pid) targets.set(pid, s.start);
    };
    for (const p of state.processes || []) if (running(p.pid, p.startTime)) add(p.pid);
    for (const pid of pidsInNetns(inodes)) add(pid);
    if (targets.size === 0) break;
    const alive = () => [...targets].filter(([pid, start]) => running(pid, start)).map(([pid]) => pid);
    const signal = (sig) =>
      alive().forEach((pid) => {
        try {
          process.kill(pid, sig);
        } catch {
          // gone
        }
      });
    signal('SIGTERM');
    for (let i = 0; i < 120 && alive().length > 0; i++) sleep(25);
    signal('SIGKILL');
    for (let i = 0; i < 80 && alive().length > 0; i++) sleep(25);
  }
  // Containers of the droplets' Docker Engines: in the lab's cgroups (tfl-<id>-<droplet>), not its namespaces.
  for (const root of cgroupRoots()) {
    let names = [];
    try {
      names = fs.readdirSync(root).filter((n) => n.startsWith(`tfl-${state.id}-`));
    } catch {
      // unreadable
    }
    for (const name of names) {
      for (let i = 0; i < 20; i++) {
        const pids = cgroupPids(path.join(root, name));
        if (pids.length === 0) break;
        pids.forEach((pid) => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        });
        sleep(100);
      }
      removeCgroup(path.join(root, name));
    }
  }
  for (const ns of [...own].reverse()) {
    if (fs.existsSync(path.join('/run/netns', ns))) spawnSync('ip', ['netns', 'delete', ns], { env: { PATH }, timeout: 30000 });
  }
  for (const dir of state.etcDirs || []) {
    if (path.dirname(dir) === '/etc/netns' && path.basename(dir).startsWith(`tfl-${state.id}-`)) fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    fs.rmdirSync('/etc/netns');
  } catch {
    // not empty or absent
  }
  if (state.keepLogs) fs.rmSync(stateFile, { force: true });
  else fs.rmSync(path.dirname(stateFile), { recursive: true, force: true });
}

const deadline = Date.now() + Number(maxSeconds) * 1000;
const timer = setInterval(() => {
  if (!fs.existsSync(stateFile)) return finish();
  if (running(Number(ownerPid), ownerStart)) {
    if (Date.now() > deadline) finish();
    return;
  }
  let state;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return finish();
  }
  console.error(`tierform lab ${state.id}: owner ${ownerPid} is gone, tearing the lab down`);
  teardown(state);
  finish();
}, 250);

function finish() {
  clearInterval(timer);
  process.exit(0);
}
