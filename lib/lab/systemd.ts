/**
 * The lab's stand-in for systemd on one droplet: what the droplet's `systemctl` shim asks for.
 *
 * Units come from the droplet's own /etc/systemd/system (and /run/systemd/system), with drop-ins from
 * `<unit>.d/*.conf`; units that Debian packages ship come from the lab's stand-ins (lab-units.ts). Services run
 * through the lab's tracked `spawn`/`exec` inside the droplet (network, UTS and mount namespaces), as
 * `User=`/`Group=` (setpriv), with `Environment=`/`EnvironmentFile=` (a `-` prefix tolerating a missing file),
 * `WorkingDirectory=`, `RuntimeDirectory=` (created in the droplet's /run, owned by the user, removed on stop),
 * `UMask=`; `Exec{StartPre,Start,StartPost,Reload,Stop,StopPost}=` with systemd's prefixes and expansion;
 * `Type=` simple/exec/notify/idle (running = started; notify units of the lab may name a readiness command,
 * `X-TierformLabReady=`) and oneshot (run to completion, `RemainAfterExit=`); `Requires=`/`Wants=`/`BindsTo=`
 * start known units first (targets are always reached); after any exit of the main process (a crash too) the
 * `ExecStop=`/`ExecStopPost=` commands, then `Restart=` with `RestartSec=` and the start limit;
 * `KillMode=`, `KillSignal=`, `TimeoutStopSec=` (bounded), `SuccessExitStatus=`.
 *
 * Not applied (listed once per start in the unit's log): sandboxing and resource control (ProtectSystem=,
 * PrivateTmp=, MemoryMax=, CapabilityBoundingSet=, ...), `Type=forking` (refused), sd_notify, journald (output goes
 * to the lab's log files), `enable`/`daemon-reload` (no-ops: units are read at every start, there is no reboot).
 * Every wait is bounded: starts by `TimeoutStartSec=` capped at `maxStartMs`, stops at `maxStopMs`, restarts by the
 * start limit.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DropletHost, ShimResponse } from './droplet-host';
import { SKIPPED_UNITS } from './lab-units';
import { LabProcess } from './netns';
import {
  JobError,
  canonicalUnitName,
  createRuntimeDirectories,
  loadDropletUnit,
  removeRuntimeDirectories,
  serviceEnvironment,
  unitTimeoutMs,
  unmetCondition,
  workingDirectory,
} from './unit-context';
import { isRunning, processStartTime } from './processes';
import { ExecCommand, UnitDefinition, execArgv, normalizeUnitName, parseBoolean, parseExecLine, parseTimespanMs } from './unit-file';

export type ActiveState = 'inactive' | 'activating' | 'active' | 'reloading' | 'deactivating' | 'failed';

/** A unit as `status` reports it. */
export interface UnitStatus {
  readonly name: string;
  readonly description: string;
  readonly state: ActiveState;
  /** running, exited (oneshot done), dead, failed... */
  readonly subState: string;
  readonly pid?: number;
  readonly startTime?: string;
  readonly since?: string;
  /** success, exit-code, signal, timeout, start-limit-hit, resources, ... */
  readonly result?: string;
  /** Log of the main process; exec.log holds the other commands' output. */
  readonly logFile?: string;
  readonly restarts: number;
  /** Where the unit was read from. */
  readonly sources: readonly string[];
}

export interface UnitManagerOptions {
  /**
   * Variables every service gets before its own `Environment=`/`EnvironmentFile=` (the lab's substitutions, e.g.
   * `TIERFORM_DO_API` pointing the scripts at the DigitalOcean API stand-in). @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Cap of any start (TimeoutStartSec=). @default 300000 */
  readonly maxStartMs?: number;
  /** Cap of any stop (TimeoutStopSec=). @default 20000 */
  readonly maxStopMs?: number;
  /** Called after every state change (the lab rewrites boot.json). */
  readonly onChange?: () => void;
}

const CLEAN_SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE']);
const SUPPORTED = new Set([
  'Unit.Description',
  'Unit.Documentation',
  'Unit.After',
  'Unit.Before',
  'Unit.Wants',
  'Unit.Requires',
  'Unit.BindsTo',
  'Unit.Requisite',
  'Unit.StartLimitIntervalSec',
  'Unit.StartLimitBurst',
  'Service.Type',
  'Service.ExecStartPre',
  'Service.ExecStart',
  'Service.ExecStartPost',
  'Service.ExecReload',
  'Service.ExecStop',
  'Service.ExecStopPost',
  'Service.User',
  'Service.Group',
  'Service.WorkingDirectory',
  'Service.Environment',
  'Service.EnvironmentFile',
  'Service.RuntimeDirectory',
  'Service.RuntimeDirectoryMode',
  'Service.RuntimeDirectoryPreserve',
  'Service.RemainAfterExit',
  'Service.Restart',
  'Service.RestartSec',
  'Service.TimeoutStartSec',
  'Service.TimeoutStopSec',
  'Service.TimeoutSec',
  'Service.KillMode',
  'Service.KillSignal',
  'Service.SendSIGKILL',
  'Service.SuccessExitStatus',
  'Service.PIDFile',
  'Service.UMask',
  'Service.X-TierformLabReady',
  'Unit.ConditionPathExists',
  'Unit.ConditionFileNotEmpty',
  'Timer.OnActiveSec',
  'Timer.OnBootSec',
  'Timer.OnStartupSec',
  'Timer.OnUnitActiveSec',
  'Timer.OnUnitInactiveSec',
  'Timer.Unit',
]);

