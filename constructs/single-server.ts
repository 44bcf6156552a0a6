import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { GUNICORN_UNIT_NAME } from '../lib/render/gunicorn';
import { mysqlFragment, mysqlSizing } from '../lib/fragments/mysql';
import { sizingFragment } from '../lib/fragments/sizing';
import { Secret, passwordSecret, secretToken } from '../lib/secrets';
import { checkInteger, checkMysqlIdentifier } from '../lib/validate';
import { AppSource } from './app-source';
import { Peer } from './connections';
import type { IEntryPoint } from './dns';
import type { ExporterKind, IMonitorable, MysqlMonitoring } from './monitoring-agent';
import { MysqlEngine } from './mysql-engine';
import { Port } from './port';
import { RoleBase, RoleProps } from './role-base';
import { TierDroplet } from './tier-droplet';
import { WebServerProps, colocatedWebFragments, needsSizing, resolveWebServer } from './_web-options';
import { attributeReference } from '../lib/reference';

export interface SingleServerProps extends RoleProps, WebServerProps {
  /** @default AppSource.sample() */
  readonly app?: AppSource;
  /** @default MysqlEngine.mysql8_0() */
  readonly engine?: MysqlEngine;
  /** @default 'app' */
  readonly databaseName?: string;
  /** @default 'app' */
  readonly appUser?: string;
  /**
   * Password of the app's MySQL account: a sensitive variable's value; literals are refused.
   * @default - a new sensitive variable `<path>_AppPassword`
   */
  readonly appPassword?: Secret;
  /** Size of the data volume, GiB. @default 10 */
  readonly volumeSizeGiB?: number;
}

/** MySQL on the same droplet listens on loopback only: this file stands in for net.env for the server's bind. */
const LOOPBACK_ENV_FILE = '/etc/tierform/mysql-loopback.env';

/**
 * Stage 0 in one droplet (seed 002's `0-simple_web_stack`): nginx → gunicorn (unix socket) → MySQL on
 * 127.0.0.1 with its data on a volume. Every component is a single point of failure; the stage 1 constructs
 * split them.
 */
export class SingleServer extends RoleBase implements IMonitorable, IEntryPoint {
  public readonly droplet: TierDroplet;
  public readonly volume: Volume;
  public readonly appPassword: Secret;
  public readonly engine: MysqlEngine;
  /** Monitored: nginx (stub_status and its exporter) and MySQL (mysqld_exporter). */
  public readonly exporters: readonly ExporterKind[] = ['nginx', 'mysqld'];

  constructor(scope: Construct, id: string, props: SingleServerProps) {
    super(scope, id, props, { defaultPort: Port.HTTP });
    const code = (props.app ?? AppSource.sample()).bind(this, 'app');
    const engine = (this.engine = props.engine ?? MysqlEngine.mysql8_0());
    const databaseName = checkMysqlIdentifier(this, 'databaseName', props.databaseName ?? 'app', 'database', 32);
    const appUser = checkMysqlIdentifier(this, 'appUser', props.appUser ?? 'app', 'account', 32);
    secretToken(this, 'appPassword', props.appPassword);
    this.appPassword = props.appPassword ?? passwordSecret(this, 'AppPassword', `Password of the MySQL app account of ${this.node.path}`);
    const volumeSizeGiB = checkInteger(this, 'volumeSizeGiB', props.volumeSizeGiB ?? 10, 1, 16384, { tokens: 'allow' });

    this.connections.allowFrom(Peer.anywhere(), Port.HTTP, 'public HTTP');

    this.volume = new Volume(this, 'DataVolume', {
      name: `${props.name}-data`,
      region: props.vpc.region,
      size: volumeSizeGiB,
      initialFilesystemType: 'ext4',
      description: `MySQL data of ${props.name} (tierform)`,
    });
    this.droplet = this.addDroplet('Droplet', { defaultSize: 's-1vcpu-2gb', volumeIds: [attributeReference(this.volume, 'id')] });
    // The app and MySQL share the droplet's memory: a quarter each to the app and InnoDB's buffer pool, computed on
    // the droplet (systemd percentage; the buffer pool at every boot), so a resize replaces nothing.
    const settings = resolveWebServer(this, props, this.droplet.sizeInfo, props.vpc.ipRange, { appMemoryPercent: 25 });
    const mysqlSizingOptions = mysqlSizing(engine.flavor, 25);
    this.droplet.addFragment(
      sizingFragment({
        mysql: mysqlSizingOptions.mysql,
        before: [...mysqlSizingOptions.before, ...(needsSizing(settings) ? [GUNICORN_UNIT_NAME] : [])],
      }),
    );
    const passwordBase64 = Fn.base64encode(this.appPassword.token);
    const web = colocatedWebFragments(settings, code, { writerHost: '127.0.0.1', port: 3306, name: databaseName, user: appUser, passwordBase64 });
    this.droplet.addFragment(web.nginx);
    this.droplet.addFragment({
      files: [{ path: LOOPBACK_ENV_FILE, content: 'TIERFORM_PRIVATE_IP=127.0.0.1\n', permissions: '0644' }],
    });
    this.droplet.addFragment(
      mysqlFragment({
        flavor: engine.flavor,
        serverId: 1,
        maxConnections: 100,
        binlogExpireSeconds: 7 * 86400,
        volumeName: `${props.name}-data`,
        appPasswordBase64: passwordBase64,
        netEnvFile: LOOPBACK_ENV_FILE,
        primary: { database: databaseName, appUser, vpcCidr: '127.0.0.1/32' },
      }),
    );
    this.droplet.addFragment(web.app);

    this.addOutput('PublicIpv4', this.droplet.publicIpv4, 'Public address of the server');
    this.addOutput('PrivateIpv4', this.droplet.privateIpv4, 'VPC address of the server');
  }

  /** The server's public address: what DNS points at (`dns.pointTo(server)`). */
  public get entryIpv4(): string {
    return this.droplet.publicIpv4;
  }

  public get mysqlMonitoring(): MysqlMonitoring {
    return { flavor: this.engine.flavor, primary: this.droplet };
  }
}
