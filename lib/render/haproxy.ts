/**
 * Renders /etc/haproxy/haproxy.cfg for the load balancer droplets (HAProxy 2.6 on Debian 12, 2.8 on Ubuntu 24.04:
 * only syntax valid in both). Pure: plain values in, text out; never imports cdktf.
 *
 * Values unknown until apply:
 * - web droplets' private IPs arrive as Terraform references inside user_data, so a server address may be an
 *   opaque token text (`${TfToken[TOKEN.3]}`) that is inserted verbatim and resolved by Terraform;
 * - the load balancer's own private IP is read by HAProxy from its environment at start
 *   (`bind "${TIERFORM_PRIVATE_IP}:8404"`; HAProxy expands variables only inside double quotes). The
 *   systemd unit reads `EnvironmentFile=-/etc/default/haproxy`, which a boot step writes.
 *
 * Inputs are validated by the construct layer; this file only refuses what would corrupt the file's syntax.
 */
import * as ipaddr from 'ipaddr.js';

/** How HAProxy picks a web server for a request. */
export type HaproxyBalance = 'roundrobin' | 'leastconn' | 'source';

/** One web droplet behind the load balancer. */
export interface HaproxyServer {
  /** Name shown in stats, metrics and logs; unique within the backend (letters, digits, `-`, `_`, `.`). */
  readonly name: string;
  /** Private IPv4/IPv6 literal, or a Terraform token text inserted verbatim (resolved at apply). */
  readonly address: string;
  /** TCP port the web server (nginx) listens on. */
  readonly port: number;
}

/** The stats page and Prometheus endpoint, meant for the VPC only. */
export interface HaproxyStatsOptions {
  /** TCP port of the stats listener (8404 by convention). */
  readonly port: number;
  /**
   * Address to bind, rendered inside double quotes so HAProxy expands environment variables in it; normally the
   * literal text `${TIERFORM_PRIVATE_IP}`. Beware: an unset or empty variable makes HAProxy bind every address,
   * which is why requests are also filtered by source (`allowedSources`).
   */
  readonly bindAddress: string;
  /**
   * Client networks (CIDR) allowed to read the stats page and `/metrics`; others get 403.
   * @default - RFC 1918 private ranges and loopback (DigitalOcean VPCs use RFC 1918 space)
   */
  readonly allowedSources?: readonly string[];
  /**
   * Auto-refresh interval of the HTML stats page.
   * @default 10
   */
  readonly refreshSeconds?: number;
}

/** Everything `renderHaproxyCfg` needs for a complete haproxy.cfg. */
export interface HaproxyConfigOptions {
  /** Load-balancing algorithm (`source` uses consistent hashing so a server change remaps only its clients). */
  readonly balance: HaproxyBalance;
  /** Web servers, rendered in the given order; at least one. */
  readonly servers: readonly HaproxyServer[];
  /** Path of the HTTP health check, e.g. `/health`. */
  readonly healthCheckPath: string;
  /** Host header sent with the HTTP/1.1 health check, e.g. the site's domain. */
  readonly healthCheckHost: string;
  /** Seconds between health checks of each server (`inter`). */
  readonly checkIntervalSeconds: number;
  /** Consecutive failed checks before a server leaves rotation (`fall`). */
  readonly fall: number;
  /** Consecutive passed checks before a server re-enters rotation (`rise`). */
  readonly rise: number;
  /**
   * Concurrent requests sent to one server; more wait in HAProxy's queue (up to `queueSeconds`).
   * @default 100
   */
  readonly serverMaxConnections?: number;
  /**
   * Seconds over which a server returning to rotation ramps up to full weight (not applied at HAProxy start).
   * @default 30
   */
  readonly slowStartSeconds?: number;
  /** Public HTTP port, bound on all addresses so a reserved IP's anchor address works (80). */
  readonly frontendPort: number;
  /** Process-wide maximum of concurrent connections (global `maxconn`). */
  readonly maxConnections: number;
  /** Seconds to wait for a TCP connection to a server (`timeout connect`). */
  readonly connectSeconds: number;
  /** Seconds of client inactivity allowed mid-request or mid-response (`timeout client`). */
  readonly clientSeconds: number;
  /** Seconds of server inactivity allowed, i.e. the longest a response may take (`timeout server`). */
  readonly serverSeconds: number;
  /** Seconds a client has to send complete request headers (`timeout http-request`; slowloris guard). */
  readonly httpRequestSeconds: number;
  /** Seconds an idle client keep-alive connection is held open (`timeout http-keep-alive`). */
  readonly httpKeepAliveSeconds: number;
  /** Seconds a request may wait for a free server slot before a 503 (`timeout queue`). */
  readonly queueSeconds: number;
  /** Stats page and Prometheus exporter. */
  readonly stats: HaproxyStatsOptions;
}

/** RFC 1918 and loopback: the default audience of the stats listener. */
const PRIVATE_SOURCES: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8'];

const BACKEND = 'web';

