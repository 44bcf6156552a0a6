import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { renderSampleApp, SAMPLE_APP_DEB_PACKAGES } from '../../../lib/render/sample-app';
import { makeTempDir, requireTool, run, writeFile } from '../../helpers/tools';

// ---------------------------------------------------------------------------------------------------------------
// Helpers: loopback HTTP, free ports, bounded waits, processes stopped by pid.

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function get(port: number, urlPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${urlPath}`)));
    req.on('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the direct children of `pid`, from /proc. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return children;
}

interface Daemon {
  readonly pid: number;
  /** Stops the process by its pid (SIGTERM, then SIGKILL after 15 s); resolves once it is gone. */
  stop(): Promise<void>;
}

function startDaemon(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; log: string }): Daemon {
  const out = fs.openSync(options.log, 'a');
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} did not start`);
  return {
    pid,
    stop: async () => {
      if (!isAlive(pid)) return;
      process.kill(pid, 'SIGTERM');
      if (!(await settlesWithin(exited, 15_000)) && isAlive(pid)) {
        process.kill(pid, 'SIGKILL');
        await settlesWithin(exited, 5_000);
      }
    },
  };
}

/** Polls `probe` at most `attempts` times, 100 ms apart; throws with `describe()` when it never succeeds. */
async function waitFor(attempts: number, probe: () => Promise<boolean> | boolean, describe: () => string): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(describe());
}

interface RunningApp {
  readonly port: number;
  readonly master: Daemon;
  readonly workers: number[];
}

/** Runs the rendered app under Debian's gunicorn on 127.0.0.1 with `env` as its only configuration. */
async function startApp(dir: string, env: Record<string, string>): Promise<RunningApp> {
  const gunicorn = requireTool('gunicorn', 'gunicorn');
  writeFile(dir, 'app.py', renderSampleApp());
  const port = await freePort();
  const log = path.join(dir, 'gunicorn.log');
  const master = startDaemon(
    gunicorn,
    ['--bind', `127.0.0.1:${port}`, '--workers', '2', '--timeout', '30', '--chdir', dir, 'app:app'],
    { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, log },
  );
  try {
    // At most 150 x 100 ms for gunicorn to import the app and answer.
    await waitFor(150, async () => (await get(port, '/health')).status === 200, () =>
      `gunicorn did not answer /health on 127.0.0.1:${port}\n${fs.readFileSync(log, 'utf8')}`,
    );
  } catch (error) {
    await master.stop();
    throw error;
  }
  return { port, master, workers: childPids(master.pid) };
}

// ---------------------------------------------------------------------------------------------------------------

