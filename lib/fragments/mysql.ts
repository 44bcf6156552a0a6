/**
 * The database role: MySQL 8.0 or MariaDB 10.11 with its data on an attached volume, set up at boot as a
 * primary (database + least-privilege accounts) or a replica (GTID replication from the primary). Pure.
 */
import { CloudConfigFragment } from '../render/cloud-config';
import { renderEnvFile } from '../render/env-file';
import {
  MYSQLD_CONF_FILE,
  MYSQLD_MEMORY_CONF_FILE,
  MYSQL_MOUNT_POINT,
  MYSQL_SECRETS_FILE,
  MYSQL_SETUP_SCRIPT,
  MYSQL_SETUP_UNIT,
  MYSQL_VOLUME_SCRIPT,
  MysqlFlavor,
  flavorFacts,
  renderDataVolumeScript,
  renderMysqlSetupUnit,
  renderMysqldConf,
  renderPrimarySetupScript,
  renderReplicaSetupScript,
} from '../render/mysql';

export interface MysqlRoleOptions {
  readonly flavor: MysqlFlavor;
  readonly serverId: number;
  /** MiB; undefined when the droplet's sizing service writes it (see `mysqlSizing`). */
  readonly innodbBufferPoolMb?: number;
  readonly maxConnections: number;
  readonly binlogExpireSeconds: number;
  /** DigitalOcean volume holding the data directory. */
  readonly volumeName: string;
  /** base64 of the passwords (tokens such as `${base64encode(var.x)}`). */
  readonly appPasswordBase64?: string;
  /** Absent on a server with no replicas (no replication account is created). */
  readonly replicationPasswordBase64?: string;
  /** File defining TIERFORM_PRIVATE_IP, the address the server binds to. */
  readonly netEnvFile: string;
  readonly primary?: { readonly database: string; readonly appUser: string; readonly replicationUser?: string; readonly vpcCidr: string };
  readonly replica?: { readonly primaryHost: string; readonly replicationUser: string; readonly waitSeconds: number };
}

/** What the droplet's sizing service must do for MySQL: the buffer pool as `percent` of memory, before mysqld starts. */
export function mysqlSizing(flavor: MysqlFlavor, percent: number): { mysql: { cnfPath: string; bufferPoolPercent: number }; before: string[] } {
  const facts = flavorFacts(flavor);
  return { mysql: { cnfPath: `${facts.confDir}/${MYSQLD_MEMORY_CONF_FILE}`, bufferPoolPercent: percent }, before: [`${facts.serviceName}.service`] };
}

export function mysqlFragment(o: MysqlRoleOptions): CloudConfigFragment {
  const facts = flavorFacts(o.flavor);
  const role = o.replica ? 'replica' : 'primary';
  const common = { flavor: o.flavor, secretsFile: MYSQL_SECRETS_FILE, netEnvFile: o.netEnvFile };
  const setup = o.replica ? renderReplicaSetupScript({ ...common, ...o.replica }) : renderPrimarySetupScript({ ...common, ...o.primary! });
  const secrets: Record<string, string> = {};
  if (o.replicationPasswordBase64) secrets.MYSQL_REPLICATION_PASSWORD_B64 = o.replicationPasswordBase64;
  if (o.appPasswordBase64) secrets.MYSQL_APP_PASSWORD_B64 = o.appPasswordBase64;
  return {
    files: [
      // Written before the server package is installed, so the first start already has binlog, GTID and server_id.
      {
        path: `${facts.confDir}/${MYSQLD_CONF_FILE}`,
        content: renderMysqldConf({
          flavor: o.flavor,
          role,
          serverId: o.serverId,
          innodbBufferPoolMb: o.innodbBufferPoolMb,
          maxConnections: o.maxConnections,
          binlogExpireSeconds: o.binlogExpireSeconds,
        }),
        permissions: '0644',
      },
      { path: MYSQL_SECRETS_FILE, content: renderEnvFile(secrets), permissions: '0600' },
      {
        path: MYSQL_VOLUME_SCRIPT,
        content: renderDataVolumeScript({ volumeName: o.volumeName, mountPoint: MYSQL_MOUNT_POINT, dataDir: '/var/lib/mysql', waitSeconds: 300 }),
        permissions: '0755',
      },
      { path: MYSQL_SETUP_SCRIPT, content: setup, permissions: '0755' },
      { path: `/etc/systemd/system/${MYSQL_SETUP_UNIT}`, content: renderMysqlSetupUnit(o.flavor), permissions: '0644' },
    ],
    commands: [
      // The data directory must be on the volume before the package creates it.
      [MYSQL_VOLUME_SCRIPT],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', facts.debPackage, facts.clientPackage],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', facts.serviceName, MYSQL_SETUP_UNIT],
      ['systemctl', 'start', MYSQL_SETUP_UNIT],
    ],
  };
}
