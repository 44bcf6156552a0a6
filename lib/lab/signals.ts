/**
 * One set of signal and exit handlers for every lab of this process: on SIGINT, SIGTERM or SIGHUP each registered
 * lab is torn down, then the signal does what it would have done without us; at exit, the same without the signal.
 * (A process that dies without running handlers is covered by the watchdog, see netns.ts.)
 */

/** Something to tear down when the process is told to end. */
export interface TearsDown {
  readonly id: string;
  teardown(): unknown;
}

const active = new Set<TearsDown>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onSignal(signal: NodeJS.Signals): void {
  for (const lab of [...active]) {
    process.stderr.write(`tierform lab ${lab.id}: ${signal}, tearing down\n`);
    lab.teardown();
  }
  uninstallHandlers();
  // Let the signal do what it would have done without us (usually: end the process).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function onExit(): void {
  for (const lab of [...active]) lab.teardown();
}

function installHandlers(): void {
  for (const s of SIGNALS) if (!process.listeners(s).includes(onSignal)) process.on(s, onSignal);
  if (!process.listeners('exit').includes(onExit)) process.on('exit', onExit);
}

function uninstallHandlers(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.removeListener('exit', onExit);
}

/** Tears `lab` down when the process gets SIGINT/SIGTERM/SIGHUP or exits, until `forget(lab)`. */
export function tearDownOnExit(lab: TearsDown): void {
  active.add(lab);
  installHandlers();
}

/** Stops watching `lab`; the handlers go once no lab is left. */
export function forget(lab: TearsDown): void {
  active.delete(lab);
  if (active.size === 0) uninstallHandlers();
}
