import { ReservedIp } from '@cdktf/provider-digitalocean/lib/reserved-ip';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { applyAdminAccess } from '../lib/admin-access';
import { Messages, scopeError } from '../lib/errors';
import { CloudConfigFragment } from '../lib/render/cloud-config';
import { haproxyFragment } from '../lib/roles/haproxy';
import { LB_HEALTH_PATH, LB_HEALTH_PORT, VRRP_TUNNEL_UDP_PORT, keepalivedFragment } from '../lib/roles/keepalived';
import { tlsAfterHaproxy, tlsBeforeHaproxy } from '../lib/roles/tls';
import { checkSecret, digitalOceanTokenVariable } from '../lib/secrets';
import { checkInteger, checkName } from '../lib/validate';
import { Connections, IConnectable, Peer } from './connections';
import { Dns } from './dns';
import { HttpsProps, resolveHttps } from './https';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import { Port } from './port';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import { Vpc } from './vpc';
import type { IHttpBackend } from './web-tier';
import { HaproxyBalancingProps, ResolvedHaproxy, checkBackend, resolveHaproxy, serverTemplates } from './_haproxy-options';
import { IDiscoverable, InternalName, LazyInternalName, publishName, waitForNames } from './_discovery';

export interface HaproxyPairProps extends DropletOptions, HaproxyBalancingProps {
  readonly vpc: Vpc;
  /** Prefix of the two droplets and the role tag, e.g. 'foobar-lb' → foobar-lb-0, foobar-lb-1. */
  readonly name: string;
  /**
   * The DNS zone where each node's VPC address gets a name (`<name>-<i>.internal.<zone>`): the nodes find
   * each other by name at boot, because each droplet's user_data cannot hold the other's address (a
   * Terraform dependency cycle).
   */
  readonly dns: Dns;
  /**
   * DigitalOcean API token used by the master to assign the reserved IP to itself: a sensitive variable's
   * value (a token with write access to reserved IPs). Literals are refused.
   * @default - a new sensitive variable `<path>_ApiToken`
   */
  readonly apiToken?: string;
  /**
   * Terminate HTTPS on both nodes (each obtains the same Let's Encrypt certificate by DNS-01); HTTP then answers
   * 301 to HTTPS.
   * @default - plain HTTP only
   */
  readonly https?: HttpsProps;
  /** VRRP virtual router id, unique among VRRP groups sharing the tunnel network. @default 51 */
  readonly virtualRouterId?: number;
}

/**
 * Two HAProxy droplets sharing a DigitalOcean reserved IP (stage 3, seed 004 phase 4). keepalived decides
 * which one is master; the master assigns the reserved IP to itself through the DigitalOcean API.
 *
 * - VRRP between the nodes runs unicast inside a VXLAN tunnel over the VPC (udp/4789): Cloud Firewalls drop
 *   IP protocol 112, so plain VRRP would leave both nodes master. The firewall admits udp/4789 only from the
 *   pair's own tag.
 * - keepalived tracks HAProxy's own health (`monitor-uri` on loopback, failing when no backend is up).
 * - Terraform creates the reserved IP unassigned and never assigns it: whichever node keepalived makes master
 *   claims it through the API, so an apply never moves it back after a failover, and the IP is created before the
 *   nodes whose user_data names it (assigning it from Terraform to node 0 would be a dependency cycle: the IP
 *   would need node 0, node 0's user_data the IP). `lifecycle.ignore_changes = [droplet_id]` guards an import.
 * - HAProxy finds the backends' servers by their internal DNS names, so scaling a backend never changes the nodes.
 */
export class HaproxyPair extends Construct implements IConnectable, IMonitorable, IDiscoverable {
  public readonly connections: Connections;
  public readonly firewall: RoleFirewall;
  public readonly nodes: TierDroplet[] = [];
  public readonly reservedIp: ReservedIp;
  /** The pair's name (tag and firewall). */
  public readonly roleName: string;
  /** Monitored: HAProxy's built-in Prometheus endpoint on each node's VPC address. */
  public readonly exporters: readonly ExporterKind[] = ['haproxy'];
  private readonly backends: IHttpBackend[] = [];
  private readonly haproxy: ResolvedHaproxy;
  private readonly name: LazyInternalName;

