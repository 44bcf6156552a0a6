import * as fs from 'fs';
import * as path from 'path';
import {
  flavorFacts,
  MYSQL_SETUP_SCRIPT,
  MYSQL_SETUP_UNIT,
  MysqldConfOptions,
  MysqlFlavor,
  mysqlHostPattern,
  netmaskFromCidr,
  PrimarySetupScriptOptions,
  ReplicaSetupScriptOptions,
  renderBindConf,
  renderDataVolumeScript,
  renderMysqlSetupUnit,
  renderMysqldConf,
  renderPrimarySetupScript,
  renderReplicaSetupScript,
} from '../../../lib/render/mysql';
import { renderMysqldExporterAccountHook } from '../../../lib/render/mysqld-exporter-setup';
import { checkFiles } from '../../helpers/check-files';
import { MYSQL80_DOCUMENTED_OPTIONS } from '../../helpers/checkers';
import { makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';
import { freePort, sleep } from '../../helpers/processes';

const FLAVORS: readonly MysqlFlavor[] = ['mysql-8.0', 'mariadb-10.11'];

function confOptions(overrides: Partial<MysqldConfOptions> = {}): MysqldConfOptions {
  return {
    flavor: 'mariadb-10.11',
    role: 'primary',
    serverId: 1,
    innodbBufferPoolMb: 256,
    maxConnections: 151,
    binlogExpireSeconds: 604_800,
    ...overrides,
  };
}

function primaryOptions(overrides: Partial<PrimarySetupScriptOptions> = {}): PrimarySetupScriptOptions {
  return {
    flavor: 'mariadb-10.11',
    database: 'tierform_app',
    appUser: 'app',
    replicationUser: 'repl',
    vpcCidr: '10.20.0.0/16',
    secretsFile: '/etc/tierform/mysql.env',
    netEnvFile: '/etc/tierform/net.env',
    ...overrides,
  };
}

/** As the construct layer passes them: the primary's address is a Terraform token until apply. */
function replicaOptions(overrides: Partial<ReplicaSetupScriptOptions> = {}): ReplicaSetupScriptOptions {
  return {
    flavor: 'mariadb-10.11',
    primaryHost: '${TfToken[TOKEN.3]}',
    replicationUser: 'repl',
    secretsFile: '/etc/tierform/mysql.env',
    netEnvFile: '/etc/tierform/net.env',
    waitSeconds: 600,
    ...overrides,
  };
}

const VOLUME = { volumeName: 'tierform-db-0', mountPoint: '/mnt/tierform-mysql', dataDir: '/var/lib/mysql', waitSeconds: 120 };

/** Option names (`-` and `_` are the same to the server) set in a `[mysqld]` file. */
function optionNames(cnf: string): string[] {
  return cnf
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('['))
    .map((line) => line.split('=')[0].trim().replace(/-/g, '_'));
}

describe('address helpers', () => {
  it('computes the dotted netmask of a CIDR', () => {
    // GIVEN / WHEN / THEN
    expect(netmaskFromCidr('10.20.0.0/16')).toBe('255.255.0.0');
  });

  it('builds the ip/netmask account host with host bits cleared', () => {
    // GIVEN a CIDR written with host bits set
    // WHEN
    const host = mysqlHostPattern('10.20.5.7/20');
    // THEN
    expect(host).toBe('10.20.0.0/255.255.240.0');
  });

  it.each(['${TfToken[TOKEN.1]}', 'fd00::/64', '10.20.0.0', '10.20/16'])('throws on %s, which is not a concrete IPv4 CIDR', (cidr) => {
    expect(() => mysqlHostPattern(cidr)).toThrow(`'cidr' must be an IPv4 CIDR block such as 10.20.0.0/16, got ${JSON.stringify(cidr)}`);
  });

  it('names each flavor by its own client and service', () => {
    expect(flavorFacts('mariadb-10.11')).toMatchObject({ debPackage: 'mariadb-server', serviceName: 'mariadb', clientCommand: 'mariadb' });
    expect(flavorFacts('mysql-8.0')).toMatchObject({ debPackage: 'mysql-server', confDir: '/etc/mysql/mysql.conf.d', clientCommand: 'mysql' });
  });
});

