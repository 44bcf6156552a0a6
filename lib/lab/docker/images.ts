/**
 * The lab's container images: no registry is reachable from here, so every image a plan names is stood in for by
 * an image built on this machine from Debian 12's packages (lib/lab/README.md, "Docker hosts").
 *
 * - `base`: a minimal bookworm root filesystem made by debootstrap from the Debian archive
 *   (`images/base/make-rootfs.sh`), imported with `docker import`;
 * - one image per service, each a Dockerfile `FROM` the base in `images/<name>/` that installs Debian's package
 *   and reproduces what the official image promises (entrypoint environment variables, ports, users, health-check
 *   commands);
 * - `LAB_IMAGE_SUBSTITUTIONS`: which plan image (repository) each stands in for, and how it differs.
 *
 * Built images are kept as `docker save` archives in the lab's cache (`$TIERFORM_LAB_CACHE`, default
 * `/var/cache/tierform-lab/images/<name>-<key>.tar`), keyed by the content of their recipe (and the base's key):
 * a changed Dockerfile or script gives a new key and a rebuild; anything else is reused between runs. A droplet's
 * Docker Engine loads the archives it needs (`docker load`) and tags them with the plan's names.
 *
 * Building runs a private dockerd (the "builder"): in a mount namespace of its own, in this machine's network
 * namespace with no bridge and no iptables rules (`--bridge=none --iptables=false`), so that `RUN apt-get` in the
 * Dockerfiles reaches the Debian archive through the host network (`docker build --network host`) and nothing of
 * the machine's network configuration changes. It is stopped (by pid) and its data removed when the build ends.
 * Concurrent builders (jest workers) are serialized by a lock file holding the owner's pid and start time.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LabError } from '../netns';
import { isRunning, killCgroupTree, processStartTime } from '../processes';

/** Bumped when the way images are built changes in a way their recipe files do not show. */
const RECIPE_VERSION = '1';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** How long a process waits for another one's build (a cold build takes minutes). */
const LOCK_WAIT_MS = 40 * 60_000;

export type LabImageName = 'base' | 'postgres' | 'redis' | 'nginx' | 'mariadb' | 'python';

export interface LabImageRecipe {
  readonly name: LabImageName;
  /** What runs in it. */
  readonly engine: string;
}

export const LAB_IMAGE_RECIPES: Readonly<Record<LabImageName, LabImageRecipe>> = {
  base: { name: 'base', engine: 'Debian 12 (bookworm), debootstrap minbase' },
  postgres: { name: 'postgres', engine: 'PostgreSQL 15 (Debian 12)' },
  redis: { name: 'redis', engine: 'Redis 7.0 (Debian 12)' },
  nginx: { name: 'nginx', engine: 'nginx 1.22 (Debian 12)' },
  mariadb: { name: 'mariadb', engine: 'MariaDB 10.11 (Debian 12)' },
  python: { name: 'python', engine: 'Python 3.11 with Flask 2.2, Gunicorn 20.1, SQLAlchemy 1.4 (Debian 12)' },
};

/** A plan image repository and the lab image standing in for it (every row is in lib/lab/README.md). */
export interface ImageSubstitution {
  /** Repository as written in plans (Docker Hub official images: `postgres`, also `library/postgres`, `docker.io/…`). */
  readonly repository: string;
  readonly labImage: LabImageName;
  /** How the stand-in differs from the original, for the README and error messages. */
  readonly differences: string;
}

export const LAB_IMAGE_SUBSTITUTIONS: readonly ImageSubstitution[] = [
  {
    repository: 'postgres',
    labImage: 'postgres',
    differences:
      "any tag runs Debian 12's PostgreSQL 15 (postgres:16 would be 16); the official entrypoint's variables (POSTGRES_USER/PASSWORD/DB, *_FILE, POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD, PGDATA), /docker-entrypoint-initdb.d, uid 999",
  },
  {
    repository: 'redis',
    labImage: 'redis',
    differences:
      "any tag (7-alpine included) runs Debian 12's Redis 7.0 on Debian, not Alpine; protected mode off and every address bound as the official build; runs as redis (uid 999)",
  },
  {
    repository: 'nginx',
    labImage: 'nginx',
    differences:
      "any tag (1.27-alpine included) runs Debian 12's nginx 1.22; the official layout (conf.d, /usr/share/nginx/html, templates with envsubst, logs to stdout/stderr, workers as nginx uid 101); the default server listens on IPv4 only",
  },
  {
    repository: 'mysql',
    labImage: 'mariadb',
    differences:
      "MariaDB 10.11 instead of MySQL (Debian ships no MySQL): the official entrypoint's MYSQL_* variables and *_FILE forms, port 3306; MySQL-only SQL or options would fail",
  },
  {
    repository: 'mariadb',
    labImage: 'mariadb',
    differences: "any tag runs Debian 12's MariaDB 10.11; MARIADB_*/MYSQL_* variables, healthcheck.sh --connect/--innodb_initialized",
  },
  {
    repository: 'python',
    labImage: 'python',
    differences:
      "any tag (3.12-slim included) runs Debian 12's Python 3.11 with the Debian packages of Flask, Gunicorn, SQLAlchemy, Flask-SQLAlchemy, Flask-Migrate, psycopg2, PyMySQL, redis-py; `pip install` installs nothing and fails for a requirement that is not installed (no package index)",
  },
  {
    repository: 'debian',
    labImage: 'base',
    differences: 'any tag runs the lab base image (Debian 12 minbase)',
  },
];

