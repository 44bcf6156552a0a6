/**
 * Internal (not exported by index.ts): the HAProxy settings HaproxyLoadBalancer and HaproxyPair share, with
 * their defaults, checked once here.
 */
import { IConstruct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { HaproxyConfigOptions, HaproxyServerTemplate } from '../lib/render/haproxy';
import { checkHttpPath, checkInteger, checkLiteral, isToken } from '../lib/validate';
import { checkWired } from './_wiring';
import { Balance } from './balance';
import type { IHttpBackend } from './web-tier';

import { HAPROXY_STATS_PORT } from '../lib/render/haproxy';

export { HAPROXY_STATS_PORT };

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
  /**
   * Most servers one backend can grow to. HAProxy finds the servers at run time (DNS) and fills this many slots;
   * the number is fixed in the load balancer's user_data, so raising it later replaces the load balancer.
   * @default 32
   */
  readonly maxServersPerBackend?: number;
}

/** Everything of haproxy.cfg except the backends, checked. */
export type ResolvedHaproxy = Omit<HaproxyConfigOptions, 'servers' | 'serverTemplates' | 'healthCheckPath'> & {
  /** Slots per backend (`server-template … 1-N`). */
  readonly slots: number;
};

export function resolveHaproxy(scope: IConstruct, props: HaproxyBalancingProps): ResolvedHaproxy {
  const healthCheckHost = checkLiteral(
    scope,
    'healthCheckHost',
    props.healthCheckHost ?? 'localhost',
    'tierform writes it into haproxy.cfg at synth.',
  );
  if (
    typeof healthCheckHost !== 'string' ||
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(healthCheckHost) ||
    healthCheckHost.length > 253
  ) {
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
    slots: checkInteger(scope, 'maxServersPerBackend', props.maxServersPerBackend ?? 32, 1, 1024),
  };
}

/**
 * Checks that `backend` can join `existing` behind a load balancer with `slots` per backend: a name of its own, and
 * a slot for each of its servers today.
 */
export function checkBackend(scope: IConstruct, existing: readonly IHttpBackend[], backend: IHttpBackend, slots: number): void {
  if (backend === undefined || backend === null || typeof (backend as IHttpBackend).internalName !== 'function') {
    throw propError(
      scope,
      'backends',
      'contains something that is not a web tier',
      backend,
      'Pass WebTier constructs (or other IHttpBackend implementations).',
    );
  }
  checkWired(scope, 'backends', backend);
  // A backend's health path and port go into haproxy.cfg: judged here, under the backend's own path.
  checkHttpPath(backend, 'healthCheckPath', backend.healthCheckPath);
  checkInteger(backend, 'httpPort', backend.httpPort, 1, 65535);
  if (existing.length > 0 && backend.healthCheckPath !== existing[0].healthCheckPath) {
    throw scopeError(
      scope,
      `backends ${existing[0].node.path} and ${backend.node.path} have different health check paths ('${existing[0].healthCheckPath}' and '${backend.healthCheckPath}'): one load balancer checks every backend on one path. Give them the same path, or use one load balancer per backend.`,
    );
  }
  const clash = existing.find((b) => b.roleName === backend.roleName);
  if (clash !== undefined && !isToken(backend.roleName)) {
    throw scopeError(
      scope,
      `two backends are both named '${backend.roleName}' (${clash.node.path} and ${backend.node.path}): give each WebTier its own name.`,
    );
  }
  if (!isToken(backend.serverCount) && !isToken(slots) && backend.serverCount > slots) {
    throw propError(
      scope,
      'maxServersPerBackend',
      `is smaller than the ${backend.serverCount} servers of ${backend.node.path}`,
      slots,
      `Raise 'maxServersPerBackend' to at least ${backend.serverCount} (leave room to scale: the slots are fixed in the load balancer's user_data).`,
    );
  }
}

/** One `server-template` per backend: its servers are the A records of its internal name. */
export function serverTemplates(backends: readonly IHttpBackend[], slots: number): HaproxyServerTemplate[] {
  return backends.map((b) => ({ name: b.roleName, fqdn: b.internalName().fqdn, port: b.httpPort, slots }));
}

/** What an HAProxy fragment depends on that can still change after construction: the backends. */
export interface HaproxyBackendInputs {
  readonly serverTemplates: HaproxyServerTemplate[];
  readonly healthCheckPath: string;
}

/** The backends' part of the HAProxy config (undefined without backends): plain data, compared by memoizedFragment. */
export function backendInputs(backends: readonly IHttpBackend[], slots: number): HaproxyBackendInputs | undefined {
  if (backends.length === 0) return undefined;
  return { serverTemplates: serverTemplates(backends, slots), healthCheckPath: backends[0].healthCheckPath };
}