/** Renders the complete /etc/haproxy/haproxy.cfg. Throws if there are no servers. */
export function renderHaproxyCfg(o: HaproxyConfigOptions): string {
  if (o.servers.length === 0) {
    throw new Error("'servers' must list at least one web server, got none");
  }
  const sections = [
    ['# Rendered by tierform (lib/render/haproxy.ts); local edits are overwritten.'],
    renderGlobal(o),
    renderDefaults(o),
    renderFrontend(o),
    renderBackend(o),
    renderStats(o.stats),
  ];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function renderGlobal(o: HaproxyConfigOptions): string[] {
  return [
    'global',
    '    log /dev/log local0',
    '    chroot /var/lib/haproxy',
    '    stats socket /run/haproxy/admin.sock mode 660 level admin',
    '    stats timeout 30s',
    '    user haproxy',
    '    group haproxy',
    // No `daemon`: the Debian/Ubuntu unit runs `haproxy -Ws` (master-worker under systemd).
    `    maxconn ${int('maxConnections', o.maxConnections)}`,
  ];
}

function renderDefaults(o: HaproxyConfigOptions): string[] {
  return [
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlognull',
    // Keep-alive on both sides (HAProxy's default, stated): each request is still balanced on its own.
    '    option http-keep-alive',
    // A connection refused by one server is retried on another instead of failing the request.
    '    retries 3',
    '    option redispatch',
    `    timeout connect ${seconds('connectSeconds', o.connectSeconds)}`,
    `    timeout client ${seconds('clientSeconds', o.clientSeconds)}`,
    `    timeout server ${seconds('serverSeconds', o.serverSeconds)}`,
    `    timeout http-request ${seconds('httpRequestSeconds', o.httpRequestSeconds)}`,
    `    timeout http-keep-alive ${seconds('httpKeepAliveSeconds', o.httpKeepAliveSeconds)}`,
    `    timeout queue ${seconds('queueSeconds', o.queueSeconds)}`,
  ];
}

/** The public listener. Kept apart so TLS (bind ssl, HTTP→HTTPS redirect, HSTS) can be added here alone. */
function renderFrontend(o: HaproxyConfigOptions): string[] {
  const scheme = 'http';
  return [
    'frontend http',
    `    bind :${port('frontendPort', o.frontendPort)}`,
    // HAProxy is the edge: forwarding headers a client sent itself are dropped, never trusted.
    '    http-request del-header X-Forwarded-For',
    '    option forwardfor',
    `    http-request set-header X-Forwarded-Proto ${scheme}`,
    // Request id: sent to the web servers and captured into HAProxy's own log line ({...} field).
    '    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid',
    '    http-request set-header X-Request-ID %[unique-id]',
    '    http-request capture unique-id len 64',
    `    default_backend ${BACKEND}`,
  ];
}

function renderBackend(o: HaproxyConfigOptions): string[] {
  const balance: string[] =
    o.balance === 'source' ? ['    balance source', '    hash-type consistent'] : [`    balance ${o.balance}`];
  const serverDefaults = [
    `inter ${seconds('checkIntervalSeconds', o.checkIntervalSeconds)}`,
    `fall ${int('fall', o.fall)}`,
    `rise ${int('rise', o.rise)}`,
    `maxconn ${int('serverMaxConnections', o.serverMaxConnections ?? 100)}`,
    `slowstart ${seconds('slowStartSeconds', o.slowStartSeconds ?? 30)}`,
    // Requests still attached to a server that failed its checks are cut so clients retry elsewhere.
    'on-marked-down shutdown-sessions',
  ];
  return [
    `backend ${BACKEND}`,
    ...balance,
    '    option httpchk',
    `    http-check send meth GET uri ${word('healthCheckPath', o.healthCheckPath)} ver HTTP/1.1 ` +
      `hdr Host ${word('healthCheckHost', o.healthCheckHost)}`,
    '    http-check expect status 200',
    `    default-server ${serverDefaults.join(' ')}`,
    ...o.servers.map(
      (s, i) =>
        `    server ${word(`servers[${i}].name`, s.name)} ` +
        `${hostPort(`servers[${i}].address`, s.address, `servers[${i}].port`, s.port)} check`,
    ),
  ];
}

/** Stats page and Prometheus exporter on the VPC address; read-only (no `stats admin`). */
function renderStats(s: HaproxyStatsOptions): string[] {
  const sources = (s.allowedSources ?? PRIVATE_SOURCES).map((c, i) => cidr(`stats.allowedSources[${i}]`, c));
  return [
    'listen stats',
    `    bind "${quoted('stats.bindAddress', s.bindAddress)}:${port('stats.port', s.port)}"`,
    `    http-request deny deny_status 403 unless { src ${sources.join(' ')} }`,
    // Scrapes are not logged (refused requests above still are). `no log` would warn: httplog has no target.
    '    http-request set-log-level silent',
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    stats enable',
    '    stats uri /stats',
    `    stats refresh ${seconds('stats.refreshSeconds', s.refreshSeconds ?? 10)}`,
  ];
}

// ---- value helpers: refuse only what would break the file's syntax -----------------------------------------

function word(field: string, value: string): string {
  if (value === '' || /[\s"'#\\]/.test(value)) {
    throw new Error(`'${field}' must be one word without quotes, '#' or '\\', got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Text placed inside a double-quoted argument (environment variables stay expandable). */
function quoted(field: string, value: string): string {
  if (value === '' || /[\s"\\]/.test(value)) {
    throw new Error(`'${field}' must be non-empty without spaces, '"' or '\\', got ${JSON.stringify(value)}`);
  }
  return value;
}

function int(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`'${field}' must be a whole number of at least 1, got ${value}`);
  }
  return value;
}

function seconds(field: string, value: number): string {
  return `${int(field, value)}s`;
}

function port(field: string, value: number): number {
  if (int(field, value) > 65535) {
    throw new Error(`'${field}' must be a TCP port (1-65535), got ${value}`);
  }
  return value;
}

/** `addr:port`; an IPv6 literal is bracketed. Token texts are inserted verbatim. */
function hostPort(addressField: string, address: string, portField: string, portValue: number): string {
  const host = ipaddr.IPv6.isValid(address) ? `[${address}]` : word(addressField, address);
  return `${host}:${port(portField, portValue)}`;
}

function cidr(field: string, value: string): string {
  if (!ipaddr.isValidCIDR(value) && !ipaddr.isValid(value)) {
    throw new Error(`'${field}' must be an IP address or CIDR block, got ${JSON.stringify(value)}`);
  }
  return value;
}
