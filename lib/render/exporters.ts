/**
 * Renders the metric exporters that run beside each daemon (Ubuntu 24.04 archive packages), and the systemd
 * drop-in technique every monitoring daemon here uses to listen on the droplet's VPC address only.
 *
 * Pure: plain values in, text out; no cdktf import. Values that may be Terraform tokens (the exporter's
 * password) are inserted verbatim.
 *
 * Packages and the versions the flags were checked against (Debian 12 here, Ubuntu 24.04 on the droplets):
 * - `prometheus-node-exporter` 1.5 / 1.7 (kingpin flags, `--`);
 * - `prometheus-nginx-exporter` 0.11 (Go `flag`: `-x` and `--x` both accepted) / 1.1 (kingpin: only `--x`),
 *   so flags are written with `--`;
 * - `prometheus-mysqld-exporter` 0.14 / 0.15 (kingpin, `--config.my-cnf`); both read replication state with
 *   `SHOW ALL SLAVES STATUS` (MariaDB) or `SHOW SLAVE STATUS` (MySQL 8.0), so the metric names are
 *   `mysql_slave_status_slave_io_running`, `..._slave_sql_running`, `..._seconds_behind_master`.
 * - HAProxy exports its own metrics (`listen stats` in lib/render/haproxy.ts, `HAPROXY_METRICS_PORT`).
 *
 * VPC address binding (one approach for every daemon): the droplet's VPC IPv4 is known only at boot and lands in
 * `/etc/tierform/net.env` as `TIERFORM_PRIVATE_IP` (lib/render/base.ts). A drop-in
 * `/etc/systemd/system/<unit>.service.d/50-tierform.conf` adds that file as `EnvironmentFile=` and replaces
 * `ExecStart=` with one that carries `--web.listen-address=${TIERFORM_PRIVATE_IP}:<port>`: systemd expands
 * `${VAR}` inside an ExecStart argument itself. Setting the address inside `ARGS` of `/etc/default/<package>`
 * would not work: the unit expands `$ARGS`, but the value of ARGS is not expanded again. The package's `$ARGS`
 * is still appended, so local additions there keep working. Why a drop-in rather than `/etc/default/*`: those are
 * package conffiles (written before the package, dpkg objects; written after it, the service already started
 * listening on every address), while a drop-in written before the package is installed is already in force
 * the first time the package starts the service.
 *
 * Boot order this implies (cloud-config owner): write the drop-ins with the early `write_files` (before
 * packages). While `/etc/tierform/net.env` does not exist yet, the package's automatic start fails on the
 * missing `EnvironmentFile=` instead of listening everywhere; once the netinfo step has written it, run
 * `systemctl restart <unit>` for each exporter (and Prometheus). Files owned by `prometheus` (the mysqld_exporter
 * credentials) and package conffiles (`/etc/prometheus/prometheus.yml`) must be deferred until after the
 * packages are installed.
 */
import { NET_ENV_FILE } from './base';
import { absPath, integer, port, refuse, refuseSecret, unitName, word } from './guards';
import type { MysqlFlavor } from './mysql';

/** node_exporter's port. */
export const NODE_EXPORTER_PORT = 9100;
/** nginx exporter's port. */
export const NGINX_EXPORTER_PORT = 9113;
/** mysqld_exporter's port. */
export const MYSQLD_EXPORTER_PORT = 9104;
/** Loopback port of nginx's `stub_status` server, read by the nginx exporter. */
export const NGINX_STUB_STATUS_PORT = 8080;

/** The systemd reference to the droplet's VPC address, expanded by systemd from `EnvironmentFile=`. */
export const PRIVATE_IP_REF = '${TIERFORM_PRIVATE_IP}';

/** Debian/Ubuntu package names (systemd units have the same names). */
export const EXPORTER_PACKAGES = {
  node: 'prometheus-node-exporter',
  nginx: 'prometheus-nginx-exporter',
  mysqld: 'prometheus-mysqld-exporter',
} as const;

/** Where the drop-in of `unit` (e.g. `prometheus-node-exporter`) is written. */
export function dropInPath(unit: string): string {
  return `/etc/systemd/system/${serviceName('unit', unit)}.service.d/50-tierform.conf`;
}

