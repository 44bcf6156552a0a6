import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import {
  MYSQLD_EXPORTER_CNF,
  MYSQLD_EXPORTER_PORT,
  NGINX_EXPORTER_PORT,
  NODE_EXPORTER_PORT,
  PRIVATE_IP_REF,
  dropInPath,
  renderMysqldExporterAccountSql,
  renderMysqldExporterCnf,
  renderMysqldExporterDropIn,
  renderNginxExporterDropIn,
  renderNginxStubStatusServer,
  renderNodeExporterDropIn,
  renderVpcDropIn,
  systemdArg,
} from '../../../lib/render/exporters';
import { HAPROXY_STATS_PORT } from '../../../lib/render/haproxy';
import { renderNginxConf } from '../../../lib/render/nginx';
import { PROMETHEUS_PORT } from '../../../lib/render/prometheus';
import { makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';
import { freePort, sleep } from '../../helpers/processes';

// ---- helpers --------------------------------------------------------------------------------------------------

/** The last non-empty `ExecStart=` of a drop-in. */
function execStartLine(dropIn: string): string {
  const line = dropIn
    .split('\n')
    .filter((l) => l.startsWith('ExecStart=') && l !== 'ExecStart=')
    .pop();
  if (line === undefined) {
    throw new Error('no ExecStart= in the drop-in');
  }
  return line.slice('ExecStart='.length);
}

/**
 * The drop-in's ExecStart as systemd would run it: `${VAR}` inside a word replaced from `env`, the word `$ARGS`
 * removed (the package's ARGS is empty), `$$` → `$`, `%%` → `%`. The renderer refuses quotes and spaces inside
 * arguments, so splitting on spaces is exact.
 */
function execStartArgv(dropIn: string, env: Record<string, string>): string[] {
  return execStartLine(dropIn)
    .split(' ')
    .filter((word) => word !== '$ARGS')
    .map((word) =>
      word
        .replace(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '')
        .replace(/\$\$/g, '$')
        .replace(/%%/g, '%'),
    );
}

/** `systemd-analyze verify` of the packaged unit with the drop-in applied (SYSTEMD_UNIT_PATH: temp copy first). */
function verifyDropIn(unit: string, dropIn: string): RunResult {
  const analyze = requireTool('systemd-analyze', 'systemd');
  const packaged = `/lib/systemd/system/${unit}.service`;
  if (!fs.existsSync(packaged)) {
    throw new Error(`${packaged} is missing: apt-get install ${unit}`);
  }
  const tmp = makeTempDir('systemd-verify');
  try {
    const file = writeFile(tmp.dir, `${unit}.service`, fs.readFileSync(packaged, 'utf8'));
    writeFile(tmp.dir, `${unit}.service.d/50-tierform.conf`, dropIn);
    return run(analyze, ['verify', file], { env: { ...process.env, SYSTEMD_UNIT_PATH: `${tmp.dir}:` } });
  } finally {
    tmp.cleanup();
  }
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

function get(port: number, urlPath: string, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 5000, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${urlPath} timed out`)));
    req.on('error', reject);
  });
}

interface Daemon {
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `argv` in the foreground; stop() sends SIGTERM to its pid, SIGKILL after 5 s. */
function startDaemon(argv: readonly string[]): Daemon {
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`${argv[0]} did not start`);
  }
  return {
    pid,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `port/metrics` (bounded) until `ready` matches; returns the body. */
async function scrapeUntil(daemon: Daemon, port: number, ready: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = (await get(port, '/metrics')).body;
      if (ready.test(last)) {
        return last;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`no ${ready} on 127.0.0.1:${port}/metrics within ${timeoutMs} ms\n${last.slice(0, 2000)}\n${daemon.output()}`);
}

// ---- text -----------------------------------------------------------------------------------------------------

describe('ports and paths', () => {
  test('each exporter has its conventional port', () => {
    // GIVEN / WHEN / THEN
    expect([NODE_EXPORTER_PORT, NGINX_EXPORTER_PORT, MYSQLD_EXPORTER_PORT, HAPROXY_STATS_PORT, PROMETHEUS_PORT]).toEqual([
      9100, 9113, 9104, 8404, 9090,
    ]);
  });

  test('drop-ins go to /etc/systemd/system/<unit>.service.d/', () => {
    // GIVEN / WHEN / THEN
    expect(dropInPath('prometheus-node-exporter')).toBe('/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf');
  });
});

describe('renderVpcDropIn', () => {
  test('reads net.env, refuses an empty address, resets and replaces ExecStart, appends $ARGS', () => {
    // GIVEN / WHEN
    const dropIn = renderVpcDropIn({
      description: 'x',
      executable: '/usr/bin/x',
      args: [`--listen=${PRIVATE_IP_REF}:1`],
      netEnvFile: '/etc/tierform/other.env',
    });
    // THEN
    expect(dropIn).toContain('\nEnvironmentFile=/etc/tierform/other.env\n');
    expect(dropIn).toContain('\nExecStartPre=/usr/bin/test -n ${TIERFORM_PRIVATE_IP}\n');
    expect(dropIn).toContain('\nExecStart=\nExecStart=/usr/bin/x --listen=${TIERFORM_PRIVATE_IP}:1 $ARGS\n');
    expect(dropIn).toContain('\nRestart=on-failure\nRestartSec=5s\n');
  });

  test('throws if no argument binds the VPC address', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderVpcDropIn({ description: 'x', executable: '/usr/bin/x', args: ['--listen=:1'] })).toThrow(
      /'args' must bind the daemon to \$\{TIERFORM_PRIVATE_IP\}/,
    );
  });

  test('systemdArg doubles $ and % so systemd passes them literally, and refuses spaces', () => {
    // GIVEN / WHEN / THEN
    expect(systemdArg('f', '--x=^(a|b)$5%')).toBe('--x=^(a|b)$$5%%');
    expect(() => systemdArg('f', 'a b')).toThrow(`'f' must be one word without whitespace, quotes, '#' or '\\', got "a b"`);
  });
});

describe('renderNodeExporterDropIn text', () => {
  test('listens on the VPC address with the systemd collector and disk-only filesystems', () => {
    // GIVEN / WHEN
    const line = execStartLine(renderNodeExporterDropIn({ systemdUnits: ['nginx', 'tierform-app'] }));
    // THEN
    expect(line).toMatch(/^\/usr\/bin\/prometheus-node-exporter --web\.listen-address=\$\{TIERFORM_PRIVATE_IP\}:9100 /);
    expect(line).toContain(' --collector.systemd --collector.systemd.unit-include=(nginx|tierform-app)[.]service ');
    expect(line).toMatch(/--collector\.filesystem\.fs-types-exclude=\S*\|tmpfs\|\S*\$\$ /);
    expect(line).not.toContain('\\');
  });

  test('keeps /mnt, where DigitalOcean mounts volumes', () => {
    // GIVEN / WHEN
    const line = execStartLine(renderNodeExporterDropIn());
    // THEN
    expect(line).toMatch(/--collector\.filesystem\.mount-points-exclude=\^\/\(dev\|proc\|run\|sys\|/);
    expect(line).not.toMatch(/mount-points-exclude=\S*mnt/);
  });

  test('throws if a unit name is not a plain service name', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderNodeExporterDropIn({ systemdUnits: ['nginx.service'] })).toThrow(/'systemdUnits\[0\]'/);
  });
});

describe('nginx exporter text', () => {
  test('stub_status server: loopback listener, loopback clients only', () => {
    // GIVEN / WHEN
    const block = renderNginxStubStatusServer();
    // THEN
    expect(block).toContain('        listen 127.0.0.1:8080;\n');
    expect(block).toContain(
      '        location = /stub_status {\n            stub_status;\n            allow 127.0.0.1;\n            deny all;\n        }\n',
    );
  });

  test('exporter flags use two dashes (accepted by 0.11 Go flags and by 1.x kingpin)', () => {
    // GIVEN / WHEN
    const line = execStartLine(renderNginxExporterDropIn({ stubStatusPort: 8081 }));
    // THEN
    expect(line).toBe(
      '/usr/bin/prometheus-nginx-exporter --nginx.scrape-uri=http://127.0.0.1:8081/stub_status ' +
        '--web.listen-address=${TIERFORM_PRIVATE_IP}:9113 $ARGS',
    );
  });
});

describe('mysqld_exporter text', () => {
  test('drop-in: credentials file, replication status, VPC address', () => {
    // GIVEN / WHEN
    const line = execStartLine(renderMysqldExporterDropIn());
    // THEN
    expect(line).toBe(
      '/usr/bin/prometheus-mysqld-exporter --config.my-cnf=/etc/tierform/mysqld-exporter.cnf ' +
        '--web.listen-address=${TIERFORM_PRIVATE_IP}:9104 --collect.slave_status $ARGS',
    );
  });

  test('credentials file: backquoted token password over the unix socket; mode 0600 for prometheus', () => {
    // GIVEN / WHEN
    const cnf = renderMysqldExporterCnf({ password: '${TfToken[TOKEN.9]}' });
    // THEN
    expect(cnf).toContain('[client]\nuser = exporter\npassword = `${TfToken[TOKEN.9]}`\nsocket = /run/mysqld/mysqld.sock\n');
    expect(MYSQLD_EXPORTER_CNF).toEqual({
      path: '/etc/tierform/mysqld-exporter.cnf',
      permissions: '0600',
      owner: 'prometheus:prometheus',
    });
  });

  test.each([
    ['a ? (breaks the exporter DSN)', 'pw?x'],
    ['a backquote', 'pw`x'],
    ['a line break', 'pw\nx'],
    ['empty', ''],
  ])('throws if the password holds %s', (_name, password) => {
    // GIVEN / WHEN / THEN
    expect(() => renderMysqldExporterCnf({ password })).toThrow(/'password' must be non-empty without backquotes, '\?'/);
  });

  test('MySQL 8.0 account: localhost only, 3 connections, PROCESS and REPLICATION CLIENT, no SELECT', () => {
    // GIVEN / WHEN
    const sql = renderMysqldExporterAccountSql({ flavor: 'mysql-8.0', password: '${EXPORTER_PASSWORD}' });
    // THEN
    expect(sql).toContain("CREATE USER IF NOT EXISTS 'exporter'@'localhost' IDENTIFIED BY '${EXPORTER_PASSWORD}' WITH MAX_USER_CONNECTIONS 3;\n");
    expect(sql).toContain("GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'exporter'@'localhost';\n");
    expect(sql).not.toMatch(/SELECT/);
  });

  test('MariaDB account: hashed before logging, SLAVE MONITOR for SHOW SLAVE STATUS', () => {
    // GIVEN / WHEN
    const sql = renderMysqldExporterAccountSql({ flavor: 'mariadb-10.11', password: '${EXPORTER_PASSWORD}', maxUserConnections: 2 });
    // THEN
    expect(sql).toMatch(/^SET @tierform_hash = PASSWORD\('\$\{EXPORTER_PASSWORD\}'\);$/m);
    expect(sql.match(/\$\{EXPORTER_PASSWORD\}/g)).toHaveLength(1);
    expect(sql).toContain("''' WITH MAX_USER_CONNECTIONS 2');\n");
    expect(sql).toContain("GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'exporter'@'localhost';\n");
  });

  test('throws if the SQL password holds a quote', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderMysqldExporterAccountSql({ flavor: 'mysql-8.0', password: "a'b" })).toThrow(/'password' must be non-empty without quotes/);
  });
});

