/**
 * A droplet's own view of the filesystem, and running commands in it.
 *
 * Each droplet gets a private mount namespace, held by a tracked `unshare --mount --propagation private -- sleep
 * infinity` started inside its network namespace (the "holder"). In it:
 *
 *   /etc /usr /opt /var /srv /root /home   overlayfs: this machine's directory below (the packages' files,
 *                                          read-only through the overlay), the droplet's own writes above, in
 *                                          `<lab dir>/droplet/<name>/upper/<dir>`. The machine's files are never
 *                                          written; droplets never see each other's files.
 *   /run /tmp /mnt                         the droplet's own empty directories (`<lab dir>/droplet/<name>/run`…),
 *                                          as after a boot (/run and /tmp are tmpfs on Ubuntu).
 *   /etc/hosts, /etc/resolv.conf, …        bound again from /etc/netns/<ns>/ (lab DNS, see dns.ts).
 *   /run/tierform-lab                      the lab's side door: the socket of the systemctl/apt-get shims and
 *                                          the directories standing in for block-storage volumes.
 *
 * Commands enter with `nsenter --mount=/proc/<holder>/ns/mnt` through the lab's tracked `exec`/`spawn` (so they
 * are in the droplet's network and UTS namespaces too), optionally as another user (`setpriv`). Every mount lives
 * only in the holder's namespace: it disappears with the namespace when the lab's processes are killed, and the
 * lab also unmounts what it recorded at teardown. The host's mount table is never changed.
 *
 * Files are read and written from the lab's process through `/proc/<holder>/root`, with symbolic links resolved
 * inside the droplet (an absolute link such as /var/run → /run must not lead to this machine's /run).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { ExecResult, LabDroplet, LabError, LabNetwork, LabProcess } from './netns';
import { labScript } from './host-tools';
import { isRunning, processStartTime } from './processes';

/** Directories the droplet sees through an overlay over this machine's. */
export const OVERLAY_DIRS: readonly string[] = ['/etc', '/usr', '/opt', '/var', '/srv', '/root', '/home'];
/** Directories the droplet gets empty, of its own. */
export const PRIVATE_DIRS: readonly { readonly dir: string; readonly mode: number }[] = [
  { dir: '/mnt', mode: 0o755 },
  { dir: '/tmp', mode: 0o1777 },
  { dir: '/run', mode: 0o755 },
];
/** Inside each droplet: the shims' socket and script, and the volume directories. */
export const LAB_DOOR = '/run/tierform-lab';
export const SHIM_SOCKET = `${LAB_DOOR}/systemd.sock`;
export const VOLUMES_DIR = `${LAB_DOOR}/volumes`;
/**
 * Commands of the droplet replaced by the lab's shims (written to the droplet's /usr/bin): systemd's and apt's, and
 * certbot (not installed here: the lab CA issues, see lab-ca.ts).
 */
export const SHIMMED_COMMANDS: readonly string[] = ['systemctl', 'apt-get', 'apt', 'certbot'];

/** A mount made in a droplet's namespace. */
export interface MountRecord {
  readonly target: string;
  readonly type: 'overlay' | 'bind' | 'tmpfs' | 'cgroup' | 'cgroup2';
  /** Host path (overlay: the upper directory; tmpfs and cgroups: the file system type's source name). */
  readonly source: string;
}

/** A request from a droplet's shim. */
export interface ShimRequest {
  readonly tool: string;
  readonly argv: readonly string[];
}

export interface ShimResponse {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type ShimHandler = (request: ShimRequest) => Promise<ShimResponse>;

export interface DropletCommandOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the droplet. @default '/' */
  readonly cwd?: string;
  /** Run as this user (name in the droplet's /etc/passwd). @default root */
  readonly user?: string;
  /** With `user`: the group. @default the user's primary group */
  readonly group?: string;
  /** e.g. '0027'. @default - unchanged (022) */
  readonly umask?: string;
  readonly input?: string;
  /** @default 300000 */
  readonly timeoutMs?: number;
}

export interface DropletSpawnOptions extends DropletCommandOptions {
  /** Names the log file. */
  readonly name: string;
}

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

const HOLDER_START_MS = 10_000;
const MAX_SYMLINKS = 40;

