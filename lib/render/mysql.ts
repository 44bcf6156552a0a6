/**
 * Renders the database tier: the mysqld option file, the data volume mount script and the primary/replica
 * setup scripts run on every boot of a MySQL 8.0 or MariaDB 10.11 droplet (Ubuntu 24.04 archive packages).
 *
 * Pure: plain values in, text out; no cdktf import. Inputs are validated by the construct layer; a value that
 * would break a file here throws a RenderError (./guards.ts). `primaryHost` may be an unresolved Terraform token and is inserted
 * verbatim. The scripts contain literal `${VAR}` shell expansions; the construct layer escapes them for Terraform.
 *
 * Values known only at boot reach the scripts through files written by earlier boot steps, never through the
 * plan: the droplet's VPC address from `/etc/tierform/net.env` (`TIERFORM_PRIVATE_IP`) and the passwords from
 * `/etc/tierform/mysql.env` (0600, `MYSQL_APP_PASSWORD_B64`, `MYSQL_REPLICATION_PASSWORD_B64`: base64 so that any
 * character survives YAML and shell; Terraform guarantees the decoded passwords hold no `'`, `\` or whitespace).
 *
 * Boot order on a database droplet: write `60-tierform.cnf` → `renderDataVolumeScript` → install the server
 * package (it initializes the datadir on the volume with our options, binary log on) → primary or replica setup.
 */
import * as ipaddr from 'ipaddr.js';
import { NET_ENV_FILE } from './base';
import { RenderError, absPath, integer, ipv4Cidr, number, port, refuse, shellQuote, shellWord, word } from './guards';

export type MysqlFlavor = 'mysql-8.0' | 'mariadb-10.11';

/** Package and path facts of a flavor on Ubuntu 24.04. */
export interface MysqlFlavorFacts {
  /** Server package from the Ubuntu archive. */
  readonly debPackage: 'mysql-server' | 'mariadb-server';
  /** Client package (command-line client and admin tool). */
  readonly clientPackage: 'mysql-client' | 'mariadb-client';
  /** systemd unit of the server (`mariadb.service` also answers to `mysql.service` as an alias). */
  readonly serviceName: 'mysql' | 'mariadb';
  /** Directory whose `*.cnf` files the packaged `/etc/mysql/my.cnf` includes for the server. */
  readonly confDir: '/etc/mysql/mysql.conf.d' | '/etc/mysql/mariadb.conf.d';
  /**
   * Command-line client. Each flavor's own name: `mysql` still works with MariaDB 10.11 on Ubuntu, but it is a
   * compatibility symlink that MariaDB 11 moves to a separate package and warns about.
   */
  readonly clientCommand: 'mysql' | 'mariadb';
  /** Admin tool used for `ping`. */
  readonly adminCommand: 'mysqladmin' | 'mariadb-admin';
}

/** Name of the file `renderMysqldConf` is written to, in the flavor's `confDir`. */
export const MYSQLD_CONF_FILE = '60-tierform.cnf';
/**
 * Name of the file the setup scripts write at boot (bind address), in the flavor's `confDir`. It sorts after
 * the package's own file (`mysqld.cnf` / `50-server.cnf`, which bind 127.0.0.1), so its values win.
 */
export const MYSQLD_BIND_CONF_FILE = '61-tierform-bind.cnf';
/**
 * Directory of the primary setup script's hooks: every executable `*.sh` there runs after the script's own
 * statements (other roles' accounts, e.g. the monitoring role's exporter account; see `renderPrimarySetupScript`).
 */
export const MYSQL_SETUP_HOOKS_DIR = '/etc/tierform/mysql-setup.d';
/** The setup scripts' secrets (0600 root): `MYSQL_APP_PASSWORD_B64`, `MYSQL_REPLICATION_PASSWORD_B64`. */
export const MYSQL_SECRETS_FILE = '/etc/tierform/mysql.env';
/** `renderDataVolumeScript`, mode 0755, and where it mounts the volume. */
export const MYSQL_VOLUME_SCRIPT = '/usr/local/sbin/tierform-mysql-volume';
export const MYSQL_MOUNT_POINT = '/mnt/tierform-mysql';
/** The primary or replica setup script, mode 0755, run by `MYSQL_SETUP_UNIT` (`renderMysqlSetupUnit`). */
export const MYSQL_SETUP_SCRIPT = '/usr/local/sbin/tierform-mysql-setup';
export const MYSQL_SETUP_UNIT = 'tierform-mysql-setup.service';

