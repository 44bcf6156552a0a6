/**
 * A droplet's Docker Engine in the lab: Debian's dockerd (docker.io), started by the droplet's own
 * `systemctl start docker` (or by docker.io's postinst, see boot.ts) through the lab's stand-in for the package's
 * docker.service (lab-units.ts), inside the droplet's network, UTS and mount namespaces.
 *
 * What the lab prepares before the droplet's cloud-config runs (`prepareDockerHost`, for droplets that install
 * docker.io), all inside the droplet's own mount namespace and recorded with its mounts:
 * - the cgroup hierarchies at /sys/fs/cgroup, mounted as on this machine: the droplet's namespaces come from
 *   `ip netns exec`, which mounts a sysfs of the network namespace on /sys and so hides the cgroup mounts, without
 *   which dockerd refuses to start ("Devices cgroup isn't mounted");
 * - /var/lib/docker (dockerd's data root): the lab directory `<lab dir>/droplet/<name>/run/tierform-lab/docker`
 *   bind-mounted there, because overlay2 (the storage driver) cannot stack on the droplet's overlay /var;
 * - a drop-in `/run/systemd/system/docker.service.d/50-tierform-lab.conf` naming the cgroup under which dockerd
 *   creates every container: `/tfl-<lab id>-<droplet>`. Containers run in network namespaces of their own, so
 *   the lab's teardown (and its watchdog, and `lab down`) finds and kills them by that cgroup (processes.ts).
 *
 * dockerd's exec root (/run/docker), its socket (/run/docker.sock) and pid file are in the droplet's /run, i.e. the
 * lab directory; /etc/docker/daemon.json is the droplet's, as its cloud-config wrote it. dockerd starts its own
 * containerd (no containerd.service in the lab). Everything it mounts lives in the droplet's mount namespace
 * and goes with it.
 *
 * The lab reaches the engine as the Terraform provider would reach it, through the Engine API on its Unix socket
 * (`EngineClient`), from this process: `/proc/<holder>/root/run/docker.sock`.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { DropletHost, LAB_DOOR } from '../droplet-host';
import { LabError } from '../netns';

/** Inside the droplet. */
export const DOCKER_SOCKET = '/run/docker.sock';
export const DOCKER_DATA_ROOT = '/var/lib/docker';
/** The lab directory (inside the droplet) bind-mounted on the data root. */
export const DOCKER_DATA_DIR = `${LAB_DOOR}/docker`;
export const DOCKER_DROP_IN = '/run/systemd/system/docker.service.d/50-tierform-lab.conf';
/** API version the lab speaks (Docker Engine 20.10 speaks 1.41). */
const API_VERSION = 'v1.41';

/** The cgroup under which the droplet's dockerd puts its containers. */
export function dockerCgroupParent(labId: string, droplet: string): string {
  return `tfl-${labId}-${droplet}`;
}

/** Whether a cloud-config's packages (or an `apt-get install` in runcmd) install Docker Engine. */
export function installsDocker(packages: readonly string[]): boolean {
  return packages.some((p) => ['docker.io', 'docker-ce'].includes(p.replace(/[=:].*$/, '')));
}

/** The cgroup mounts of this machine under /sys/fs/cgroup, as `[type, mount point, options]`. */
export function hostCgroupMounts(
  mountinfo: string = fs.readFileSync('/proc/self/mountinfo', 'utf8'),
): { type: 'tmpfs' | 'cgroup' | 'cgroup2'; target: string; options: string }[] {
  const out: { type: 'tmpfs' | 'cgroup' | 'cgroup2'; target: string; options: string }[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0) continue;
    const target = f[4];
    const type = f[sep + 1];
    const superOptions = f[sep + 3] ?? 'rw';
    if (target !== '/sys/fs/cgroup' && !target.startsWith('/sys/fs/cgroup/')) continue;
    if (type === 'tmpfs' && target === '/sys/fs/cgroup') out.push({ type, target, options: superOptions });
    else if (type === 'cgroup' || type === 'cgroup2') out.push({ type, target, options: superOptions });
  }
  return out;
}

/** Makes the droplet able to run dockerd (see the file's comment). Idempotent. */
export async function prepareDockerHost(host: DropletHost, labId: string): Promise<void> {
  if (host.mounts.some((m) => m.target === DOCKER_DATA_ROOT)) return;
  const mounts = hostCgroupMounts();
  if (!mounts.some((m) => m.type === 'cgroup' || m.type === 'cgroup2')) {
    throw new LabError('this machine has no cgroup hierarchy mounted under /sys/fs/cgroup: Docker Engine cannot run here');
  }
  for (const m of mounts) {
    host.mkdirp(m.target);
    await host.mountFs(m.type, m.target, m.options);
  }
  host.mkdirp(DOCKER_DATA_DIR, 0o710);
  host.mkdirp(DOCKER_DATA_ROOT, 0o710);
  await host.bindMount(DOCKER_DATA_DIR, DOCKER_DATA_ROOT);
  host.writeFile(
    DOCKER_DROP_IN,
    [
      "# tierform lab: every container of this droplet under the lab's cgroup, so that the lab's teardown finds them",
      '# (lib/lab/docker/engine.ts, lib/lab/README.md "Docker hosts").',
      '[Service]',
      `Environment=TIERFORM_LAB_CGROUP_PARENT=/${dockerCgroupParent(labId, host.name)}`,
      '',
    ].join('\n'),
    0o644,
  );
}