// ---- systemd-analyze verify against the packaged units --------------------------------------------------------

describe('systemd-analyze verify (packaged unit + drop-in)', () => {
  test.each<[string, string]>([
    ['prometheus-node-exporter', renderNodeExporterDropIn()],
    ['prometheus-nginx-exporter', renderNginxExporterDropIn()],
    ['prometheus-mysqld-exporter', renderMysqldExporterDropIn()],
  ])('accepts the %s drop-in without messages', (unit, dropIn) => {
    // GIVEN / WHEN
    const result = verifyDropIn(unit, dropIn);
    // THEN
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('reports an unknown key (the check can fail)', () => {
    // GIVEN / WHEN
    const result = verifyDropIn('prometheus-node-exporter', `${renderNodeExporterDropIn()}Bogus=1\n`);
    // THEN
    expect(result.stderr).toMatch(/Unknown key 'Bogus'/);
  });
});

// ---- nginx -t: the stub_status block inside the real nginx.conf ----------------------------------------------

describe('stub_status block checked by nginx -t', () => {
  test('nginx accepts renderNginxConf with the block added to http { }, without warnings', () => {
    // GIVEN
    const nginx = requireTool('nginx', 'nginx');
    const conf = renderNginxConf({
      serverNames: ['example.com'],
      listenPort: 80,
      upstreamServers: ['unix:/run/tierform-app/gunicorn.sock'],
      balance: 'round-robin',
      maxFails: 3,
      failTimeoutSeconds: 30,
      upstreamKeepalive: 16,
      clientMaxBodySizeMb: 10,
      proxyConnectTimeoutSeconds: 5,
      proxySendTimeoutSeconds: 60,
      proxyReadTimeoutSeconds: 60,
      rateLimitRequestsPerSecond: 10,
      rateLimitBurst: 20,
      realIpFromCidrs: [],
    });
    expect(conf).toMatch(/\n\}\n$/);
    const withStatus = conf.replace(/\}\n$/, `\n${renderNginxStubStatusServer()}}\n`);
    const tmp = makeTempDir('nginx-stub');
    try {
      // WHEN
      const result = run(nginx, ['-t', '-c', writeFile(tmp.dir, 'nginx.conf', withStatus)]);
      // THEN
      expect(result.output).toContain('test is successful');
      expect(result.output).not.toMatch(/\[(warn|emerg|alert|crit|error)\]/);
    } finally {
      tmp.cleanup();
    }
  });
});

