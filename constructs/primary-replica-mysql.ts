import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { Fn } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { propError } from '../lib/errors';
import { NET_ENV_FILE } from '../lib/render/base';
import { mysqlFragment, mysqlSizing } from '../lib/fragments/mysql';
import { sizingFragment } from '../lib/fragments/sizing';
import { Secret, passwordSecret, secretToken } from '../lib/secrets';
import { Messages } from '../lib/errors';
import { checkInteger, checkMysqlIdentifier, isToken } from '../lib/validate';
import { IConnectable } from './connections';
import type { Dns } from './dns';
import type { ExporterKind, IMonitorable, MysqlMonitoring } from './monitoring-agent';
import { MysqlEngine } from './mysql-engine';
import { Port } from './port';
import { RoleBase, RoleProps } from './role-base';
import { TierDroplet } from './tier-droplet';
import { InternalName, LazyInternalName, publishName, waitForNames } from './_discovery';
import { attributeReference } from '../lib/reference';

/** What an app needs to reach a MySQL database: names it resolves at run time, never addresses in user_data. */
export interface IMysqlDatabase extends IConnectable, IConstruct {
  /** The internal name of the primary (writes). */
  writerName(): InternalName;
  /** The internal name for reads: every replica, or the primary when there is none. */
  readerName(): InternalName;
  readonly port: number;
  readonly databaseName: string;
  readonly appUser: string;
  /** The app account's password. */
  readonly appPassword: Secret;
}

export interface PrimaryReplicaMysqlProps extends RoleProps {
  /** Read replicas (0 for a lone primary). @default 1 */
  readonly replicas?: number;
  /** @default MysqlEngine.mysql8_0() */
  readonly engine?: MysqlEngine;
  /** The app's database. @default 'app' */
  readonly databaseName?: string;
  /** The app's account: privileges on `databaseName` only, from the VPC only. @default 'app' */
  readonly appUser?: string;
  /**
   * Password of the app account: a sensitive TerraformVariable's value (or another token). Literals are refused.
   * @default - a new sensitive variable `<path>_AppPassword` (set TF_VAR_... at deploy)
   */
  readonly appPassword?: Secret;
  /**
   * Password of the replication account (REPLICATION SLAVE only, from the VPC only).
   * @default - a new sensitive variable `<path>_ReplicationPassword`
   */
  readonly replicationPassword?: Secret;
  /** Size of each node's data volume, GiB. @default 20 */
  readonly volumeSizeGiB?: number;
  /**
   * `max_connections`, 10 to 10000: the server needs file descriptors per connection, and above about 10000 it
   * lowers the setting itself ("Changed limits") under the packages' LimitNOFILE.
   * @default 200
   */
  readonly maxConnections?: number;
  /** How long a new replica waits for the primary at boot, seconds. @default 1800 */
  readonly replicaWaitSeconds?: number;
  /** How long the primary keeps binary logs (a new replica can start from them), days. @default 7 */
  readonly binlogExpireDays?: number;
}

/**
 * A MySQL primary and N read replicas on their own droplets, each with its data on a DigitalOcean volume.
 * Binary log + GTID replication is set up at boot (replicas wait for the primary; no manual step), the server
 * binds to the VPC address only, and the firewall admits 3306 only from roles you allow:
 *
 *   const db = new PrimaryReplicaMysql(this, 'Db', { vpc, name: 'foobar-db', sshKeys });
 *   db.connections.allowFrom(web, Port.tcp(3306)); // WebTier does this itself when given `database: db`
 */
export class PrimaryReplicaMysql extends RoleBase implements IMysqlDatabase, IMonitorable {
  public readonly primary: TierDroplet;
  public readonly replicas: TierDroplet[] = [];
  public readonly volumes: Volume[] = [];
  public readonly engine: MysqlEngine;
  public readonly port = 3306;
  public readonly databaseName: string;
  public readonly appUser: string;
  public readonly appPassword: Secret;
  public readonly replicationPassword: Secret;
  /** Monitored: mysqld_exporter on every node (account created by the primary's setup). */
  public readonly exporters: readonly ExporterKind[] = ['mysqld'];
  private readonly names: { readonly writer: LazyInternalName; readonly reader: LazyInternalName };