describe('renderMysqldConf', () => {
  it('turns on GTIDs the MySQL way on MySQL 8.0', () => {
    // GIVEN / WHEN
    const cnf = renderMysqldConf(confOptions({ flavor: 'mysql-8.0' }));
    // THEN
    expect(cnf).toContain('gtid_mode = ON\nenforce_gtid_consistency = ON\n');
    expect(cnf).not.toContain('gtid_strict_mode');
  });

  it('uses strict GTID mode and ROW format on MariaDB', () => {
    const cnf = renderMysqldConf(confOptions({ flavor: 'mariadb-10.11' }));
    expect(cnf).toEqual(expect.stringContaining('gtid_strict_mode = ON\nlog_slave_updates = ON\n'));
    expect(cnf).toContain('binlog_format = ROW\n');
    expect(cnf).not.toContain('gtid_mode');
  });

  it('makes a MySQL replica super-read-only with a crash-safe relay log', () => {
    const cnf = renderMysqldConf(confOptions({ flavor: 'mysql-8.0', role: 'replica', serverId: 2 }));
    expect(cnf).toContain('server_id = 2\n');
    expect(cnf).toContain('relay_log_recovery = ON\nread_only = ON\nsuper_read_only = ON\n');
  });

  it('keeps the primary writable', () => {
    const cnf = renderMysqldConf(confOptions({ flavor: 'mysql-8.0', role: 'primary' }));
    expect(cnf).not.toMatch(/read_only|relay_log_recovery/);
  });

  it('leaves the bind address to the boot-time file', () => {
    for (const flavor of FLAVORS) {
      expect(optionNames(renderMysqldConf(confOptions({ flavor })))).not.toContain('bind_address');
    }
  });

  it('renders durability, hygiene and sizing settings', () => {
    const cnf = renderMysqldConf(confOptions({ innodbBufferPoolMb: 512, maxConnections: 80 }));
    expect(cnf).toEqual(expect.stringContaining('sync_binlog = 1\ninnodb_flush_log_at_trx_commit = 1\n'));
    expect(cnf).toContain('skip_name_resolve = ON\nlocal_infile = OFF\nmax_connections = 80\ninnodb_buffer_pool_size = 512M\n');
    expect(cnf).toContain('log_slow_query_file = /var/log/mysql/mariadb-slow.log\n');
  });

  it('throws if binlogExpireSeconds exceeds what MariaDB accepts', () => {
    expect(() => renderMysqldConf(confOptions({ binlogExpireSeconds: 9_000_000 }))).toThrow(
      "'binlogExpireSeconds' must be an integer from 3600 to 8553600, got 9000000",
    );
  });

  it('throws if serverId is 0', () => {
    expect(() => renderMysqldConf(confOptions({ serverId: 0 }))).toThrow("'serverId' must be an integer from 1 to 4294967295, got 0");
  });

  it('is deterministic', () => {
    expect(renderMysqldConf(confOptions())).toBe(renderMysqldConf(confOptions()));
  });
});