/** A drop-in that runs a packaged daemon on the VPC address only. */
export interface VpcDropInOptions {
  /** What the drop-in is for; becomes the first comment line. */
  readonly description: string;
  /** Absolute path of the daemon (the package's binary). */
  readonly executable: string;
  /**
   * Arguments, already in systemd syntax: the renderers build them with `systemdArg()` for plain values and
   * insert `PRIVATE_IP_REF` themselves. `$ARGS` (the package's `/etc/default` file) is appended.
   */
  readonly args: readonly string[];
  /** Extra `ExecStartPre=` commands, in systemd syntax, run after the address check. */
  readonly execStartPre?: readonly string[];
  /** Units to start after (ordering only). */
  readonly after?: readonly string[];
  /**
   * Units that must run first (`Requires=` + `After=`), e.g. the sizing service whose file `environmentFiles` reads.
   * @default - none
   */
  readonly requires?: readonly string[];
  /** More `EnvironmentFile=`s, read after `netEnvFile`. @default - none */
  readonly environmentFiles?: readonly string[];
  /**
   * Environment file holding `TIERFORM_PRIVATE_IP`.
   * @default '/etc/tierform/net.env'
   */
  readonly netEnvFile?: string;
}

/**
 * Text of a `<unit>.service.d/50-tierform.conf` drop-in: reads `netEnvFile`, refuses to start while
 * `TIERFORM_PRIVATE_IP` is empty (the daemon would otherwise listen on `:<port>`, every address), replaces the
 * package's `ExecStart=` and restarts on failure every 5 s (the VPC interface may come up after the unit).
 */
export function renderVpcDropIn(o: VpcDropInOptions): string {
  if (o.args.length === 0 || !o.args.some((a) => a.includes(PRIVATE_IP_REF))) {
    refuse('args', `must bind the daemon to ${PRIVATE_IP_REF}`, o.args);
  }
  o.args.forEach((a, i) => word(`args[${i}]`, a));
  const requires = (o.requires ?? []).map((u, i) => unitName(`requires[${i}]`, u));
  const after = ['network-online.target', ...(o.after ?? []), ...requires].map((u, i) => unitName(`after[${i}]`, u));
  const netEnvFile = absPath('netEnvFile', o.netEnvFile ?? NET_ENV_FILE);
  return [
    `# ${o.description.replace(/\n/g, ' ')}`,
    '# Rendered by tierform (lib/render/exporters.ts); local edits are overwritten.',
    '[Unit]',
    `After=${after.join(' ')}`,
    'Wants=network-online.target',
    ...(requires.length > 0 ? [`Requires=${requires.join(' ')}`] : []),
    '',
    '[Service]',
    `# TIERFORM_PRIVATE_IP: this droplet's VPC address, written at boot from the metadata service.`,
    `EnvironmentFile=${netEnvFile}`,
    ...(o.environmentFiles ?? []).map((f, i) => `EnvironmentFile=${absPath(`environmentFiles[${i}]`, f)}`),
    '# An empty address would make the daemon listen on every interface: refuse to start instead.',
    `ExecStartPre=/usr/bin/test -n ${PRIVATE_IP_REF}`,
    ...(o.execStartPre ?? []).map((c) => `ExecStartPre=${c}`),
    '# Replaces the package ExecStart; its $ARGS (/etc/default/...) still apply.',
    'ExecStart=',
    `ExecStart=${absPath('executable', o.executable)} ${o.args.join(' ')} $ARGS`,
    'Restart=on-failure',
    'RestartSec=5s',
    '',
  ].join('\n');
}

/** One plain value as a systemd ExecStart argument: `%` and `$` doubled (literal); one `word`. */
export function systemdArg(field: string, value: string): string {
  return word(field, value).replace(/%/g, '%%').replace(/\$/g, '$$$$');
}

// ---- node_exporter --------------------------------------------------------------------------------------------

/**
 * Filesystem types the filesystem collector skips: node_exporter 1.5's default list plus `tmpfs` and `ramfs`
 * (memory, not disk: /run, /dev/shm would only add noise to disk alerts).
 */
export const NODE_EXPORTER_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|' +
  'overlay|proc|procfs|pstore|ramfs|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tmpfs|tracefs)$';

