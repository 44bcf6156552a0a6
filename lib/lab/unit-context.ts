/**
 * What a droplet's service manager knows before it runs anything: where a unit's definition comes from (the
 * droplet's files, the lab's stand-ins, the packages'), its conditions, and the environment, working directory,
 * runtime directories and timeouts its processes get — as systemd computes them. UnitManager (systemd.ts) runs
 * the jobs; these are the facts it runs them with.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { DropletHost, PasswdEntry } from './droplet-host';
import { LAB_PACKAGE_UNITS, UNIT_ALIASES } from './lab-units';
import {
  UnitDefinition,
  loadUnit,
  normalizeUnitName,
  parseBoolean,
  parseEnvironmentAssignments,
  parseEnvironmentFile,
  parseMode,
  parseTimespanMs,
} from './unit-file';

/** A job failed as systemd would fail it; the message is what `systemctl status` would explain. */
export class JobError extends Error {}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Where packages put their units (Debian 12 has merged /usr: /lib is /usr/lib). */
const PACKAGE_UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system'];

/** The name a unit is known by: systemd's normalization, then the lab's aliases (unless the droplet wrote that name). */
export function canonicalUnitName(host: DropletHost, name: string): string {
  const n = normalizeUnitName(name);
  if (UNIT_ALIASES[n] === undefined) return n;
  // A unit the droplet wrote under the alias name wins over the alias.
  return host.exists(`/etc/systemd/system/${n}`) ? n : UNIT_ALIASES[n];
}

/**
 * A unit's definition as systemd would load it on the droplet: /etc and /run first, else the lab's stand-in, else the
 * package's unit (this machine's), with every drop-in in name order; undefined when none.
 */
export function loadDropletUnit(host: DropletHost, name: string): UnitDefinition | undefined {
  const canonical = canonicalUnitName(host, name);
  const names = [...new Set([name, canonical, ...Object.keys(UNIT_ALIASES).filter((a) => UNIT_ALIASES[a] === canonical)])];
  let main: [string, string] | undefined;
  for (const n of [name, canonical]) {
    for (const dir of ['/etc/systemd/system', '/run/systemd/system']) {
      const text = host.readFile(`${dir}/${n}`);
      if (text !== undefined && !main) main = [`${host.name}:${dir}/${n}`, text];
    }
  }
  if (!main && LAB_PACKAGE_UNITS[canonical] !== undefined)
    main = [`tierform lab stand-in for ${canonical} (lib/lab/lab-units.ts)`, LAB_PACKAGE_UNITS[canonical]];
  // Other packages' units as they ship them (the droplet's /usr, i.e. this machine's packages).
  for (const n of [name, canonical]) {
    for (const dir of PACKAGE_UNIT_DIRS) {
      const text = main ? undefined : host.readFile(`${dir}/${n}`);
      if (text !== undefined) main = [`${host.name}:${dir}/${n} (package unit)`, text];
    }
  }
  if (!main) return undefined;
  const dropIns = new Map<string, string>();
  for (const dir of ['/run/systemd/system', '/etc/systemd/system']) {
    for (const n of names) {
      for (const f of host.readdir(`${dir}/${n}.d`)) if (f.endsWith('.conf')) dropIns.set(f, `${dir}/${n}.d/${f}`);
    }
  }
  const files: [string, string][] = [main];
  for (const f of [...dropIns.keys()].sort()) {
    const p = dropIns.get(f)!;
    files.push([`${host.name}:${p}`, host.readFile(p) ?? '']);
  }
  return loadUnit(canonical, files);
}

/** The first `Condition…=` of the unit the droplet does not meet, as written; undefined when all hold. */
export function unmetCondition(host: DropletHost, def: UnitDefinition): string | undefined {
  const checks: [string, (p: string) => boolean][] = [
    ['ConditionPathExists', (p) => host.exists(p)],
    ['ConditionFileNotEmpty', (p) => (host.readFile(p) ?? '').length > 0],
  ];
  for (const [key, test] of checks) {
    for (const raw of def.values('Unit', key)) {
      const value = raw.replace(/^\|/, '');
      const negate = value.startsWith('!');
      const p = negate ? value.slice(1) : value;
      if (test(p) === negate) return `${key}=${raw}`;
    }
  }
  return undefined;
}

