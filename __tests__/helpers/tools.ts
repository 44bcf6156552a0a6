/**
 * Helpers for tests that run real daemons' checkers (nginx -t, haproxy -c, shellcheck, ...).
 * A missing checker FAILS the test with the Debian package to install: a checker test that silently
 * skips is a test that cannot fail. `.ci/run` installs every package named here.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of `command`, or throws naming the Debian package that provides it. */
export function requireTool(command: string, debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...SEARCH_PATH].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`'${command}' is not installed: apt-get install ${debianPackage} (.ci/run installs it)`);
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for assertion messages. */
  readonly output: string;
}

/** Runs a command synchronously (no shell) and returns its exit status and output. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (result.error) {
    throw result.error;
  }
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  return { status: result.status, stdout, stderr, output: `${stdout}${stderr}` };
}

/** How clean a checker's result must be (see expectClean). */
export interface CleanOptions {
  /**
   * What the whole output must match: a RegExp (e.g. promtool's `SUCCESS` line), or `'any'` for checkers that
   * always print something (haproxy -c prints "Configuration file is valid").
   * @default no output at all
   */
  readonly output?: RegExp | 'any';
  /** What the output must never contain (e.g. haproxy's `[WARNING]`/`[ALERT]`). @default nothing more */
  readonly forbid?: RegExp;
}

/**
 * A finding-free checker result: exit 0 and, by default, no output at all; `options` relax the output for checkers
 * that always print and forbid their warning words instead. The output is in the failure message.
 */
export function expectClean(result: RunResult, options: CleanOptions = {}): void {
  const output = options.output === undefined ? '' : options.output === 'any' ? expect.any(String) : expect.stringMatching(options.output);
  expect({ status: result.status, output: result.output }).toEqual({ status: 0, output });
  if (options.forbid) expect(result.output).not.toMatch(options.forbid);
}

/** Exit 0 and no line matching `bad` (the whole output is in the failure message). */
export function expectNo(result: RunResult, bad: RegExp): void {
  const badLines = result.output.split('\n').filter((line) => bad.test(line));
  expect({ status: result.status, badLines, output: result.output }).toEqual({ status: 0, badLines: [], output: result.output });
}

/** A fresh temporary directory, removed by `cleanup()`. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tierform-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `content` to `dir/name` (creating parents) and returns the path. */
export function writeFile(dir: string, name: string, content: string, mode = 0o644): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  return file;
}