/** The engine's socket as this process reaches it. */
export function engineSocket(host: DropletHost): string {
  return `/proc/${host.holderPid}/root${DOCKER_SOCKET}`;
}

export class EngineError extends LabError {
  constructor(
    message: string,
    public readonly statusCode: number,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** JSON body, or a file streamed as the body (`application/x-tar`). */
  readonly body?: unknown;
  readonly file?: string;
  /** A tar archive in memory (`application/x-tar`). */
  readonly tar?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 120000 */
  readonly timeoutMs?: number;
}

/** A minimal Docker Engine API client over a Unix socket (JSON in, JSON or text out). */
export class EngineClient {
  constructor(public readonly socketPath: string) {}

  public async get<T = unknown>(p: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('GET', p, options);
  }

  public async post<T = unknown>(p: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('POST', p, options);
  }

  public async delete(p: string, options: RequestOptions = {}): Promise<void> {
    await this.request('DELETE', p, options);
  }

  /** Whether the daemon answers `/_ping`. */
  public async ping(): Promise<boolean> {
    try {
      const r = await this.request('GET', '/_ping', { timeoutMs: 3000 });
      return r.trim() === 'OK';
    } catch {
      return false;
    }
  }

  /**
   * A streaming endpoint (build, load, pull) whose body is JSON messages: resolves with them, rejects with the first
   * `error`/`errorDetail` message.
   */
  public async stream(method: string, p: string, options: RequestOptions = {}): Promise<Record<string, unknown>[]> {
    const text = await this.request(method, p, options);
    const messages: Record<string, unknown>[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      try {
        messages.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        messages.push({ stream: line });
      }
    }
    const failed = messages.find((m) => m.error !== undefined || m.errorDetail !== undefined);
    if (failed) {
      const log = messages
        .map((m) => (typeof m.stream === 'string' ? m.stream : ''))
        .join('')
        .trim()
        .split('\n')
        .slice(-15)
        .join('\n');
      throw new EngineError(`${method} ${p}: ${String(failed.error ?? JSON.stringify(failed.errorDetail))}${log ? `\n${log}` : ''}`, 200);
    }
    return messages;
  }

  private async json<T>(method: string, p: string, options: RequestOptions): Promise<T> {
    const text = await this.request(method, p, options);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as unknown as T;
    }
  }

  /** One request; rejects with an EngineError (the daemon's message) on a status ≥ 400. */
  public request(method: string, p: string, options: RequestOptions = {}): Promise<string> {
    const query = Object.entries(options.query ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const urlPath = `/${API_VERSION}${p}${query ? `?${query}` : ''}`;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      headers['Content-Type'] = 'application/json';
    } else if (options.tar !== undefined) {
      payload = options.tar;
      headers['Content-Type'] = 'application/x-tar';
    } else if (options.file !== undefined) {
      headers['Content-Type'] = 'application/x-tar';
      headers['Content-Length'] = String(fs.statSync(options.file).size);
    }
    if (payload) headers['Content-Length'] = String(payload.length);
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, method, path: urlPath, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            let message = text.trim();
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              // plain text
            }
            reject(new EngineError(`${method} ${p}: ${status} ${message}`, status));
          } else resolve(text);
        });
        res.on('error', reject);
      });
      req.setTimeout(options.timeoutMs ?? 120_000, () =>
        req.destroy(new EngineError(`${method} ${p}: no answer within ${options.timeoutMs ?? 120_000} ms`, 0)),
      );
      req.on('error', (e) => reject(e instanceof EngineError ? e : new EngineError(`${method} ${p} on ${this.socketPath}: ${e.message}`, 0)));
      if (payload) req.end(payload);
      else if (options.file !== undefined)
        fs.createReadStream(options.file)
          .on('error', (e) => req.destroy(e))
          .pipe(req);
      else req.end();
    });
  }
}

/** Waits (bounded) until the droplet's engine answers; throws naming its unit's log otherwise. */
export async function waitForEngine(host: DropletHost, timeoutMs = 60_000): Promise<EngineClient> {
  const client = new EngineClient(engineSocket(host));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await client.ping()) return client;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new LabError(
    `droplet ${host.name}: its Docker Engine does not answer on ${DOCKER_SOCKET} (is docker.service running? log: ${path.join(host.lab.dir, 'logs', `${host.name}.docker.service.log`)})`,
  );
}