describe('setup scripts (text)', () => {
  it('limits both accounts to the VPC with an ip/netmask host', () => {
    const script = renderPrimarySetupScript(primaryOptions({ flavor: 'mysql-8.0' }));
    expect(script).toContain("CREATE USER IF NOT EXISTS 'app'@'10.20.0.0/255.255.0.0' IDENTIFIED BY '${APP_PASSWORD}';");
    expect(script).toContain("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.20.0.0/255.255.0.0';");
  });

  it('sets MariaDB passwords through PASSWORD() hashes in prepared statements', () => {
    const script = renderPrimarySetupScript(primaryOptions({ flavor: 'mariadb-10.11' }));
    expect(script).toContain("SET @tierform_hash = PASSWORD('${APP_PASSWORD}');\n");
    expect(script).toContain(
      "SET @tierform_sql = CONCAT('ALTER USER ''app''@''10.20.0.0/255.255.0.0'' IDENTIFIED BY PASSWORD ''', @tierform_hash, '''');",
    );
    expect(script).not.toMatch(/IDENTIFIED BY '\$/);
  });

  it('grants the app its own database only, escaping the _ wildcard', () => {
    const script = renderPrimarySetupScript(primaryOptions());
    expect(script).toContain('INDEX, DROP, REFERENCES ON \\`tierform\\_app\\`.* TO');
    expect(script.match(/ON \*\.\*/g)).toEqual(['ON *.*']); // only the replication grant is global
  });

  it('never passes a password on a command line', () => {
    for (const flavor of FLAVORS) {
      const scripts = [renderPrimarySetupScript(primaryOptions({ flavor })), renderReplicaSetupScript(replicaOptions({ flavor }))];
      for (const script of scripts) {
        expect(script).not.toMatch(/--password|\s-p\S|MYSQL_PWD|echo .*PASSWORD/);
      }
    }
  });

  it('inserts a token primaryHost verbatim', () => {
    const script = renderReplicaSetupScript(replicaOptions());
    expect(script).toContain("readonly PRIMARY_HOST='${TfToken[TOKEN.3]}'\n");
  });

  it('points a MySQL replica at the source with auto-position, TLS and the RSA key', () => {
    const script = renderReplicaSetupScript(replicaOptions({ flavor: 'mysql-8.0' }));
    expect(script).toContain('CHANGE REPLICATION SOURCE TO\n');
    expect(script).toEqual(expect.stringContaining('SOURCE_AUTO_POSITION=1,\n  SOURCE_SSL=1,\n  GET_SOURCE_PUBLIC_KEY=1,\n'));
    expect(script).toContain('START REPLICA;');
    expect(script).toContain('systemctl restart mysql}');
  });

  it('points a MariaDB replica at the master with slave_pos GTIDs', () => {
    const script = renderReplicaSetupScript(replicaOptions({ flavor: 'mariadb-10.11', primaryPort: 3307 }));
    expect(script).toContain("  MASTER_PORT=${PRIMARY_PORT},\n  MASTER_USER='repl',");
    expect(script).toContain('MASTER_USE_GTID=slave_pos,');
    expect(script).toContain('readonly PRIMARY_PORT=3307\n');
  });

  it('pins the MySQL X protocol to loopback in the bind file', () => {
    expect(renderBindConf('mysql-8.0', '10.20.0.5')).toContain('bind-address = 10.20.0.5\nmysqlx-bind-address = 127.0.0.1\n');
    expect(renderBindConf('mariadb-10.11', '10.20.0.5')).not.toContain('mysqlx');
  });

  it('creates no replication account on a primary without replicas', () => {
    const script = renderPrimarySetupScript(primaryOptions({ replicationUser: undefined }));
    expect(script).not.toMatch(/REPLICATION_PASSWORD|GRANT REPLICATION SLAVE|'repl'/);
    expect(script).toContain("'app'@'10.20.0.0/255.255.0.0'");
  });

  it('runs the hook directory after its own statements, sorted bytewise, on the primary only', () => {
    // GIVEN / WHEN
    const primary = renderPrimarySetupScript(primaryOptions());
    // THEN
    expect(primary).toContain('readonly HOOKS_DIR="${TIERFORM_MYSQL_HOOKS_DIR:-/etc/tierform/mysql-setup.d}"');
    expect(primary).toContain('  local LC_ALL=C hook status\n');
    expect(primary.indexOf('run_hooks\n')).toBeGreaterThan(primary.lastIndexOf('SQL\n'));
    expect(renderReplicaSetupScript(replicaOptions())).not.toContain('HOOKS_DIR');
  });

  it('throws if the hook directory is not an absolute path', () => {
    expect(() => renderPrimarySetupScript(primaryOptions({ hooksDir: 'hooks' }))).toThrow(
      `'hooksDir' must be an absolute path of letters, digits, '.', '_' and '-' between single '/' (no '.' or '..' component), got "hooks"`,
    );
  });

  it('throws if appUser and replicationUser are the same', () => {
    expect(() => renderPrimarySetupScript(primaryOptions({ replicationUser: 'app' }))).toThrow(
      "'replicationUser' must differ from 'appUser', both are 'app'",
    );
  });

  it('throws if the database name is not a plain identifier', () => {
    expect(() => renderPrimarySetupScript(primaryOptions({ database: 'app`; DROP' }))).toThrow(
      /^'database' must be 1 to 64 letters, digits or '_', got "app`; DROP"$/,
    );
  });

  it('mounts the volume and bind-mounts the datadir from fstab', () => {
    const script = renderDataVolumeScript(VOLUME);
    expect(script).toContain("'/dev/disk/by-id/scsi-0DO_Volume_tierform-db-0 /mnt/tierform-mysql ext4 defaults,nofail,discard,noatime 0 2'");
    expect(script).toContain("'/mnt/tierform-mysql/mysql /var/lib/mysql none bind,nofail,x-systemd.requires-mounts-for=/mnt/tierform-mysql 0 0'");
    expect(script).toContain('RequiresMountsFor=%s');
  });

  it('throws if the volume name could break the device path', () => {
    expect(() => renderDataVolumeScript({ ...VOLUME, volumeName: '../sda' })).toThrow(
      `'volumeName' must be 1 to 64 letters, digits and '-', not starting with '-', got "../sda"`,
    );
  });
});

describe('renderMysqlSetupUnit', () => {
  test.each(FLAVORS)('%s: runs the setup script once the server is up, at every boot; passes systemd-analyze verify', (flavor) => {
    // GIVEN / WHEN
    const unit = renderMysqlSetupUnit(flavor);
    const ran = checkFiles([
      { path: `/etc/systemd/system/${MYSQL_SETUP_UNIT}`, content: unit, permissions: '0644' },
      { path: MYSQL_SETUP_SCRIPT, content: renderPrimarySetupScript(primaryOptions({ flavor })), permissions: '0755' },
    ]);
    // THEN
    const server = flavorFacts(flavor).serviceName;
    expect(unit).toContain(`\nAfter=${server}.service network-online.target\n`);
    expect(unit).toContain(`\nRequires=${server}.service\n`);
    expect(unit).toContain(`\nType=oneshot\nExecStart=${MYSQL_SETUP_SCRIPT}\n`);
    expect(ran).toEqual([`/etc/systemd/system/${MYSQL_SETUP_UNIT}: systemd-analyze verify`, `${MYSQL_SETUP_SCRIPT}: shellcheck`]);
  });
});

describe('shellcheck', () => {
  const scripts: Array<[string, string]> = [
    ['data volume', renderDataVolumeScript(VOLUME)],
    ['replica-less primary', renderPrimarySetupScript(primaryOptions({ replicationUser: undefined }))],
  ];
  for (const flavor of FLAVORS) {
    scripts.push([`${flavor} primary`, renderPrimarySetupScript(primaryOptions({ flavor }))]);
    // What runs on the droplet: Terraform has replaced the token with the primary's address.
    scripts.push([`${flavor} replica`, renderReplicaSetupScript(replicaOptions({ flavor, primaryHost: '10.20.0.5' }))]);
  }

  it.each(scripts)('finds nothing in the %s script, style level included', (_name, script) => {
    // GIVEN
    const shellcheck = requireTool('shellcheck', 'shellcheck');
    const tmp = makeTempDir('mysql-shellcheck');
    try {
      const file = writeFile(tmp.dir, 'script.sh', script, 0o755);
      // WHEN
      const result = run(shellcheck, ['--norc', '-S', 'style', file]);
      // THEN
      expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: '' });
    } finally {
      tmp.cleanup();
    }
  });

  it('can fail (an unquoted expansion is reported)', () => {
    const shellcheck = requireTool('shellcheck', 'shellcheck');
    const tmp = makeTempDir('mysql-shellcheck');
    try {
      const file = writeFile(tmp.dir, 'script.sh', renderDataVolumeScript(VOLUME).replace(`printf '%s\\n' "$line"`, 'echo $line'));
      expect(run(shellcheck, ['--norc', '-S', 'style', file]).output).toContain('SC2086');
    } finally {
      tmp.cleanup();
    }
  });
});

