import { ReservedIp } from '@cdktf/provider-digitalocean/lib/reserved-ip';
import { Construct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { CloudConfigFragment, memoizedFragment } from '../lib/render/cloud-config';
import { haproxyFragment } from '../lib/fragments/haproxy';
import { LB_HEALTH_PATH, LB_HEALTH_PORT, VRRP_TUNNEL_UDP_PORT } from '../lib/render/keepalived';
import { keepalivedFragment } from '../lib/fragments/keepalived';
import { tlsAfterHaproxy, tlsBeforeHaproxy } from '../lib/fragments/tls';
import { Secret, digitalOceanTokenSecret, secretToken } from '../lib/secrets';
import { checkInteger } from '../lib/validate';
import { Peer } from './connections';
import { Dns, IEntryPoint } from './dns';
import { HttpsProps } from './https';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import { Port } from './port';
import { RoleBase, RoleProps } from './role-base';
import { TierDroplet } from './tier-droplet';
import type { IHttpBackend } from './web-tier';
import { HaproxyBackendInputs, HaproxyBalancingProps, ResolvedHaproxy, backendInputs, checkBackend, resolveHaproxy } from './_haproxy-options';
import { resolveHttps } from './_https-options';
import { waitForNames } from './_discovery';
import { attributeReference } from '../lib/reference';

export interface HaproxyPairProps extends RoleProps, HaproxyBalancingProps {
  /**
   * The DNS zone where each node's VPC address gets a name (`<name>-<i>.internal.<zone>`): the nodes find each other
   * by name at boot, because each droplet's user_data cannot hold the other's address (a Terraform dependency cycle).
   * @default - the stack's Dns zone
   */
  readonly dns?: Dns;
  /**
   * DigitalOcean API token used by the master to assign the reserved IP to itself: a sensitive variable's
   * value (a token with write access to reserved IPs). Literals are refused.
   * @default - a new sensitive variable `<path>_ApiToken`
   */
  readonly apiToken?: Secret;
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
export class HaproxyPair extends RoleBase implements IMonitorable, IEntryPoint {
  public readonly nodes: TierDroplet[] = [];
  public readonly reservedIp: ReservedIp;
  /** Monitored: HAProxy's built-in Prometheus endpoint on each node's VPC address. */
  public readonly exporters: readonly ExporterKind[] = ['haproxy'];
  private readonly backends: IHttpBackend[] = [];
  private readonly haproxy: ResolvedHaproxy;

  constructor(scope: Construct, id: string, props: HaproxyPairProps) {
    super(scope, id, props, { defaultPort: Port.HTTP });
    const https = props.https ? resolveHttps(this, props.https) : undefined;
    this.haproxy = { ...resolveHaproxy(this, props), tls: https?.haproxy };
    const virtualRouterId = checkInteger(this, 'virtualRouterId', props.virtualRouterId ?? 51, 1, 255);
    const apiToken =
      secretToken(this, 'apiToken', props.apiToken) ??
      digitalOceanTokenSecret(this, 'ApiToken', 'DigitalOcean API token the HAProxy pair uses to move its reserved IP').token;

    this.connections.allowFrom(Peer.anywhere(), Port.HTTP, https ? 'public HTTP (redirects to HTTPS)' : 'public HTTP');
    if (https) this.connections.allowFrom(Peer.anywhere(), Port.HTTPS, 'public HTTPS');
    this.connections.allowInternally(Port.udp(VRRP_TUNNEL_UDP_PORT), 'VRRP inside VXLAN between the pair');

    // Unassigned: the master claims it (see the class comment). Created before the nodes, whose user_data names it.
    this.reservedIp = new ReservedIp(this, 'ReservedIp', {
      region: props.vpc.region,
      lifecycle: { ignoreChanges: ['droplet_id'] },
    });
    const zone = Dns.forDiscovery(this, props.dns);
    const nodeName = (i: number): string => `${props.name}-${i}`;
    for (const i of [0, 1] as const) {
      const node = this.addDroplet(`Node${i}`, { name: nodeName(i) });
      this.nodes.push(node);
      // Each node finds the other by name at boot (no depends_on between them: that would be a cycle).
      zone.addInternalRecord(node, 'PeerName', nodeName(i), node.privateIpv4);
    }
    // One HAProxy fragment for both nodes (the same config), rendered again only when the backends change.
    const haproxy = memoizedFragment(
      () => backendInputs(this.backends, this.haproxy.slots),
      (inputs) => this.haproxyFragment(inputs),
    );
    this.nodes.forEach((node, i) => {
      // A usable certificate must exist before HAProxy's config check; issuance starts once HAProxy runs.
      if (https) node.addFragment(tlsBeforeHaproxy(https.role));
      node.addFragment(haproxy);
      if (https) node.addFragment(tlsAfterHaproxy());
      node.addFragment(
        keepalivedFragment({
          nodeIndex: i as 0 | 1,
          routerId: `${props.name}-${i}`,
          reservedIp: this.entryIpv4,
          peerDnsName: zone.internalFqdn(nodeName(1 - i)),
          apiToken,
          virtualRouterId,
        }),
      );
    });
    if (props.backends !== undefined && !Array.isArray(props.backends)) {
      throw propError(this, 'backends', 'must be a list of web tiers', props.backends, 'Pass e.g. [web], or call addBackend(web).');
    }
    for (const backend of props.backends ?? []) this.addBackend(backend);
    this.node.addValidation({
      validate: () => (this.backends.length === 0 ? [scopeError(this, `HaproxyPair ${Messages.noBackends}`).message] : []),
    });

    this.addOutput('ReservedIpv4', this.entryIpv4, 'The reserved IP in front of the pair');
    this.addOutput(
      'NodePublicIpv4',
      this.nodes.map((n) => n.publicIpv4),
      'Public addresses of the two nodes',
    );
    this.addOutput(
      'NodePrivateIpv4',
      this.nodes.map((n) => n.privateIpv4),
      'VPC addresses (stats on :8404)',
    );
  }

  /** The reserved IP, the address clients use: point DNS here (`dns.pointTo(pair)`). */
  public get entryIpv4(): string {
    // One token for every use (lib/reference.ts: no stack trace per reference).
    return (this.reservedIpv4 ??= attributeReference(this.reservedIp, 'ip_address'));
  }

  private reservedIpv4?: string;

  /**
   * Sends traffic to `backend` and lets both nodes in through the backend's firewall. HAProxy finds the backend's
   * servers by its internal DNS name, so scaling the backend never changes the nodes.
   */
  public addBackend(backend: IHttpBackend): this {
    if (this.backends.includes(backend)) return this;
    checkBackend(this, this.backends, backend, this.haproxy.slots);
    this.backends.push(backend);
    waitForNames(this.nodes, backend.internalName());
    backend.connections.allowFrom(this, Port.tcp(backend.httpPort), 'load balancer pair to web');
    return this;
  }

  private haproxyFragment(inputs: HaproxyBackendInputs | undefined): CloudConfigFragment {
    if (inputs === undefined) return {};
    const { slots: _slots, ...haproxy } = this.haproxy;
    return haproxyFragment({ ...haproxy, ...inputs, lbHealth: { port: LB_HEALTH_PORT, path: LB_HEALTH_PATH } });
  }
}