/**
 * Mount points the filesystem collector skips. Unlike node_exporter's default, `/mnt` and `/media` are kept:
 * DigitalOcean mounts block storage volumes under `/mnt` (the database volume, lib/render/mysql.ts).
 */
export const NODE_EXPORTER_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';

/** Services whose state the systemd collector reports (`node_systemd_unit_state`), by default. */
export const DEFAULT_SYSTEMD_UNITS: readonly string[] = [
  'nginx',
  'haproxy',
  'keepalived',
  'mysql',
  'mariadb',
  'tierform-app',
  'prometheus',
  'prometheus-node-exporter',
  'prometheus-nginx-exporter',
  'prometheus-mysqld-exporter',
  'ssh',
  'fail2ban',
  'cron',
  'systemd-timesyncd',
];

export interface NodeExporterOptions {
  /**
   * TCP port on the VPC address.
   * @default 9100
   */
  readonly listenPort?: number;
  /**
   * Services (names without `.service`) the systemd collector reports; a name not present on the droplet is
   * simply absent.
   * @default DEFAULT_SYSTEMD_UNITS
   */
  readonly systemdUnits?: readonly string[];
  /** @default '/etc/tierform/net.env' */
  readonly netEnvFile?: string;
}

/** Drop-in for `prometheus-node-exporter.service`: VPC address, systemd collector, disk-only filesystems. */
export function renderNodeExporterDropIn(o: NodeExporterOptions = {}): string {
  const units = o.systemdUnits ?? DEFAULT_SYSTEMD_UNITS;
  if (units.length === 0) {
    refuse('systemdUnits', 'must name at least one service', units);
  }
  units.forEach((u, i) => {
    if (!/^[A-Za-z0-9_@-]+$/.test(u)) {
      refuse(`systemdUnits[${i}]`, "must be a service name without '.service'", u);
    }
  });
  return renderVpcDropIn({
    description: 'node_exporter: machine metrics on the VPC address only.',
    executable: '/usr/bin/prometheus-node-exporter',
    args: [
      `--web.listen-address=${PRIVATE_IP_REF}:${port('listenPort', o.listenPort ?? NODE_EXPORTER_PORT)}`,
      '--collector.systemd',
      // `[.]` rather than `\.`: systemd would unescape a backslash.
      systemdArg('systemdUnits', `--collector.systemd.unit-include=(${units.join('|')})[.]service`),
      systemdArg('fsTypesExclude', `--collector.filesystem.fs-types-exclude=${NODE_EXPORTER_FS_TYPES_EXCLUDE}`),
      systemdArg('mountPointsExclude', `--collector.filesystem.mount-points-exclude=${NODE_EXPORTER_MOUNT_POINTS_EXCLUDE}`),
    ],
    netEnvFile: o.netEnvFile,
  });
}

// ---- nginx ----------------------------------------------------------------------------------------------------

export interface NginxStubStatusOptions {
  /**
   * Loopback port of the status server.
   * @default 8080
   */
  readonly port?: number;
}

/**
 * A `server { ... }` block for nginx.conf's `http { }` (indented for it): `stub_status` at
 * `http://127.0.0.1:<port>/stub_status`, loopback only (bound to 127.0.0.1, and `allow 127.0.0.1; deny all`).
 * Debian's and Ubuntu's nginx are built with the stub_status module.
 */
export function renderNginxStubStatusServer(o: NginxStubStatusOptions = {}): string {
  const p = port('port', o.port ?? NGINX_STUB_STATUS_PORT);
  return [
    '    # Connection counters for the Prometheus nginx exporter; loopback only (lib/render/exporters.ts).',
    '    server {',
    `        listen 127.0.0.1:${p};`,
    '        server_name _;',
    '        access_log off;',
    '        location = /stub_status {',
    '            stub_status;',
    '            allow 127.0.0.1;',
    '            deny all;',
    '        }',
    '        location / {',
    '            return 404;',
    '        }',
    '    }',
    '',
  ].join('\n');
}

export interface NginxExporterOptions {
  /**
   * TCP port on the VPC address.
   * @default 9113
   */
  readonly listenPort?: number;
  /**
   * Port of `renderNginxStubStatusServer` on 127.0.0.1.
   * @default 8080
   */
  readonly stubStatusPort?: number;
  /** @default '/etc/tierform/net.env' */
  readonly netEnvFile?: string;
}

