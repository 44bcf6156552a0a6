import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { scopeError } from '../lib/errors';
import { CloudConfigFragment } from '../lib/render/cloud-config';
import { NginxBalance, upstreamServerParameters } from '../lib/render/nginx';
import { UPSTREAM_SERVERS_DIR } from '../lib/render/upstream-watch';
import { GUNICORN_UNIT_NAME } from '../lib/render/gunicorn';
import { sizingFragment } from '../lib/fragments/sizing';
import { nginxFragment, upstreamWatchFragment } from '../lib/fragments/web';
import { Messages } from '../lib/errors';
import { checkInteger, checkSize } from '../lib/validate';
import { checkWired } from './_wiring';
import type { AppTier } from './app-tier';
import { AppSource } from './app-source';
import { Balance } from './balance';
import { IConnectable } from './connections';
import { Port } from './port';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import type { IMysqlDatabase } from './primary-replica-mysql';
import { RoleBase, RoleProps } from './role-base';
import { IDiscoverable, InternalName, waitForNames } from './_discovery';
import {
  ResolvedWebServer,
  WebServerProps,
  appDatabaseSettings,
  colocatedWebFragments,
  databaseNames,
  needsSizing,
  resolveWebServer,
} from './_web-options';

/**
 * A set of HTTP servers a load balancer can send traffic to. The load balancer finds the servers at run time by
 * the backend's internal DNS name (`internalName()`), so scaling the backend never changes the load balancer.
 */
export interface IHttpBackend extends IConnectable, IDiscoverable {
  /** Port the servers answer HTTP on. */
  readonly httpPort: number;
  /** Path that answers 200 while a server can take traffic. */
  readonly healthCheckPath: string;
  /** The role's name: the load balancer names the servers after it (`<roleName>1`, `<roleName>2`, …). */
  readonly roleName: string;
  /** How many servers the backend has (a load balancer checks it has a slot for each). */
  readonly serverCount: number;
}

export interface WebTierProps extends RoleProps, WebServerProps {
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
  /**
   * Split tiers (stage 3): proxy to these app servers instead of running the app on the web droplets. nginx
   * then serves `/static/` itself and proxies the rest, with `max_fails`/`fail_timeout` per app server.
   * `database` and `app` belong on the AppTier.
   * @default - gunicorn on each web droplet (unix socket)
   */
  readonly upstream?: AppTier;
  /**
   * How nginx spreads requests over the `upstream` app servers; `Balance.source()` pins each client address to
   * one app server (nginx `ip_hash`, seed 000's sticky sessions for apps that keep sessions in memory).
   * @default Balance.roundRobin()
   */
  readonly upstreamBalance?: Balance;
}

/** Where a web-only tier serves static files from. */
export const STATIC_ROOT = '/var/www/tierform/static';

const NGINX_BALANCE: Record<string, NginxBalance> = { roundrobin: 'round-robin', leastconn: 'least-conn', source: 'ip-hash' };

/**
 * N droplets, each nginx (reverse proxy, rate limiting, its own /health) in front of gunicorn on a unix
 * socket running a WSGI app. Workers default to 2 × vCPUs + 1.
 *
 *   const web = new WebTier(this, 'Web', { vpc, name: 'foobar-web', sshKeys, database: db });
 */
export class WebTier extends RoleBase implements IHttpBackend, IMonitorable {
  public readonly httpPort = 80;
  public readonly healthCheckPath = '/health';
  /** Monitored: nginx (stub_status on loopback, read by the nginx exporter). */
  public readonly exporters: readonly ExporterKind[] = ['nginx'];

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id, props, { defaultPort: Port.HTTP });
    const count = checkInteger(this, 'count', props.count ?? 2, 1, 1000, { why: Messages.countLiteral });
    const code = (props.app ?? AppSource.sample()).bind(this, 'app');

    const database = props.database;
    if (props.upstream && database) {
      throw scopeError(
        this,
        "'database' and 'upstream' are both set: with an app tier, the app talks to the database, so pass 'database' to the AppTier.",
      );
    }
    if (props.upstream && props.app) {
      Annotations.of(this).addWarning(`${this.node.path}: 'app' is ignored when 'upstream' is set: the AppTier runs the app.`);
    }
    if (database) checkWired(this, 'database', database);
    if (props.upstream) checkWired(this, 'upstream', props.upstream);
    if (database) {
      database.connections.allowDefaultPortFrom(this, `${props.name} app to MySQL`);
    }
    // Every droplet of the tier is the same: settings and fragments are built once and shared, so the
    // cloud-config is rendered once per tier (CloudConfig caches bodies by fragment identity).
    const sizeInfo = checkSize(this, 'size', props.size ?? 's-1vcpu-1gb');
    const settings = resolveWebServer(this, props, sizeInfo, props.vpc.ipRange);
    const upstream = props.upstream;
    const fragments: CloudConfigFragment[] = upstream ? this.proxyFragments(settings.nginx, upstream, props.upstreamBalance) : [];
    // Peers this tier resolves at run time; its droplets are created after their records.
    const peers: InternalName[] = upstream ? [upstream.internalName()] : [];
    if (!upstream) {
      const names = database ? databaseNames(database) : undefined;
      const { nginx, app } = colocatedWebFragments(settings, code, database && names ? appDatabaseSettings(database, names) : undefined);
      // Workers counted at every boot, so a resize replaces nothing.
      if (needsSizing(settings)) fragments.push(sizingFragment({ before: [GUNICORN_UNIT_NAME] }));
      // The app first: its setup returns once gunicorn listens, then nginx starts answering /health, which puts a new
      // droplet in the load balancer's rotation (it is found by DNS as soon as it exists).
      fragments.push(app, nginx);
      if (names) peers.push(names.writer, names.reader);
    }
    for (let i = 0; i < count; i++) {
      const droplet = this.addDroplet(`Droplet${i}`, { name: `${props.name}-${i}` });
      for (const fragment of fragments) droplet.addFragment(fragment);
    }
    waitForNames(this.droplets, ...peers);
    this.addOutput(
      'PrivateIpv4',
      this.droplets.map((d) => d.privateIpv4),
      `VPC addresses of ${props.name}`,
    );
    this.addOutput(
      'PublicIpv4',
      this.droplets.map((d) => d.publicIpv4),
      `Public addresses of ${props.name} (firewalled: HTTP only from the load balancer)`,
    );
  }

  /**
   * nginx only: static files here, everything else proxied to the app tier (which admits this tier). The app
   * servers are the A records of the app tier's internal name, kept current by the upstream watcher.
   */
  private proxyFragments(nginx: ResolvedWebServer['nginx'], upstream: AppTier, balance: Balance | undefined): CloudConfigFragment[] {
    upstream.connections.allowDefaultPortFrom(this, `${this.roleName} to the app servers`);
    const serversFile = `${UPSTREAM_SERVERS_DIR}/app.servers`;
    return [
      { commands: [['install', '-d', '-m', '0755', STATIC_ROOT]] },
      upstreamWatchFragment({
        name: upstream.internalName().fqdn,
        port: upstream.port,
        serverParameters: upstreamServerParameters(nginx),
        serversFile,
      }),
      nginxFragment({
        ...nginx,
        upstreamServersFile: serversFile,
        balance: NGINX_BALANCE[(balance ?? Balance.roundRobin()).algorithm],
        staticRoot: STATIC_ROOT,
      }),
    ];
  }

  public get serverCount(): number {
    return this.droplets.length;
  }
}
