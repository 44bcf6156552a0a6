/**
 * Runs a droplet's cloud-config in the lab the way cloud-init runs it on first boot, module by module, in
 * cloud-init's order: `write_files` (not deferred) → `packages` → `write_files` with `defer: true` → `runcmd`.
 *
 * - write_files: every entry byte for byte at its path in the droplet's filesystem (droplet-host.ts), with its
 *   permissions and owner (resolved in the droplet's /etc/passwd and /etc/group), parent directories created
 *   0755 root as cloud-init does.
 * - packages (and `apt-get install` in runcmd, through the droplet's apt-get shim): nothing is installed; each
 *   package must already be installed on this machine (`dpkg-query`), which the droplet sees through its overlay.
 *   `package_update`/`package_upgrade` are skipped (nothing is downloaded).
 * - runcmd: each entry runs as root in the droplet, in order; a failing entry does not stop the others (cloud-init
 *   runs them as one `sh` script without `set -e`), but the lab reports it and the boot fails. Entries run as
 *   written, with the droplet's `systemctl`/`apt-get` being the lab's shims. One entry is substituted: a script
 *   waiting for a DigitalOcean volume's block device (`/dev/disk/by-id/scsi-0DO_Volume_<name>`) — the lab has no
 *   block device: the volume is a directory of the lab, bind-mounted where the script would mount the volume, and
 *   its data directory bind-mounted from there, as the script does (see `dataVolumeScript`).
 * - any other cloud-config key fails the boot, naming the key: the lab never silently ignores what a droplet
 *   would do (`ssh_pwauth` is skipped: the lab has no SSH).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { CloudConfigDocument } from '../plan/cloud-config';
import { DropletHost, ShimResponse, VOLUMES_DIR } from './droplet-host';
import { SKIPPED_PACKAGES, UNSUPPORTED_PACKAGES } from './lab-units';
import { LabError } from './netns';

/** Cloud-config keys the lab knows, and what it does with the ones it skips. */
const SKIPPED_KEYS: Readonly<Record<string, string>> = {
  package_update: 'nothing is downloaded: packages come from this machine',
  package_upgrade: 'nothing is downloaded: packages come from this machine',
  ssh_pwauth: 'no SSH in the lab',
};
const HANDLED_KEYS = new Set(['packages', 'write_files', 'runcmd']);

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'substituted';

/** One thing cloud-init did on a droplet. */
export interface CloudInitStep {
  readonly module: 'write_files' | 'packages' | 'write_files_deferred' | 'runcmd' | 'skipped';
  /** The file, package list or command. */
  readonly what: string;
  readonly outcome: StepOutcome;
  /** Why skipped or substituted; the output tail of a failed command. */
  readonly detail?: string;
  readonly durationMs: number;
}

export interface CloudInitOptions {
  /** Names of the volumes attached to this droplet (their directories exist under /run/tierform-lab/volumes). */
  readonly volumes: readonly string[];
  /** @default 300000 */
  readonly runcmdTimeoutMs?: number;
  /** A line per step, as it happens. */
  readonly log?: (line: string) => void;
  /**
   * What the installed packages' maintainer scripts would do that the lab does (docker.io's postinst starts
   * docker.service); called after the `packages` module succeeded. Rejects with what failed.
   */
  readonly afterInstall?: (packages: readonly string[]) => Promise<string | undefined>;
}

/** Names the cloud-config keys the lab cannot run; empty when it can run them all. */
export function unsupportedCloudConfigKeys(doc: CloudConfigDocument): string[] {
  return Object.keys(doc.raw).filter((k) => !HANDLED_KEYS.has(k) && SKIPPED_KEYS[k] === undefined);
}

