import { Fn, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { applyAdminAccess } from '../lib/admin-access';
import { APP_SOCKET, appFragment } from '../lib/roles/app';
import { nginxFragment } from '../lib/roles/web';
import { checkInteger, checkName, checkSize } from '../lib/validate';
import { AppSource } from './app-source';
import { Connections, IConnectable } from './connections';
import { Port } from './port';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import type { IMysqlDatabase } from './primary-replica-mysql';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import { Vpc } from './vpc';
import { WebServerProps, resolveWebServer } from './_web-options';

/** A set of HTTP servers a load balancer can send traffic to. */
export interface IHttpBackend extends IConnectable {
  /** Port the servers answer HTTP on. */
  readonly httpPort: number;
  /** Path that answers 200 while a server can take traffic. */
  readonly healthCheckPath: string;
  /** One entry per server: a stable name and its VPC address (a reference). */
  readonly httpServers: { readonly name: string; readonly address: string }[];
}

export interface WebTierProps extends DropletOptions, WebServerProps {
  readonly vpc: Vpc;
  /** Prefix of droplet names and of the role tag, e.g. 'foobar-web' → foobar-web-0, foobar-web-1. */
  readonly name: string;
  /** Number of web/app droplets. @default 2 */
  readonly count?: number;
  /** The code to run. @default AppSource.sample() */
  readonly app?: AppSource;
  /**
   * Database the app uses: its address and credentials reach the app's environment, and the database's
   * firewall admits this tier on 3306.
   * @default - none (the app runs without DB settings)
   */
  readonly database?: IMysqlDatabase;
}

/**
 * N droplets, each nginx (reverse proxy, rate limiting, its own /health) in front of gunicorn on a unix
 * socket running a WSGI app. Workers default to 2 × vCPUs + 1.
 *
 *   const web = new WebTier(this, 'Web', { vpc, name: 'foobar-web', sshKeys, database: db });
 */
export class WebTier extends Construct implements IHttpBackend, IMonitorable {
  public readonly connections: Connections;
  public readonly droplets: TierDroplet[] = [];
  public readonly firewall: RoleFirewall;
  public readonly httpPort = 80;
  public readonly healthCheckPath = '/health';
  /** The tier's name (tag and firewall). */
  public readonly roleName: string;
  /** Monitored: nginx (stub_status on loopback, read by the nginx exporter). */
  public readonly exporters: readonly ExporterKind[] = ['nginx'];

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id);
    this.roleName = checkName(this, 'name', props.name);
    const count = checkInteger(this, 'count', props.count ?? 2, 1, 1000);
    const code = (props.app ?? AppSource.sample()).bind(this, 'app');
    this.firewall = new RoleFirewall(this, 'Firewall', { name: props.name });
    this.connections = this.firewall.connections;
    applyAdminAccess(this, this.connections, props);

    const database = props.database;
    if (database) {
      database.connections.allowFrom(this, Port.tcp(database.port), `${props.name} app to MySQL`);
    }
    // Every droplet of the tier is the same: settings and fragments are built once and shared, so the
    // cloud-config is rendered once per tier (CloudConfig caches bodies by fragment identity).
    const sizeInfo = checkSize(this, 'size', props.size ?? 's-1vcpu-1gb');
    const settings = resolveWebServer(this, props, sizeInfo, props.vpc.ipRange);
    const nginx = nginxFragment({ ...settings.nginx, upstreamServers: [`unix:${APP_SOCKET}`] });
    const app = appFragment({
      code,
      workers: settings.workers,
      bind: `unix:${APP_SOCKET}`,
      timeoutSeconds: settings.appTimeoutSeconds,
      memoryMaxMb: settings.appMemoryMaxMb,
      forwardedAllowIps: ['127.0.0.1'],
      socketGroup: 'www-data',
      database: database
        ? {
            writerHost: database.writerHost,
            readerHost: database.readerHost,
            port: database.port,
            name: database.databaseName,
            user: database.appUser,
            passwordBase64: Fn.base64encode(database.appPassword),
          }
        : undefined,
    });
    for (let i = 0; i < count; i++) {
      const droplet = new TierDroplet(this, `Droplet${i}`, { ...props, name: `${props.name}-${i}`, vpc: props.vpc, role: this.firewall });
      droplet.addRole(nginx);
      droplet.addRole(app);
      this.droplets.push(droplet);
    }
    new TerraformOutput(this, 'PrivateIpv4', {
      value: this.droplets.map((d) => d.privateIpv4),
      description: `VPC addresses of ${props.name}`,
    });
    new TerraformOutput(this, 'PublicIpv4', {
      value: this.droplets.map((d) => d.publicIpv4),
      description: `Public addresses of ${props.name} (firewalled: HTTP only from the load balancer)`,
    });
  }

  public get monitoredDroplets(): readonly TierDroplet[] {
    return this.droplets;
  }

  public get httpServers(): { name: string; address: string }[] {
    return this.droplets.map((d) => ({ name: d.name, address: d.privateIpv4 }));
  }
}