/** Drop-in for `prometheus-nginx-exporter.service`: reads the loopback stub_status, listens on the VPC address. */
export function renderNginxExporterDropIn(o: NginxExporterOptions = {}): string {
  const stub = port('stubStatusPort', o.stubStatusPort ?? NGINX_STUB_STATUS_PORT);
  return renderVpcDropIn({
    description: 'nginx exporter: nginx connection metrics on the VPC address only.',
    executable: '/usr/bin/prometheus-nginx-exporter',
    args: [
      `--nginx.scrape-uri=http://127.0.0.1:${stub}/stub_status`,
      `--web.listen-address=${PRIVATE_IP_REF}:${port('listenPort', o.listenPort ?? NGINX_EXPORTER_PORT)}`,
    ],
    after: ['nginx.service'],
    netEnvFile: o.netEnvFile,
  });
}

// ---- mysqld_exporter ------------------------------------------------------------------------------------------

/** Credentials file of mysqld_exporter: mode 0600, owner `prometheus:prometheus` (the unit's `User=`). */
export const MYSQLD_EXPORTER_CNF = {
  path: '/etc/tierform/mysqld-exporter.cnf',
  permissions: '0600',
  owner: 'prometheus:prometheus',
} as const;

/** The exporter's MySQL account name. */
export const MYSQLD_EXPORTER_USER = 'exporter';

/** The server's unix socket on Ubuntu (MySQL 8.0 and MariaDB 10.11 alike). */
export const MYSQLD_SOCKET = '/run/mysqld/mysqld.sock';

export interface MysqldExporterCnfOptions {
  /**
   * The account's password: a Terraform token (sensitive variable) inserted verbatim. The file is read by the
   * exporter's INI parser (go-ini), which cuts a value at `#` or `;` even inside '...' or "...", but not inside
   * backquotes: the value is written as `` `password` ``. It must not contain a backquote, a line break or `?`:
   * mysqld_exporter 0.14/0.15 pastes the password into a DSN and then appends `?lock_wait_timeout=...` or
   * `&...` depending on whether the DSN already holds a `?`, so a `?` in the password breaks the connection
   * (checked here for literal values; a token's value must be validated where the variable is declared).
   */
  readonly password: string;
  /**
   * Unix socket of the local server. The account is `'exporter'@'localhost'`, which only matches socket
   * connections; the server listens on the VPC address, not 127.0.0.1.
   * @default '/run/mysqld/mysqld.sock'
   */
  readonly socket?: string;
}