/** Runs the cloud-config on the droplet; resolves with every step (failed runcmd entries included). */
export async function runCloudConfig(host: DropletHost, doc: CloudConfigDocument, options: CloudInitOptions): Promise<CloudInitStep[]> {
  const unsupported = unsupportedCloudConfigKeys(doc);
  if (unsupported.length > 0) throw new LabError(`droplet ${host.name}: cloud-config keys the lab cannot run: ${unsupported.join(', ')}`);
  const steps: CloudInitStep[] = [];
  const record = (step: CloudInitStep) => {
    steps.push(step);
    options.log?.(`${host.name}: ${step.module} ${step.what}: ${step.outcome}${step.detail ? ` (${firstLine(step.detail)})` : ''}`);
  };
  for (const key of Object.keys(doc.raw).filter((k) => SKIPPED_KEYS[k] !== undefined)) {
    record({ module: 'skipped', what: `${key}: ${JSON.stringify(doc.raw[key])}`, outcome: 'skipped', detail: SKIPPED_KEYS[key], durationMs: 0 });
  }
  const writeAll = (deferred: boolean) => {
    for (const f of doc.writeFiles.filter((x) => x.defer === deferred)) {
      const started = Date.now();
      const [user, group] = f.owner.split(':');
      host.writeFile(f.path, Buffer.from(f.content, 'utf8'), parseInt(f.permissions, 8), host.owner(user, group));
      record({ module: deferred ? 'write_files_deferred' : 'write_files', what: f.path, outcome: 'ok', durationMs: Date.now() - started });
    }
  };
  writeAll(false);
  if (doc.packages.length > 0) {
    const started = Date.now();
    const r = aptGet(['install', '-y', ...doc.packages]);
    record({
      module: 'packages',
      what: doc.packages.join(' '),
      outcome: r.status === 0 ? 'ok' : 'failed',
      detail: `${r.stdout}${r.stderr}`.trim() || undefined,
      durationMs: Date.now() - started,
    });
    if (r.status !== 0) throw new LabError(`droplet ${host.name}: packages: ${r.stderr.trim()}`);
    if (options.afterInstall) {
      const t0 = Date.now();
      try {
        const done = await options.afterInstall(doc.packages);
        if (done)
          record({
            module: 'packages',
            what: `postinst: ${done}`,
            outcome: 'substituted',
            detail: 'what the package maintainer scripts would start',
            durationMs: Date.now() - t0,
          });
      } catch (e) {
        record({ module: 'packages', what: 'postinst', outcome: 'failed', detail: (e as Error).message, durationMs: Date.now() - t0 });
      }
    }
  }
  writeAll(true);
  for (const argv of doc.runcmd) {
    const started = Date.now();
    const what = argv.join(' ');
    const volume = argv.length === 1 ? dataVolumeScript(host.readFile(argv[0]) ?? '') : undefined;
    if (volume) {
      try {
        await substituteDataVolume(host, volume, options.volumes);
        record({
          module: 'runcmd',
          what,
          outcome: 'substituted',
          detail: `volume ${volume.volume} is the directory ${VOLUMES_DIR}/${volume.volume}, bind-mounted at ${volume.mountPoint}; ${volume.mountPoint}/mysql bind-mounted at ${volume.dataDir}`,
          durationMs: Date.now() - started,
        });
      } catch (e) {
        record({ module: 'runcmd', what, outcome: 'failed', detail: (e as Error).message, durationMs: Date.now() - started });
      }
      continue;
    }
    const timeoutMs = options.runcmdTimeoutMs ?? 300_000;
    const r = await host.exec(argv, { env: { HOME: '/root', LANG: 'C.UTF-8' }, timeoutMs });
    appendLog(
      host,
      `$ ${what}\n${r.stdout}${r.stderr}${r.status === 0 ? '' : `→ ${r.timedOut ? `timed out after ${timeoutMs} ms` : (r.signal ?? `status ${r.status}`)}\n`}`,
    );
    const failed = r.status !== 0;
    record({
      module: 'runcmd',
      what,
      outcome: failed ? 'failed' : 'ok',
      detail: failed ? `${r.timedOut ? 'timed out; ' : ''}${r.signal ?? `status ${r.status}`}: ${tail(`${r.stdout}${r.stderr}`)}` : undefined,
      durationMs: Date.now() - started,
    });
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------------------------
// the data volume script

/** What a DigitalOcean volume script (lib/render/mysql.ts `renderDataVolumeScript`) would mount. */
export interface DataVolumeScript {
  readonly volume: string;
  readonly mountPoint: string;
  readonly dataDir: string;
}

/** Recognizes a script that waits for a DigitalOcean volume's block device and mounts it; undefined otherwise. */
export function dataVolumeScript(text: string): DataVolumeScript | undefined {
  const device = /^readonly DEVICE='\/dev\/disk\/by-id\/scsi-0DO_Volume_([A-Za-z0-9-]+)'$/m.exec(text);
  const mountPoint = /^readonly MOUNT_POINT='(\/[^']*)'$/m.exec(text);
  const dataDir = /^readonly DATA_DIR='(\/[^']*)'$/m.exec(text);
  if (!device || !mountPoint || !dataDir) return undefined;
  return { volume: device[1], mountPoint: mountPoint[1], dataDir: dataDir[1] };
}

