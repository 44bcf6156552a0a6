/**
 * This machine as the lab needs it: where labs keep their state, the tools the lab runs and whether it may run
 * here, its helper scripts, and running one command synchronously with the lab's PATH.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LabError } from './lab-error';

/** Where labs keep their state and logs: on tmpfs, so that it vanishes at reboot together with the namespaces. */
export function defaultLabRoot(): string {
  return process.env.TIERFORM_LAB_DIR ?? '/run/tierform-lab';
}

export const NETNS_DIR = '/run/netns';
export const ETC_NETNS_DIR = '/etc/netns';
export const SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The commands the lab runs itself, with their Debian packages. */
export const REQUIRED_TOOLS: readonly { readonly command: string; readonly debianPackage: string }[] = [
  { command: 'ip', debianPackage: 'iproute2' },
  { command: 'nft', debianPackage: 'nftables' },
  { command: 'unshare', debianPackage: 'util-linux' },
];

export interface PrerequisiteOptions {
  /** @default process.getuid() */
  readonly uid?: number;
  /** Directories searched for the tools. @default $PATH plus the sbin directories */
  readonly searchPath?: string;
}

/** What stops the lab from running here, one sentence each; empty when nothing does. */
export function prerequisiteProblems(options: PrerequisiteOptions = {}): string[] {
  const problems: string[] = [];
  const uid = options.uid ?? process.getuid?.() ?? -1;
  if (uid !== 0) {
    problems.push(`the lab must run as root (it creates network namespaces, veth links and nftables rules); you are uid ${uid}: run it with sudo`);
  }
  const dirs = (options.searchPath ?? `${process.env.PATH ?? ''}:${SEARCH_PATH}`).split(':').filter(Boolean);
  const missing = REQUIRED_TOOLS.filter((t) => !dirs.some((d) => isExecutable(path.join(d, t.command))));
  if (missing.length > 0) {
    problems.push(
      `missing tools: ${missing.map((t) => `'${t.command}'`).join(', ')}: apt-get install ${missing.map((t) => t.debianPackage).join(' ')}`,
    );
  }
  return problems;
}

/** Throws a LabError listing every problem of `prerequisiteProblems`. */
export function checkPrerequisites(options: PrerequisiteOptions = {}): void {
  const problems = prerequisiteProblems(options);
  if (problems.length > 0) throw new LabError(`cannot run the tierform lab: ${problems.join('; ')}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A script shipped beside this file (run with node), found also when this module is bundled elsewhere. */
export function labScript(name: string): string {
  const candidates = [
    path.join(__dirname, name),
    path.resolve(__dirname, '..', '..', 'lib', 'lab', name),
    path.resolve(process.cwd(), 'lib', 'lab', name),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new LabError(`lab script ${name} not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface RunOptions {
  readonly input?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` to completion (bounded), with the lab's PATH; throws a LabError when it cannot start. */
export function runSync(argv: readonly string[], options: RunOptions = {}): RunResult {
  const r = spawnSync(argv[0], argv.slice(1), {
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
    env: { PATH: `${process.env.PATH ?? ''}:${SEARCH_PATH}`, LANG: 'C.UTF-8' },
  });
  if (r.error) throw new LabError(`${argv.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