interface Runtime {
  readonly name: string;
  state: ActiveState;
  subState: string;
  def?: UnitDefinition;
  main?: LabProcess;
  mainStart?: string;
  since?: string;
  result?: string;
  stopping: boolean;
  restarts: number;
  startTimes: number[];
  restartTimer?: NodeJS.Timeout;
  queue: Promise<unknown>;
  env?: Record<string, string>;
  /** The main process's command (as the unit wrote it, expanded). */
  mainArgv?: readonly string[];
  /** Set by `killUnit(..., { restart: false })`: the next exit of the main process is not restarted. */
  holdRestart?: boolean;
  /** Timers: the pending elapse and what already fired. */
  timer?: TimerRuntime;
}

interface TimerRuntime {
  readonly activatedAt: number;
  handle?: NodeJS.Timeout;
  /** One-shot triggers (OnActiveSec, OnBootSec, OnStartupSec) already fired. */
  readonly fired: Set<string>;
  /** When the timer last started its unit, and when that start ended. */
  lastActivation?: number;
  lastInactive?: number;
  elapses: number;
}

/** One droplet's units. */
export class UnitManager {
  private readonly units = new Map<string, Runtime>();
  private readonly maxStartMs: number;
  private readonly maxStopMs: number;
  /** The droplet's boot (OnBootSec=, OnStartupSec= count from here). */
  private readonly bootedAt = Date.now();
  private closed = false;

  constructor(
    private readonly host: DropletHost,
    private readonly options: UnitManagerOptions = {},
  ) {
    this.maxStartMs = options.maxStartMs ?? 300_000;
    this.maxStopMs = options.maxStopMs ?? 20_000;
  }

