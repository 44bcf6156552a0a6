import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { applyAdminAccess } from '../lib/admin-access';
import { Messages, propError, scopeError } from '../lib/errors';
import { CloudConfigFragment } from '../lib/render/cloud-config';
import { HaproxyServer } from '../lib/render/haproxy';
import { haproxyFragment } from '../lib/roles/haproxy';
import { checkInteger, checkName, isToken } from '../lib/validate';
import { Balance } from './balance';
import { Connections, IConnectable, Peer } from './connections';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import { Port } from './port';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import { Vpc } from './vpc';
import type { IHttpBackend } from './web-tier';

export interface HaproxyLoadBalancerProps extends DropletOptions {
  readonly vpc: Vpc;
  /** Droplet name and role tag, e.g. 'foobar-lb'. */
  readonly name: string;
  /** Backends to balance over; more with `addBackend()`. @default - none yet */
  readonly backends?: IHttpBackend[];
  /** @default Balance.roundRobin() */
  readonly balance?: Balance;
  /** Host header of the health check requests. @default 'localhost' */
  readonly healthCheckHost?: string;
  /** Seconds between health checks of each backend server. @default 2 */
  readonly checkIntervalSeconds?: number;
  /** Failed checks before a server leaves rotation. @default 3 */
  readonly fall?: number;
  /** Passed checks before a server returns. @default 2 */
  readonly rise?: number;
  /** Longest a backend response may take, seconds. @default 60 */
  readonly serverTimeoutSeconds?: number;
  /** Concurrent connections the load balancer accepts. @default 4096 */
  readonly maxConnections?: number;
}

/** Port of HAProxy's stats page and Prometheus endpoint, bound to the VPC address only. */
export const HAPROXY_STATS_PORT = 8404;

/**
 * One HAProxy droplet in front of web servers (stage 1): public HTTP in, `option httpchk` on every backend
 * server, stats and metrics only on the VPC address. It is a single point of failure by design; stage 3's
 * HaproxyPair removes it.
 */
export class HaproxyLoadBalancer extends Construct implements IConnectable, IMonitorable {
  public readonly connections: Connections;
  public readonly droplet: TierDroplet;
  public readonly firewall: RoleFirewall;
  public readonly balance: Balance;
  /** The load balancer's name (droplet, tag and firewall). */
  public readonly roleName: string;
  /** Monitored: HAProxy's built-in Prometheus endpoint on the stats listener (VPC address, port 8404). */
  public readonly exporters: readonly ExporterKind[] = ['haproxy'];
  private readonly backends: IHttpBackend[] = [];

  constructor(scope: Construct, id: string, props: HaproxyLoadBalancerProps) {
    super(scope, id);
    this.roleName = checkName(this, 'name', props.name);
    this.balance = props.balance ?? Balance.roundRobin();
    const interval = checkInteger(this, 'checkIntervalSeconds', props.checkIntervalSeconds ?? 2, 1, 300);
    const fall = checkInteger(this, 'fall', props.fall ?? 3, 1, 100);
    const rise = checkInteger(this, 'rise', props.rise ?? 2, 1, 100);
    const serverSeconds = checkInteger(this, 'serverTimeoutSeconds', props.serverTimeoutSeconds ?? 60, 1, 3600);
    const maxConnections = checkInteger(this, 'maxConnections', props.maxConnections ?? 4096, 1, 1_000_000);
    const healthCheckHost = props.healthCheckHost ?? 'localhost';
    if (!isToken(healthCheckHost) && !/^[a-z0-9.-]+$/i.test(healthCheckHost)) {
      throw propError(this, 'healthCheckHost', 'is not a host name', healthCheckHost, Messages.domainInvalid);
    }

    this.firewall = new RoleFirewall(this, 'Firewall', { name: props.name });
    this.connections = this.firewall.connections;
    this.connections.allowFrom(Peer.anywhere(), Port.tcp(80), 'public HTTP');
    applyAdminAccess(this, this.connections, props);
    this.droplet = new TierDroplet(this, 'Droplet', { ...props, vpc: props.vpc, role: this.firewall });

    this.fragmentOptions = { interval, fall, rise, serverSeconds, maxConnections, healthCheckHost };
    // Rendered at synth, so backends added after construction count.
    this.droplet.addRole(() => this.fragment());
    for (const backend of props.backends ?? []) this.addBackend(backend);
    this.node.addValidation({
      validate: () => (this.backends.length === 0 ? [scopeError(this, `HaproxyLoadBalancer ${Messages.noBackends}`).message] : []),
    });

    new TerraformOutput(this, 'PublicIpv4', { value: this.droplet.publicIpv4, description: 'Public address of the load balancer' });
    new TerraformOutput(this, 'PrivateIpv4', { value: this.droplet.privateIpv4, description: 'VPC address (stats on :8404)' });
  }

  private readonly fragmentOptions: {
    interval: number;
    fall: number;
    rise: number;
    serverSeconds: number;
    maxConnections: number;
    healthCheckHost: string;
  };

  /** Sends traffic to `backend` and lets it in through the backend's firewall. */
  public addBackend(backend: IHttpBackend): this {
    if (this.backends.includes(backend)) return this;
    this.backends.push(backend);
    this.droplet.invalidateUserData();
    backend.connections.allowFrom(this, Port.tcp(backend.httpPort), 'load balancer to web');
    return this;
  }

  public get publicIpv4(): string {
    return this.droplet.publicIpv4;
  }

  public get monitoredDroplets(): readonly TierDroplet[] {
    return [this.droplet];
  }

  private fragment(): CloudConfigFragment {
    if (this.backends.length === 0) {
      return {};
    }
    const servers: HaproxyServer[] = this.backends.flatMap((b) => b.httpServers.map((s) => ({ name: s.name, address: s.address, port: b.httpPort })));
    const names = new Set<string>();
    for (const s of servers) {
      if (names.has(s.name)) throw scopeError(this, `two backend servers are both named '${s.name}': give each WebTier its own name.`);
      names.add(s.name);
    }
    const o = this.fragmentOptions;
    return haproxyFragment({
      balance: this.balance.algorithm,
      servers,
      healthCheckPath: this.backends[0].healthCheckPath,
      healthCheckHost: o.healthCheckHost,
      checkIntervalSeconds: o.interval,
      fall: o.fall,
      rise: o.rise,
      frontendPort: 80,
      maxConnections: o.maxConnections,
      connectSeconds: 5,
      clientSeconds: 30,
      serverSeconds: o.serverSeconds,
      httpRequestSeconds: 10,
      httpKeepAliveSeconds: 10,
      queueSeconds: 30,
      stats: { port: HAPROXY_STATS_PORT, bindAddress: '${TIERFORM_PRIVATE_IP}' },
    });
  }
}