// ---- live, loopback only --------------------------------------------------------------------------------------

describe('nginx + nginx exporter with the rendered block and drop-in', () => {
  let tmp: { dir: string; cleanup: () => void };
  let nginxd: Daemon | undefined;
  let exporter: Daemon | undefined;
  let stubPort: number;
  let exporterPort: number;

  beforeAll(async () => {
    const nginx = requireTool('nginx', 'nginx');
    requireTool('prometheus-nginx-exporter', 'prometheus-nginx-exporter');
    tmp = makeTempDir('nginx-exporter');
    stubPort = await freePort();
    exporterPort = await freePort();
    const conf = [
      'worker_processes 1;',
      `pid ${tmp.dir}/nginx.pid;`,
      `error_log ${tmp.dir}/error.log warn;`,
      'events { worker_connections 64; }',
      'http {',
      '    access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${tmp.dir}/${k}_temp;`),
      renderNginxStubStatusServer({ port: stubPort }),
      '}',
      '',
    ].join('\n');
    const file = writeFile(tmp.dir, 'nginx.conf', conf);
    nginxd = startDaemon([nginx, '-e', path.join(tmp.dir, 'error.log'), '-c', file, '-g', 'daemon off;']);
    // Exporter 0.11 exits when nginx does not answer at its start (the drop-in's Restart=on-failure covers that on
    // the droplet; 1.x no longer connects at start): wait for nginx first, bounded.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await get(stubPort, '/stub_status');
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`nginx did not answer: ${String(error)}\n${nginxd.output()}`, { cause: error });
        }
        await sleep(50);
      }
    }
    const argv = execStartArgv(renderNginxExporterDropIn({ listenPort: exporterPort, stubStatusPort: stubPort }), {
      TIERFORM_PRIVATE_IP: '127.0.0.1',
    });
    exporter = startDaemon(argv);
  }, 20_000);

  afterAll(async () => {
    await exporter?.stop();
    await nginxd?.stop();
    tmp?.cleanup();
  }, 20_000);

  test('the exporter reads stub_status and reports nginx_up 1', async () => {
    // GIVEN / WHEN
    const body = await scrapeUntil(exporter as Daemon, exporterPort, /^nginx_up 1$/m);
    // THEN
    expect(body).toMatch(/^nginx_connections_active \d+$/m);
  }, 20_000);

  test('stub_status answers loopback 127.0.0.1 and refuses another source address (403)', async () => {
    // GIVEN / WHEN
    const local = await get(stubPort, '/stub_status');
    const other = await get(stubPort, '/stub_status', '127.0.0.2');
    // THEN
    expect(local).toMatchObject({ status: 200, body: expect.stringContaining('Active connections') });
    expect(other.status).toBe(403);
  });
});

