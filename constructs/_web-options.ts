/**
 * Internal (not exported by index.ts): the nginx and gunicorn settings WebTier and SingleServer share, with
 * their defaults, checked once here.
 */
import { Fn } from 'cdktf';
import { IConstruct } from 'constructs';
import { SizeInfo } from '../lib/catalog/sizes';
import { CloudConfigFragment } from '../lib/render/cloud-config';
import { NginxConfOptions } from '../lib/render/nginx';
import { AppCode } from '../lib/render/app-setup';
import { APP_SOCKET, AppDatabaseSettings, appFragment } from '../lib/fragments/app';
import { nginxFragment } from '../lib/fragments/web';
import type { IMysqlDatabase } from './primary-replica-mysql';
import type { InternalName } from './_discovery';
import { checkInteger, checkServerNames, checkTrustedProxies } from '../lib/validate';

export interface WebServerProps {
  /** nginx `server_name`s. @default ['_'] (any host) */
  readonly serverNames?: string[];
  /** Largest request body accepted, MiB. @default 10 */
  readonly clientMaxBodySizeMiB?: number;
  /**
   * Sustained requests per second per client address before 429s, counted by each web droplet's nginx on its own
   * (no shared state): behind a load balancer a client's allowance is this times the web droplets serving, and it
   * shrinks with them when one fails (docs/decisions.md, "Rate limiting per web droplet").
   * @default 10
   */
  readonly rateLimitRequestsPerSecond?: number;
  /** Requests above the rate served at once. @default 20 */
  readonly rateLimitBurst?: number;
  /** Longest nginx waits for the app's response, seconds. @default 60 */
  readonly proxyReadTimeoutSeconds?: number;
  /** Upstream failures within `failTimeoutSeconds` before nginx skips the app server. @default 3 */
  readonly maxFails?: number;
  /** Window for `maxFails` and how long a failing app server is skipped, seconds. @default 30 */
  readonly failTimeoutSeconds?: number;
  /**
   * Proxies whose X-Forwarded-For/-Proto are trusted (the load balancer's network).
   * @default - the VPC's range
   */
  readonly trustedProxyCidrs?: string[];
  /**
   * gunicorn workers.
   * @default - 2 × the droplet's CPUs + 1, counted at every boot (a resize changes it without replacing the droplet)
   */
  readonly workers?: number;
  /** gunicorn kills a worker silent this long, seconds. @default 30 */
  readonly appTimeoutSeconds?: number;
  /**
   * Memory limit of the app service, MiB.
   * @default - half the droplet's memory (systemd `MemoryMax=50%`, which follows a resize)
   */
  readonly appMemoryMaxMiB?: number;
}

export interface ResolvedWebServer {
  readonly nginx: Omit<NginxConfOptions, 'upstreamServers'>;
  /** A number, or 'per-cpu' (counted at boot by the droplet's sizing service). */
  readonly workers: number | 'per-cpu';
  readonly appTimeoutSeconds: number;
  /** MiB, or a percentage of the droplet's memory. */
  readonly appMemoryMax: number | { readonly percent: number };
}

/** True when the app's settings need the droplet's sizing service (workers counted at boot). */
export function needsSizing(settings: Pick<ResolvedWebServer, 'workers'>): boolean {
  return settings.workers === 'per-cpu';
}

/**
 * Defaults and checks of the nginx + gunicorn settings. Values that follow the droplet's size are computed on the
 * droplet (workers at boot, memory as a percentage), so a resize keeps user_data unchanged; `size` is used only to
 * check explicit values.
 */
export function resolveWebServer(
  scope: IConstruct,
  props: WebServerProps,
  size: SizeInfo | undefined,
  vpcRange: string,
  defaults: { readonly appMemoryPercent: number } = { appMemoryPercent: 50 },
): ResolvedWebServer {
  const serverNames = [...checkServerNames(scope, 'serverNames', props.serverNames ?? ['_'])];
  // The default is the VPC's range (a reference for an imported VPC given one: substituted at apply).
  const trusted = props.trustedProxyCidrs === undefined ? [vpcRange] : [...checkTrustedProxies(scope, 'trustedProxyCidrs', props.trustedProxyCidrs)];
  const proxyReadTimeoutSeconds = checkInteger(scope, 'proxyReadTimeoutSeconds', props.proxyReadTimeoutSeconds ?? 60, 1, 3600);
  const memoryMb = size?.memoryMb ?? 1024;
  return {
    nginx: {
      serverNames,
      listenPort: 80,
      balance: 'round-robin',
      maxFails: checkInteger(scope, 'maxFails', props.maxFails ?? 3, 1, 100),
      failTimeoutSeconds: checkInteger(scope, 'failTimeoutSeconds', props.failTimeoutSeconds ?? 30, 1, 3600),
      upstreamKeepalive: 16,
      clientMaxBodySizeMb: checkInteger(scope, 'clientMaxBodySizeMiB', props.clientMaxBodySizeMiB ?? 10, 1, 10240),
      proxyConnectTimeoutSeconds: 5,
      proxySendTimeoutSeconds: proxyReadTimeoutSeconds,
      proxyReadTimeoutSeconds,
      rateLimitRequestsPerSecond: checkInteger(scope, 'rateLimitRequestsPerSecond', props.rateLimitRequestsPerSecond ?? 10, 1, 100000),
      rateLimitBurst: checkInteger(scope, 'rateLimitBurst', props.rateLimitBurst ?? 20, 0, 100000),
      realIpFromCidrs: trusted,
    },
    workers: props.workers === undefined ? 'per-cpu' : checkInteger(scope, 'workers', props.workers, 1, 256),
    appTimeoutSeconds: checkInteger(scope, 'appTimeoutSeconds', props.appTimeoutSeconds ?? 30, 1, 3600),
    appMemoryMax:
      props.appMemoryMaxMiB === undefined
        ? { percent: defaults.appMemoryPercent }
        : checkInteger(scope, 'appMemoryMaxMiB', props.appMemoryMaxMiB, 64, memoryMb),
  };
}

/** The database's internal names an app resolves: the primary for writes, replicas (or the primary) for reads. */
export function databaseNames(database: IMysqlDatabase): { readonly writer: InternalName; readonly reader: InternalName } {
  return { writer: database.writerName(), reader: database.readerName() };
}

/**
 * What the app's environment needs to reach `database`: its internal names (resolved by the app at connect time,
 * so a replaced or added database droplet never changes the app's droplets) and the password as base64 of its token.
 */
export function appDatabaseSettings(database: IMysqlDatabase, names = databaseNames(database)): AppDatabaseSettings {
  return {
    writerHost: names.writer.fqdn,
    readerHost: names.reader.fqdn,
    port: database.port,
    name: database.databaseName,
    user: database.appUser,
    passwordBase64: Fn.base64encode(database.appPassword.token),
  };
}

/** nginx and gunicorn on the same droplet, talking over a unix socket (WebTier, SingleServer). */
export function colocatedWebFragments(
  settings: ResolvedWebServer,
  code: AppCode,
  database: AppDatabaseSettings | undefined,
): { nginx: CloudConfigFragment; app: CloudConfigFragment } {
  return {
    nginx: nginxFragment({ ...settings.nginx, upstreamServers: [`unix:${APP_SOCKET}`] }),
    app: appFragment({
      code,
      workers: settings.workers,
      bind: `unix:${APP_SOCKET}`,
      timeoutSeconds: settings.appTimeoutSeconds,
      memoryMax: settings.appMemoryMax,
      forwardedAllowIps: ['127.0.0.1'],
      socketGroup: 'www-data',
      database,
    }),
  };
}
