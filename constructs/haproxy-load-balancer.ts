import { Construct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { CloudConfigFragment, memoizedFragment } from '../lib/render/cloud-config';
import { haproxyFragment } from '../lib/fragments/haproxy';
import { tlsAfterHaproxy, tlsBeforeHaproxy } from '../lib/fragments/tls';
import { Balance } from './balance';
import { Peer } from './connections';
import type { IEntryPoint } from './dns';
import { HttpsProps } from './https';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import { Port } from './port';
import { RoleBase, RoleProps } from './role-base';
import { TierDroplet } from './tier-droplet';
import type { IHttpBackend } from './web-tier';
import { HaproxyBackendInputs, HaproxyBalancingProps, ResolvedHaproxy, backendInputs, checkBackend, resolveHaproxy } from './_haproxy-options';
import { resolveHttps } from './_https-options';
import { waitForNames } from './_discovery';

export { HAPROXY_STATS_PORT } from './_haproxy-options';

export interface HaproxyLoadBalancerProps extends RoleProps, HaproxyBalancingProps {
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
export class HaproxyLoadBalancer extends RoleBase implements IMonitorable, IEntryPoint {
  public readonly droplet: TierDroplet;
  public readonly balance: Balance;
  /** Monitored: HAProxy's built-in Prometheus endpoint on the stats listener (VPC address, port 8404). */
  public readonly exporters: readonly ExporterKind[] = ['haproxy'];
  private readonly backends: IHttpBackend[] = [];
  private readonly haproxy: ResolvedHaproxy;

  constructor(scope: Construct, id: string, props: HaproxyLoadBalancerProps) {
    super(scope, id, props, { defaultPort: Port.HTTP });
    this.balance = props.balance ?? Balance.roundRobin();
    const https = props.https ? resolveHttps(this, props.https) : undefined;
    this.haproxy = { ...resolveHaproxy(this, props), tls: https?.haproxy };

    this.connections.allowFrom(Peer.anywhere(), Port.HTTP, https ? 'public HTTP (redirects to HTTPS)' : 'public HTTP');
    if (https) this.connections.allowFrom(Peer.anywhere(), Port.HTTPS, 'public HTTPS');
    this.droplet = this.addDroplet('Droplet');

    // A usable certificate must exist before HAProxy's config check; issuance starts once HAProxy runs.
    if (https) this.droplet.addFragment(tlsBeforeHaproxy(https.role));
    // Rendered at synth, so backends added after construction count.
    // Rendered again only when the backends change (the other settings are fixed at construction).
    this.droplet.addFragment(
      memoizedFragment(
        () => backendInputs(this.backends, this.haproxy.slots),
        (inputs) => this.fragment(inputs),
      ),
    );
    if (https) this.droplet.addFragment(tlsAfterHaproxy());
    if (props.backends !== undefined && !Array.isArray(props.backends)) {
      throw propError(this, 'backends', 'must be a list of web tiers', props.backends, 'Pass e.g. [web], or call addBackend(web).');
    }
    for (const backend of props.backends ?? []) this.addBackend(backend);
    this.node.addValidation({
      validate: () => (this.backends.length === 0 ? [scopeError(this, `HaproxyLoadBalancer ${Messages.noBackends}`).message] : []),
    });

    this.addOutput('PublicIpv4', this.droplet.publicIpv4, 'Public address of the load balancer');
    this.addOutput('PrivateIpv4', this.droplet.privateIpv4, 'VPC address (stats on :8404)');
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
    backend.connections.allowFrom(this, Port.tcp(backend.httpPort), 'load balancer to web');
    return this;
  }

  /** The load balancer droplet's public address: what DNS points at (`dns.pointTo(lb)`). */
  public get entryIpv4(): string {
    return this.droplet.publicIpv4;
  }

  private fragment(inputs: HaproxyBackendInputs | undefined): CloudConfigFragment {
    if (inputs === undefined) {
      return {};
    }
    const { slots: _slots, ...haproxy } = this.haproxy;
    return haproxyFragment({ ...haproxy, ...inputs });
  }
}
