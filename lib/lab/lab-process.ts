/** A process the lab started with `LabNetwork.spawn`, and signalling a tracked process's group. */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import { LabError } from './lab-error';
import { isRunning } from './processes';

/** A process the lab started and must stop. */
export interface TrackedProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly node: string;
  readonly argv: readonly string[];
}

/** A process started by `LabNetwork.spawn`; its output goes to `logFile`. */
export class LabProcess {
  public readonly pid: number;
  public readonly node: string;
  public readonly argv: readonly string[];
  /** Resolves when the process has exited. */
  public readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private done = false;

  constructor(
    private readonly tracked: TrackedProcess,
    private readonly child: ChildProcess,
    public readonly logFile: string,
  ) {
    this.pid = tracked.pid;
    this.node = tracked.node;
    this.argv = tracked.argv;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  public get running(): boolean {
    return !this.done && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote so far (stdout and stderr). */
  public output(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits (polling the log, bounded) until the output matches; rejects on exit or timeout with the output. */
  public async waitForOutput(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const matches = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
    for (;;) {
      const out = this.output();
      if (matches(out)) return out;
      if (!this.running) throw new LabError(`${this.argv.join(' ')} in ${this.node} exited before printing ${pattern}; output:\n${tail(out)}`);
      if (Date.now() > deadline)
        throw new LabError(`${this.argv.join(' ')} in ${this.node} did not print ${pattern} within ${timeoutMs} ms; output:\n${tail(out)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends `signal` to the process's group. */
  public kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) killGroup(this.tracked, signal);
  }

  /** SIGTERM, wait up to `graceMs`, then SIGKILL its whole group. */
  public async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    killGroup(this.tracked, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (this.running) killGroup(this.tracked, 'SIGKILL');
    await this.exited;
  }
}

export function killGroup(p: TrackedProcess, signal: NodeJS.Signals): void {
  if (!isRunning(p.pid, p.startTime)) return;
  try {
    process.kill(-p.pid, signal);
  } catch {
    try {
      process.kill(p.pid, signal);
    } catch {
      // gone
    }
  }
}

function tail(s: string, n = 2000): string {
  return s.length > n ? `...${s.slice(-n)}` : s;
}