/**
 * A service's environment as systemd builds it: PATH, LANG, INVOCATION_ID, the user's HOME/USER/LOGNAME/SHELL, the
 * lab's variables, then `Environment=` and `EnvironmentFile=` in order. Throws a JobError as systemd fails the job.
 */
export function serviceEnvironment(host: DropletHost, def: UnitDefinition, labEnvironment: Readonly<Record<string, string>>): Record<string, string> {
  const user = def.value('Service', 'User');
  const entry: PasswdEntry | undefined = user === undefined ? undefined : host.user(user);
  if (user !== undefined && !entry) throw new JobError(`Failed to determine user credentials: no user '${user}' on ${host.name}.`);
  const env: Record<string, string> = { PATH: DEFAULT_PATH, LANG: 'C.UTF-8', INVOCATION_ID: randomBytes(16).toString('hex') };
  if (entry) Object.assign(env, { HOME: entry.home, USER: entry.name, LOGNAME: entry.name, SHELL: entry.shell });
  Object.assign(env, labEnvironment);
  Object.assign(env, parseEnvironmentAssignments(def.values('Service', 'Environment')));
  for (const raw of def.values('Service', 'EnvironmentFile')) {
    const optional = raw.startsWith('-');
    const file = optional ? raw.slice(1) : raw;
    const text = host.readFile(file);
    if (text === undefined) {
      if (optional) continue;
      throw new JobError(`Failed to load environment files: ${file} does not exist on ${host.name}.`);
    }
    Object.assign(env, parseEnvironmentFile(text));
  }
  return env;
}

/** `WorkingDirectory=` resolved as systemd does (`~`, the `-` prefix); `/` when unset. */
export function workingDirectory(host: DropletHost, def: UnitDefinition, user: string | undefined): string {
  const raw = def.value('Service', 'WorkingDirectory');
  if (raw === undefined) return '/';
  const dir = raw.replace(/^-/, '');
  if (dir === '~') return (user && host.user(user)?.home) || '/root';
  if (!raw.startsWith('-') && !host.exists(dir)) throw new JobError(`Failed to set up WorkingDirectory=${dir}: it does not exist on ${host.name}.`);
  return dir;
}

/** Creates `RuntimeDirectory=` under /run with its mode and the service's owner. */
export function createRuntimeDirectories(host: DropletHost, def: UnitDefinition, user: string | undefined, group: string | undefined): void {
  const dirs = def.words('Service', 'RuntimeDirectory');
  if (dirs.length === 0) return;
  const mode = parseMode(def.value('Service', 'RuntimeDirectoryMode') ?? '0755');
  const owner = user === undefined ? { uid: 0, gid: 0 } : host.owner(user, group);
  for (const d of dirs) {
    const p = `/run/${d}`;
    host.mkdirp(p, mode, owner);
    const real = host.resolve(p);
    fs.chownSync(real, owner.uid, owner.gid);
    fs.chmodSync(real, mode);
  }
}

/** Removes `RuntimeDirectory=` unless `RuntimeDirectoryPreserve=`. */
export function removeRuntimeDirectories(host: DropletHost, def: UnitDefinition): void {
  if (parseBoolean(def.value('Service', 'RuntimeDirectoryPreserve'), false)) return;
  if (host.lab.isTornDown) return;
  for (const d of def.words('Service', 'RuntimeDirectory')) {
    try {
      fs.rmSync(host.resolve(`/run/${d}`), { recursive: true, force: true });
    } catch {
      // the holder is gone (teardown)
    }
  }
}

/** `TimeoutStartSec=`/`TimeoutStopSec=` (or `TimeoutSec=`; 90 s by default, 0 = none) in ms, capped at `cap`. */
export function unitTimeoutMs(def: UnitDefinition, key: 'TimeoutStartSec' | 'TimeoutStopSec', cap: number): number {
  const raw = def.value('Service', key) ?? def.value('Service', 'TimeoutSec');
  const ms = raw === undefined ? 90_000 : parseTimespanMs(raw);
  return Math.min(ms === 0 ? Infinity : ms, cap);
}