  constructor(scope: Construct, id: string, props: PrimaryReplicaMysqlProps) {
    super(scope, id, props, { defaultPort: Port.MYSQL });
    // Every node under the role's name (monitoring: RoleBase), the primary under '<name>-primary' (writes, and what
    // replicas replicate from), the replicas (or the primary when there is none) under '<name>-read' (reads).
    const lazy = (publish: (zone: Dns) => InternalName) => new LazyInternalName(this, props.dns, publish);
    this.names = {
      writer: lazy((zone) => publishName(zone, this, 'its primary (writes)', `${this.roleName}-primary`, [this.primary], 'PrimaryName')),
      reader: lazy((zone) =>
        publishName(
          zone,
          this,
          'its replicas (reads)',
          `${this.roleName}-read`,
          this.replicas.length > 0 ? this.replicas : [this.primary],
          'ReadName',
        ),
      ),
    };
    const replicaCount = checkInteger(this, 'replicas', props.replicas ?? 1, 0, 10, { why: Messages.countLiteral });
    const volumeSizeGiB = checkInteger(this, 'volumeSizeGiB', props.volumeSizeGiB ?? 20, 1, 16384, { tokens: 'allow' });
    const maxConnections = checkInteger(this, 'maxConnections', props.maxConnections ?? 200, 10, 10000);
    const waitSeconds = checkInteger(this, 'replicaWaitSeconds', props.replicaWaitSeconds ?? 1800, 60, 86400);
    const binlogDays = checkInteger(this, 'binlogExpireDays', props.binlogExpireDays ?? 7, 1, 90);
    this.engine = props.engine ?? MysqlEngine.mysql8_0();
    this.databaseName = checkMysqlIdentifier(this, 'databaseName', props.databaseName ?? 'app', 'database', 64);
    this.appUser = checkMysqlIdentifier(this, 'appUser', props.appUser ?? 'app', 'account', 32);
    const replicationUser = this.appUser === 'replicator' ? 'replicator2' : 'replicator';
    secretToken(this, 'appPassword', props.appPassword);
    secretToken(this, 'replicationPassword', props.replicationPassword);
    this.appPassword = props.appPassword ?? passwordSecret(this, 'AppPassword', `Password of the MySQL app account of ${this.node.path}`);
    this.replicationPassword =
      props.replicationPassword ?? passwordSecret(this, 'ReplicationPassword', `Password of the MySQL replication account of ${this.node.path}`);
    if (isToken(props.vpc.ipRange)) {
      throw propError(
        this,
        'vpc.ipRange',
        'must be known at synth (it becomes the accounts\u2019 host pattern)',
        '(token)',
        'Give the Vpc a literal ipRange.',
      );
    }

    // Replicas pull the binary log from the primary.
    this.connections.allowInternally(Port.MYSQL, 'replication');

    const appPasswordBase64 = Fn.base64encode(this.appPassword.token);
    const replicationPasswordBase64 = Fn.base64encode(this.replicationPassword.token);
    const sizing = sizingFragment(mysqlSizing(this.engine.flavor, 50));
    const node = (index: number): TierDroplet => {
      const nodeName = index === 0 ? 'primary' : `replica-${index}`;
      const logical = index === 0 ? 'Primary' : `Replica${index}`;
      const volumeName = `${props.name}-${nodeName}-data`;
      const volume = new Volume(this, `${logical}Volume`, {
        name: volumeName,
        region: props.vpc.region,
        size: volumeSizeGiB,
        initialFilesystemType: 'ext4',
        description: `MySQL data of ${props.name}-${nodeName} (tierform)`,
      });
      this.volumes.push(volume);
      const droplet = this.addDroplet(logical, {
        name: `${props.name}-${nodeName}`,
        defaultSize: 's-1vcpu-2gb',
        volumeIds: [attributeReference(volume, 'id')],
      });
      // The buffer pool follows the droplet's memory, computed at every boot: a resize replaces nothing.
      droplet.addFragment(sizing);
      droplet.addFragment(
        mysqlFragment({
          flavor: this.engine.flavor,
          serverId: index + 1,
          maxConnections,
          binlogExpireSeconds: binlogDays * 86400,
          volumeName,
          appPasswordBase64: index === 0 ? appPasswordBase64 : undefined,
          replicationPasswordBase64,
          netEnvFile: NET_ENV_FILE,
          primary: index === 0 ? { database: this.databaseName, appUser: this.appUser, replicationUser, vpcCidr: props.vpc.ipRange } : undefined,
          replica: index === 0 ? undefined : { primaryHost: this.writerName().fqdn, replicationUser, waitSeconds },
        }),
      );
      return droplet;
    };
    this.primary = node(0);
    for (let i = 1; i <= replicaCount; i++) {
      this.replicas.push(node(i));
    }
    // Replicas resolve the primary's name at boot: created after its record.
    if (this.replicas.length > 0) waitForNames(this.replicas, this.writerName());

    this.addOutput('PrimaryPrivateIpv4', this.primary.privateIpv4, 'VPC address of the MySQL primary (writes)');
    this.addOutput(
      'ReplicaPrivateIpv4',
      this.replicas.map((r) => r.privateIpv4),
      'VPC addresses of the read replicas',
    );
  }

  public get mysqlMonitoring(): MysqlMonitoring {
    return { flavor: this.engine.flavor, primary: this.primary };
  }

  /** `<name>-primary.internal.<zone>` → the primary (created on first use). */
  public writerName(): InternalName {
    return this.names.writer.get();
  }

  /** `<name>-read.internal.<zone>` → every replica, or the primary when there is none (created on first use). */
  public readerName(): InternalName {
    return this.names.reader.get();
  }
}
