/**
 * Renders /etc/haproxy/haproxy.cfg for the load balancer droplets (HAProxy 2.6 on Debian 12, 2.8 on Ubuntu 24.04:
 * only syntax valid in both). Pure: plain values in, text out; never imports cdktf.
 *
 * Values unknown until apply:
 * - web droplets are found at run time: a `server-template` per backend role fills its slots from the A records
 *   of the role's internal DNS name through a `resolvers` section (the droplet's own resolver from
 *   /etc/resolv.conf), so scaling a backend changes DNS records, never this file. Static `servers` remain for
 *   fixed addresses; an address may be an opaque token text (`${TfToken[TOKEN.3]}`) inserted verbatim;
 * - the load balancer's own private IP is read by HAProxy from its environment at start
 *   (`bind "${TIERFORM_PRIVATE_IP}:8404"`; HAProxy expands variables only inside double quotes), which
 *   haproxy.service reads from /etc/tierform/net.env through the drop-in `renderHaproxyDropIn`.
 *
 * HTTPS (optional `tls`): HAProxy terminates TLS with Mozilla's server-side TLS guidelines 6.0 (intermediate or
 * modern), redirects plain HTTP to HTTPS and adds the security headers of seed 000 to every response it sends.
 * Without `tls` the output is exactly the plain-HTTP file of before.
 *
 * Inputs are validated by the construct layer; this file only refuses what would corrupt the file's syntax.
 */
import * as ipaddr from 'ipaddr.js';
import { NET_ENV_FILE } from './base';
import { RenderError, cidr, dnsName, headerValue, integer, port, refuse, word } from './guards';

/** Where the rendered files go on the droplet. */
export const HAPROXY_CFG_PATH = '/etc/haproxy/haproxy.cfg';
export const HAPROXY_DROP_IN_PATH = '/etc/systemd/system/haproxy.service.d/60-tierform.conf';

/** TCP port of the stats listener and HAProxy's built-in Prometheus endpoint (`/metrics`), on the VPC address. */
export const HAPROXY_STATS_PORT = 8404;

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

/**
 * Servers found at run time: HAProxy resolves `fqdn` (A records, one per web droplet) and fills up to `slots`
 * servers named `<name>1` … `<name><slots>`; unused slots stay in maintenance. The number of slots is fixed in the
 * file, so it must not follow the backend's current size (that would change the file on every scale).
 */
export interface HaproxyServerTemplate {
  /** Prefix of the server names (letters, digits, `-`, `_`, `.`), e.g. the web role's name. */
  readonly name: string;
  /** DNS name whose A records are the servers, e.g. `foobar-web.internal.foobar.com`. */
  readonly fqdn: string;
  /** TCP port of every server. */
  readonly port: number;
  /** Most servers the name can yield (1..1024). */
  readonly slots: number;
}