/** Ubuntu's MariaDB `50-server.cnf` sets these before our files; ours must win. */
const PACKAGE_DEFAULTS = '[mysqld]\nbind-address = 127.0.0.1\nexpire_logs_days = 10\n';

/** `mariadbd --help --verbose` over the package defaults, our file and the boot-time bind file. */
function mariadbdCheck(cnf: string): RunResult & { values: Map<string, string> } {
  const mariadbd = requireTool('mariadbd', 'mariadb-server');
  const tmp = makeTempDir('mysql-check');
  try {
    writeFile(tmp.dir, 'conf.d/50-server.cnf', PACKAGE_DEFAULTS);
    writeFile(tmp.dir, 'conf.d/60-tierform.cnf', cnf);
    writeFile(tmp.dir, 'conf.d/61-tierform-bind.cnf', renderBindConf('mariadb-10.11', '10.20.0.7'));
    const top = writeFile(tmp.dir, 'my.cnf', `!includedir ${tmp.dir}/conf.d\n`);
    const result = run(mariadbd, [`--defaults-file=${top}`, '--help', '--verbose']);
    const values = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const m = /^([a-z0-9-]+)\s{2,}(\S.*)$/.exec(line);
      if (m) {
        values.set(m[1], m[2].trim());
      }
    }
    return { ...result, values };
  } finally {
    tmp.cleanup();
  }
}

describe('mariadbd accepts the MariaDB option files', () => {
  it.each(['primary', 'replica'] as const)('parses the %s file without error or adjusted value', (role) => {
    // GIVEN
    const cnf = renderMysqldConf(confOptions({ role, serverId: role === 'primary' ? 1 : 2 }));
    // WHEN
    const result = mariadbdCheck(cnf);
    // THEN
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(/\[ERROR\]|adjusted|unknown/i);
  });

  it('ends up with our values over the package defaults', () => {
    const result = mariadbdCheck(renderMysqldConf(confOptions({ role: 'replica', serverId: 2, innodbBufferPoolMb: 128 })));
    expect(Object.fromEntries(result.values)).toMatchObject({
      'server-id': '2',
      'bind-address': '10.20.0.7',
      'binlog-expire-logs-seconds': '604800',
      'binlog-format': 'ROW',
      'gtid-strict-mode': 'TRUE',
      'read-only': 'TRUE',
      'relay-log-recovery': 'TRUE',
      'skip-name-resolve': 'TRUE',
      'local-infile': 'FALSE',
      'innodb-buffer-pool-size': String(128 * 1024 * 1024),
      'sync-binlog': '1',
      'log-bin': 'mysql-bin',
    });
  });

  it('can fail (an unknown option is refused)', () => {
    const result = mariadbdCheck(renderMysqldConf(confOptions()) + 'bogus_option = 1\n');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("unknown variable 'bogus_option=1'");
  });
});

