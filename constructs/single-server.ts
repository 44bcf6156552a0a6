import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { Fn, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { applyAdminAccess } from '../lib/admin-access';
import { propError } from '../lib/errors';
import { GUNICORN_UNIT_NAME } from '../lib/render/gunicorn';
import { mysqlFragment, mysqlSizing } from '../lib/roles/mysql';
import { sizingFragment } from '../lib/roles/sizing';
import { checkSecret, passwordVariable } from '../lib/secrets';
import { checkInteger, checkName, isToken } from '../lib/validate';
import { AppSource } from './app-source';
import { Connections, IConnectable, Peer } from './connections';
import type { ExporterKind, IMonitorable, MysqlMonitoring } from './monitoring-agent';
import { MysqlEngine } from './mysql-engine';
import { Port } from './port';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import { Vpc } from './vpc';
import { IDiscoverable, InternalName, LazyInternalName, publishName } from './_discovery';
import { WebServerProps, colocatedWebFragments, needsSizing, resolveWebServer } from './_web-options';

export interface SingleServerProps extends DropletOptions, WebServerProps {
  readonly vpc: Vpc;
  /** Droplet name and role tag, e.g. 'foobar-www'. */
  readonly name: string;
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
  readonly appPassword?: string;
  /** Size of the data volume, GiB. @default 10 */
  readonly volumeSizeGb?: number;
}

/** MySQL on the same droplet listens on loopback only: this file stands in for net.env for the server's bind. */
const LOOPBACK_ENV_FILE = '/etc/tierform/mysql-loopback.env';

/**
 * Stage 0 in one droplet (seed 002's `0-simple_web_stack`): nginx → gunicorn (unix socket) → MySQL on
 * 127.0.0.1 with its data on a volume. Every component is a single point of failure; the stage 1 constructs
 * split them.
 */
export class SingleServer extends Construct implements IConnectable, IMonitorable, IDiscoverable {
  public readonly connections: Connections;
  public readonly droplet: TierDroplet;
  public readonly firewall: RoleFirewall;
  public readonly volume: Volume;
  public readonly appPassword: string;
  public readonly engine: MysqlEngine;
  /** The server's name (droplet, tag and firewall). */
  public readonly roleName: string;
  private readonly name: LazyInternalName;
  /** Monitored: nginx (stub_status and its exporter) and MySQL (mysqld_exporter). */
  public readonly exporters: readonly ExporterKind[] = ['nginx', 'mysqld'];

  constructor(scope: Construct, id: string, props: SingleServerProps) {
    super(scope, id);
    this.roleName = checkName(this, 'name', props.name);
    this.name = new LazyInternalName(this, props.dns, (zone) => publishName(zone, this.roleName, [this.droplet], 'InternalName'));
    const code = (props.app ?? AppSource.sample()).bind(this, 'app');
    const engine = (this.engine = props.engine ?? MysqlEngine.mysql8_0());
    const databaseName = props.databaseName ?? 'app';
    const appUser = props.appUser ?? 'app';
    for (const [prop, value] of [['databaseName', databaseName], ['appUser', appUser]] as const) {
      if (!isToken(value) && !/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(value)) {
        throw propError(this, prop, 'is not a MySQL identifier (letters, digits, _; at most 32 characters)', value, "Pass e.g. 'app'.");
      }
    }
    checkSecret(this, 'appPassword', props.appPassword);
    this.appPassword = props.appPassword ?? passwordVariable(this, 'AppPassword', `Password of the MySQL app account of ${this.node.path}`).stringValue;
    const volumeSizeGb = checkInteger(this, 'volumeSizeGb', props.volumeSizeGb ?? 10, 1, 16384);

    this.firewall = new RoleFirewall(this, 'Firewall', { name: props.name });
    this.connections = this.firewall.connections;
    this.connections.allowFrom(Peer.anywhere(), Port.tcp(80), 'public HTTP');
    applyAdminAccess(this, this.connections, props);

    this.volume = new Volume(this, 'DataVolume', {
      name: `${props.name}-data`,
      region: props.vpc.region,
      size: volumeSizeGb,
      initialFilesystemType: 'ext4',
      description: `MySQL data of ${props.name} (tierform)`,
    });
    this.droplet = new TierDroplet(this, 'Droplet', {
      ...props,
      vpc: props.vpc,
      role: this.firewall,
      defaultSize: 's-1vcpu-2gb',
      volumeIds: [this.volume.id],
    });
    // The app and MySQL share the droplet's memory: a quarter each to the app and InnoDB's buffer pool, computed on
    // the droplet (systemd percentage; the buffer pool at every boot), so a resize replaces nothing.
    const settings = resolveWebServer(this, props, this.droplet.sizeInfo, props.vpc.ipRange, { appMemoryPercent: 25 });
    const mysqlSizingOptions = mysqlSizing(engine.flavor, 25);
    this.droplet.addRole(
      sizingFragment({ mysql: mysqlSizingOptions.mysql, before: [...mysqlSizingOptions.before, ...(needsSizing(settings) ? [GUNICORN_UNIT_NAME] : [])] }),
    );
    const passwordBase64 = Fn.base64encode(this.appPassword);
    const web = colocatedWebFragments(settings, code, { writerHost: '127.0.0.1', port: 3306, name: databaseName, user: appUser, passwordBase64 });
    this.droplet.addRole(web.nginx);
    this.droplet.addRole({
      files: [{ path: LOOPBACK_ENV_FILE, content: 'TIERFORM_PRIVATE_IP=127.0.0.1\n', permissions: '0644' }],
    });
    this.droplet.addRole(
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
    this.droplet.addRole(web.app);

    new TerraformOutput(this, 'PublicIpv4', { value: this.droplet.publicIpv4, description: 'Public address of the server' });
    new TerraformOutput(this, 'PrivateIpv4', { value: this.droplet.privateIpv4, description: 'VPC address of the server' });
  }

  public get publicIpv4(): string {
    return this.droplet.publicIpv4;
  }

  public get monitoredDroplets(): readonly TierDroplet[] {
    return [this.droplet];
  }

  /** `<name>.internal.<zone>` → the server (created on first use, e.g. by monitoring). */
  public internalName(): InternalName {
    return this.name.get();
  }

  public get mysqlMonitoring(): MysqlMonitoring {
    return { flavor: this.engine.flavor, primary: this.droplet };
  }
}
