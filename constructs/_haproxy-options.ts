/**
 * Internal (not exported by index.ts): the HAProxy settings HaproxyLoadBalancer and HaproxyPair share, with
 * their defaults, checked once here.
 */
import { IConstruct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { HaproxyConfigOptions, HaproxyServer } from '../lib/render/haproxy';
import { checkInteger, isToken } from '../lib/validate';
import { Balance } from './balance';
import type { IHttpBackend } from './web-tier';

/** Port of HAProxy's stats page and Prometheus endpoint, bound to the VPC address only. */
export const HAPROXY_STATS_PORT = 8404;

export interface HaproxyBalancingProps {
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

/** Everything of haproxy.cfg except the backends, checked. */
export type ResolvedHaproxy = Omit<HaproxyConfigOptions, 'servers' | 'healthCheckPath'>;

export function resolveHaproxy(scope: IConstruct, props: HaproxyBalancingProps): ResolvedHaproxy {
  const healthCheckHost = props.healthCheckHost ?? 'localhost';
  if (!isToken(healthCheckHost) && !/^[a-z0-9.-]+$/i.test(healthCheckHost)) {
    throw propError(scope, 'healthCheckHost', 'is not a host name', healthCheckHost, Messages.domainInvalid);
  }
  return {
    balance: (props.balance ?? Balance.roundRobin()).algorithm,
    healthCheckHost,
    checkIntervalSeconds: checkInteger(scope, 'checkIntervalSeconds', props.checkIntervalSeconds ?? 2, 1, 300),
    fall: checkInteger(scope, 'fall', props.fall ?? 3, 1, 100),
    rise: checkInteger(scope, 'rise', props.rise ?? 2, 1, 100),
    frontendPort: 80,
    maxConnections: checkInteger(scope, 'maxConnections', props.maxConnections ?? 4096, 1, 1_000_000),
    connectSeconds: 5,
    clientSeconds: 30,
    serverSeconds: checkInteger(scope, 'serverTimeoutSeconds', props.serverTimeoutSeconds ?? 60, 1, 3600),
    httpRequestSeconds: 10,
    httpKeepAliveSeconds: 10,
    queueSeconds: 30,
    stats: { port: HAPROXY_STATS_PORT, bindAddress: '${TIERFORM_PRIVATE_IP}' },
  };
}

/** Every backend server, named uniquely; throws naming `scope` when two share a name. */
export function backendServers(scope: IConstruct, backends: readonly IHttpBackend[]): HaproxyServer[] {
  const servers = backends.flatMap((b) => b.httpServers.map((s) => ({ name: s.name, address: s.address, port: b.httpPort })));
  const names = new Set<string>();
  for (const s of servers) {
    if (names.has(s.name)) throw scopeError(scope, `two backend servers are both named '${s.name}': give each WebTier its own name.`);
    names.add(s.name);
  }
  return servers;
}