  /** Every unit the droplet has touched, by name. */
  public status(): UnitStatus[] {
    return [...this.units.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((u) => this.describe(u));
  }

  /** Stops every running unit (bounded) and never restarts one again. */
  public async stopAll(): Promise<void> {
    this.close();
    await Promise.all(
      [...this.units.values()].map(async (u) => {
        clearTimeout(u.restartTimer);
        if (u.main?.running || u.state === 'active') await this.job(u, () => this.stop(u)).catch(() => undefined);
      }),
    );
  }

  /** Forbids restarts and timer elapses (the lab is going down). */
  public close(): void {
    this.closed = true;
    for (const u of this.units.values()) {
      clearTimeout(u.restartTimer);
      clearTimeout(u.timer?.handle);
    }
  }

  /**
   * Sends `signal` to a unit's main process group, as a crash would (`systemctl kill` without systemd's bookkeeping):
   * with `restart: false` the unit's `Restart=` is held for this exit, so the service stays down — a crash systemd
   * cannot recover from — until the next `systemctl start`. Returns the pid signalled, undefined when not running.
   */
  public killUnit(name: string, signal: NodeJS.Signals = 'SIGKILL', options: { readonly restart?: boolean } = {}): number | undefined {
    const u = this.units.get(this.canonical(name));
    if (!u?.main?.running) return undefined;
    if (options.restart === false) u.holdRestart = true;
    const pid = u.main.pid;
    u.main.kill(signal);
    return pid;
  }

  /** A `systemctl` command line, as the droplet's shim sends it. */
  public async systemctl(argv: readonly string[]): Promise<ShimResponse> {
    const flags = new Set<string>();
    let signal = 'SIGTERM';
    let whom = 'all';
    const properties: string[] = [];
    const args: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '-s' || a === '--signal') signal = argv[++i] ?? signal;
      else if (a.startsWith('--signal=')) signal = a.slice(9);
      else if (a.startsWith('--kill-whom=') || a.startsWith('--kill-value=')) whom = a.slice(a.indexOf('=') + 1);
      else if (a === '-p' || a === '--property') properties.push(argv[++i] ?? '');
      else if (a.startsWith('--property=')) properties.push(a.slice(11));
      else if (a.startsWith('-')) flags.add(a);
      else args.push(a);
    }
    const quiet = flags.has('-q') || flags.has('--quiet');
    const [verb, ...names] = args;
    const units = names.map(normalizeUnitName);
    const out: ShimResponse[] = [];
    const each = async (fn: (name: string) => Promise<ShimResponse>) => {
      if (units.length === 0) return { status: 1, stdout: '', stderr: `Too few arguments.\n` };
      for (const u of units) out.push(await fn(u));
      return merge(out);
    };
    switch (verb) {
      case undefined:
      case 'list-units':
        return {
          status: 0,
          stdout:
            this.status()
              .map((s) => `${s.name}\t${s.state}\t${s.subState}\t${s.description}`)
              .join('\n') + '\n',
          stderr: '',
        };
      case 'daemon-reload':
      case 'daemon-reexec':
      case 'reset-failed':
      case 'set-environment':
      case 'unset-environment':
      case 'import-environment':
      case 'preset':
      case 'mask':
      case 'unmask':
        return { status: 0, stdout: '', stderr: '' };
      case 'enable':
      case 'disable':
      case 'reenable':
        return each(async (u) => {
          const known = this.known(u);
          if (known !== true) return known;
          if (flags.has('--now')) return verb === 'disable' ? this.run(u, 'stop') : this.run(u, 'start');
          return { status: 0, stdout: '', stderr: '' };
        });
      case 'start':
      case 'stop':
      case 'restart':
      case 'try-restart':
      case 'condrestart':
      case 'reload':
      case 'reload-or-restart':
      case 'try-reload-or-restart':
      case 'force-reload':
        if (flags.has('--no-block')) {
          // systemd queues the job and returns at once; its outcome shows in the unit's state and log.
          if (units.length === 0) return { status: 1, stdout: '', stderr: `Too few arguments.\n` };
          for (const u of units) void this.run(u, verb);
          return { status: 0, stdout: '', stderr: '' };
        }
        return each((u) => this.run(u, verb));
      case 'kill':
        return each((u) => this.kill(u, signal, whom));
      case 'is-active':
      case 'is-failed':
        return each(async (u) => {
          const s = this.units.get(this.canonical(u))?.state ?? 'inactive';
          const ok = verb === 'is-active' ? s === 'active' || s === 'reloading' : s === 'failed';
          return { status: ok ? 0 : 3, stdout: quiet ? '' : `${s}\n`, stderr: '' };
        });
      case 'is-enabled':
        return each(async (u) => {
          const known = this.known(u);
          return known === true ? { status: 0, stdout: quiet ? '' : 'enabled\n', stderr: '' } : { ...known, stdout: quiet ? '' : 'not-found\n' };
        });
      case 'status':
        return each(async (u) => this.statusText(u));
      case 'show':
        return each(async (u) => this.show(u, properties, flags.has('--value')));
      default:
        return {
          status: 1,
          stdout: '',
          stderr: `Unknown command verb ${verb} (the tierform lab's systemctl knows start, stop, restart, reload, kill, enable, disable, daemon-reload, is-active, status, show).\n`,
        };
    }
  }

  // ---- jobs

  private async run(name: string, verb: string): Promise<ShimResponse> {
    const canonical = this.canonical(name);
    const skipped = SKIPPED_UNITS[canonical];
    if (skipped !== undefined) return { status: 0, stdout: '', stderr: `tierform lab: ${verb} ${canonical} skipped: ${skipped}\n` };
    if (canonical.endsWith('.target')) return { status: 0, stdout: '', stderr: '' };
    if (canonical.endsWith('.timer')) return this.runTimer(canonical, verb);
    const u = this.runtime(canonical);
    try {
      await this.job(u, async () => {
        const active = u.state === 'active' || u.state === 'reloading';
        switch (verb) {
          case 'start':
            if (!active) await this.start(u, new Set());
            break;
          case 'stop':
            await this.stop(u);
            break;
          case 'restart':
            await this.stop(u);
            await this.start(u, new Set());
            break;
          case 'try-restart':
          case 'condrestart':
            if (active) {
              await this.stop(u);
              await this.start(u, new Set());
            }
            break;
          case 'reload':
          case 'force-reload':
            if (!active) throw new JobError(`Failed to reload ${canonical}: unit ${canonical} is not active.`);
            await this.reload(u);
            break;
          case 'reload-or-restart':
          case 'try-reload-or-restart':
            if (active) await this.reload(u);
            else if (verb === 'reload-or-restart') await this.start(u, new Set());
            break;
        }
      });
      return { status: 0, stdout: '', stderr: '' };
    } catch (e) {
      const message = e instanceof JobError ? e.message : `${canonical}: ${(e as Error).message}`;
      return { status: /not found/.test(message) ? 5 : 1, stdout: '', stderr: `${message}\n${this.logHint(u)}` };
    }
  }

  /** Runs `fn` after the unit's previous job (jobs on one unit never overlap). */
  private job<T>(u: Runtime, fn: () => Promise<T>): Promise<T> {
    const next = u.queue.then(fn, fn);
    u.queue = next.catch(() => undefined);
    return next;
  }

  private async start(u: Runtime, chain: Set<string>): Promise<void> {
    if (chain.has(u.name)) return;
    chain.add(u.name);
    const def = this.load(u.name);
    if (!def) throw new JobError(`Failed to start ${u.name}: Unit ${u.name} not found.`);
    u.def = def;
    const type = def.value('Service', 'Type') ?? (def.values('Service', 'ExecStart').length > 0 ? 'simple' : 'oneshot');
    if (type === 'forking' || type === 'dbus') {
      throw new JobError(`Failed to start ${u.name}: Type=${type} is not supported by the tierform lab (run the daemon in the foreground)`);
    }
    // Dependencies first: Requires/BindsTo/Requisite must be found; Wants may be missing.
    for (const [key, required] of [
      ['Requires', true],
      ['BindsTo', true],
      ['Requisite', true],
      ['Wants', false],
    ] as const) {
      for (const dep of def.words('Unit', key).map(normalizeUnitName)) {
        const c = this.canonical(dep);
        if (c.endsWith('.target') || SKIPPED_UNITS[c] !== undefined || c === u.name) continue;
        if (!this.load(c)) {
          if (required) throw new JobError(`Failed to start ${u.name}: dependency ${dep} not found.`);
          continue;
        }
        const d = this.runtime(c);
        if (d.state !== 'active') {
          try {
            await this.job(d, () => (d.state === 'active' ? Promise.resolve() : this.start(d, chain)));
          } catch (e) {
            if (required) throw new JobError(`A dependency job for ${u.name} failed (${c}): ${(e as Error).message}`);
          }
        }
      }
    }

    const unmet = this.unmetCondition(def);
    if (unmet !== undefined) {
      this.log(u, `condition failed, not started: ${unmet}`);
      u.result = 'success';
      this.setState(u, 'inactive', 'dead');
      return;
    }
    this.setState(u, 'activating', 'start-pre');
    this.log(u, `starting (${def.sources.join(', ')})`);
    const ignored = [...new Set(def.entries.map((e) => `${e.section}.${e.key}`).filter((k) => !SUPPORTED.has(k) && !k.startsWith('Install.')))];
    if (ignored.length > 0) this.log(u, `not applied by the lab: ${ignored.map((k) => k.split('.')[1]).join(', ')}`);
    try {
      const env = this.environment(def);
      u.env = env;
      const user = def.value('Service', 'User');
      const group = def.value('Service', 'Group');
      this.createRuntimeDirectories(def, user, group);
      const startTimeout = this.timeout(def, 'TimeoutStartSec', this.maxStartMs);
      for (const line of def.values('Service', 'ExecStartPre')) await this.execLine(u, def, line, env, startTimeout);
      const starts = def.values('Service', 'ExecStart');
      if (type === 'oneshot') {
        this.setState(u, 'activating', 'start');
        for (const line of starts) await this.execLine(u, def, line, env, startTimeout);
        const remain = parseBoolean(def.value('Service', 'RemainAfterExit'), false);
        for (const line of def.values('Service', 'ExecStartPost')) await this.execLine(u, def, line, env, startTimeout);
        u.result = 'success';
        this.setState(u, remain ? 'active' : 'inactive', remain ? 'exited' : 'dead');
        return;
      }
      if (starts.length !== 1) throw new JobError(`Failed to start ${u.name}: Type=${type} needs exactly one ExecStart=, got ${starts.length}.`);
      const command = parseExecLine(starts[0]);
      const argv = execArgv(command, env, { unitName: u.name, hostname: this.host.name });
      u.mainArgv = argv;
      u.main = this.host.spawn(argv, {
        name: u.name,
        env,
        cwd: this.workingDirectory(def, user),
        user: command.privileged ? undefined : user,
        group: command.privileged ? undefined : group,
        umask: def.value('Service', 'UMask'),
      });
      u.mainStart = processStartTime(u.main.pid);
      const main = u.main;
      void main.exited.then(({ code, signal }) => this.onMainExit(u, main, code, signal));
      await this.waitReady(u, def, type, startTimeout);
      env.MAINPID = String(main.pid);
      for (const line of def.values('Service', 'ExecStartPost')) await this.execLine(u, def, line, env, startTimeout);
      u.result = 'success';
      u.startTimes.push(Date.now());
      this.setState(u, 'active', 'running');
    } catch (e) {
      if (u.main?.running) await this.killMain(u, def);
      this.removeRuntimeDirectories(def);
      u.result = u.result === 'timeout' ? 'timeout' : 'exit-code';
      this.setState(u, 'failed', 'failed');
      const message = e instanceof JobError ? e.message : (e as Error).message;
      this.log(u, `start failed: ${message}`);
      throw new JobError(`Job for ${u.name} failed because the control process exited with error code: ${message}`);
    }
  }

  private async waitReady(u: Runtime, def: UnitDefinition, type: string, timeoutMs: number): Promise<void> {
    const main = u.main!;
    const probe = def.value('Service', 'X-TierformLabReady');
    const deadline = Date.now() + timeoutMs;
    if (type === 'notify' && probe !== undefined) {
      const argv = execArgv(parseExecLine(probe), u.env ?? {}, { unitName: u.name, hostname: this.host.name });
      for (;;) {
        if (!main.running) throw new JobError(`${u.name}: ${u.mainArgv?.[0]} exited before it was ready`);
        const r = await this.host.exec(argv, { timeoutMs: 5000 });
        if (r.status === 0) return;
        if (Date.now() > deadline) {
          u.result = 'timeout';
          throw new JobError(`${u.name}: not ready within ${Math.round(timeoutMs / 1000)} s (${argv.join(' ')}: ${r.stderr.trim()})`);
        }
        await sleep(200);
      }
    }
    // simple, exec, idle, notify without a probe: running = started; a process that fails at once fails the start.
    await Promise.race([main.exited, sleep(type === 'notify' ? 400 : 250)]);
    if (!main.running) throw new JobError(`${u.name}: ${u.mainArgv?.[0]} exited at once: ${tail(main.output())}`);
  }

  private async stop(u: Runtime): Promise<void> {
    clearTimeout(u.restartTimer);
    const def = u.def;
    if (!def || (u.state !== 'active' && u.state !== 'reloading' && !u.main?.running)) {
      if (u.state !== 'inactive') this.setState(u, 'inactive', 'dead');
      return;
    }
    u.stopping = true;
    try {
      this.setState(u, 'deactivating', 'stop');
      const env = { ...(u.env ?? {}), ...(u.main ? { MAINPID: String(u.main.pid) } : {}) };
      const timeout = Math.min(this.timeout(def, 'TimeoutStopSec', this.maxStopMs), this.maxStopMs);
      for (const line of def.values('Service', 'ExecStop'))
        await this.execLine(u, def, line, env, timeout).catch((e: Error) => this.log(u, e.message));
      if (u.main?.running) await this.killMain(u, def);
      for (const line of def.values('Service', 'ExecStopPost'))
        await this.execLine(u, def, line, env, timeout).catch((e: Error) => this.log(u, e.message));
      this.removeRuntimeDirectories(def);
      u.main = undefined;
      this.setState(u, 'inactive', 'dead');
    } finally {
      u.stopping = false;
    }
  }

  /** KillSignal= to the main process (KillMode=mixed/process) or its group (control-group), SIGKILL to the group after the timeout. */
  private async killMain(u: Runtime, def: UnitDefinition): Promise<void> {
    const main = u.main;
    if (!main?.running) return;
    const signal = (def.value('Service', 'KillSignal') ?? 'SIGTERM') as NodeJS.Signals;
    const mode = def.value('Service', 'KillMode') ?? 'control-group';
    if (mode === 'none') return;
    if (mode === 'control-group') main.kill(signal);
    else signalPid(main.pid, u.mainStart, signal);
    const timeout = Math.min(this.timeout(def, 'TimeoutStopSec', this.maxStopMs), this.maxStopMs);
    await Promise.race([main.exited, sleep(timeout)]);
    if (main.running) {
      this.log(u, `did not stop within ${timeout} ms: SIGKILL`);
      main.kill('SIGKILL');
      await Promise.race([main.exited, sleep(5000)]);
    } else if (mode === 'mixed') {
      main.kill('SIGKILL'); // what is left of its group
    }
  }

  private async reload(u: Runtime): Promise<void> {
    const def = u.def!;
    const lines = def.values('Service', 'ExecReload');
    if (lines.length === 0) {
      if (!u.main?.running) throw new JobError(`Failed to reload ${u.name}: no process to signal.`);
      signalPid(u.main.pid, u.mainStart, 'SIGHUP');
      return;
    }
    this.setState(u, 'reloading', u.subState);
    try {
      const env = { ...(u.env ?? {}), ...(u.main ? { MAINPID: String(u.main.pid) } : {}) };
      for (const line of lines) await this.execLine(u, def, line, env, this.timeout(def, 'TimeoutStartSec', this.maxStartMs));
    } finally {
      if (u.state === 'reloading') this.setState(u, 'active', u.subState);
    }
  }

  private async kill(name: string, signal: string, whom: string): Promise<ShimResponse> {
    const u = this.units.get(this.canonical(name));
    if (!u?.main?.running) return { status: 1, stdout: '', stderr: `Failed to kill unit ${name}: no process to signal.\n` };
    const sig = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as NodeJS.Signals;
    if (whom === 'main') signalPid(u.main.pid, u.mainStart, sig);
    else u.main.kill(sig);
    return { status: 0, stdout: '', stderr: '' };
  }

  private onMainExit(u: Runtime, main: LabProcess, code: number | null, signal: string | null): void {
    if (u.main !== main || u.stopping) return;
    u.main = undefined;
    const def = u.def;
    const success = new Set(def?.words('Service', 'SuccessExitStatus') ?? []);
    const clean =
      code === 0 || (code !== null && success.has(String(code))) || (signal !== null && (CLEAN_SIGNALS.has(signal) || success.has(signal)));
    u.result = clean ? 'success' : signal ? 'signal' : 'exit-code';
    this.log(u, `main process ${main.pid} exited (${signal ?? `status ${code}`})`);
    if (def) this.removeRuntimeDirectories(def);
    if (u.state === 'activating') return; // the start in progress reports it
    this.setState(u, clean ? 'inactive' : 'failed', clean ? 'dead' : 'failed');
    if (!def || this.closed || this.host.lab.isTornDown) return;
    // As systemd: the stop commands run after any exit of a started service's main process (a crash too),
    // then the restart is considered. Queued like a job, so a `systemctl start` waits for them.
    const stops = [...def.values('Service', 'ExecStop'), ...def.values('Service', 'ExecStopPost')];
    if (stops.length === 0) return this.afterMainExit(u, def, clean, signal);
    const env = {
      ...(u.env ?? {}),
      SERVICE_RESULT: u.result ?? 'success',
      EXIT_CODE: signal ? 'killed' : 'exited',
      EXIT_STATUS: signal ? signal.replace(/^SIG/, '') : String(code),
    };
    const timeout = Math.min(this.timeout(def, 'TimeoutStopSec', this.maxStopMs), this.maxStopMs);
    void this.job(u, async () => {
      for (const line of stops) await this.execLine(u, def, line, env, timeout).catch((e: Error) => this.log(u, e.message));
    }).then(() => this.afterMainExit(u, def, clean, signal));
  }

  private afterMainExit(u: Runtime, def: UnitDefinition, clean: boolean, signal: string | null): void {
    if (this.closed || this.host.lab.isTornDown || u.main !== undefined) return;
    if (u.holdRestart) {
      u.holdRestart = false;
      this.log(u, 'not restarted: killed by the lab with restart held');
      return;
    }
    const policy = def.value('Service', 'Restart') ?? 'no';
    const restart =
      policy === 'always' ||
      (policy === 'on-success' && clean) ||
      (policy === 'on-failure' && !clean) ||
      ((policy === 'on-abnormal' || policy === 'on-abort') && signal !== null && !clean);
    if (!restart) return;
    const interval = parseTimespanMs(def.value('Unit', 'StartLimitIntervalSec') ?? '10s');
    const burst = Number(def.value('Unit', 'StartLimitBurst') ?? '5');
    const recent = u.startTimes.filter((t) => Date.now() - t < interval);
    if (recent.length >= burst) {
      u.result = 'start-limit-hit';
      this.setState(u, 'failed', 'failed');
      this.log(u, `start limit hit (${burst} starts within ${interval} ms): not restarted`);
      return;
    }
    const delay = parseTimespanMs(def.value('Service', 'RestartSec') ?? '100ms');
    this.setState(u, 'activating', 'auto-restart');
    u.restartTimer = setTimeout(() => {
      if (this.closed || this.host.lab.isTornDown) return;
      u.restarts++;
      this.log(u, `restarting (Restart=${policy})`);
      this.job(u, () => this.start(u, new Set())).catch((e: Error) => this.log(u, `restart failed: ${e.message}`));
    }, delay);
    u.restartTimer.unref();
  }

  // ---- timers

  /**
   * A `.timer` unit: start arms it, stop disarms it. Monotonic triggers only (OnActiveSec, OnBootSec and
   * OnStartupSec — from the droplet's boot in the lab —, OnUnitActiveSec, OnUnitInactiveSec); `OnCalendar=` is
   * not scheduled (a lab lives minutes) and `RandomizedDelaySec=`, `AccuracySec=`, `Persistent=` are not applied.
   */
  private async runTimer(name: string, verb: string): Promise<ShimResponse> {
    const def = this.load(name);
    if (!def) return { status: 5, stdout: '', stderr: `Failed to ${verb} ${name}: Unit ${name} not found.\n` };
    const u = this.runtime(name);
    u.def = def;
    const active = u.state === 'active';
    const disarm = () => {
      clearTimeout(u.timer?.handle);
      u.timer = undefined;
      this.setState(u, 'inactive', 'dead');
    };
    const arm = () => {
      u.timer = { activatedAt: Date.now(), fired: new Set(), elapses: 0 };
      this.setState(u, 'active', 'waiting');
      const ignored = [...new Set(def.entries.filter((e) => e.section === 'Timer' && !SUPPORTED.has(`Timer.${e.key}`)).map((e) => e.key))];
      this.log(u, `armed (${def.sources.join(', ')})${ignored.length > 0 ? `; not applied by the lab: ${ignored.join(', ')}` : ''}`);
      this.scheduleTimer(u, def);
    };
    switch (verb) {
      case 'start':
        if (!active) arm();
        break;
      case 'stop':
        disarm();
        break;
      case 'restart':
      case 'reload-or-restart':
        disarm();
        arm();
        break;
      case 'try-restart':
      case 'condrestart':
      case 'try-reload-or-restart':
        if (active) {
          disarm();
          arm();
        }
        break;
      default:
        return { status: 1, stdout: '', stderr: `Failed to ${verb} ${name}: not supported for timers by the tierform lab.\n` };
    }
    return { status: 0, stdout: '', stderr: '' };
  }

  /** Schedules the timer's next elapse (none when only calendar triggers remain). */
  private scheduleTimer(u: Runtime, def: UnitDefinition): void {
    const t = u.timer;
    if (!t || this.closed || this.host.lab.isTornDown) return;
    const span = (key: string) => def.values('Timer', key).map(parseTimespanMs);
    const candidates: { key: string; at: number }[] = [];
    for (const [key, base] of [
      ['OnActiveSec', t.activatedAt],
      ['OnBootSec', this.bootedAt],
      ['OnStartupSec', this.bootedAt],
    ] as const) {
      span(key).forEach((ms, i) => {
        if (!t.fired.has(`${key}#${i}`)) candidates.push({ key: `${key}#${i}`, at: base + ms });
      });
    }
    if (t.lastActivation !== undefined)
      for (const ms of span('OnUnitActiveSec')) candidates.push({ key: 'OnUnitActiveSec', at: t.lastActivation + ms });
    if (t.lastInactive !== undefined)
      for (const ms of span('OnUnitInactiveSec')) candidates.push({ key: 'OnUnitInactiveSec', at: t.lastInactive + ms });
    if (candidates.length === 0) return;
    const next = candidates.reduce((a, b) => (b.at < a.at ? b : a));
    clearTimeout(t.handle);
    t.handle = setTimeout(() => void this.elapse(u, def, next.key), Math.max(0, next.at - Date.now()));
    t.handle.unref();
  }

  private async elapse(u: Runtime, def: UnitDefinition, key: string): Promise<void> {
    const t = u.timer;
    if (!t || this.closed || this.host.lab.isTornDown) return;
    if (key.includes('#')) t.fired.add(key);
    t.elapses++;
    const target = normalizeUnitName(def.value('Timer', 'Unit') ?? u.name.replace(/\.timer$/, '.service'));
    t.lastActivation = Date.now();
    const r = await this.run(target, 'start');
    t.lastInactive = Date.now();
    if (r.status !== 0) this.log(u, `elapsed (${key}): starting ${target} failed: ${r.stderr.trim()}`);
    if (u.timer === t) this.scheduleTimer(u, def);
  }

  /** The first `ConditionPathExists=`/`ConditionFileNotEmpty=` of the unit that does not hold, or undefined. */
  private unmetCondition(def: UnitDefinition): string | undefined {
    return unmetCondition(this.host, def);
  }

  // ---- helpers

  private async execLine(u: Runtime, def: UnitDefinition, line: string, env: Record<string, string>, timeoutMs: number): Promise<void> {
    const command: ExecCommand = parseExecLine(line);
    const argv = execArgv(command, env, { unitName: u.name, hostname: this.host.name });
    const user = command.privileged ? undefined : def.value('Service', 'User');
    const group = command.privileged ? undefined : def.value('Service', 'Group');
    const r = await this.host.exec(argv, {
      env,
      cwd: this.workingDirectory(def, user),
      user,
      group,
      umask: def.value('Service', 'UMask'),
      timeoutMs,
    });
    this.log(
      u,
      `${argv.join(' ')} → ${r.timedOut ? 'timed out' : (r.signal ?? `status ${r.status}`)}${r.stdout || r.stderr ? `\n${r.stdout}${r.stderr}` : ''}`,
    );
    if (r.timedOut) {
      u.result = 'timeout';
      throw new JobError(`${argv.join(' ')} did not finish within ${Math.round(timeoutMs / 1000)} s`);
    }
    if (r.status !== 0 && !command.ignoreFailure) {
      const tail = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-5).join('\n');
      throw new JobError(`${argv.join(' ')} failed (${r.signal ?? `status ${r.status}`})${tail ? `: ${tail}` : ''}`);
    }
  }

  private environment(def: UnitDefinition): Record<string, string> {
    return serviceEnvironment(this.host, def, this.options.environment ?? {});
  }

  private workingDirectory(def: UnitDefinition, user: string | undefined): string {
    return workingDirectory(this.host, def, user);
  }

  private createRuntimeDirectories(def: UnitDefinition, user: string | undefined, group: string | undefined): void {
    createRuntimeDirectories(this.host, def, user, group);
  }

  private removeRuntimeDirectories(def: UnitDefinition): void {
    removeRuntimeDirectories(this.host, def);
  }

  private timeout(def: UnitDefinition, key: 'TimeoutStartSec' | 'TimeoutStopSec', cap: number): number {
    return unitTimeoutMs(def, key, cap);
  }

  /** The unit's definition from the droplet's files, else the lab's stand-in; undefined when none. */
  public load(name: string): UnitDefinition | undefined {
    return loadDropletUnit(this.host, name);
  }

  private canonical(name: string): string {
    return canonicalUnitName(this.host, name);
  }

  private known(name: string): true | ShimResponse {
    const c = this.canonical(name);
    if (SKIPPED_UNITS[c] !== undefined || c.endsWith('.target') || this.load(c)) return true;
    return { status: 1, stdout: '', stderr: `Failed to enable unit: Unit file ${name} does not exist.\n` };
  }

  private runtime(name: string): Runtime {
    let u = this.units.get(name);
    if (!u) {
      u = { name, state: 'inactive', subState: 'dead', stopping: false, restarts: 0, startTimes: [], queue: Promise.resolve() };
      this.units.set(name, u);
    }
    return u;
  }

  private setState(u: Runtime, state: ActiveState, subState: string): void {
    if (u.state !== state) u.since = new Date().toISOString();
    u.state = state;
    u.subState = subState;
    this.options.onChange?.();
  }

  private describe(u: Runtime): UnitStatus {
    const main = u.main?.running ? u.main : undefined;
    return {
      name: u.name,
      description: u.def?.description ?? u.name,
      state: u.state,
      subState: u.subState,
      pid: main?.pid,
      startTime: main ? u.mainStart : undefined,
      since: u.since,
      result: u.result,
      logFile: main?.logFile,
      restarts: u.restarts,
      sources: u.def?.sources ?? [],
    };
  }

  private statusText(name: string): ShimResponse {
    const c = this.canonical(name);
    const u = this.units.get(c);
    if (!u && !this.load(c)) return { status: 4, stdout: '', stderr: `Unit ${name} could not be found.\n` };
    const s = u ? this.describe(u) : undefined;
    const lines = [
      `● ${c} - ${s?.description ?? this.load(c)?.description ?? c}`,
      `     Loaded: loaded (${(s?.sources.length ? s.sources : (this.load(c)?.sources ?? [])).join(', ')}) — tierform lab`,
      `     Active: ${s?.state ?? 'inactive'} (${s?.subState ?? 'dead'})${s?.since ? ` since ${s.since}` : ''}${s?.result && s.result !== 'success' ? `; result: ${s.result}` : ''}`,
      ...(s?.pid ? [`   Main PID: ${s.pid}`, `        Log: ${s.logFile}`] : []),
    ];
    return { status: s?.state === 'active' ? 0 : 3, stdout: `${lines.join('\n')}\n`, stderr: '' };
  }

  private show(name: string, properties: readonly string[], valueOnly: boolean): ShimResponse {
    const c = this.canonical(name);
    const s = this.units.has(c) ? this.describe(this.units.get(c)!) : undefined;
    const all: Record<string, string> = {
      Id: c,
      Description: s?.description ?? c,
      ActiveState: s?.state ?? 'inactive',
      SubState: s?.subState ?? 'dead',
      MainPID: String(s?.pid ?? 0),
      Result: s?.result ?? 'success',
      NRestarts: String(s?.restarts ?? 0),
      LoadState: this.load(c) ? 'loaded' : 'not-found',
    };
    const wanted = properties.flatMap((p) => p.split(',')).filter(Boolean);
    const keys = wanted.length > 0 ? wanted : Object.keys(all);
    return { status: 0, stdout: keys.map((k) => (valueOnly ? `${all[k] ?? ''}` : `${k}=${all[k] ?? ''}`)).join('\n') + '\n', stderr: '' };
  }

  private log(u: Runtime, text: string): void {
    try {
      fs.appendFileSync(this.execLogFile(u.name), `${new Date().toISOString()} ${text}\n`);
    } catch {
      // lab directory gone (teardown)
    }
  }

  private execLogFile(unit: string): string {
    return path.join(this.host.lab.dir, 'logs', `${this.host.name}.${unit}.exec.log`);
  }

  private logHint(u: Runtime): string {
    const files = [this.execLogFile(u.name), u.main?.logFile].filter(Boolean);
    return `See the lab's logs: ${files.join(', ')}\n`;
  }
}

function merge(results: readonly ShimResponse[]): ShimResponse {
  return {
    status: results.find((r) => r.status !== 0)?.status ?? 0,
    stdout: results.map((r) => r.stdout).join(''),
    stderr: results.map((r) => r.stderr).join(''),
  };
}

function signalPid(pid: number, startTime: string | undefined, signal: NodeJS.Signals): void {
  if (!isRunning(pid, startTime)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    t.unref?.();
  });
}