describe('renderSampleApp (text)', () => {
  const source = renderSampleApp();

  test('starts with a comment saying tierform generated it', () => {
    // GIVEN / WHEN / THEN
    expect(source.split('\n')[0]).toMatch(/^# app\.py - tierform sample app, generated by tierform/);
  });

  test('exposes the WSGI callable app', () => {
    // GIVEN / WHEN / THEN
    expect(source).toMatch(/^app = Flask\(__name__\)$/m);
  });

  test('never enables debug mode and runs its own server only as a script', () => {
    // GIVEN / WHEN / THEN
    expect(source).not.toMatch(/debug\s*=\s*True/);
    expect(source.match(/app\.run\(/g)).toHaveLength(1);
    expect(source).toMatch(/if __name__ == "__main__":\n(\s+#[^\n]*\n)*\s+app\.run\(.*debug=False\)$/m);
  });

  test.each(['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD_FILE', 'DB_PASSWORD', 'DB_READ_HOST', 'APP_INSTANCE'])(
    'reads %s from the environment',
    (name) => {
      // GIVEN / WHEN / THEN
      expect(source).toContain(`os.environ.get("${name}"`);
    },
  );

  test('pools connections with a QueuePool, pre-ping and recycling', () => {
    // GIVEN / WHEN / THEN
    expect(source).toContain('poolclass=QueuePool');
    expect(source).toContain('pool_pre_ping=True');
    expect(source).toMatch(/pool_recycle=POOL_RECYCLE_SECONDS/);
    expect(source).toMatch(/connect_timeout=CONNECT_TIMEOUT_SECONDS/);
  });

  test('creates the visits table with the agreed columns', () => {
    // GIVEN / WHEN / THEN
    expect(source).toMatch(/CREATE TABLE IF NOT EXISTS visits/);
    expect(source).toMatch(/id BIGINT AUTO_INCREMENT PRIMARY KEY/);
    expect(source).toMatch(/created_at TIMESTAMP\(6\) NOT NULL DEFAULT CURRENT_TIMESTAMP\(6\)/);
  });

  test('needs no Terraform escaping and is deterministic', () => {
    // GIVEN / WHEN / THEN
    expect(source).not.toContain('${');
    expect(source).not.toContain('%{');
    expect(renderSampleApp()).toBe(source);
  });

  test('names the Ubuntu packages it needs', () => {
    // GIVEN / WHEN / THEN
    expect(SAMPLE_APP_DEB_PACKAGES).toEqual(['python3-flask', 'python3-pymysql', 'python3-sqlalchemy', 'gunicorn']);
  });
});

describe('renderSampleApp compiled by python3', () => {
  test('compiles', () => {
    // GIVEN
    const python = requireTool('python3', 'python3');
    const tmp = makeTempDir('app-compile');
    try {
      const file = writeFile(tmp.dir, 'app.py', renderSampleApp());
      // WHEN
      const result = run(python, ['-m', 'py_compile', file], { env: { PATH: process.env.PATH ?? '' } });
      // THEN
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('renderSampleApp under gunicorn with the database down', () => {
  let tmp: { dir: string; cleanup: () => void };
  let app: RunningApp | undefined;

  beforeAll(async () => {
    tmp = makeTempDir('app-nodb');
    // Port 1 on loopback: connections are refused at once.
    app = await startApp(tmp.dir, {
      DB_HOST: '127.0.0.1',
      DB_PORT: '1',
      DB_NAME: 'app',
      DB_USER: 'app',
      DB_PASSWORD: 'unused',
      APP_INSTANCE: 'web-test-1',
    });
  });

  afterAll(async () => {
    await app?.master.stop();
    tmp?.cleanup();
  });

  test('answers /health with 200 without touching the database', async () => {
    // GIVEN the database is unreachable / WHEN
    const reply = await get(app!.port, '/health');
    // THEN
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok', instance: 'web-test-1' });
  });

  test('answers / with 503 JSON and no traceback', async () => {
    // GIVEN the database is unreachable / WHEN
    const reply = await get(app!.port, '/');
    // THEN
    expect(reply.status).toBe(503);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body).error).toEqual(expect.any(String));
    expect(reply.body).not.toMatch(/Traceback|File "/);
  });

  test('answers /health/db with 503 naming the failed check', async () => {
    // GIVEN the database is unreachable / WHEN
    const reply = await get(app!.port, '/health/db');
    // THEN
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body).checks.primary).toMatch(/^error/);
  });

  test('answers /visits/<id> with 503', async () => {
    // GIVEN the database is unreachable / WHEN
    const reply = await get(app!.port, '/visits/1');
    // THEN
    expect(reply.status).toBe(503);
  });

  test('answers unknown paths with 404 JSON', async () => {
    // GIVEN / WHEN
    const reply = await get(app!.port, '/no/such/page');
    // THEN
    expect(reply.status).toBe(404);
    expect(reply.contentType).toMatch(/^application\/json/);
  });

  test('stops by its pid, workers included', async () => {
    // GIVEN a second app with its workers
    const other = makeTempDir('app-stop');
    try {
      const running = await startApp(other.dir, { DB_HOST: '127.0.0.1', DB_PORT: '1' });
      expect(running.workers.length).toBe(2);
      // WHEN
      await running.master.stop();
      // THEN
      expect(isAlive(running.master.pid)).toBe(false);
      await waitFor(50, () => running.workers.every((pid) => !isAlive(pid)), () => 'gunicorn workers still alive');
    } finally {
      other.cleanup();
    }
  });
});

describe('renderSampleApp under gunicorn against a real MariaDB', () => {
  let tmp: { dir: string; cleanup: () => void };
  let mariadb: Daemon | undefined;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    const installDb = requireTool('mariadb-install-db', 'mariadb-server');
    const mariadbd = requireTool('mariadbd', 'mariadb-server');
    const client = requireTool('mariadb', 'mariadb-client');
    tmp = makeTempDir('app-mariadb');
    const data = path.join(tmp.dir, 'data');
    const socket = path.join(tmp.dir, 'mysqld.sock');
    const install = run(installDb, [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ]);
    if (install.status !== 0) throw new Error(`mariadb-install-db failed:\n${install.output}`);
    const dbPort = await freePort();
    mariadb = startDaemon(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${data}`,
        '--user=root',
        `--socket=${socket}`,
        `--port=${dbPort}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${path.join(tmp.dir, 'mysqld.pid')}`,
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
      ],
      { log: path.join(tmp.dir, 'mariadbd.log') },
    );
    const sql = (statement: string) => run(client, ['--no-defaults', '-S', socket, '-u', 'root', '-e', statement]);
    // At most 300 x 100 ms for the server to accept connections.
    await waitFor(300, () => sql('SELECT 1').status === 0, () =>
      `mariadbd did not start:\n${fs.readFileSync(path.join(tmp.dir, 'mariadbd.log'), 'utf8')}`,
    );
    // A least-privilege user with a password that needs quoting, read from a file ending in a newline.
    const password = `p'w"$x \\y`;
    const setup = sql(
      [
        'CREATE DATABASE app',
        `CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '${password.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`,
        "GRANT SELECT, INSERT, CREATE ON app.* TO 'app'@'127.0.0.1'",
      ].join('; '),
    );
    if (setup.status !== 0) throw new Error(`database setup failed:\n${setup.output}`);
    const passwordFile = writeFile(tmp.dir, 'db-password', `${password}\n`, 0o600);
    app = await startApp(tmp.dir, {
      DB_HOST: '127.0.0.1',
      DB_PORT: String(dbPort),
      DB_READ_HOST: '127.0.0.1',
      DB_NAME: 'app',
      DB_USER: 'app',
      DB_PASSWORD_FILE: passwordFile,
      APP_INSTANCE: 'web-test-2',
    });
  });

  afterAll(async () => {
    await app?.master.stop();
    await mariadb?.stop();
    tmp?.cleanup();
  });

  // Runs first (jest keeps declaration order): the table does not exist yet, as on a replica that lags.
  test('answers 404, not 503, for a visit before the table exists', async () => {
    // GIVEN no visit was ever recorded / WHEN
    const reply = await get(app!.port, '/visits/1');
    // THEN
    expect(reply.status).toBe(404);
  });

  test('records a visit on the primary and counts it on the read host', async () => {
    // GIVEN a fresh database / WHEN
    const first = await get(app!.port, '/');
    const second = await get(app!.port, '/');
    // THEN
    expect(first.status).toBe(200);
    const a = JSON.parse(first.body);
    const b = JSON.parse(second.body);
    expect(a).toEqual({ instance: 'web-test-2', written_id: expect.any(Number), visits: expect.any(Number), latest_id: a.written_id, read_from: 'replica' });
    expect(b.written_id).toBeGreaterThan(a.written_id);
    expect(b.visits).toBe(a.visits + 1);
  });

  test('reads one visit back by id', async () => {
    // GIVEN a recorded visit
    const written = JSON.parse((await get(app!.port, '/')).body).written_id;
    // WHEN
    const reply = await get(app!.port, `/visits/${written}`);
    // THEN
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      id: written,
      instance: 'web-test-2',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      read_from: 'replica',
    });
  });

  test('answers 404 for a visit that does not exist', async () => {
    // GIVEN / WHEN
    const reply = await get(app!.port, '/visits/999999999');
    // THEN
    expect(reply.status).toBe(404);
  });

  test('answers /health/db with 200 when primary and replica answer', async () => {
    // GIVEN / WHEN
    const reply = await get(app!.port, '/health/db');
    // THEN
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).checks).toEqual({ primary: 'ok', replica: 'ok' });
  });
});