const FACTS: Readonly<Record<MysqlFlavor, MysqlFlavorFacts>> = {
  'mysql-8.0': {
    debPackage: 'mysql-server',
    clientPackage: 'mysql-client',
    serviceName: 'mysql',
    confDir: '/etc/mysql/mysql.conf.d',
    clientCommand: 'mysql',
    adminCommand: 'mysqladmin',
  },
  'mariadb-10.11': {
    debPackage: 'mariadb-server',
    clientPackage: 'mariadb-client',
    serviceName: 'mariadb',
    confDir: '/etc/mysql/mariadb.conf.d',
    clientCommand: 'mariadb',
    adminCommand: 'mariadb-admin',
  },
};

export function flavorFacts(flavor: MysqlFlavor): MysqlFlavorFacts {
  const facts = FACTS[flavor];
  if (!facts) {
    refuse(
      'flavor',
      `must be one of ${Object.keys(FACTS)
        .map((f) => `'${f}'`)
        .join(', ')}`,
      flavor,
    );
  }
  return facts;
}

/** Dotted netmask of an IPv4 CIDR: `10.20.0.0/16` → `255.255.0.0`. */
export function netmaskFromCidr(cidr: string): string {
  return ipaddr.IPv4.subnetMaskFromPrefixLength(ipv4Cidr('cidr', cidr)[1]).toString();
}

/**
 * Account host part matching every address of an IPv4 CIDR, in the `ip/netmask` form both MySQL 8.0 and
 * MariaDB accept: `10.20.5.0/16` → `10.20.0.0/255.255.0.0` (host bits cleared, as the server requires).
 */