describe('MySQL 8.0 option names (no mysqld here: names only)', () => {
  it.each(['primary', 'replica'] as const)('uses only documented MySQL 8.0 options for the %s', (role) => {
    const cnf = renderMysqldConf(confOptions({ flavor: 'mysql-8.0', role })) + renderBindConf('mysql-8.0', '10.20.0.7');
    expect(optionNames(cnf).filter((name) => !MYSQL80_DOCUMENTED_OPTIONS.has(name))).toEqual([]);
  });

  it('can fail (the MariaDB file uses options MySQL does not have)', () => {
    const cnf = renderMysqldConf(confOptions({ flavor: 'mariadb-10.11', role: 'replica' }));
    expect(optionNames(cnf).filter((name) => !MYSQL80_DOCUMENTED_OPTIONS.has(name))).toEqual(
      expect.arrayContaining(['gtid_strict_mode', 'log_slave_updates', 'log_slow_query']),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// End to end on real MariaDB: two servers on 127.0.0.1, the rendered files and scripts, real replication.

/** True while `pid` is a live (not zombie) mariadbd. */
function isLiveMariadbd(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mariadbd');
  } catch {
    return false;
  }
}

interface Instance {
  readonly name: string;
  readonly port: number;
  readonly socket: string;
  readonly confDir: string;
  readonly pidFile: string;
  readonly restartScript: string;
  readonly logFile: string;
}

// Passwords with characters that break naive quoting in YAML, shell, option files and SQL (but no ', \ or space).
const APP_PASSWORD = 'app#Pw"$(id)`id`;%{x}&|<>!~';
const APP_PASSWORD_2 = 'rotated#2"$HOME;^*';
const REPL_PASSWORD = 're#pl"$PATH;&*()=+';
// The exporter's set is narrower (no # ? ; for mysqld_exporter's config parser): lib/fragments/monitoring.ts.
const EXPORTER_PASSWORD = 'exp-Pw.~+=@^*:,!/_42x';

describe('end to end on MariaDB 10.11', () => {
  const flavor: MysqlFlavor = 'mariadb-10.11';
  const knownPids = new Set<number>();
  let tmp: { dir: string; cleanup: () => void };
  let primary: Instance;
  let replica: Instance;
  let netEnv: string;
  let hooksDir: string;
  let mariadb: string;
  let mariadbAdmin: string;

  function trackPid(inst: Instance): number | undefined {
    if (!fs.existsSync(inst.pidFile)) {
      return undefined;
    }
    const pid = Number(fs.readFileSync(inst.pidFile, 'utf8').trim());
    knownPids.add(pid);
    return pid;
  }

  async function waitReady(inst: Instance): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (run(mariadbAdmin, ['--no-defaults', `--socket=${inst.socket}`, '--connect-timeout=2', 'ping']).status === 0) {
        trackPid(inst);
        return;
      }
      await sleep(100);
    }
    throw new Error(`${inst.name} did not start:\n${fs.readFileSync(inst.logFile, 'utf8')}`);
  }

  function createInstance(name: string, port: number, serverId: number, role: 'primary' | 'replica'): Instance {
    const base = path.join(tmp.dir, name);
    const dataDir = path.join(base, 'data');
    const confDir = path.join(base, 'conf.d');
    const inst: Instance = {
      name,
      port,
      socket: path.join(base, 'mysqld.sock'),
      confDir,
      pidFile: path.join(base, 'mysqld.pid'),
      restartScript: path.join(base, 'restart.sh'),
      logFile: path.join(base, 'server.log'),
    };
    fs.mkdirSync(dataDir, { recursive: true });
    const install = run(requireTool('mariadb-install-db', 'mariadb-server'), [
      '--no-defaults',
      '--user=root',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ]);
    expect({ status: install.status, output: install.status === 0 ? '' : install.output }).toEqual({ status: 0, output: '' });
    // Like the package's 50-server.cnf, but bound to 127.0.0.2 so that 61-tierform-bind.cnf (127.0.0.1) must win.
    writeFile(
      confDir,
      '10-lab.cnf',
      [
        '[mysqld]',
        'user = root',
        `datadir = ${dataDir}`,
        `socket = ${inst.socket}`,
        `port = ${port}`,
        `pid-file = ${inst.pidFile}`,
        'bind-address = 127.0.0.2',
        'expire_logs_days = 10',
        '',
      ].join('\n'),
    );
    writeFile(
      confDir,
      '60-tierform.cnf',
      renderMysqldConf({
        flavor,
        role,
        serverId,
        innodbBufferPoolMb: 32,
        maxConnections: 50,
        binlogExpireSeconds: 86_400,
      }),
    );
    writeFile(confDir, '99-lab.cnf', `[mysqld]\nlog_error = ${base}/error.log\nlog_slow_query_file = ${base}/slow.log\n`);
    const top = writeFile(base, 'my.cnf', `!includedir ${confDir}\n`);
    // What `systemctl restart` does for the lab: stop the server by its pid file, start it again, detached.
    writeFile(
      base,
      'restart.sh',
      `#!/usr/bin/env bash
set -euo pipefail
if [[ -s ${inst.pidFile} ]]; then
  pid=$(cat ${inst.pidFile})
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    state=$(awk '{ print $3 }' /proc/"$pid"/stat 2>/dev/null || echo gone)
    [[ $state == gone || $state == Z ]] && break
    sleep 0.1
  done
fi
${requireTool('mariadbd', 'mariadb-server')} --defaults-file=${top} </dev/null >>${inst.logFile} 2>&1 &
`,
      0o755,
    );
    return inst;
  }

  function scriptEnv(inst: Instance, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TIERFORM_MYSQL: `${mariadb} --socket=${inst.socket}`,
      TIERFORM_MYSQLADMIN: `${mariadbAdmin} --socket=${inst.socket}`,
      TIERFORM_RESTART_CMD: inst.restartScript,
      TIERFORM_CONF_DIR: inst.confDir,
      ...overrides,
    };
  }

  function writeSecrets(appPassword: string): string {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    return writeFile(
      tmp.dir,
      'mysql.env',
      `MYSQL_APP_PASSWORD_B64=${b64(appPassword)}\nMYSQL_REPLICATION_PASSWORD_B64=${b64(REPL_PASSWORD)}\n`,
      0o600,
    );
  }

  function runPrimaryScript(appPassword = APP_PASSWORD): RunResult {
    const script = writeFile(
      tmp.dir,
      'primary-setup.sh',
      renderPrimarySetupScript({
        flavor,
        database: 'tierform_app',
        appUser: 'app',
        replicationUser: 'repl',
        vpcCidr: '127.0.0.0/8',
        secretsFile: writeSecrets(appPassword),
        netEnvFile: netEnv,
        serverWaitSeconds: 30,
      }),
      0o755,
    );
    const result = run('bash', [script], { env: scriptEnv(primary, { TIERFORM_MYSQL_HOOKS_DIR: hooksDir }) });
    trackPid(primary);
    return result;
  }

  function runReplicaScript(overrides: Partial<ReplicaSetupScriptOptions> = {}, env: Record<string, string> = {}): RunResult {
    const script = writeFile(
      tmp.dir,
      'replica-setup.sh',
      renderReplicaSetupScript({
        flavor,
        primaryHost: '127.0.0.1',
        primaryPort: primary.port,
        replicationUser: 'repl',
        secretsFile: path.join(tmp.dir, 'mysql.env'),
        netEnvFile: netEnv,
        waitSeconds: 30,
        serverWaitSeconds: 30,
        ...overrides,
      }),
      0o755,
    );
    const result = run('bash', [script], { env: scriptEnv(replica, env) });
    trackPid(replica);
    return result;
  }

  /** SQL as a client over TCP to 127.0.0.1 (password in the environment, not argv). */
  function tcpSql(inst: Instance, user: string, password: string, sql: string): RunResult {
    return run(
      mariadb,
      [
        '--no-defaults',
        '--protocol=TCP',
        '--host=127.0.0.1',
        `--port=${inst.port}`,
        `--user=${user}`,
        '--batch',
        '--skip-column-names',
        '--connect-timeout=5',
        '-e',
        sql,
      ],
      { env: { ...process.env, MYSQL_PWD: password } },
    );
  }

  function rootSql(inst: Instance, sql: string): RunResult {
    return run(mariadb, ['--no-defaults', `--socket=${inst.socket}`, '--batch', '--raw', '--skip-column-names', '-e', sql]);
  }

  /** `SHOW SLAVE STATUS` of the replica as `Field: value` lines. */
  function replicaStatus(): string {
    return run(mariadb, ['--no-defaults', `--socket=${replica.socket}`, '-e', 'SHOW SLAVE STATUS\\G']).stdout;
  }

  async function pollReplica(sql: string, expected: string, timeoutMs = 30_000): Promise<number> {
    const start = Date.now();
    let last: RunResult | undefined;
    for (let i = 0; i < 3000 && Date.now() - start < timeoutMs; i++) {
      last = tcpSql(replica, 'app', APP_PASSWORD, sql);
      if (last.status === 0 && last.stdout.trim() === expected) {
        return Date.now() - start;
      }
      await sleep(25);
    }
    throw new Error(`replica never returned '${expected}': ${last?.output}\n${replicaStatus()}`);
  }

  function expectOk(result: RunResult): void {
    expect({ status: result.status, output: result.status === 0 ? 'ok' : result.output }).toEqual({ status: 0, output: 'ok' });
  }

  beforeAll(async () => {
    mariadb = requireTool('mariadb', 'mariadb-client');
    mariadbAdmin = requireTool('mariadb-admin', 'mariadb-client');
    tmp = makeTempDir('mysql-e2e');
    netEnv = writeFile(tmp.dir, 'net.env', 'TIERFORM_PRIVATE_IP=127.0.0.1\nTIERFORM_PUBLIC_IP=127.0.0.1\n');
    writeSecrets(APP_PASSWORD);
    hooksDir = path.join(tmp.dir, 'mysql-setup.d');
    fs.mkdirSync(hooksDir);
    primary = createInstance('primary', await freePort(), 1, 'primary');
    replica = createInstance('replica', await freePort(), 2, 'replica');
    for (const inst of [primary, replica]) {
      expectOk(run('bash', [inst.restartScript]));
      await waitReady(inst);
    }
  }, 60_000);

  afterAll(async () => {
    for (const inst of [primary, replica]) {
      if (inst) {
        trackPid(inst);
      }
    }
    for (const pid of knownPids) {
      if (isLiveMariadbd(pid)) {
        process.kill(pid, 'SIGTERM');
      }
    }
    for (let i = 0; i < 300 && [...knownPids].some(isLiveMariadbd); i++) {
      await sleep(100);
    }
    for (const pid of knownPids) {
      if (isLiveMariadbd(pid)) {
        process.kill(pid, 'SIGKILL');
      }
    }
    tmp?.cleanup();
  }, 60_000);

  it('replica script gives up with a clear message when the primary never answers', async () => {
    // GIVEN a port nothing listens on, a 3 s budget, and a scratch conf dir so the replica is left untouched
    const deadPort = await freePort();
    const scratch = path.join(tmp.dir, 'scratch-conf');
    const started = Date.now();
    // WHEN
    const result = runReplicaScript({ primaryPort: deadPort, waitSeconds: 3 }, { TIERFORM_CONF_DIR: scratch, TIERFORM_RESTART_CMD: 'true' });
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`tierform-mysql-replica: ERROR: primary 127.0.0.1:${deadPort} did not accept 'repl' within 3s`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(rootSql(replica, 'SHOW SLAVE STATUS').stdout).toBe('');
  });

  it('primary script binds the VPC address, restarts once and provisions database and accounts', () => {
    // GIVEN
    const pidBefore = trackPid(primary);
    // WHEN
    const result = runPrimaryScript();
    // THEN
    expectOk(result);
    expect(fs.readFileSync(path.join(primary.confDir, '61-tierform-bind.cnf'), 'utf8')).toContain('bind-address = 127.0.0.1\n');
    expect(trackPid(primary)).not.toBe(pidBefore);
    expect(rootSql(primary, 'SELECT @@bind_address').stdout.trim()).toBe('127.0.0.1');
    expect(rootSql(primary, "SHOW GRANTS FOR 'app'@'127.0.0.0/255.0.0.0'").stdout).toContain(
      'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER ON `tierform\\_app`.*',
    );
  });

  it('replicates a row the app writes on the primary to the replica', async () => {
    // GIVEN the app creates a table and writes over TCP on the primary
    expectOk(
      tcpSql(
        primary,
        'app',
        APP_PASSWORD,
        'CREATE TABLE tierform_app.notes (id INT PRIMARY KEY, body VARCHAR(64)); INSERT INTO tierform_app.notes VALUES (1, "hello")',
      ),
    );
    const started = Date.now();
    // WHEN the replica is set up
    const result = runReplicaScript();
    // THEN the row shows up on the replica
    expectOk(result);
    const visibleMs = await pollReplica('SELECT body FROM tierform_app.notes WHERE id = 1', 'hello');
    console.log(`replica setup ${Date.now() - started - visibleMs} ms, then row visible after ${visibleMs} ms more`);
    expect(replicaStatus()).toMatch(/Slave_IO_Running: Yes[\s\S]*Slave_SQL_Running: Yes[\s\S]*Using_Gtid: Slave_Pos/);
  });

  it('refuses app writes on the replica (read_only)', () => {
    const result = tcpSql(replica, 'app', APP_PASSWORD, 'INSERT INTO tierform_app.notes VALUES (99, "nope")');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('--read-only');
  });

  it.each([
    ['CREATE DATABASE other_db', 'Access denied'],
    ['CREATE DATABASE tierformXapp', 'Access denied'], // `_` was escaped in the GRANT, not a wildcard
    ['SELECT COUNT(*) FROM mysql.user', 'denied'],
    ["SELECT * FROM information_schema.PROCESSLIST WHERE USER = 'repl'", ''],
  ])('keeps the app inside its database: %s', (sql, error) => {
    const result = tcpSql(primary, 'app', APP_PASSWORD, sql);
    if (error) {
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(error);
    } else {
      expect(result.stdout).toBe(''); // no PROCESS privilege: other users' threads are invisible
    }
  });

  it('is idempotent: a second run of both scripts changes nothing and replication keeps flowing', async () => {
    // GIVEN
    const primaryPid = trackPid(primary);
    const replicaPid = trackPid(replica);
    // WHEN
    const primaryRun = runPrimaryScript();
    const replicaRun = runReplicaScript();
    // THEN
    expectOk(primaryRun);
    expectOk(replicaRun);
    expect(replicaRun.stderr).toContain('replication is already configured');
    expect([trackPid(primary), trackPid(replica)]).toEqual([primaryPid, replicaPid]);
    expectOk(tcpSql(primary, 'app', APP_PASSWORD, 'INSERT INTO tierform_app.notes VALUES (2, "again")'));
    await pollReplica('SELECT COUNT(*) FROM tierform_app.notes', '2');
  });

  it('keeps the app password in sync with the secrets file on both servers', async () => {
    // WHEN the secret is rotated and the primary script runs again
    expectOk(runPrimaryScript(APP_PASSWORD_2));
    // THEN the new password works and the old one does not, on the primary and (replicated) on the replica
    expectOk(tcpSql(primary, 'app', APP_PASSWORD_2, 'SELECT 1'));
    expect(tcpSql(primary, 'app', APP_PASSWORD, 'SELECT 1').stderr).toContain('Access denied');
    for (let i = 0; i < 200 && tcpSql(replica, 'app', APP_PASSWORD_2, 'SELECT 1').status !== 0; i++) {
      await sleep(50);
    }
    expectOk(tcpSql(replica, 'app', APP_PASSWORD_2, 'SELECT 1'));
  });

  it('runs executable hooks after its statements, in name order, with the client command; skips the rest', () => {
    // GIVEN two hooks that log and query through TIERFORM_MYSQL, a non-executable one and a file that is no hook
    const log = path.join(tmp.dir, 'hooks.log');
    const hook = (name: string) =>
      `#!/usr/bin/env bash\nset -euo pipefail\nread -r -a mysql <<<"$TIERFORM_MYSQL"\n` +
      `printf '%s %s %s\\n' ${name} "$TIERFORM_PRIVATE_IP" "$("\${mysql[@]}" --batch --skip-column-names -e 'SELECT COUNT(*) FROM mysql.user WHERE user = "app"')" >>${log}\n`;
    writeFile(hooksDir, 'a-lower.sh', hook('a'), 0o755);
    writeFile(hooksDir, '20-second.sh', hook('20'), 0o755);
    writeFile(hooksDir, '10-first.sh', hook('10'), 0o755);
    writeFile(hooksDir, 'Z-upper.sh', hook('Z'), 0o755); // C (byte) order: Z before a, whatever the locale
    writeFile(hooksDir, '05-off.sh', hook('off'), 0o644);
    writeFile(hooksDir, 'README', 'not a hook\n', 0o755);
    try {
      // WHEN
      const result = runPrimaryScript(APP_PASSWORD_2);
      // THEN
      expectOk(result);
      expect(fs.readFileSync(log, 'utf8')).toBe('10 127.0.0.1 1\n20 127.0.0.1 1\nZ 127.0.0.1 1\na 127.0.0.1 1\n');
      expect(result.stderr).toContain(`tierform-mysql-primary: skipping ${hooksDir}/05-off.sh: not an executable file`);
      expect(result.stderr.indexOf('running hook')).toBeGreaterThan(result.stderr.indexOf('ensuring database'));
    } finally {
      for (const f of fs.readdirSync(hooksDir)) fs.rmSync(path.join(hooksDir, f));
    }
  });

  it('fails loudly on the first failing hook, naming it', () => {
    // GIVEN a failing hook before another
    const marker = path.join(tmp.dir, 'after-failure');
    writeFile(hooksDir, '30-fail.sh', '#!/usr/bin/env bash\nexit 3\n', 0o755);
    writeFile(hooksDir, '40-next.sh', `#!/usr/bin/env bash\ntouch ${marker}\n`, 0o755);
    try {
      // WHEN
      const result = runPrimaryScript(APP_PASSWORD_2);
      // THEN
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`tierform-mysql-primary: ERROR: hook ${hooksDir}/30-fail.sh failed with exit status 3`);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      for (const f of fs.readdirSync(hooksDir)) fs.rmSync(path.join(hooksDir, f));
    }
  });

  it("the monitoring role's hook creates the exporter account, which replicates, with only its hash in the binary log", async () => {
    // GIVEN the hook and its secret, as the monitoring role writes them on the primary
    try {
      const secrets = writeFile(
        tmp.dir,
        'mysqld-exporter.b64',
        `MYSQLD_EXPORTER_PASSWORD_B64='${Buffer.from(EXPORTER_PASSWORD).toString('base64')}'\n`,
        0o600,
      );
      writeFile(hooksDir, '50-mysqld-exporter-account.sh', renderMysqldExporterAccountHook(flavor), 0o755);
      // WHEN
      const script = writeFile(
        tmp.dir,
        'primary-setup.sh',
        renderPrimarySetupScript({
          flavor,
          database: 'tierform_app',
          appUser: 'app',
          replicationUser: 'repl',
          vpcCidr: '127.0.0.0/8',
          secretsFile: writeSecrets(APP_PASSWORD_2),
          netEnvFile: netEnv,
          serverWaitSeconds: 30,
        }),
        0o755,
      );
      const result = run('bash', [script], { env: scriptEnv(primary, { TIERFORM_MYSQL_HOOKS_DIR: hooksDir, TIERFORM_EXPORTER_SECRETS: secrets }) });
      // THEN the account exists with the exporter's privileges only, and logs in over the socket
      expectOk(result);
      expect(result.stderr).toContain("tierform-mysqld-exporter-account: ensuring account 'exporter'@'localhost'");
      expect(rootSql(primary, "SHOW GRANTS FOR 'exporter'@'localhost'").stdout).toContain(
        'GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `exporter`@`localhost`',
      );
      const login = run(mariadb, ['--no-defaults', `--socket=${primary.socket}`, '--user=exporter', '-e', 'SELECT 1'], {
        env: { ...process.env, MYSQL_PWD: EXPORTER_PASSWORD },
      });
      expect({ status: login.status, output: login.output }).toEqual({ status: 0, output: '1\n1\n' });
      // AND the replica has it too (replicated, not created there)
      for (let i = 0; i < 200 && rootSql(replica, "SELECT COUNT(*) FROM mysql.user WHERE user = 'exporter'").stdout.trim() !== '1'; i++) {
        await sleep(50);
      }
      expect(rootSql(replica, "SELECT COUNT(*) FROM mysql.user WHERE user = 'exporter'").stdout.trim()).toBe('1');
      // AND the binary log holds the hash, never the password
      const logs = rootSql(primary, 'SHOW BINARY LOGS')
        .stdout.trim()
        .split('\n')
        .map((line) => line.split('\t')[0]);
      const events = logs.map((l) => rootSql(primary, `SHOW BINLOG EVENTS IN '${l}'`).stdout).join('\n');
      expect(events).toMatch(/CREATE USER IF NOT EXISTS 'exporter'@'localhost' IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/);
      expect(events).not.toContain(EXPORTER_PASSWORD);
      expect(result.output).not.toContain(EXPORTER_PASSWORD);
    } finally {
      fs.rmSync(path.join(hooksDir, '50-mysqld-exporter-account.sh'));
    }
  });

  it('keeps plaintext passwords out of the binary log the replicas read', () => {
    // GIVEN every statement the primary logged
    const logs = rootSql(primary, 'SHOW BINARY LOGS')
      .stdout.trim()
      .split('\n')
      .map((line) => line.split('\t')[0]);
    const events = logs.map((log) => rootSql(primary, `SHOW BINLOG EVENTS IN '${log}'`).stdout).join('\n');
    // THEN the account statements are there, with hashes only
    expect(events).toContain("ALTER USER 'app'@'127.0.0.0/255.0.0.0' IDENTIFIED BY PASSWORD '*");
    for (const secret of [APP_PASSWORD, APP_PASSWORD_2, REPL_PASSWORD]) {
      expect(events).not.toContain(secret);
    }
  });

  it('never prints a password', () => {
    const outputs = [runPrimaryScript(APP_PASSWORD_2).output, runReplicaScript().output];
    for (const output of outputs) {
      for (const secret of [APP_PASSWORD, APP_PASSWORD_2, REPL_PASSWORD]) {
        expect(output).not.toContain(secret);
      }
    }
  });
});