/** How HAProxy's resolver keeps answers (`resolvers` section); used when any server template exists. */
export interface HaproxyResolverOptions {
  /**
   * Seconds between two resolutions of each name (`timeout resolve`, `hold valid`).
   * @default 5
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds a server whose address vanished from the answer keeps serving before it leaves (`hold obsolete`):
   * covers a resolver that answered with part of the set.
   * @default 30
   */
  readonly obsoleteSeconds?: number;
  /**
   * Seconds the last good answer is kept while resolution fails (timeout, refused, other errors, NXDOMAIN):
   * discovery being down must never empty a backend.
   * @default 86400
   */
  readonly keepLastGoodSeconds?: number;
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

/**
 * Mozilla server-side TLS profile (guidelines 6.0, https://ssl-config.mozilla.org):
 * - `intermediate`: TLS 1.2 and 1.3, ECDHE + AEAD suites only (the recommendation for general-purpose sites);
 * - `modern`: TLS 1.3 only (clients from 2018 on: Firefox 63, Chrome 70, Safari 12.1, Android 10, Java 11).
 */
export type HaproxyTlsProfile = 'intermediate' | 'modern';

/** HTTPS at the load balancer. */
export interface HaproxyTlsOptions {
  /**
   * Certificate for `bind ... ssl crt`: a combined PEM (full chain, then the private key), e.g.
   * `/etc/haproxy/certs/site.pem` as built by `renderCertbotIssueScript`, or a directory (trailing `/`) whose
   * every file is such a PEM (SNI picks among them). It must exist when HAProxy starts or reloads.
   */
  readonly certificatePath: string;
  /**
   * Protocols and cipher suites.
   * @default 'intermediate'
   */
  readonly profile?: HaproxyTlsProfile;
  /**
   * Public HTTPS port, bound on all addresses like `frontendPort` (which then only redirects to HTTPS).
   * @default 443
   */
  readonly port?: number;
  /**
   * `Strict-Transport-Security` max-age (sent with `includeSubDomains`, over HTTPS only as RFC 6797 requires).
   * The certificate is a wildcard, so every subdomain is expected to serve HTTPS too.
   * @default 63072000 (two years, Mozilla's recommendation)
   */
  readonly hstsMaxAgeSeconds?: number;
  /**
   * `Content-Security-Policy` sent with every response (replacing one the application sent).
   * @default DEFAULT_CONTENT_SECURITY_POLICY (seed 000's sources, scoring A+ in Mozilla's HTTP Observatory)
   */
  readonly contentSecurityPolicy?: string;
}

/**
 * Same-origin content, plus `data:`/`blob:` images and `data:` fonts: what seed 000's policy allows, with `data:`
 * kept out of `default-src` (Mozilla's HTTP Observatory counts `data:` reaching `script-src` as unsafe-inline, -20:
 * seed 000's own policy graded B+ 80/100) and `object-src`, `base-uri`, `form-action` and `frame-ancestors` stated,
 * so the default headers earn A+ in Mozilla's scoring (checked in the lab, stages 2 and 3).
 */
export const DEFAULT_CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/** Two years: Mozilla's HSTS max-age, and the minimum for the browsers' HSTS preload lists (one year). */
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 63072000;

/** Everything `renderHaproxyCfg` needs for a complete haproxy.cfg. */
export interface HaproxyConfigOptions {
  /** Load-balancing algorithm (`source` uses consistent hashing so a server change remaps only its clients). */
  readonly balance: HaproxyBalance;
  /**
   * Web servers at fixed addresses, rendered in the given order. At least one server or server template in all.
   * @default - none
   */
  readonly servers?: readonly HaproxyServer[];
  /**
   * Web servers found at run time by DNS (one `server-template` each).
   * @default - none
   */
  readonly serverTemplates?: readonly HaproxyServerTemplate[];
  /** Resolver settings for `serverTemplates`. @default - see HaproxyResolverOptions */
  readonly resolver?: HaproxyResolverOptions;
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
  /**
   * Terminate HTTPS at the load balancer: `frontendPort` then only redirects to HTTPS (301).
   * @default - plain HTTP on `frontendPort` only
   */
  readonly tls?: HaproxyTlsOptions;
  /**
   * A loopback-only health endpoint for keepalived (HaproxyPair): `monitor-uri` answers 200 while at least one
   * web server is up and 503 when none is, and fails outright when HAProxy is dead or hung.
   * @default - none
   */
  readonly lbHealth?: HaproxyLbHealthOptions;
}

/** Where keepalived asks HAProxy whether it can serve. */
export interface HaproxyLbHealthOptions {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Path of the monitor URI, e.g. `/tierform-lb-health`. */
  readonly path: string;
}

/** RFC 1918 and loopback: the default audience of the stats listener. */
const PRIVATE_SOURCES: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8'];

const BACKEND = 'web';
const RESOLVERS = 'tierform';

/** TLS 1.3 suites, both profiles (Mozilla 6.0: OpenSSL's default set and order). */
export const TLS13_CIPHERSUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/**
 * TLS 1.2 suites of Mozilla 6.0 intermediate: ECDHE key exchange with AEAD only. 6.0 dropped the DHE suites, so no
 * Diffie-Hellman group file (`ssl-dh-param-file`) is needed; the ECDSA suites serve certbot's default ECDSA key,
 * the RSA ones an RSA certificate.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

/**
 * Key exchange groups, Mozilla 6.0 without its first entry X25519MLKEM768: that hybrid needs OpenSSL 3.5, and
 * Ubuntu 24.04 ships 3.0 (an unknown group name fails HAProxy's start).
 */
export const TLS_CURVES = ['X25519', 'prime256v1', 'secp384r1'];

/** Renders the complete /etc/haproxy/haproxy.cfg. Throws if there are no servers. */
export function renderHaproxyCfg(o: HaproxyConfigOptions): string {
  const templates = o.serverTemplates ?? [];
  if ((o.servers ?? []).length === 0 && templates.length === 0) {
    throw new RenderError('servers', "'servers' or 'serverTemplates' must list at least one web server, got none");
  }
  const sections = [
    ['# Rendered by tierform (lib/render/haproxy.ts); local edits are overwritten.'],
    renderGlobal(o),
    ...(templates.length > 0 ? [renderResolvers(o.resolver ?? {})] : []),
    renderDefaults(o),
    renderFrontend(o),
    renderBackend(o),
    renderStats(o.stats),
    ...(o.lbHealth ? [renderLbHealth(o.lbHealth)] : []),
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
    `    maxconn ${integer('maxConnections', o.maxConnections, 1)}`,
    ...(o.tls ? renderTlsGlobal(o.tls) : []),
  ];
}

/**
 * Mozilla 6.0 settings as defaults for every `bind ... ssl` (the generator's HAProxy template, minus the
 * `ssl-default-server-*` lines: HAProxy talks plain HTTP to the web servers inside the VPC).
 * - Server cipher order (HAProxy's default): every offered suite is ECDHE + AEAD, so the order only picks among
 *   equals; AES-128-GCM first as in Mozilla's list.
 * - `no-tls-tickets`: no TLS 1.2 session tickets, whose one process-wide key would undo forward secrecy for every
 *   session until it rotates; resumption uses HAProxy's session cache (TLS 1.3 resumption still works with it).
 * - Sessions stay resumable for a day (Mozilla's `ssl_session_timeout 1d`; HAProxy's default is 5 minutes).
 * - No OCSP stapling: Let's Encrypt ended its OCSP service in 2025 (its certificates carry a CRL URL instead).
 */
function renderTlsGlobal(tls: HaproxyTlsOptions): string[] {
  const profile = tls.profile ?? 'intermediate';
  const minVersion = profile === 'modern' ? 'TLSv1.3' : 'TLSv1.2';
  return [
    `    ssl-default-bind-curves ${TLS_CURVES.join(':')}`,
    // TLS 1.2 suites only matter where TLS 1.2 is allowed.
    ...(profile === 'intermediate' ? [`    ssl-default-bind-ciphers ${TLS12_CIPHERS.join(':')}`] : []),
    `    ssl-default-bind-ciphersuites ${TLS13_CIPHERSUITES.join(':')}`,
    `    ssl-default-bind-options ssl-min-ver ${minVersion} no-tls-tickets`,
    '    tune.ssl.lifetime 86400',
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

/**
 * The public listener. With TLS, the plain-HTTP port only redirects (every request reaching a web server came over
 * HTTPS, hence `X-Forwarded-Proto https`) and every response carries the security headers.
 */
function renderFrontend(o: HaproxyConfigOptions): string[] {
  const tls = o.tls;
  const scheme = tls ? 'https' : 'http';
  const binds = [`    bind :${port('frontendPort', o.frontendPort)}`];
  if (tls) {
    const tlsPort = port('tls.port', tls.port ?? 443);
    if (tlsPort === o.frontendPort) {
      refuse('tls.port', `must differ from 'frontendPort' (${o.frontendPort})`, tlsPort);
    }
    binds.push(
      `    bind :${tlsPort} ssl crt ${word('tls.certificatePath', tls.certificatePath)} alpn h2,http/1.1`,
      // First rule: plain HTTP gets nothing but the redirect (same host, path and query). No ACME http-01 path
      // is exempted: certificates are validated over DNS (DNS-01).
      '    http-request redirect scheme https code 301 unless { ssl_fc }',
    );
  }
  return [
    'frontend http',
    ...binds,
    // HAProxy is the edge: forwarding headers a client sent itself are dropped, never trusted.
    '    http-request del-header X-Forwarded-For',
    '    option forwardfor',
    `    http-request set-header X-Forwarded-Proto ${scheme}`,
    // Request id: sent to the web servers and captured into HAProxy's own log line ({...} field).
    '    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid',
    '    http-request set-header X-Request-ID %[unique-id]',
    '    http-request capture unique-id len 64',
    ...(tls ? renderSecurityHeaders(tls) : []),
    `    default_backend ${BACKEND}`,
  ];
}

/**
 * Seed 000's security headers, set (replacing the application's) on every response of the frontend:
 * `http-after-response` (HAProxy 2.2+) also covers responses HAProxy makes itself (the redirect, 503 when no web
 * server is up, 502/504, denials). Not covered: errors the connection layer sends before a request exists (400 on
 * an unparsable request, 408 when request headers time out), which skip every http rule.
 * HSTS only over HTTPS: RFC 6797 forbids it on plain HTTP (browsers ignore it there anyway).
 */
function renderSecurityHeaders(tls: HaproxyTlsOptions): string[] {
  const maxAge = integer('tls.hstsMaxAgeSeconds', tls.hstsMaxAgeSeconds ?? DEFAULT_HSTS_MAX_AGE_SECONDS, 0);
  // `%` doubled: in a log-format argument it would start a sample fetch.
  const csp = headerValue('tls.contentSecurityPolicy', tls.contentSecurityPolicy ?? DEFAULT_CONTENT_SECURITY_POLICY).replace(/%/g, '%%');
  const set = 'http-after-response set-header';
  return [
    `    ${set} Strict-Transport-Security "max-age=${maxAge}; includeSubDomains" if { ssl_fc }`,
    `    ${set} X-Frame-Options SAMEORIGIN`,
    `    ${set} X-Content-Type-Options nosniff`,
    `    ${set} Referrer-Policy strict-origin-when-cross-origin`,
    `    ${set} Permissions-Policy "camera=(), microphone=(), geolocation=(), payment=()"`,
    `    ${set} Content-Security-Policy "${csp}"`,
  ];
}

function renderBackend(o: HaproxyConfigOptions): string[] {
  const balance: string[] = o.balance === 'source' ? ['    balance source', '    hash-type consistent'] : [`    balance ${o.balance}`];
  const serverDefaults = [
    `inter ${seconds('checkIntervalSeconds', o.checkIntervalSeconds)}`,
    `fall ${integer('fall', o.fall, 1)}`,
    `rise ${integer('rise', o.rise, 1)}`,
    `maxconn ${integer('serverMaxConnections', o.serverMaxConnections ?? 100, 1)}`,
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
    ...(o.servers ?? []).map(
      (s, i) =>
        `    server ${word(`servers[${i}].name`, s.name)} ` + `${hostPort(`servers[${i}].address`, s.address, `servers[${i}].port`, s.port)} check`,
    ),
    ...(o.serverTemplates ?? []).map((t, i) => {
      const slots = integer(`serverTemplates[${i}].slots`, t.slots, 1, 1024);
      // init-addr none: slots start in maintenance and fill from the resolver (libc at start would give every
      // slot the same first address).
      return (
        `    server-template ${word(`serverTemplates[${i}].name`, t.name)} 1-${slots} ` +
        `${hostPort(`serverTemplates[${i}].fqdn`, dnsName(`serverTemplates[${i}].fqdn`, t.fqdn), `serverTemplates[${i}].port`, t.port)} ` +
        `check resolvers ${RESOLVERS} resolve-prefer ipv4 init-addr none`
      );
    }),
  ];
}

/**
 * The droplet's own resolver (systemd-resolved's stub on Ubuntu, from /etc/resolv.conf), asked every few seconds.
 * When it fails or answers NXDOMAIN, the last good addresses stay (never an empty backend because discovery is
 * down); an address that vanishes from a good answer leaves after `obsoleteSeconds`.
 */
function renderResolvers(r: HaproxyResolverOptions): string[] {
  const interval = seconds('resolver.intervalSeconds', r.intervalSeconds ?? 5);
  const keep = seconds('resolver.keepLastGoodSeconds', r.keepLastGoodSeconds ?? 86400);
  return [
    `resolvers ${RESOLVERS}`,
    '    parse-resolv-conf',
    // Room for many A records in one UDP answer (EDNS); larger answers are truncated by the resolver.
    '    accepted_payload_size 8192',
    '    resolve_retries 3',
    '    timeout retry 1s',
    `    timeout resolve ${interval}`,
    `    hold valid ${interval}`,
    `    hold obsolete ${seconds('resolver.obsoleteSeconds', r.obsoleteSeconds ?? 30)}`,
    `    hold nx ${keep}`,
    `    hold timeout ${keep}`,
    `    hold refused ${keep}`,
    `    hold other ${keep}`,
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

/** keepalived's view of this HAProxy: 200 while a web server is up, 503 when none is (not logged). */
function renderLbHealth(h: HaproxyLbHealthOptions): string[] {
  return [
    'frontend lb_health',
    `    bind 127.0.0.1:${port('lbHealth.port', h.port)}`,
    `    monitor-uri ${word('lbHealth.path', h.path)}`,
    `    monitor fail if { nbsrv(${BACKEND}) lt 1 }`,
  ];
}

// ---- the systemd drop-in ---------------------------------------------------------------------------------

/** `HAPROXY_DROP_IN_PATH`: gives haproxy.service this droplet's addresses (TIERFORM_PRIVATE_IP for the stats bind). */
export function renderHaproxyDropIn(): string {
  return `# tierform: HAProxy expands "\${TIERFORM_PRIVATE_IP}" in haproxy.cfg from this environment file
[Service]
EnvironmentFile=${NET_ENV_FILE}
`;
}

// ---- value helpers: refuse only what would break the file's syntax (shared ones in ./guards.ts) -----------

/** Text placed inside a double-quoted argument (environment variables stay expandable). */
function quoted(field: string, value: string): string {
  if (value === '' || /[\s"\\]/.test(value)) {
    refuse(field, "must be non-empty without whitespace, '\"' or '\\'", value);
  }
  return value;
}

function seconds(field: string, value: number): string {
  return `${integer(field, value, 1)}s`;
}

/** `addr:port`; an IPv6 literal is bracketed. Token texts are inserted verbatim. */
function hostPort(addressField: string, address: string, portField: string, portValue: number): string {
  const host = ipaddr.IPv6.isValid(address) ? `[${address}]` : word(addressField, address);
  return `${host}:${port(portField, portValue)}`;
}