export class DropletHost {
  /** Starts the holder, mounts the droplet's filesystem, installs the shims and listens for them. */
  public static async create(lab: LabNetwork, droplet: string, handler: ShimHandler): Promise<DropletHost> {
    const host = new DropletHost(lab, lab.droplet(droplet));
    host.prepareDirectories();
    await host.startHolder();
    await host.mountAll();
    await host.listen(handler);
    host.createRuntimeDirectories();
    return host;
  }

  public readonly droplet: LabDroplet;
  /** `<lab dir>/droplet/<name>`: upper layers, work directories, /run, /tmp, /mnt. */
  public readonly dir: string;
  public readonly mounts: MountRecord[] = [];
  private holderProcess?: LabProcess;
  private holderStart?: string;
  private server?: http.Server;
  private closed = false;

  private constructor(
    public readonly lab: LabNetwork,
    droplet: LabDroplet,
  ) {
    this.droplet = droplet;
    this.dir = path.join(lab.dir, 'droplet', droplet.name);
    lab.addCleanup(() => this.cleanupSync());
  }

  public get name(): string {
    return this.droplet.name;
  }

  /** The holder's pid (its mount namespace is the droplet's). */
  public get holderPid(): number {
    if (!this.holderProcess) throw new LabError(`droplet ${this.name}: no mount namespace yet`);
    return this.holderProcess.pid;
  }

  public get holderStartTime(): string | undefined {
    return this.holderStart;
  }

  /** Host directory standing in for the block-storage volume `name` (inside the droplet: /run/tierform-lab/volumes/<name>). */
  public volumeDir(name: string): string {
    return path.join(this.hostPathOfPrivate(VOLUMES_DIR), name);
  }

  // ---- files, as the droplet sees them