describe('node exporter with the rendered drop-in', () => {
  let exporter: Daemon | undefined;
  let port: number;

  beforeAll(async () => {
    requireTool('prometheus-node-exporter', 'prometheus-node-exporter');
    port = await freePort();
    exporter = startDaemon(execStartArgv(renderNodeExporterDropIn({ listenPort: port }), { TIERFORM_PRIVATE_IP: '127.0.0.1' }));
  });

  afterAll(async () => {
    await exporter?.stop();
  });

  test('accepts the flags and reports the root filesystem, no tmpfs', async () => {
    // GIVEN / WHEN
    const body = await scrapeUntil(exporter as Daemon, port, /^node_filesystem_avail_bytes\{/m);
    // THEN
    for (const name of ['node_filesystem_size_bytes', 'node_filesystem_avail_bytes', 'node_filesystem_readonly']) {
      expect(body).toMatch(new RegExp(`^${name}\\{[^}]*mountpoint="/"[^}]*\\} \\d`, 'm'));
    }
    expect(body).not.toMatch(/^node_filesystem_\w+\{[^}]*fstype="tmpfs"/m);
  }, 20_000);
});

describe('MariaDB 10.11 + mysqld_exporter with the rendered account, credentials and drop-in', () => {
  // Characters of the deployment's password alphabet that break a naive option file (# cuts a value); and ;.
  const PASSWORD = 'Ex#Pw;1:@/=+^*,!~-_.x';
  let tmp: { dir: string; cleanup: () => void };
  let mariadbd: Daemon | undefined;
  let exporter: Daemon | undefined;
  let socket: string;
  let exporterPort: number;
  let mariadb: string;

  function rootSql(sql: string): RunResult {
    return run(mariadb, ['--no-defaults', `--socket=${socket}`, '--batch', '--skip-column-names'], { input: sql });
  }

  function expectOk(result: RunResult): void {
    expect({ status: result.status, output: result.status === 0 ? 'ok' : result.output }).toEqual({ status: 0, output: 'ok' });
  }

  beforeAll(async () => {
    mariadb = requireTool('mariadb', 'mariadb-client');
    const mariadbAdmin = requireTool('mariadb-admin', 'mariadb-client');
    requireTool('prometheus-mysqld-exporter', 'prometheus-mysqld-exporter');
    tmp = makeTempDir('mysqld-exporter');
    socket = path.join(tmp.dir, 'mysqld.sock');
    const dataDir = path.join(tmp.dir, 'data');
    fs.mkdirSync(dataDir);
    expectOk(
      run(requireTool('mariadb-install-db', 'mariadb-server'), [
        '--no-defaults',
        '--user=root',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
      ]),
    );
    // A replica (server id 2, binary log on) without TCP: the exporter uses the socket, like on the droplet.
    mariadbd = startDaemon([
      requireTool('mariadbd', 'mariadb-server'),
      '--no-defaults',
      '--user=root',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      '--skip-networking',
      `--pid-file=${tmp.dir}/mysqld.pid`,
      `--log-error=${tmp.dir}/error.log`,
      '--server-id=2',
      `--log-bin=${tmp.dir}/binlog`,
      '--binlog-format=MIXED',
    ]);
    const deadline = Date.now() + 30_000;
    while (run(mariadbAdmin, ['--no-defaults', `--socket=${socket}`, '--connect-timeout=2', 'ping']).status !== 0) {
      if (Date.now() > deadline) {
        throw new Error(`mariadbd did not start: ${fs.readFileSync(path.join(tmp.dir, 'error.log'), 'utf8')}`);
      }
      await sleep(100);
    }
    // The setup script's job: the account SQL (twice: it must be idempotent), then replication from a primary
    // that does not answer, so the IO thread is "Connecting" (→ 0) and the SQL thread running (→ 1).
    const accountSql = renderMysqldExporterAccountSql({ flavor: 'mariadb-10.11', password: PASSWORD });
    expectOk(rootSql(accountSql));
    expectOk(rootSql(accountSql));
    const deadPort = await freePort();
    expectOk(
      rootSql(
        `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${deadPort}, MASTER_USER='repl', ` +
          "MASTER_PASSWORD='unused', MASTER_CONNECT_RETRY=1; START SLAVE;",
      ),
    );
    const cnf = writeFile(tmp.dir, 'mysqld-exporter.cnf', renderMysqldExporterCnf({ password: PASSWORD, socket }), 0o600);
    exporterPort = await freePort();
    exporter = startDaemon(
      execStartArgv(renderMysqldExporterDropIn({ listenPort: exporterPort, cnfPath: cnf }), {
        TIERFORM_PRIVATE_IP: '127.0.0.1',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await exporter?.stop();
    await mariadbd?.stop();
    tmp?.cleanup();
  }, 30_000);

  test('the exporter logs in and every collector succeeds with the granted privileges', async () => {
    // GIVEN / WHEN
    const body = await scrapeUntil(exporter as Daemon, exporterPort, /^mysql_up 1$/m);
    // THEN
    expect(body).toMatch(/^mysql_exporter_last_scrape_error 0$/m);
  }, 20_000);

  test('replication state comes out under the names the alert rules use', async () => {
    // GIVEN / WHEN
    const body = await scrapeUntil(exporter as Daemon, exporterPort, /^mysql_slave_status_slave_io_running\{/m);
    // THEN
    expect(body).toMatch(/^mysql_slave_status_slave_io_running\{[^}]*master_host="127\.0\.0\.1"[^}]*\} 0$/m);
    expect(body).toMatch(/^mysql_slave_status_slave_sql_running\{[^}]*master_host="127\.0\.0\.1"[^}]*\} 1$/m);
  }, 20_000);

  test('the account is limited to 3 connections and cannot read tables', () => {
    // GIVEN / WHEN
    const limit = rootSql("SELECT max_user_connections FROM mysql.user WHERE user = 'exporter' AND host = 'localhost';");
    const read = run(mariadb, ['--no-defaults', `--socket=${socket}`, '--user=exporter', '-e', 'SELECT COUNT(*) FROM mysql.user'], {
      env: { ...process.env, MYSQL_PWD: PASSWORD },
    });
    // THEN
    expect(limit.stdout.trim()).toBe('3');
    expect(read.status).not.toBe(0);
    expect(read.stderr).toMatch(/denied/);
  });

  test('the binary log holds the password hash, never the password', () => {
    // GIVEN
    const binlog = requireTool('mariadb-binlog', 'mariadb-server');
    // WHEN
    const dump = run(binlog, ['--no-defaults', path.join(tmp.dir, 'binlog.000001')]);
    // THEN
    expect(dump.status).toBe(0);
    expect(dump.stdout).toMatch(/CREATE USER IF NOT EXISTS 'exporter'@'localhost' IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/);
    expect(dump.stdout).not.toContain(PASSWORD);
  });
});
