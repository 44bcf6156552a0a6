import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { applyAdminAccess } from '../lib/admin-access';
import { Messages, scopeError } from '../lib/errors';
import { CloudConfigFragment } from '../lib/render/cloud-config';
import { haproxyFragment } from '../lib/roles/haproxy';
import { tlsAfterHaproxy, tlsBeforeHaproxy } from '../lib/roles/tls';
import { checkName } from '../lib/validate';
import { Balance } from './balance';
import { Connections, IConnectable, Peer } from './connections';
import { HttpsProps, resolveHttps } from './https';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import { Port } from './port';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import { Vpc } from './vpc';
import type { IHttpBackend } from './web-tier';
import { HaproxyBalancingProps, ResolvedHaproxy, checkBackend, resolveHaproxy, serverTemplates } from './_haproxy-options';
import { IDiscoverable, InternalName, LazyInternalName, publishName, waitForNames } from './_discovery';

export { HAPROXY_STATS_PORT } from './_haproxy-options';

export interface HaproxyLoadBalancerProps extends DropletOptions, HaproxyBalancingProps {
  readonly vpc: Vpc;
  /** Droplet name and role tag, e.g. 'foobar-lb'. */
  readonly name: string;
  /**
   * Terminate HTTPS here with a Let's Encrypt certificate (DNS-01); HTTP then answers 301 to HTTPS and every
   * response carries HSTS and the security headers.
   * @default - plain HTTP only
   */
  readonly https?: HttpsProps;
}

/**
 * One HAProxy droplet in front of web servers (stage 1): public HTTP in, `option httpchk` on every backend
 * server, stats and metrics only on the VPC address. It is a single point of failure by design; stage 3's
 * HaproxyPair removes it.
 */
export class HaproxyLoadBalancer extends Construct implements IConnectable, IMonitorable, IDiscoverable {
  public readonly connections: Connections;
  public readonly droplet: TierDroplet;
  public readonly firewall: RoleFirewall;
  public readonly balance: Balance;
  /** The load balancer's name (droplet, tag and firewall). */
  public readonly roleName: string;
  /** Monitored: HAProxy's built-in Prometheus endpoint on the stats listener (VPC address, port 8404). */
  public readonly exporters: readonly ExporterKind[] = ['haproxy'];
  private readonly backends: IHttpBackend[] = [];
  private readonly haproxy: ResolvedHaproxy;
  private readonly name: LazyInternalName;

  constructor(scope: Construct, id: string, props: HaproxyLoadBalancerProps) {
    super(scope, id);
    this.roleName = checkName(this, 'name', props.name);
    this.name = new LazyInternalName(this, props.dns, (zone) => publishName(zone, this.roleName, [this.droplet], 'InternalName'));
    this.balance = props.balance ?? Balance.roundRobin();
    const https = props.https ? resolveHttps(this, props.https) : undefined;
    this.haproxy = { ...resolveHaproxy(this, props), tls: https?.haproxy };

    this.firewall = new RoleFirewall(this, 'Firewall', { name: props.name });
    this.connections = this.firewall.connections;
    this.connections.allowFrom(Peer.anywhere(), Port.tcp(80), https ? 'public HTTP (redirects to HTTPS)' : 'public HTTP');
    if (https) this.connections.allowFrom(Peer.anywhere(), Port.tcp(443), 'public HTTPS');
    applyAdminAccess(this, this.connections, props);
    this.droplet = new TierDroplet(this, 'Droplet', { ...props, vpc: props.vpc, role: this.firewall });

    // A usable certificate must exist before HAProxy's config check; issuance starts once HAProxy runs.
    if (https) this.droplet.addRole(tlsBeforeHaproxy(https.role));
    // Rendered at synth, so backends added after construction count.
    this.droplet.addRole(() => this.fragment());
    if (https) this.droplet.addRole(tlsAfterHaproxy());
    for (const backend of props.backends ?? []) this.addBackend(backend);
    this.node.addValidation({
      validate: () => (this.backends.length === 0 ? [scopeError(this, `HaproxyLoadBalancer ${Messages.noBackends}`).message] : []),
    });

    new TerraformOutput(this, 'PublicIpv4', { value: this.droplet.publicIpv4, description: 'Public address of the load balancer' });
    new TerraformOutput(this, 'PrivateIpv4', { value: this.droplet.privateIpv4, description: 'VPC address (stats on :8404)' });
  }

  /**
   * Sends traffic to `backend` and lets it in through the backend's firewall. HAProxy finds the backend's servers
   * by its internal DNS name, so scaling the backend never changes this droplet.
   */
  public addBackend(backend: IHttpBackend): this {
    if (this.backends.includes(backend)) return this;
    checkBackend(this, this.backends, backend, this.haproxy.slots);
    this.backends.push(backend);
    waitForNames([this.droplet], backend.internalName());
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

  /** `<name>.internal.<zone>` → the load balancer (created on first use, e.g. by monitoring). */
  public internalName(): InternalName {
    return this.name.get();
  }

  private fragment(): CloudConfigFragment {
    if (this.backends.length === 0) {
      return {};
    }
    const { slots, ...haproxy } = this.haproxy;
    return haproxyFragment({ ...haproxy, serverTemplates: serverTemplates(this.backends, slots), healthCheckPath: this.backends[0].healthCheckPath });
  }
}