/**
 * The lab's version of the volume script: the same mounts, from the volume's directory instead of its block
 * device; the same `RequiresMountsFor=` drop-ins. Not done: waiting for the device, /etc/fstab lines (the lab never
 * reboots a droplet), and the script's refusal of a non-empty datadir on the root disk (the droplet sees this
 * machine's /var/lib/mysql through its overlay; the bind mount hides it, as the volume would).
 */
async function substituteDataVolume(host: DropletHost, script: DataVolumeScript, attached: readonly string[]): Promise<void> {
  if (!attached.includes(script.volume)) {
    throw new LabError(
      `volume device /dev/disk/by-id/scsi-0DO_Volume_${script.volume} would never appear: volume '${script.volume}' is not attached to ${host.name} (attached: ${attached.join(', ') || 'none'})`,
    );
  }
  for (const unit of ['mysql', 'mariadb']) {
    host.writeFile(`/etc/systemd/system/${unit}.service.d/10-tierform-datadir.conf`, `[Unit]\nRequiresMountsFor=${script.dataDir}\n`, 0o644);
  }
  host.mkdirp(script.mountPoint);
  await host.bindMount(`${VOLUMES_DIR}/${script.volume}`, script.mountPoint);
  host.mkdirp(`${script.mountPoint}/mysql`, 0o700);
  host.mkdirp(script.dataDir);
  await host.bindMount(`${script.mountPoint}/mysql`, script.dataDir);
}

// ---------------------------------------------------------------------------------------------------------------
// apt-get

/** Which of `packages` are installed on this machine (dpkg's database). */
export function installedPackages(packages: readonly string[]): Set<string> {
  const names = [...new Set(packages)];
  if (names.length === 0) return new Set();
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Status}\n', ...names], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new LabError(`dpkg-query: ${r.error.message} (the lab needs a Debian machine)`);
  const installed = new Set<string>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const [name, status] = line.split('\t');
    if (status === 'installed') installed.add(name.replace(/:.*$/, ''));
  }
  return installed;
}

/** The package names of an `apt-get install` command line (options and versions removed); undefined for other verbs. */
export function aptInstallPackages(argv: readonly string[]): string[] | undefined {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-o' || argv[i] === '-c' || argv[i] === '-t') i++;
    else if (!argv[i].startsWith('-')) words.push(argv[i]);
  }
  if (words[0] !== 'install') return undefined;
  return words.slice(1).map((p) => p.replace(/[=:].*$/, ''));
}

/**
 * The droplet's `apt-get` (and `apt`): installs nothing. `install` succeeds when every package is installed on
 * this machine (skipped packages excepted), and fails like apt (status 100) naming what to install otherwise;
 * update/upgrade and friends succeed without doing anything.
 */
export function aptGet(argv: readonly string[]): ShimResponse {
  const packages = aptInstallPackages(argv);
  if (packages === undefined) {
    const verb = argv.find((a) => !a.startsWith('-')) ?? '';
    return {
      status: 0,
      stdout: '',
      stderr: `tierform lab: apt-get ${verb} skipped: nothing is downloaded or changed (packages come from this machine)\n`,
    };
  }
  const notes: string[] = [];
  const errors: string[] = [];
  const check = packages.filter((p) => SKIPPED_PACKAGES[p] === undefined && UNSUPPORTED_PACKAGES[p] === undefined);
  const installed = installedPackages(check);
  for (const p of packages) {
    if (SKIPPED_PACKAGES[p] !== undefined) notes.push(`tierform lab: ${p} skipped: ${SKIPPED_PACKAGES[p]}`);
    else if (UNSUPPORTED_PACKAGES[p] !== undefined) errors.push(`E: tierform lab: ${p}: ${UNSUPPORTED_PACKAGES[p]}`);
    else if (!installed.has(p))
      errors.push(
        `E: tierform lab: package ${p} is not installed on this machine and the lab installs nothing: apt-get install ${p} (as root, on this machine)`,
      );
    else notes.push(`tierform lab: ${p} is installed on this machine (nothing done)`);
  }
  return { status: errors.length > 0 ? 100 : 0, stdout: '', stderr: `${[...notes, ...errors].join('\n')}\n` };
}

// ---------------------------------------------------------------------------------------------------------------

function appendLog(host: DropletHost, text: string): void {
  try {
    fs.appendFileSync(path.join(host.lab.dir, 'logs', `${host.name}.cloud-init.log`), text);
  } catch {
    // lab directory gone
  }
}

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