/** Text of `/etc/tierform/mysqld-exporter.cnf` (see `MYSQLD_EXPORTER_CNF` for its mode and owner). */
export function renderMysqldExporterCnf(o: MysqldExporterCnfOptions): string {
  if (o.password === '' || /[`?\r\n]/.test(o.password)) {
    refuseSecret('password', "must be non-empty without backquotes, '?' or line breaks");
  }
  return [
    '# mysqld_exporter credentials (rendered by tierform, lib/render/exporters.ts). Secret: 0600 prometheus.',
    '# The password is backquoted: the exporter would otherwise cut it at # or ;.',
    '[client]',
    `user = ${MYSQLD_EXPORTER_USER}`,
    `password = \`${o.password}\``,
    `socket = ${absPath('socket', o.socket ?? MYSQLD_SOCKET)}`,
    '',
  ].join('\n');
}

export interface MysqldExporterAccountSqlOptions {
  readonly flavor: MysqlFlavor;
  /**
   * Password text placed inside single quotes, normally a shell expansion such as `${EXPORTER_PASSWORD}` that
   * the setup script's heredoc expands (the value itself never in the plan). No `'`, `\` or line break.
   */
  readonly password: string;
  /**
   * Connections the account may hold at once (`MAX_USER_CONNECTIONS`).
   * @default 3
   */
  readonly maxUserConnections?: number;
}

/**
 * SQL creating (or updating) `'exporter'@'localhost'` with only what the exporter's default collectors read:
 * PROCESS (InnoDB and process list tables) and replication status (MySQL: REPLICATION CLIENT; MariaDB 10.5.9+
 * split it: BINLOG MONITOR, and SLAVE MONITOR for `SHOW SLAVE STATUS`). No SELECT: `SELECT ON *.*`, often
 * suggested for the exporter, would let it read every table, app data and `mysql.*` hashes included.
 *
 * Checked on MariaDB 10.11 with mysqld_exporter 0.14: with REPLICATION CLIENT alone (= BINLOG MONITOR there) the
 * slave_status collector fails with error 1227 ("SUPER, SLAVE MONITOR") and the replication metrics vanish.
 *
 * Run it on the primary only: the statements are binary-logged and replicate the account to every replica.
 * On MariaDB the password is hashed with PASSWORD() first and the statements run prepared, so the binary log holds
 * the hash, never the password (MySQL 8.0 logs CREATE/ALTER USER with the hash already).
 */
export function renderMysqldExporterAccountSql(o: MysqldExporterAccountSqlOptions): string {
  if (o.password === '' || /['\\\r\n]/.test(o.password)) {
    refuseSecret('password', 'must be non-empty without quotes, backslashes or line breaks');
  }
  const max = integer('maxUserConnections', o.maxUserConnections ?? 3, 1, 1000);
  const account = `'${MYSQLD_EXPORTER_USER}'@'localhost'`;
  const limits = `WITH MAX_USER_CONNECTIONS ${max}`;
  switch (o.flavor) {
    case 'mysql-8.0':
      return [
        `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY '${o.password}' ${limits};`,
        `ALTER USER ${account} IDENTIFIED BY '${o.password}' ${limits};`,
        `GRANT PROCESS, REPLICATION CLIENT ON *.* TO ${account};`,
        '',
      ].join('\n');
    case 'mariadb-10.11': {
      const quoted = account.replace(/'/g, "''");
      const prepared = (verb: string) => [
        `SET @tierform_sql = CONCAT('${verb} ${quoted} IDENTIFIED BY PASSWORD ''', @tierform_hash, ''' ${limits}');`,
        'PREPARE tierform_stmt FROM @tierform_sql;',
        'EXECUTE tierform_stmt;',
      ];
      return [
        `SET @tierform_hash = PASSWORD('${o.password}');`,
        ...prepared('CREATE USER IF NOT EXISTS'),
        ...prepared('ALTER USER'),
        'DEALLOCATE PREPARE tierform_stmt;',
        'SET @tierform_hash = NULL, @tierform_sql = NULL;',
        `GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ${account};`,
        '',
      ].join('\n');
    }
    default:
      refuse('flavor', "must be 'mysql-8.0' or 'mariadb-10.11'", o.flavor);
  }
}

export interface MysqldExporterOptions {
  /**
   * TCP port on the VPC address.
   * @default 9104
   */
  readonly listenPort?: number;
  /**
   * Credentials file (`renderMysqldExporterCnf`).
   * @default '/etc/tierform/mysqld-exporter.cnf'
   */
  readonly cnfPath?: string;
  /** @default '/etc/tierform/net.env' */
  readonly netEnvFile?: string;
}

/** Drop-in for `prometheus-mysqld-exporter.service`: credentials file, replication status, VPC address. */
export function renderMysqldExporterDropIn(o: MysqldExporterOptions = {}): string {
  return renderVpcDropIn({
    description: 'mysqld_exporter: MySQL/MariaDB metrics on the VPC address only.',
    executable: '/usr/bin/prometheus-mysqld-exporter',
    args: [
      systemdArg('cnfPath', `--config.my-cnf=${absPath('cnfPath', o.cnfPath ?? MYSQLD_EXPORTER_CNF.path)}`),
      `--web.listen-address=${PRIVATE_IP_REF}:${port('listenPort', o.listenPort ?? MYSQLD_EXPORTER_PORT)}`,
      // On by default; stated because the replication alerts depend on it.
      '--collect.slave_status',
    ],
    after: ['mysql.service', 'mariadb.service'],
    netEnvFile: o.netEnvFile,
  });
}

// ---- helpers (shared ones in ./guards.ts) ----------------------------------------------------------------------

/** A unit named like its package, without `.service` (`prometheus-node-exporter`). */
function serviceName(field: string, value: string): string {
  if (!/^[A-Za-z0-9_@-]+$/.test(value)) {
    refuse(field, "must be a service name without '.service' (letters, digits, '_', '@', '-')", value);
  }
  return value;
}
