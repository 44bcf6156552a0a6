/**
 * PostgresContainer's app role, checked by PostgreSQL itself: the init script the construct uploads runs against a
 * throwaway server (Debian's PostgreSQL, unix socket in a temporary directory, no TCP) the way the postgres image's
 * entrypoint runs `/docker-entrypoint-initdb.d/*.sh` (as the postgres user, the database already created), and the
 * role it creates is then used: it logs in with the password of the secret file only, works in its own database, and
 * can do nothing a superuser could. shellcheck only says the script is good shell; this says it grants what we claim.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { DockerNetwork } from '../../constructs/docker-network';
import { POSTGRES_APP_PASSWORD_FILE, POSTGRES_INIT_SCRIPT, PostgresContainer } from '../../constructs/postgres-container';
import { Secret } from '../../lib/secrets';
import { unescapeTerraform } from '../helpers/checkers';
import { Json } from '../helpers/stacks';
import { RunResult, makeTempDir, run, writeFile } from '../helpers/tools';

/** The uploaded init script, as the provider writes it into the container. */
function initScript(): string {
  const stack = new TerraformStack(Testing.app(), 'test');
  new DockerProvider(stack, 'docker', { host: 'unix:///var/run/docker.sock' });
  const v = (id: string) => Secret.fromVariable(new TerraformVariable(stack, id, { type: 'string', sensitive: true }));
  new PostgresContainer(stack, 'Db', {
    name: 'shop-postgres',
    network: new DockerNetwork(stack, 'Backend', { name: 'shop-backend' }),
    databaseName: 'shop',
    superuserPassword: v('su'),
    appPassword: v('app'),
  });
  const container = Object.values(JSON.parse(Testing.synth(stack)).resource.docker_container as Record<string, Json>)[0];
  const upload = (container.upload as { file: string; content: string }[]).find((u) => u.file === POSTGRES_INIT_SCRIPT)!;
  return unescapeTerraform(upload.content);
}

/** Debian's PostgreSQL server binaries (postgres, initdb, pg_ctl, psql), newest version installed. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install postgresql (.ci/run installs it)');
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** PostgreSQL refuses to run as root: the server and clients run as this account (the package's, else nobody). */
function serverAccount(): { uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new Error('no postgres or nobody account to run PostgreSQL as');
}

describe('PostgresContainer: the app role, as PostgreSQL grants it', () => {
  const APP_PASSWORD = 'app-Secret-4711';
  const tmp = makeTempDir('postgres-role');
  const bin = postgresBin();
  const account = serverAccount();
  const work = path.join(tmp.dir, 'pg');
  const socket = path.join(work, 'sock');
  const data = path.join(work, 'data');
  let started = false;

  const asServer = (command: string, args: string[], env: Record<string, string> = {}): RunResult =>
    run(command, args, {
      ...account,
      cwd: work,
      timeout: 120_000,
      env: { PATH: `${bin}:/usr/bin:/bin`, LANG: 'C.UTF-8', PGHOST: socket, PGPORT: '5432', ...env },
    });
  /** One query as `user` in `db`: unaligned, tuples only. */
  const query = (user: string, db: string, sql: string, password?: string): RunResult =>
    asServer(
      path.join(bin, 'psql'),
      ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', db, '-c', sql],
      password ? { PGPASSWORD: password } : {},
    );

  beforeAll(() => {
    fs.chmodSync(tmp.dir, 0o755);
    for (const dir of [work, socket]) {
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, account.uid, account.gid);
    }
    const init = asServer(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--no-sync']);
    expect({ status: init.status, output: init.status === 0 ? '' : init.output }).toEqual({ status: 0, output: '' });
    // The superuser over the local socket without a password (the entrypoint's temporary server); everyone else
    // with a password, so logging in proves the password came from the secret file.
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), 'local all postgres trust\nlocal all all scram-sha-256\n');
    const start = asServer(path.join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-w',
      '-t',
      '90',
      '-l',
      path.join(work, 'log'),
      '-o',
      `-c listen_addresses='' -k ${socket}`,
      'start',
    ]);
    expect({ status: start.status, output: start.status === 0 ? '' : start.output }).toEqual({ status: 0, output: '' });
    started = true;
    // As the image does before running initdb.d: POSTGRES_DB exists. Then a second login role, to stand for PUBLIC.
    expect(query('postgres', 'postgres', 'CREATE DATABASE shop').status).toBe(0);
    expect(query('postgres', 'postgres', "CREATE ROLE other LOGIN PASSWORD 'other-pw'").status).toBe(0);
    // The script reads the password from the secret file the container gets; here a file of this directory.
    const secret = writeFile(work, 'app-db-password', APP_PASSWORD, 0o444);
    const script = writeFile(work, 'init.sh', initScript().split(POSTGRES_APP_PASSWORD_FILE).join(secret), 0o555);
    const ran = asServer('/bin/bash', [script]);
    expect({ status: ran.status, output: ran.output }).toEqual({ status: 0, output: expect.not.stringMatching(/ERROR|FATAL/) });
  }, 180_000);

  afterAll(() => {
    if (started) asServer(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-m', 'fast', 'stop']);
    tmp.cleanup();
  });

  test('the role is neither superuser nor able to create databases, roles or replication streams', () => {
    const r = query(
      'postgres',
      'postgres',
      "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin FROM pg_roles WHERE rolname = 'app'",
    );
    expect(r.stdout.trim()).toBe('f|f|f|f|t');
  });

  test('logs in with the secret file\u2019s password only, and works in its own database', () => {
    expect(query('app', 'shop', 'SELECT 1', 'wrong-password').status).not.toBe(0);
    const r = query('app', 'shop', 'CREATE TABLE visits (n int); INSERT INTO visits VALUES (1); SELECT count(*) FROM visits', APP_PASSWORD);
    expect({ status: r.status, out: r.stdout.trim(), err: r.stderr }).toEqual({ status: 0, out: expect.stringMatching(/1$/), err: '' });
  });

  test('cannot create a database or a role', () => {
    expect(query('app', 'shop', 'CREATE DATABASE other_db', APP_PASSWORD).stderr).toMatch(/permission denied to create database/);
    expect(query('app', 'shop', 'CREATE ROLE intruder', APP_PASSWORD).stderr).toMatch(/permission denied to create role/);
  });

  test('other roles cannot connect to the app\u2019s database, nor create objects in its public schema', () => {
    expect(query('other', 'shop', 'SELECT 1', 'other-pw').stderr).toMatch(/permission denied for database "shop"/);
    expect(query('postgres', 'shop', 'GRANT CONNECT ON DATABASE shop TO other').status).toBe(0);
    expect(query('other', 'shop', 'CREATE TABLE t (n int)', 'other-pw').stderr).toMatch(/permission denied for schema public/);
  });

  test('a database created without the script\u2019s REVOKE lets any role connect: what the test above tells apart', () => {
    expect(query('postgres', 'postgres', 'CREATE DATABASE open_db').status).toBe(0);
    expect(query('other', 'open_db', 'SELECT 1', 'other-pw').status).toBe(0);
  });
});