  constructor(scope: Construct, id: string, props: HaproxyPairProps) {
    super(scope, id);
    this.roleName = checkName(this, 'name', props.name);
    this.name = new LazyInternalName(this, props.dns, (zone) => publishName(zone, this.roleName, this.nodes, 'InternalName'));
    const https = props.https ? resolveHttps(this, props.https) : undefined;
    this.haproxy = { ...resolveHaproxy(this, props), tls: https?.haproxy };
    const virtualRouterId = checkInteger(this, 'virtualRouterId', props.virtualRouterId ?? 51, 1, 255);
    checkSecret(this, 'apiToken', props.apiToken);
    const apiToken =
      props.apiToken ?? digitalOceanTokenVariable(this, 'ApiToken', 'DigitalOcean API token the HAProxy pair uses to move its reserved IP').stringValue;

    this.firewall = new RoleFirewall(this, 'Firewall', { name: props.name });
    this.connections = this.firewall.connections;
    this.connections.allowFrom(Peer.anywhere(), Port.tcp(80), https ? 'public HTTP (redirects to HTTPS)' : 'public HTTP');
    if (https) this.connections.allowFrom(Peer.anywhere(), Port.tcp(443), 'public HTTPS');
    this.connections.allowInternally(Port.udp(VRRP_TUNNEL_UDP_PORT), 'VRRP inside VXLAN between the pair');
    applyAdminAccess(this, this.connections, props);

    // Unassigned: the master claims it (see the class comment). Created before the nodes, whose user_data names it.
    this.reservedIp = new ReservedIp(this, 'ReservedIp', {
      region: props.vpc.region,
      lifecycle: { ignoreChanges: ['droplet_id'] },
    });
    const nodeName = (i: number): string => `${props.name}-${i}`;
    for (const i of [0, 1] as const) {
      const node = new TierDroplet(this, `Node${i}`, { ...props, name: nodeName(i), vpc: props.vpc, role: this.firewall });
      this.nodes.push(node);
      // Each node finds the other by name at boot (no depends_on between them: that would be a cycle).
      props.dns.addInternalRecord(node, 'PeerName', nodeName(i), node.privateIpv4);
    }
    this.nodes.forEach((node, i) => {
      // A usable certificate must exist before HAProxy's config check; issuance starts once HAProxy runs.
      if (https) node.addRole(tlsBeforeHaproxy(https.role));
      node.addRole(() => this.haproxyFragment());
      if (https) node.addRole(tlsAfterHaproxy());
      node.addRole(
        keepalivedFragment({
          nodeIndex: i as 0 | 1,
          routerId: `${props.name}-${i}`,
          reservedIp: this.reservedIp.ipAddress,
          peerDnsName: props.dns.internalFqdn(nodeName(1 - i)),
          apiToken,
          virtualRouterId,
        }),
      );
    });
    for (const backend of props.backends ?? []) this.addBackend(backend);
    this.node.addValidation({
      validate: () => (this.backends.length === 0 ? [scopeError(this, `HaproxyPair ${Messages.noBackends}`).message] : []),
    });

    new TerraformOutput(this, 'ReservedIpv4', { value: this.reservedIp.ipAddress, description: 'The reserved IP in front of the pair' });
    new TerraformOutput(this, 'NodePublicIpv4', { value: this.nodes.map((n) => n.publicIpv4), description: 'Public addresses of the two nodes' });
    new TerraformOutput(this, 'NodePrivateIpv4', { value: this.nodes.map((n) => n.privateIpv4), description: 'VPC addresses (stats on :8404)' });
  }

  public get monitoredDroplets(): readonly TierDroplet[] {
    return this.nodes;
  }

  /** `<name>.internal.<zone>` → both nodes (created on first use, e.g. by monitoring). */
  public internalName(): InternalName {
    return this.name.get();
  }

  /** The address clients use: point DNS here. */
  public get reservedIpv4(): string {
    return this.reservedIp.ipAddress;
  }

  /**
   * Sends traffic to `backend` and lets both nodes in through the backend's firewall. HAProxy finds the backend's
   * servers by its internal DNS name, so scaling the backend never changes the nodes.
   */
  public addBackend(backend: IHttpBackend): this {
    if (this.backends.includes(backend)) return this;
    checkBackend(this, this.backends, backend, this.haproxy.slots);
    this.backends.push(backend);
    waitForNames(this.nodes, backend.internalName());
    for (const node of this.nodes) node.invalidateUserData();
    backend.connections.allowFrom(this, Port.tcp(backend.httpPort), 'load balancer pair to web');
    return this;
  }

  private haproxyFragment(): CloudConfigFragment {
    if (this.backends.length === 0) return {};
    const { slots, ...haproxy } = this.haproxy;
    return haproxyFragment({
      ...haproxy,
      serverTemplates: serverTemplates(this.backends, slots),
      healthCheckPath: this.backends[0].healthCheckPath,
      lbHealth: { port: LB_HEALTH_PORT, path: LB_HEALTH_PATH },
    });
  }
}