  /** A host path reaching `p` in the droplet (symbolic links resolved inside the droplet). */
  public resolve(p: string): string {
    if (!p.startsWith('/')) throw new LabError(`droplet ${this.name}: '${p}' is not an absolute path`);
    const root = `/proc/${this.holderPid}/root`;
    let pending = p.split('/').filter(Boolean);
    const done: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      const candidate = path.join(root, ...done, part);
      let stat: fs.Stats | undefined;
      try {
        stat = fs.lstatSync(candidate);
      } catch {
        stat = undefined;
      }
      if (stat?.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw new LabError(`droplet ${this.name}: too many symbolic links in ${p}`);
        const target = fs.readlinkSync(candidate);
        const rest = target.split('/').filter(Boolean);
        if (target.startsWith('/')) done.length = 0;
        pending = [...rest, ...pending];
        continue;
      }
      done.push(part);
    }
    return path.join(root, ...done);
  }

  public exists(p: string): boolean {
    return fs.existsSync(this.resolve(p));
  }

  public readFile(p: string): string | undefined {
    try {
      return fs.readFileSync(this.resolve(p), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Entries of a droplet directory (sorted), empty when it does not exist. */
  public readdir(p: string): string[] {
    try {
      return fs.readdirSync(this.resolve(p)).sort();
    } catch {
      return [];
    }
  }

  /** Writes `content` byte for byte at `p`, creating parent directories (0755 root) as cloud-init does. */
  public writeFile(p: string, content: Buffer | string, mode: number, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): void {
    this.mkdirp(path.posix.dirname(p), 0o755);
    const target = this.resolve(p);
    const tmp = `${target}.tierform-lab-${process.pid}`;
    fs.writeFileSync(tmp, content, { mode: 0o600 });
    fs.chownSync(tmp, owner.uid, owner.gid);
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, target);
  }

  /** `mkdir -p` in the droplet; new directories get `mode` and `owner`. */
  public mkdirp(p: string, mode = 0o755, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): void {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      const real = this.resolve(dir);
      if (fs.existsSync(real)) continue;
      fs.mkdirSync(real, { mode });
      fs.chmodSync(real, mode);
      fs.chownSync(real, owner.uid, owner.gid);
    }
  }

  /** The droplet's /etc/passwd entry for a user name or numeric id. */
  public user(nameOrId: string): PasswdEntry | undefined {
    for (const line of (this.readFile('/etc/passwd') ?? '').split('\n')) {
      const f = line.split(':');
      if (f.length < 7) continue;
      if (f[0] === nameOrId || f[2] === nameOrId) return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] };
    }
    return undefined;
  }

  /** The droplet's group id for a group name or numeric id. */
  public groupId(nameOrId: string): number | undefined {
    for (const line of (this.readFile('/etc/group') ?? '').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && (f[0] === nameOrId || f[2] === nameOrId)) return Number(f[2]);
    }
    return undefined;
  }

  /** `user:group` (cloud-init's `owner`, systemd's User=/Group=) as ids, or throws naming what is unknown. */
  public owner(user: string, group?: string): { uid: number; gid: number } {
    const u = this.user(user);
    if (!u) throw new LabError(`droplet ${this.name}: no user '${user}' in its /etc/passwd`);
    const gid = group === undefined || group === '' ? u.gid : this.groupId(group);
    if (gid === undefined) throw new LabError(`droplet ${this.name}: no group '${group}' in its /etc/group`);
    return { uid: u.uid, gid };
  }

  // ---- commands

  /** Runs a command in the droplet (its network, UTS and mount namespaces), bounded, tracked by the lab. */
  public exec(argv: readonly string[], options: DropletCommandOptions = {}): Promise<ExecResult> {
    return this.lab.exec(this.name, this.wrap(argv, options), {
      env: options.env,
      input: options.input,
      timeoutMs: options.timeoutMs ?? 300_000,
    });
  }

  /** Starts a long-running process in the droplet, tracked by the lab until teardown. */
  public spawn(argv: readonly string[], options: DropletSpawnOptions): LabProcess {
    return this.lab.spawn(this.name, this.wrap(argv, options), { env: options.env, name: options.name });
  }

  /** Bind-mounts droplet path `source` on droplet path `target` (both inside the droplet), recorded. */
  public async bindMount(source: string, target: string): Promise<void> {
    const r = await this.exec(['mount', '--bind', source, target], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new LabError(`droplet ${this.name}: mount --bind ${source} ${target}: ${r.stderr.trim()}`);
    this.mounts.push({ target, type: 'bind', source: this.resolve(source) });
  }

  /** Mounts a file system of `type` (tmpfs, cgroup, cgroup2) on droplet path `target` with `options`, recorded. */
  public async mountFs(type: 'tmpfs' | 'cgroup' | 'cgroup2', target: string, options: string): Promise<void> {
    const r = await this.exec(['mount', '-t', type, '-o', options, type, target], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new LabError(`droplet ${this.name}: mount -t ${type} -o ${options} ${target}: ${r.stderr.trim()}`);
    this.mounts.push({ target, type, source: type });
  }

  private wrap(argv: readonly string[], options: DropletCommandOptions): string[] {
    if (argv.length === 0) throw new LabError('empty command');
    // Entering a mount namespace starts at its root; nsenter's --wd would open the directory before entering.
    const out = ['nsenter', `--mount=/proc/${this.holderPid}/ns/mnt`, '--'];
    if (options.cwd !== undefined && options.cwd !== '/') out.push('/bin/sh', '-c', 'cd "$0" && exec "$@"', options.cwd);
    if (options.user !== undefined && options.user !== 'root' && options.user !== '0') {
      const group = options.group ?? String(this.owner(options.user).gid);
      out.push('setpriv', `--reuid=${options.user}`, `--regid=${group}`, '--init-groups', '--');
    } else if (options.group !== undefined && options.group !== 'root' && options.group !== '0') {
      out.push('setpriv', `--regid=${options.group}`, '--clear-groups', '--');
    }
    if (options.umask !== undefined) out.push('/bin/sh', '-c', 'umask "$0" && exec "$@"', options.umask);
    return [...out, ...argv];
  }

  // ---- setup

  private hostPathOfPrivate(dropletPath: string): string {
    const top = PRIVATE_DIRS.find((d) => dropletPath === d.dir || dropletPath.startsWith(`${d.dir}/`));
    if (!top) throw new LabError(`${dropletPath} is not under ${PRIVATE_DIRS.map((d) => d.dir).join(', ')}`);
    return path.join(this.dir, top.dir.slice(1), dropletPath.slice(top.dir.length));
  }

  private prepareDirectories(): void {
    const labRoot = path.resolve(this.lab.dir);
    const shadowed = OVERLAY_DIRS.find((d) => labRoot === d || labRoot.startsWith(`${d}/`));
    if (shadowed) {
      throw new LabError(
        `the lab directory ${labRoot} is under ${shadowed}, which droplets see through an overlay: use a lab root under /run or /tmp (TIERFORM_LAB_DIR)`,
      );
    }
    const node = process.execPath;
    if (PRIVATE_DIRS.some((d) => node.startsWith(`${d.dir}/`))) {
      throw new LabError(
        `node (${node}) is under a directory droplets get empty (${PRIVATE_DIRS.map((d) => d.dir).join(', ')}): install node elsewhere`,
      );
    }
    const socket = this.hostPathOfPrivate(SHIM_SOCKET);
    if (Buffer.byteLength(socket) > 100) {
      throw new LabError(`the shim socket path ${socket} is too long for a Unix socket: use a shorter lab root (TIERFORM_LAB_DIR)`);
    }
    for (const d of OVERLAY_DIRS) {
      fs.mkdirSync(path.join(this.dir, 'upper', d.slice(1)), { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(this.dir, 'work', d.slice(1)), { recursive: true, mode: 0o700 });
    }
    for (const d of PRIVATE_DIRS) {
      const dir = path.join(this.dir, d.dir.slice(1));
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, d.mode);
    }
    const door = this.hostPathOfPrivate(LAB_DOOR);
    fs.mkdirSync(path.join(door, 'volumes'), { recursive: true, mode: 0o700 });
    fs.chmodSync(door, 0o700);
    fs.copyFileSync(labScript('droplet-shim.js'), path.join(door, 'droplet-shim.js'));
    // The shims, in the droplet's /usr/bin (its overlay's upper layer): found by any PATH and by absolute path.
    const bin = path.join(this.dir, 'upper', 'usr', 'bin');
    fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
    for (const command of SHIMMED_COMMANDS) {
      fs.writeFileSync(
        path.join(bin, command),
        `#!/bin/sh\n# tierform lab: stands in for ${command} on this droplet (lib/lab/README.md, "Substitutions")\nexec '${node}' ${LAB_DOOR}/droplet-shim.js ${command} "$@"\n`,
        { mode: 0o755 },
      );
    }
  }

  private async startHolder(): Promise<void> {
    const ownNs = fs.readlinkSync('/proc/self/ns/mnt');
    const holder = this.lab.spawn(this.name, ['unshare', '--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], { name: 'mount-holder' });
    this.holderProcess = holder;
    const deadline = Date.now() + HOLDER_START_MS;
    for (;;) {
      let comm = '';
      let ns = ownNs;
      try {
        comm = fs.readFileSync(`/proc/${holder.pid}/comm`, 'utf8').trim();
        ns = fs.readlinkSync(`/proc/${holder.pid}/ns/mnt`);
      } catch {
        // not there yet, or gone
      }
      if (comm === 'sleep' && ns !== ownNs) break;
      if (!holder.running) throw new LabError(`droplet ${this.name}: the mount namespace holder exited: ${holder.output()}`);
      if (Date.now() > deadline) throw new LabError(`droplet ${this.name}: the mount namespace holder did not start within ${HOLDER_START_MS} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    this.holderStart = processStartTime(holder.pid);
  }

  private async mountAll(): Promise<void> {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const lines: string[] = ['set -e'];
    for (const d of OVERLAY_DIRS) {
      if (!fs.existsSync(d)) continue;
      const upper = path.join(this.dir, 'upper', d.slice(1));
      const work = path.join(this.dir, 'work', d.slice(1));
      lines.push(`mount -t overlay tierform-lab -o ${q(`lowerdir=${d},upperdir=${upper},workdir=${work}`)} ${d}`);
      this.mounts.push({ target: d, type: 'overlay', source: upper });
    }
    // The private directory holding the lab directory is mounted last: the sources of the others are under it.
    const labDir = path.resolve(this.lab.dir);
    const privates = [...PRIVATE_DIRS].sort((a, b) => Number(labDir.startsWith(`${a.dir}/`)) - Number(labDir.startsWith(`${b.dir}/`)));
    for (const d of privates) {
      const source = path.join(this.dir, d.dir.slice(1));
      lines.push(`mount --bind ${q(source)} ${d.dir}`);
      this.mounts.push({ target: d.dir, type: 'bind', source });
    }
    // The lab's name service files again, over the overlay of /etc (ip netns exec had bound them on the old /etc).
    const etc = path.join('/etc/netns', this.droplet.netns);
    for (const f of ['hosts', 'resolv.conf', 'hostname']) {
      if (!fs.existsSync(path.join(etc, f)) || !fs.existsSync(path.join('/etc', f))) continue;
      lines.push(`mount --bind ${q(path.join(etc, f))} /etc/${f}`);
      this.mounts.push({ target: `/etc/${f}`, type: 'bind', source: path.join(etc, f) });
    }
    const r = await this.exec(['sh', '-c', lines.join('\n')], { timeoutMs: 30_000 });
    if (r.status !== 0) throw new LabError(`droplet ${this.name}: mounting its filesystem failed: ${r.stderr.trim()}`);
  }

  /**
   * What systemd-tmpfiles-setup does at boot, for /run only: the `d`/`D` lines of tmpfiles.d (the droplet's
   * /etc/tmpfiles.d over /usr/lib/tmpfiles.d) create the packages' runtime directories (/run/haproxy, /run/mysqld,
   * /run/lock, ...) in the droplet's empty /run. Lines naming unknown users are skipped.
   */
  private createRuntimeDirectories(): void {
    const files = new Map<string, string>();
    for (const dir of ['/usr/lib/tmpfiles.d', '/run/tmpfiles.d', '/etc/tmpfiles.d']) {
      for (const f of this.readdir(dir)) if (f.endsWith('.conf')) files.set(f, `${dir}/${f}`);
    }
    for (const file of [...files.keys()].sort().map((k) => files.get(k)!)) {
      for (const line of (this.readFile(file) ?? '').split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 2 || f[0].startsWith('#') || !/^[dD]!?$/.test(f[0])) continue;
        const p = f[1].replace(/^%t/, '/run').replace(/^\/var\/run\//, '/run/');
        if (!p.startsWith('/run/') || p.includes('%')) continue;
        const mode = f[2] && f[2] !== '-' ? parseInt(f[2].replace(/^~/, ''), 8) : 0o755;
        const user = f[3] && f[3] !== '-' ? this.user(f[3]) : this.user('root');
        const gid = f[4] && f[4] !== '-' ? this.groupId(f[4]) : user?.gid;
        if (!user || gid === undefined || Number.isNaN(mode)) continue;
        this.mkdirp(path.posix.dirname(p), 0o755);
        const real = this.resolve(p);
        if (!fs.existsSync(real)) fs.mkdirSync(real);
        fs.chownSync(real, user.uid, gid);
        fs.chmodSync(real, mode);
      }
    }
  }

  private async listen(handler: ShimHandler): Promise<void> {
    const socket = this.hostPathOfPrivate(SHIM_SOCKET);
    fs.rmSync(socket, { force: true });
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let request: ShimRequest;
        try {
          request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ShimRequest;
          if (typeof request.tool !== 'string' || !Array.isArray(request.argv)) throw new Error('bad request');
        } catch {
          res.writeHead(400).end(JSON.stringify({ status: 2, stdout: '', stderr: 'tierform lab: bad shim request\n' }));
          return;
        }
        handler(request).then(
          (answer) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer)),
          (e: Error) => res.writeHead(200).end(JSON.stringify({ status: 1, stdout: '', stderr: `tierform lab: ${e.message}\n` })),
        );
      });
    });
    // A `systemctl start` of a oneshot unit may legitimately take minutes.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    fs.chmodSync(socket, 0o600);
    this.server = server;
  }

  /** Stops listening to the shims. */
  public close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.close();
    this.server?.closeAllConnections();
  }

  /** At teardown (before the lab kills its processes): stop listening, unmount what was recorded. */
  private cleanupSync(): void {
    this.close();
    const holder = this.holderProcess;
    if (!holder || !isRunning(holder.pid, this.holderStart) || this.mounts.length === 0) return;
    const targets = [...this.mounts].reverse().map((m) => m.target);
    spawnSync('nsenter', [`--mount=/proc/${holder.pid}/ns/mnt`, '--', 'umount', '-l', ...targets], { timeout: 10_000, stdio: 'ignore' });
  }
}