/** A plan's image reference, parsed. */
export interface ImageReference {
  /** Registry host when given (`docker.io` and `index.docker.io` are dropped). */
  readonly registry?: string;
  /** Path without registry, `library/` dropped: `postgres`, `myorg/app`. */
  readonly repository: string;
  /** @default 'latest' when neither tag nor digest is given */
  readonly tag?: string;
  readonly digest?: string;
}

/** Parses `[registry/]repo[:tag][@digest]` as Docker does; throws on what Docker would refuse. */
export function parseImageReference(reference: string): ImageReference {
  const m =
    /^(?:([a-z0-9.-]+(?::[0-9]+)?|localhost)\/)?([a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(
      reference,
    );
  if (!m) throw new LabError(`'${reference}' is not a Docker image reference ([registry/]repository[:tag][@sha256:digest])`);
  let registry: string | undefined = m[1];
  let repository = m[2];
  // A first component without '.' or ':' (and not localhost) is a path component, not a registry.
  if (registry !== undefined && registry !== 'localhost' && !/[.:]/.test(registry)) {
    repository = `${registry}/${repository}`;
    registry = undefined;
  }
  if (registry === 'docker.io' || registry === 'index.docker.io') registry = undefined;
  if (registry === undefined) repository = repository.replace(/^library\//, '');
  return { registry, repository, tag: m[3] ?? (m[4] === undefined ? 'latest' : undefined), digest: m[4] };
}

/** The substitution for a plan image, or undefined when the lab has none. */
export function substitutionFor(reference: string): ImageSubstitution | undefined {
  const ref = parseImageReference(reference);
  if (ref.registry !== undefined) return undefined;
  return LAB_IMAGE_SUBSTITUTIONS.find((s) => s.repository === ref.repository);
}

/** The lab's cache directory (`$TIERFORM_LAB_CACHE`, default /var/cache/tierform-lab): kept between runs. */
export function labCacheDir(): string {
  return process.env.TIERFORM_LAB_CACHE ?? '/var/cache/tierform-lab';
}

/** Where the recipes are (this file's `images/` directory, also when bundled elsewhere). */
export function recipesDir(): string {
  const candidates = [path.join(__dirname, 'images'), path.resolve(process.cwd(), 'lib', 'lab', 'docker', 'images')];
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'base', 'make-rootfs.sh')));
  if (!found) throw new LabError(`the lab's image recipes were not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Every file of a recipe directory with its content, sorted by path: what a key is made of. */
function recipeFiles(dir: string): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const mode = fs.statSync(path.join(dir, p)).mode & 0o777;
        out.push([`${p} ${mode.toString(8)}`, fs.readFileSync(path.join(dir, p))]);
      }
    }
  };
  walk('');
  return out;
}

/** The content key of a lab image: its recipe's files (and the base's key), 16 hex characters. */
export function imageKey(name: LabImageName, root: string = recipesDir()): string {
  const h = createHash('sha256').update(`tierform-lab-image ${RECIPE_VERSION} ${name}\n`);
  if (name === 'base') h.update(`debootstrap bookworm minbase ${DEBIAN_MIRROR}\n`);
  else h.update(`FROM base ${imageKey('base', root)}\n`);
  for (const [file, content] of recipeFiles(path.join(root, name))) h.update(`${file}\n`).update(content).update('\n');
  return h.digest('hex').slice(0, 16);
}

/** The lab image's tag: `tierform-lab/<name>:<key>`. */
export function imageTag(name: LabImageName, root?: string): string {
  return `tierform-lab/${name}:${imageKey(name, root)}`;
}

/** A built image in the cache. */
export interface CachedImage {
  readonly name: LabImageName;
  readonly tag: string;
  /** `docker save` archive of the image (its base layers included). */
  readonly archive: string;
}

export interface EnsureImagesOptions {
  /** @default labCacheDir() */
  readonly cacheDir?: string;
  /** Progress lines (with durations). */
  readonly log?: (line: string) => void;
}

/** Time spent per step of the last `ensureImages` in this process (for the benchmark). */
export interface BuildTiming {
  readonly step: string;
  readonly seconds: number;
}

export const lastBuildTimings: BuildTiming[] = [];

/**
 * The cached archives of `names` (and nothing else), building the missing ones (and the base) first. Waits for a
 * build another process holds the lock for. Throws a LabError naming the step and its output on failure.
 */
export async function ensureImages(names: readonly LabImageName[], options: EnsureImagesOptions = {}): Promise<CachedImage[]> {
  const cache = path.join(options.cacheDir ?? labCacheDir(), 'images');
  const root = recipesDir();
  const wanted = [...new Set(names)];
  const cached = (name: LabImageName): CachedImage => ({
    name,
    tag: imageTag(name, root),
    archive: path.join(cache, `${name}-${imageKey(name, root)}.tar`),
  });
  const missing = () => wanted.map(cached).filter((c) => !fs.existsSync(c.archive));
  lastBuildTimings.length = 0;
  if (missing().length === 0) return wanted.map(cached);
  fs.mkdirSync(cache, { recursive: true, mode: 0o755 });
  const release = await acquireLock(path.join(cache, 'build.lock'), options.log);
  try {
    const todo = missing();
    if (todo.length > 0)
      await build(
        todo.map((c) => c.name),
        cache,
        root,
        options.log ?? (() => undefined),
      );
  } finally {
    release();
  }
  const still = missing();
  if (still.length > 0) throw new LabError(`lab images not built: ${still.map((c) => c.name).join(', ')}`);
  return wanted.map(cached);
}

async function build(names: LabImageName[], cache: string, root: string, log: (line: string) => void): Promise<void> {
  const work = path.join(cache, `build-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  const timed = async <T>(step: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = Date.now();
    log(`lab images: ${step}…`);
    const out = await fn();
    const seconds = (Date.now() - t0) / 1000;
    lastBuildTimings.push({ step, seconds });
    log(`lab images: ${step} done in ${seconds.toFixed(1)} s`);
    return out;
  };
  const builder = await timed('start the builder dockerd', () => Builder.start(work));
  try {
    const baseTag = imageTag('base', root);
    const baseArchive = path.join(cache, `base-${imageKey('base', root)}.tar`);
    if (fs.existsSync(baseArchive)) {
      await timed('load the cached base image', () => builder.docker(['load', '-i', baseArchive], 600_000));
    } else {
      const rootfs = path.join(work, 'rootfs');
      await timed('debootstrap the base root filesystem', () =>
        run(['bash', path.join(root, 'base', 'make-rootfs.sh'), rootfs, DEBIAN_MIRROR], { timeoutMs: 1_800_000 }),
      );
      await timed('import the base image', async () => {
        const tarFile = path.join(work, 'rootfs.tar');
        await run(['tar', '--numeric-owner', '--xattrs', '-C', rootfs, '-cf', tarFile, '.'], { timeoutMs: 600_000 });
        fs.rmSync(rootfs, { recursive: true, force: true });
        await builder.docker(
          [
            'import',
            '--change',
            'CMD ["bash"]',
            '--change',
            'ENV LANG=C.UTF-8',
            '--change',
            'LABEL org.tierform.lab.engine="Debian 12 (bookworm) minbase"',
            tarFile,
            baseTag,
          ],
          600_000,
        );
        fs.rmSync(tarFile, { force: true });
      });
      await timed('save the base image', () => save(builder, baseTag, baseArchive));
    }
    for (const name of names.filter((n) => n !== 'base')) {
      const tag = imageTag(name, root);
      await timed(`build ${name}`, () =>
        builder.docker(
          ['build', '--network', 'host', '--build-arg', `BASE=${baseTag}`, '--tag', tag, '--rm', '--force-rm', path.join(root, name)],
          1_800_000,
        ),
      );
      await timed(`save ${name}`, () => save(builder, tag, path.join(cache, `${name}-${imageKey(name, root)}.tar`)));
    }
  } finally {
    await timed('stop the builder', () => builder.stop());
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function save(builder: Builder, tag: string, archive: string): Promise<void> {
  const tmp = `${archive}.${process.pid}.tmp`;
  await builder.docker(['save', '-o', tmp, tag], 600_000);
  fs.renameSync(tmp, archive);
}

/** The private dockerd that builds images (see the file's comment). */
class Builder {
  public static async start(work: string): Promise<Builder> {
    const dir = path.join(work, 'd');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'exec'), { recursive: true });
    const socket = path.join(dir, 'docker.sock');
    const logFd = fs.openSync(path.join(work, 'dockerd.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'dockerd',
          '--data-root',
          path.join(dir, 'data'),
          '--exec-root',
          path.join(dir, 'exec'),
          '--host',
          `unix://${socket}`,
          '--pidfile',
          path.join(dir, 'docker.pid'),
          '--bridge=none',
          '--iptables=false',
          '--ip-masq=false',
          '--ip-forward=false',
          '--ip6tables=false',
          `--cgroup-parent=/tierform-lab-build-${process.pid}`,
          '--log-level=warn',
        ],
        { detached: true, stdio: ['ignore', logFd, logFd], env: { PATH: SEARCH_PATH, LANG: 'C.UTF-8' } },
      );
    } finally {
      fs.closeSync(logFd);
    }
    if (child.pid === undefined) throw new LabError('could not start the image builder (dockerd)');
    const b = new Builder(work, socket, child, processStartTime(child.pid) ?? '');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = spawnSync('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}'], {
        encoding: 'utf8',
        timeout: 10_000,
        env: { PATH: SEARCH_PATH },
      });
      if (r.status === 0) return b;
      if (child.exitCode !== null || Date.now() > deadline) {
        await b.stop();
        throw new LabError(`the image builder (dockerd) did not start: ${tailFile(path.join(work, 'dockerd.log'))}`);
      }
      await sleep(200);
    }
  }

  private readonly onExit = () => this.kill('SIGKILL');

  private constructor(
    private readonly work: string,
    private readonly socket: string,
    private readonly child: ChildProcess,
    private readonly startTime: string,
  ) {
    process.on('exit', this.onExit);
  }

  public docker(args: readonly string[], timeoutMs: number): Promise<void> {
    return run(['docker', '-H', `unix://${this.socket}`, ...args], { timeoutMs, logFile: path.join(this.work, 'docker.log') });
  }

  /** SIGTERM, bounded wait, SIGKILL: dockerd stops its containerd and the build containers. */
  public async stop(): Promise<void> {
    process.removeListener('exit', this.onExit);
    this.kill('SIGTERM');
    for (let i = 0; i < 200 && isRunning(this.child.pid!, this.startTime); i++) await sleep(50);
    this.kill('SIGKILL');
    // Build containers live in the builder's cgroup: none may survive it.
    killCgroupTree(`tierform-lab-build-${process.pid}`);
  }

  private kill(signal: NodeJS.Signals): void {
    if (!isRunning(this.child.pid!, this.startTime)) return;
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// lock

async function acquireLock(file: string, log?: (line: string) => void): Promise<() => void> {
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, me, { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === me) fs.rmSync(file, { force: true });
        } catch {
          // gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: string;
    try {
      holder = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const [pid, start] = holder.split(' ');
    if (!isRunning(Number(pid), start || undefined)) {
      // The holder died without releasing: its builder (same pid in the cgroup name) must not outlive it.
      killCgroupTree(`tierform-lab-build-${pid}`);
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!told) {
      log?.(`lab images: waiting for process ${pid}, which is building them`);
      told = true;
    }
    if (Date.now() > deadline) throw new LabError(`gave up waiting for process ${pid} to build the lab images (lock ${file})`);
    await sleep(1000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function run(argv: readonly string[], options: { readonly timeoutMs: number; readonly logFile?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: SEARCH_PATH, LANG: 'C.UTF-8', HOME: '/root' },
      detached: true,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (b: Buffer) => {
      size += b.length;
      chunks.push(b);
      while (chunks.length > 1 && size > 64 * 1024) size -= chunks.shift()!.length;
      if (options.logFile) fs.appendFileSync(options.logFile, b);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new LabError(`${argv[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const out = Buffer.concat(chunks).toString('utf8').trim().split('\n').slice(-25).join('\n');
        reject(new LabError(`${argv.join(' ')} failed (${signal ?? `status ${code}`}):\n${out}`));
      }
    });
  });
}

function tailFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