export function mysqlHostPattern(cidr: string): string {
  ipv4Cidr('cidr', cidr);
  return `${ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()}/${netmaskFromCidr(cidr)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// mysqld option file

/** The option file `tierform-sizing` writes at boot (buffer pool from memory), beside MYSQLD_CONF_FILE. */
export const MYSQLD_MEMORY_CONF_FILE = '61-tierform-memory.cnf';

export interface MysqldConfOptions {
  readonly flavor: MysqlFlavor;
  readonly role: 'primary' | 'replica';
  /** `server_id`, unique among all servers that replicate with each other (1 to 4294967295). */
  readonly serverId: number;
  /**
   * `innodb_buffer_pool_size`, MiB (roughly 50-70 % of the droplet's memory on a dedicated server).
   * @default - not in this file: `tierform-sizing` writes it at every boot from the droplet's memory
   *   (`MYSQLD_MEMORY_CONF_FILE`), so a resize keeps user_data unchanged
   */
  readonly innodbBufferPoolMb?: number;
  /** `max_connections`. */
  readonly maxConnections: number;
  /** Binary logs older than this are purged, seconds (MariaDB caps it at 8553600, 99 days). */
  readonly binlogExpireSeconds: number;
  /**
   * Statements slower than this go to the slow query log, seconds.
   * @default 1
   */
  readonly slowQuerySeconds?: number;
}

/**
 * The `[mysqld]` file written to `<confDir>/60-tierform.cnf` before the server package is installed.
 * No bind address: that is only known at boot (see `renderBindConf`).
 */
export function renderMysqldConf(o: MysqldConfOptions): string {
  const mysql = isMysql(o.flavor);
  const replica = role(o.role) === 'replica';
  const maxExpire = mysql ? 4_294_967_295 : 8_553_600;
  const slowLog = mysql ? '/var/log/mysql/mysql-slow.log' : '/var/log/mysql/mariadb-slow.log';
  const lines = [
    `# Managed by tierform: ${mysql ? 'MySQL 8.0' : 'MariaDB 10.11'} ${o.role}.`,
    `# ${flavorFacts(o.flavor).confDir}/${MYSQLD_CONF_FILE}; the bind address is in ${MYSQLD_BIND_CONF_FILE}, written at boot.`,
    '[mysqld]',
    '# Replication: binary log with GTIDs, relay log names that survive a hostname change',
    `server_id = ${integer('serverId', o.serverId, 1, 4_294_967_295)}`,
    'log_bin = mysql-bin',
    'relay_log = relay-bin',
    ...(mysql
      ? [
          '# binlog_format is not set: ROW is the default and the option is deprecated since 8.0.34',
          'gtid_mode = ON',
          'enforce_gtid_consistency = ON',
          'log_replica_updates = ON',
        ]
      : [
          'binlog_format = ROW',
          '# GTIDs are always on in MariaDB; strict mode refuses out-of-order or conflicting GTIDs',
          'gtid_strict_mode = ON',
          'log_slave_updates = ON',
        ]),
    `binlog_expire_logs_seconds = ${integer('binlogExpireSeconds', o.binlogExpireSeconds, 3600, maxExpire)}`,
    '# Durability: every commit is on disk in both the InnoDB redo log and the binary log',
    'sync_binlog = 1',
    'innodb_flush_log_at_trx_commit = 1',
    ...(replica
      ? [
          '# Replica: crash-safe relay log, no writes except from replication',
          'relay_log_recovery = ON',
          'read_only = ON',
          ...(mysql ? ['super_read_only = ON'] : []),
        ]
      : []),
    '# Connections',
    'skip_name_resolve = ON',
    'local_infile = OFF',
    `max_connections = ${integer('maxConnections', o.maxConnections, 1, 100_000)}`,
    ...(o.innodbBufferPoolMb === undefined
      ? [`# innodb_buffer_pool_size: ${MYSQLD_MEMORY_CONF_FILE}, written at every boot from the droplet's memory`]
      : [`innodb_buffer_pool_size = ${integer('innodbBufferPoolMb', o.innodbBufferPoolMb, 8, 1_048_576)}M`]),
    '# Slow query log (rotated by the package logrotate rule for /var/log/mysql)',
    ...(mysql
      ? ['slow_query_log = ON', `slow_query_log_file = ${slowLog}`, `long_query_time = ${slowSeconds(o.slowQuerySeconds)}`]
      : ['log_slow_query = ON', `log_slow_query_file = ${slowLog}`, `log_slow_query_time = ${slowSeconds(o.slowQuerySeconds)}`]),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The `[mysqld]` file written at boot to `<confDir>/61-tierform-bind.cnf`: listen on the droplet's VPC address
 * only. `address` is inserted verbatim (the setup scripts pass `${TIERFORM_PRIVATE_IP}`). On MySQL the X
 * protocol listener is pinned to loopback rather than disabled with `mysqlx=OFF`: the packaged `mysqld.cnf`
 * sets `mysqlx-bind-address`, and options of a disabled plugin are not worth betting the start on.
 */
export function renderBindConf(flavor: MysqlFlavor, address: string): string {
  const lines = ['# Managed by tierform: written at boot by the database setup script.', '[mysqld]', `bind-address = ${address}`];
  if (isMysql(flavor)) {
    lines.push('mysqlx-bind-address = 127.0.0.1');
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// Data volume

export interface DataVolumeScriptOptions {
  /** Name of the DigitalOcean volume (`digitalocean_volume.name`), created with `initial_filesystem_type = ext4`. */
  readonly volumeName: string;
  /** Where the volume is mounted, e.g. `/mnt/tierform-mysql`. */
  readonly mountPoint: string;
  /** The server's datadir, bind-mounted from `<mountPoint>/mysql`: `/var/lib/mysql`. */
  readonly dataDir: string;
  /** How long to wait for the volume's block device to appear, seconds. */
  readonly waitSeconds: number;
}

/**
 * Bash script putting the datadir on the DigitalOcean volume; runs on every boot BEFORE the server package is
 * installed. The volume is mounted at `mountPoint` and `<mountPoint>/mysql` is bind-mounted onto `dataDir`:
 * the datadir is then a directory without ext4's `lost+found` (MySQL 8 `--initialize` refuses a non-empty
 * datadir) and keeps the `/var/lib/mysql` path the AppArmor profile allows. Both mounts go to /etc/fstab
 * (`nofail`: a missing volume does not block the boot) and the server units get `RequiresMountsFor=` so that
 * the server never starts on an empty datadir on the root disk.
 */
export function renderDataVolumeScript(o: DataVolumeScriptOptions): string {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/i.test(o.volumeName)) {
    refuse('volumeName', "must be 1 to 64 letters, digits and '-', not starting with '-'", o.volumeName);
  }
  const mountPoint = absPath('mountPoint', o.mountPoint);
  const dataDir = absPath('dataDir', o.dataDir);
  const device = `/dev/disk/by-id/scsi-0DO_Volume_${o.volumeName}`;
  const volumeLine = `${device} ${mountPoint} ext4 defaults,nofail,discard,noatime 0 2`;
  const bindLine = `${mountPoint}/mysql ${dataDir} none bind,nofail,x-systemd.requires-mounts-for=${mountPoint} 0 0`;
  return `#!/usr/bin/env bash
# Managed by tierform: puts the MySQL datadir on the DigitalOcean volume '${o.volumeName}'.
# Runs on every boot, before the server package is installed; idempotent.
set -euo pipefail

readonly LOG_TAG='tierform-mysql-volume'
log() { printf '%s: %s\\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

readonly DEVICE=${shellQuote(device)}
readonly MOUNT_POINT=${shellQuote(mountPoint)}
readonly DATA_DIR=${shellQuote(dataDir)}
readonly WAIT_SECONDS=${integer('waitSeconds', o.waitSeconds, 1, 3600)}
readonly FSTAB=/etc/fstab

# DigitalOcean attaches the volume when the droplet is created; udev may publish the by-id link a little later.
deadline=$((SECONDS + WAIT_SECONDS))
until [[ -b $DEVICE ]]; do
  ((SECONDS < deadline)) || die "volume device $DEVICE did not appear within \${WAIT_SECONDS}s: is the volume attached to this droplet?"
  sleep 2
done

# Adds an fstab line unless a line for the same mount point exists.
ensure_fstab() {
  local mount_point=$1 line=$2
  if ! awk -v mp="$mount_point" '$1 !~ /^#/ && $2 == mp { found = 1 } END { exit !found }' "$FSTAB"; then
    printf '%s\\n' "$line" >>"$FSTAB"
    log "added $mount_point to $FSTAB"
  fi
}
ensure_fstab "$MOUNT_POINT" ${shellQuote(volumeLine)}
ensure_fstab "$DATA_DIR" ${shellQuote(bindLine)}

# The server must never start on an empty datadir on the root disk when the volume is missing.
for unit in mysql mariadb; do
  mkdir -p "/etc/systemd/system/$unit.service.d"
  printf '[Unit]\\nRequiresMountsFor=%s\\n' "$DATA_DIR" >"/etc/systemd/system/$unit.service.d/10-tierform-datadir.conf"
done
systemctl daemon-reload

mkdir -p "$MOUNT_POINT"
mountpoint -q "$MOUNT_POINT" || mount "$MOUNT_POINT"
[[ -d $MOUNT_POINT/mysql ]] || install -d -m 0700 "$MOUNT_POINT/mysql"

mkdir -p "$DATA_DIR"
if ! mountpoint -q "$DATA_DIR"; then
  if [[ -n $(ls -A "$DATA_DIR") ]]; then
    die "$DATA_DIR is not empty on the root disk (server installed before this script?); refusing to hide it"
  fi
  mount "$DATA_DIR"
fi
log "$DATA_DIR is $MOUNT_POINT/mysql on $DEVICE"
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Setup scripts

interface SetupScriptCommon {
  readonly flavor: MysqlFlavor;
  /**
   * Shell-sourceable secrets file (0600 root).
   * @default '/etc/tierform/mysql.env'
   */
  readonly secretsFile?: string;
  /**
   * Shell-sourceable file defining `TIERFORM_PRIVATE_IP`, written by an earlier boot step.
   * @default '/etc/tierform/net.env'
   */
  readonly netEnvFile?: string;
  /**
   * How long to wait for the local server to answer after a (re)start, seconds.
   * @default 120
   */
  readonly serverWaitSeconds?: number;
}

export interface PrimarySetupScriptOptions extends SetupScriptCommon {
  /** Database of the app. */
  readonly database: string;
  /** App account, allowed from `vpcCidr`, with privileges on `database` only. */
  readonly appUser: string;
  /**
   * Replication account, allowed from `vpcCidr`, with `REPLICATION SLAVE` only.
   * @default - no replication account (a server without replicas); `MYSQL_REPLICATION_PASSWORD_B64` is not read
   */
  readonly replicationUser?: string;
  /** The VPC's IPv4 range, e.g. `10.20.0.0/16` (a concrete value: it becomes the accounts' host part). */
  readonly vpcCidr: string;
  /**
   * Directory of hooks run after the script's own statements (overridable at run time with
   * `TIERFORM_MYSQL_HOOKS_DIR`).
   * @default '/etc/tierform/mysql-setup.d'
   */
  readonly hooksDir?: string;
}

/**
 * Bash script run on every boot of the primary, after the server package is installed: writes the bind file,
 * restarts the server if that changed, then as root over the unix socket (Ubuntu's root uses
 * auth_socket/unix_socket, no password) creates the database and both accounts and keeps their passwords in
 * sync with the secrets file.
 *
 * The app account gets SELECT, INSERT, UPDATE, DELETE (its data) and CREATE, ALTER, INDEX, DROP, REFERENCES
 * (its own schema migrations and foreign keys) on `database` only: no global privilege, no FILE, PROCESS,
 * SUPER, GRANT OPTION or account management. `_` in the database name is escaped in the GRANT, where it would
 * be a wildcard. On MySQL both accounts use the default caching_sha2_password: mysql_native_password is
 * deprecated in 8.0 and off by default in 8.4, so the replica fetches the RSA key (GET_SOURCE_PUBLIC_KEY=1)
 * and uses TLS instead.
 *
 * Hooks: then every executable `<hooksDir>/*.sh` runs, one after the other in byte order of their names (C
 * collation, whatever the droplet's locale), with `TIERFORM_MYSQL` (the client command and its arguments: root
 * over the unix socket) and `TIERFORM_PRIVATE_IP` in their environment. The first hook that fails fails the
 * script (and so `tierform-mysql-setup.service`), naming the hook and its exit status; a `*.sh` that is not
 * executable is skipped with a log line. Hooks run on every boot, so they must be idempotent; their statements
 * are binary-logged like the script's own, so replicas get their effects too.
 */
export function renderPrimarySetupScript(o: PrimarySetupScriptOptions): string {
  const facts = flavorFacts(o.flavor);
  const mysql = isMysql(o.flavor);
  const database = identifier('database', o.database, 64);
  const app = identifier('appUser', o.appUser, 32);
  const repl = o.replicationUser === undefined ? undefined : identifier('replicationUser', o.replicationUser, 32);
  if (app === repl) {
    throw new RenderError('replicationUser', `'replicationUser' must differ from 'appUser', both are '${app}'`);
  }
  ipv4Cidr('vpcCidr', o.vpcCidr);
  const host = mysqlHostPattern(o.vpcCidr);
  const appAccount = `'${app}'@'${host}'`;
  const replAccount = repl === undefined ? undefined : `'${repl}'@'${host}'`;
  const grantDb = database.replace(/_/g, '\\_');
  return `${scriptPrelude(o, 'primary', `primary of database '${database}'`)}
APP_PASSWORD="$(decode_password MYSQL_APP_PASSWORD_B64)"
${replAccount ? 'REPLICATION_PASSWORD="$(decode_password MYSQL_REPLICATION_PASSWORD_B64)"\n' : ''}
ensure_bind_address
wait_for_local_server

# Idempotent: CREATE ... IF NOT EXISTS, then ALTER USER keeps the passwords in sync with the secrets file.
# These statements are binary-logged, so every replica gets the database and the accounts too.
log "ensuring database '${database}', app account ${appAccount}${replAccount ? ` and replication account ${replAccount}` : ''}"
"\${MYSQL_CMD[@]}" --batch <<SQL
CREATE DATABASE IF NOT EXISTS \\\`${database}\\\`;
${accountSql(mysql, appAccount, 'APP_PASSWORD')}
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES ON \\\`${grantDb}\\\`.* TO ${appAccount};
${replAccount ? `${accountSql(mysql, replAccount, 'REPLICATION_PASSWORD')}\nGRANT REPLICATION SLAVE ON *.* TO ${replAccount};\n` : ''}SQL

# Hooks of other roles (e.g. the monitoring role's exporter account), in name order; the first failure is fatal.
readonly HOOKS_DIR="\${TIERFORM_MYSQL_HOOKS_DIR:-${absPath('hooksDir', o.hooksDir ?? MYSQL_SETUP_HOOKS_DIR)}}"
run_hooks() {
  local LC_ALL=C hook status
  [[ -d $HOOKS_DIR ]] || return 0
  for hook in "$HOOKS_DIR"/*.sh; do
    [[ -e $hook ]] || continue
    if [[ ! -f $hook || ! -x $hook ]]; then
      log "skipping $hook: not an executable file"
      continue
    fi
    log "running hook $hook"
    status=0
    TIERFORM_MYSQL="\${MYSQL_CMD[*]}" TIERFORM_PRIVATE_IP="$TIERFORM_PRIVATE_IP" "$hook" || status=$?
    ((status == 0)) || die "hook $hook failed with exit status $status"
  done
}
run_hooks
log "primary ready (${facts.serviceName} on \${TIERFORM_PRIVATE_IP}:3306)"
`;
}

export interface ReplicaSetupScriptOptions extends SetupScriptCommon {
  /** Address of the primary; may be an unresolved token (inserted verbatim). */
  readonly primaryHost: string;
  /**
   * Port of the primary.
   * @default 3306
   */
  readonly primaryPort?: number;
  /** Replication account created by the primary's setup script. */
  readonly replicationUser: string;
  /** How long to wait for the primary to accept the replication account, seconds. */
  readonly waitSeconds: number;
}

/**
 * Bash script run on every boot of a replica, after the server package is installed: writes the bind file,
 * restarts the server if that changed; if replication is not configured yet, waits (bounded, with backoff) for
 * the primary to accept the replication account, then points the server at it with GTID auto-positioning and
 * starts replication. Once configured the script only (re)starts replication: the replica keeps serving reads
 * while the primary is down. It writes nothing to the replica's own data (read-only, and local GTIDs would
 * diverge from the primary's).
 *
 * A fresh replica replays the primary's binary log from the beginning (including the database and accounts),
 * which works while the primary still has all its binary logs, as at first boot. A replica added after
 * binary logs expired must first be seeded from a dump of the primary; this script does not do that.
 * A changed replication password is not pushed to an already configured replica.
 */
export function renderReplicaSetupScript(o: ReplicaSetupScriptOptions): string {
  const mysql = isMysql(o.flavor);
  const repl = identifier('replicationUser', o.replicationUser, 32);
  // May be a Terraform token text (the primary's DNS name or address): refused, never escaped.
  const primaryHost = shellWord('primaryHost', word('primaryHost', o.primaryHost));
  const primaryPort = port('primaryPort', o.primaryPort ?? 3306);
  const statusSql = mysql ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS';
  const startSql = mysql ? 'START REPLICA' : 'START SLAVE';
  // MySQL: TLS (the server generates its certificates at initialization) and the RSA key for
  // caching_sha2_password as a fallback. MariaDB 10.11 has no certificates by default: plain, inside the VPC.
  const clientTlsArgs = mysql ? ' --ssl-mode=REQUIRED --get-server-public-key' : '';
  const changeSql = mysql
    ? [
        'CHANGE REPLICATION SOURCE TO',
        "  SOURCE_HOST='${PRIMARY_HOST}',",
        '  SOURCE_PORT=${PRIMARY_PORT},',
        `  SOURCE_USER='${repl}',`,
        "  SOURCE_PASSWORD='${REPLICATION_PASSWORD}',",
        '  SOURCE_AUTO_POSITION=1,',
        '  SOURCE_SSL=1,',
        '  GET_SOURCE_PUBLIC_KEY=1,',
        '  SOURCE_CONNECT_RETRY=10;',
        'START REPLICA;',
      ]
    : [
        'CHANGE MASTER TO',
        "  MASTER_HOST='${PRIMARY_HOST}',",
        '  MASTER_PORT=${PRIMARY_PORT},',
        `  MASTER_USER='${repl}',`,
        "  MASTER_PASSWORD='${REPLICATION_PASSWORD}',",
        '  MASTER_USE_GTID=slave_pos,',
        '  MASTER_CONNECT_RETRY=10;',
        'START SLAVE;',
      ];
  return `${scriptPrelude(o, 'replica', 'replica')}
readonly PRIMARY_HOST=${primaryHost}
readonly PRIMARY_PORT=${primaryPort}
readonly REPLICATION_USER=${shellQuote(repl)}
readonly PRIMARY_WAIT_SECONDS=${integer('waitSeconds', o.waitSeconds, 1, 86_400)}

ensure_bind_address
wait_for_local_server

replication_status="$("\${MYSQL_CMD[@]}" --batch --skip-column-names -e '${statusSql}')"
if [[ -n $replication_status ]]; then
  log "replication is already configured; making sure it runs"
  "\${MYSQL_CMD[@]}" --batch -e '${startSql}'
  exit 0
fi

[[ $PRIMARY_HOST =~ ^[A-Za-z0-9._:-]+$ ]] || die "primary host '$PRIMARY_HOST' is not an IP address or host name"
REPLICATION_PASSWORD="$(decode_password MYSQL_REPLICATION_PASSWORD_B64)"

# The client's password goes in a 0600 temp option file (never argv, visible in ps). Single quotes keep '#'
# and '"' literal; the password has no single quote.
CLIENT_CNF="$(mktemp)"
CLEANUP+=("$CLIENT_CNF")
cat >"$CLIENT_CNF" <<CNF
[client]
user = $REPLICATION_USER
password = '\${REPLICATION_PASSWORD}'
CNF
ERROR_FILE="$(mktemp)"
CLEANUP+=("$ERROR_FILE")

# --defaults-extra-file must be the client's first option.
primary_sql() {
  "\${MYSQL_CMD[0]}" --defaults-extra-file="$CLIENT_CNF" "\${MYSQL_CMD[@]:1}" --protocol=TCP \\
    --host="$PRIMARY_HOST" --port="$PRIMARY_PORT" --connect-timeout=5${clientTlsArgs} --batch --skip-column-names "$@"
}

log "waiting up to \${PRIMARY_WAIT_SECONDS}s for $PRIMARY_HOST:$PRIMARY_PORT to accept '$REPLICATION_USER'"
deadline=$((SECONDS + PRIMARY_WAIT_SECONDS))
delay=1
attempts=1
until primary_sql -e 'SELECT 1' >/dev/null 2>"$ERROR_FILE"; do
  if ((SECONDS + delay > deadline)); then
    log "last error: $(tr '\\n' ' ' <"$ERROR_FILE")"
    die "primary $PRIMARY_HOST:$PRIMARY_PORT did not accept '$REPLICATION_USER' within \${PRIMARY_WAIT_SECONDS}s ($attempts attempts)"
  fi
  sleep "$delay"
  delay=$((delay * 2 > 30 ? 30 : delay * 2))
  attempts=$((attempts + 1))
done

# GTID auto-positioning from an empty server: replays the primary's binary log from its first GTID.
log "configuring replication from $PRIMARY_HOST:$PRIMARY_PORT"
"\${MYSQL_CMD[@]}" --batch <<SQL
${changeSql.join('\n')}
SQL
log "replication from $PRIMARY_HOST:$PRIMARY_PORT started"
`;
}

/**
 * `/etc/systemd/system/tierform-mysql-setup.service`: runs `MYSQL_SETUP_SCRIPT` at every boot once the server is up
 * (replicas resume replication, passwords stay in sync with the secrets file).
 */
export function renderMysqlSetupUnit(flavor: MysqlFlavor): string {
  const serviceName = flavorFacts(flavor).serviceName;
  return `# tierform: database, accounts and replication, re-checked at every boot
[Unit]
Description=tierform MySQL setup (database, accounts, replication)
After=${serviceName}.service network-online.target
Wants=network-online.target
Requires=${serviceName}.service

[Service]
Type=oneshot
ExecStart=${MYSQL_SETUP_SCRIPT}
RemainAfterExit=yes
TimeoutStartSec=3600

[Install]
WantedBy=multi-user.target
`;
}

/**
 * Creates `account` if missing and sets its password from the shell variable `passwordVar` (expanded by the
 * heredoc). MySQL 8.0 rewrites CREATE/ALTER USER to the hashed form before writing the binary log. MariaDB
 * 10.11 logs them verbatim, which would put the plaintext password in every binary and relay log: there the
 * statements are built from `PASSWORD()` and run prepared, so only the hash is logged (the SET of a user
 * variable is not logged, and the prepared statement's text holds no variable reference).
 */
function accountSql(mysql: boolean, account: string, passwordVar: string): string {
  if (mysql) {
    return [
      `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY '\${${passwordVar}}';`,
      `ALTER USER ${account} IDENTIFIED BY '\${${passwordVar}}';`,
    ].join('\n');
  }
  const quoted = account.replace(/'/g, "''");
  return [
    `SET @tierform_hash = PASSWORD('\${${passwordVar}}');`,
    `SET @tierform_sql = CONCAT('CREATE USER IF NOT EXISTS ${quoted} IDENTIFIED BY PASSWORD ''', @tierform_hash, '''');`,
    'PREPARE tierform_stmt FROM @tierform_sql;',
    'EXECUTE tierform_stmt;',
    `SET @tierform_sql = CONCAT('ALTER USER ${quoted} IDENTIFIED BY PASSWORD ''', @tierform_hash, '''');`,
    'PREPARE tierform_stmt FROM @tierform_sql;',
    'EXECUTE tierform_stmt;',
    'DEALLOCATE PREPARE tierform_stmt;',
    'SET @tierform_hash = NULL, @tierform_sql = NULL;',
  ].join('\n');
}

/** Shebang, strict mode, logging, overridable commands, env files, password decoding and bind file helpers. */
function scriptPrelude(o: SetupScriptCommon, tag: 'primary' | 'replica', what: string): string {
  const facts = flavorFacts(o.flavor);
  const secretsFile = absPath('secretsFile', o.secretsFile ?? MYSQL_SECRETS_FILE);
  const netEnvFile = absPath('netEnvFile', o.netEnvFile ?? NET_ENV_FILE);
  const serverWait = integer('serverWaitSeconds', o.serverWaitSeconds ?? 120, 1, 3600);
  const bindConf = renderBindConf(o.flavor, '${TIERFORM_PRIVATE_IP}');
  return `#!/usr/bin/env bash
# Managed by tierform: sets up the ${facts.serviceName} ${what}. Runs on every boot; idempotent.
# Overrides for labs and tests: TIERFORM_MYSQL, TIERFORM_MYSQLADMIN (command and arguments),
# TIERFORM_RESTART_CMD, TIERFORM_CONF_DIR${tag === 'primary' ? ', TIERFORM_MYSQL_HOOKS_DIR' : ''}.
set -euo pipefail

readonly LOG_TAG='tierform-mysql-${tag}'
log() { printf '%s: %s\\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

read -r -a MYSQL_CMD <<<"\${TIERFORM_MYSQL:-${facts.clientCommand}}"
read -r -a MYSQLADMIN_CMD <<<"\${TIERFORM_MYSQLADMIN:-${facts.adminCommand}}"
read -r -a RESTART_CMD <<<"\${TIERFORM_RESTART_CMD:-systemctl restart ${facts.serviceName}}"
readonly CONF_DIR="\${TIERFORM_CONF_DIR:-${facts.confDir}}"
readonly SECRETS_FILE=${shellQuote(secretsFile)}
readonly NET_ENV_FILE=${shellQuote(netEnvFile)}
readonly SERVER_WAIT_SECONDS=${serverWait}

CLEANUP=()
cleanup() { if ((\${#CLEANUP[@]} > 0)); then rm -f -- "\${CLEANUP[@]}"; fi; }
trap cleanup EXIT

[[ -r $NET_ENV_FILE ]] || die "$NET_ENV_FILE is missing (written by the network boot step)"
# shellcheck source=/dev/null
. "$NET_ENV_FILE"
[[ \${TIERFORM_PRIVATE_IP:-} =~ ^[0-9]{1,3}(\\.[0-9]{1,3}){3}$ ]] ||
  die "TIERFORM_PRIVATE_IP from $NET_ENV_FILE is not an IPv4 address: '\${TIERFORM_PRIVATE_IP:-}'"
[[ -r $SECRETS_FILE ]] || die "$SECRETS_FILE is missing"
# shellcheck source=/dev/null
. "$SECRETS_FILE"

# Prints the password base64-encoded in the variable named $1; never logs it.
decode_password() {
  local name=$1 encoded decoded
  encoded="\${!name:-}"
  [[ -n $encoded ]] || die "$name is not set in $SECRETS_FILE"
  decoded="$(printf '%s' "$encoded" | base64 -d 2>/dev/null)" || die "$name in $SECRETS_FILE is not valid base64"
  case $decoded in
    '' | *"'"* | *\\\\* | *[[:space:]]*) die "$name must decode to a non-empty password without quotes, backslashes or whitespace" ;;
  esac
  printf '%s' "$decoded"
}

# Writes ${MYSQLD_BIND_CONF_FILE} (listen on the VPC address only) and restarts the server if it changed.
ensure_bind_address() {
  local target="$CONF_DIR/${MYSQLD_BIND_CONF_FILE}" tmp
  mkdir -p "$CONF_DIR"
  tmp="$(mktemp "$CONF_DIR/.${MYSQLD_BIND_CONF_FILE}.XXXXXX")"
  CLEANUP+=("$tmp")
  cat >"$tmp" <<CNF
${bindConf}CNF
  chmod 0644 "$tmp"
  if ! cmp -s "$tmp" "$target"; then
    mv -f "$tmp" "$target"
    log "bind address is now $TIERFORM_PRIVATE_IP; restarting the server"
    "\${RESTART_CMD[@]}"
  fi
}

wait_for_local_server() {
  local deadline=$((SECONDS + SERVER_WAIT_SECONDS))
  until "\${MYSQLADMIN_CMD[@]}" --connect-timeout=5 ping >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "the local server did not answer within \${SERVER_WAIT_SECONDS}s"
    sleep 1
  done
}
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers (shared ones in ./guards.ts)

function isMysql(flavor: MysqlFlavor): boolean {
  flavorFacts(flavor);
  return flavor === 'mysql-8.0';
}

function role(value: string): 'primary' | 'replica' {
  if (value !== 'primary' && value !== 'replica') {
    refuse('role', "must be 'primary' or 'replica'", value);
  }
  return value;
}

function slowSeconds(value: number | undefined): number {
  return number('slowQuerySeconds', value ?? 1, { min: 0, max: 3600 });
}

function identifier(field: string, value: string, maxLength: number): string {
  if (!new RegExp(`^[A-Za-z0-9_]{1,${maxLength}}$`).test(value)) {
    refuse(field, `must be 1 to ${maxLength} letters, digits or '_'`, value);
  }
  return value;
}
