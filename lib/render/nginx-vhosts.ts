/**
 * nginx configurations for nginx *containers* (the official `nginx:1.27-alpine` image), delivered to the container
 * by the Docker provider (`docker_container.upload`), never through a droplet's user_data:
 *
 * - `renderEdgeNginxConf`: seed 000's multi-app entry point. One server per site chosen by `Host`: a static site
 *   (the apex), and one reverse proxy per app subdomain to an `upstream` of the app's containers (round robin or
 *   `ip_hash`, `max_fails`/`fail_timeout`). TLS with the certificate the host's certbot keeps up to date, Mozilla
 *   intermediate or TLS 1.3 only (the same suites as HAProxy's, `lib/render/haproxy.ts`), and seed 000's security
 *   headers on every response. Upstream servers are *addresses* (each app container has a fixed address on its
 *   app's frontend network), so nginx never caches a stale DNS answer when a container is re-created.
 * - `renderAppProxyNginxConf`: seed 001's single-app proxy. The app is resolved at request time through Docker's
 *   embedded DNS (`resolver 127.0.0.11 valid=10s` and a variable in `proxy_pass`), so nginx starts, and answers its
 *   own `/health`, before the app container exists.
 *
 * Pure: values in, text out; no cdktf. Only directives valid on nginx 1.22 (Debian 12, where tests run `nginx -t`)
 * and 1.27 (the image) are used: hence no `http2` (its syntax changed in 1.25.1) and no `user` directive (the
 * image's nginx is built with `--user=nginx`, so workers run as `nginx` without it; Debian's default is `nobody`).
 */
import { RenderError, absPath, headerValue, integer, port, refuse } from './guards';
import { DEFAULT_CONTENT_SECURITY_POLICY, DEFAULT_HSTS_MAX_AGE_SECONDS, TLS12_CIPHERS, TLS13_CIPHERSUITES, TLS_CURVES } from './haproxy';

/** Where the image reads its main configuration. */
export const CONTAINER_NGINX_CONF = '/etc/nginx/nginx.conf';

export type EdgeBalance = 'round-robin' | 'ip-hash';

/** One app behind the edge: its host names and its containers. */
export interface EdgeApp {
  /** Upstream name: lowercase letters, digits and `_`. */
  readonly name: string;
  /** `server_name`s, e.g. `['recipe.foobar.com']`. */
  readonly serverNames: readonly string[];
  /** `address:port` of each container (fixed addresses), at least one. */
  readonly servers: readonly string[];
  readonly balance: EdgeBalance;
}

export interface EdgeTlsOptions {
  /** PEM holding the full chain and the private key (nginx reads both from one file). */
  readonly certificatePath: string;
  /** `intermediate`: TLS 1.2 and 1.3; `modern`: TLS 1.3 only. */
  readonly profile: 'intermediate' | 'modern';
  /** @default DEFAULT_HSTS_MAX_AGE_SECONDS */
  readonly hstsMaxAgeSeconds?: number;
  /** @default DEFAULT_CONTENT_SECURITY_POLICY */
  readonly contentSecurityPolicy?: string;
}

/** What both renderers share: seed 003's proxy hygiene. */
export interface ProxyLimits {
  /** `client_max_body_size`, MiB. */
  readonly clientMaxBodySizeMb: number;
  /** Sustained requests per second per client address (`limit_req_zone rate`). */
  readonly rateLimitRequestsPerSecond: number;
  /** Requests above the rate served at once (`burst`, with `nodelay`); 0 for none. */
  readonly rateLimitBurst: number;
  /** `proxy_read_timeout` and `proxy_send_timeout`, seconds. */
  readonly proxyReadTimeoutSeconds: number;
}

export interface EdgeNginxOptions extends ProxyLimits {
  readonly apps: readonly EdgeApp[];
  /**
   * A static site served from `root` for these host names (seed 000's apex).
   * @default - none
   */
  readonly staticSite?: { readonly serverNames: readonly string[]; readonly root: string };
  /** Failed attempts within `failTimeoutSeconds` before an app container is skipped (`max_fails`). */
  readonly maxFails: number;
  /** `fail_timeout`, seconds. */
  readonly failTimeoutSeconds: number;
  /**
   * `proxy_connect_timeout` to the app containers, seconds. A container on the same bridge accepts in well under a
   * millisecond, and one lost SYN is resent after 1 s; a connect still pending after that means the container is gone.
   * A stopped container's address does not refuse: the edge's neighbour entry for it stays valid for up to ~45 s
   * (the kernel's base_reachable_time, 30 s randomized), so SYNs go nowhere until this timeout, which then counts
   * towards `max_fails` and sends the request to the next container (`proxy_next_upstream`).
   */
  readonly proxyConnectTimeoutSeconds: number;
  /**
   * HTTPS on 443, HTTP answering 301 (except `/health`).
   * @default - plain HTTP on 80
   */
  readonly tls?: EdgeTlsOptions;
}

export interface AppProxyNginxOptions extends ProxyLimits {
  /** Port nginx listens on inside the container. */
  readonly listenPort: number;
  /** The app's name on the Docker network (resolved at request time). */
  readonly appHost: string;
  readonly appPort: number;
  /** Seconds an answer of Docker's DNS is reused (`resolver ... valid=`). */
  readonly resolverValidSeconds: number;
}

const RATE_ZONE = 'tierform_per_client';
const NAME = /^[a-z][a-z0-9_]*$/;
const HOST = /^(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+$|^_$/i;
const SERVER = /^[0-9.]+:[0-9]{1,5}$/;

/** `value` when `ok`, else a RenderError naming `field` (checks of this file's own; shared ones in ./guards.ts). */
function check<T>(ok: boolean, field: string, value: T, requirement: string): T {
  if (!ok) refuse(field, requirement, value);
  return value;
}

/** The part of `http { }` both configurations start with. */
function httpPreamble(limits: ProxyLimits): string[] {
  integer('clientMaxBodySizeMb', limits.clientMaxBodySizeMb, 1);
  integer('rateLimitRequestsPerSecond', limits.rateLimitRequestsPerSecond, 1);
  integer('rateLimitBurst', limits.rateLimitBurst, 0);
  integer('proxyReadTimeoutSeconds', limits.proxyReadTimeoutSeconds, 1);
  return [
    'worker_processes auto;',
    'pid /var/run/nginx.pid;',
    'error_log /var/log/nginx/error.log warn;',
    '',
    'events {',
    '    worker_connections 1024;',
    '}',
    '',
    'http {',
    '    include /etc/nginx/mime.types;',
    '    default_type application/octet-stream;',
    '    server_tokens off;',
    '    sendfile on;',
    '    keepalive_timeout 65s;',
    '    server_names_hash_bucket_size 128;',
    '    log_format tierform \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent \'',
    '                        \'"$http_referer" "$http_user_agent" rt=$request_time upstream=$upstream_addr \'',
    "                        'ust=$upstream_status urt=$upstream_response_time';",
    "    # The image links these files to the container's stdout/stderr (docker logs, json-file rotation).",
    '    access_log /var/log/nginx/access.log tierform;',
    `    client_max_body_size ${limits.clientMaxBodySizeMb}m;`,
    '',
    '    # Rate limiting per client address; over the limit nginx answers 429.',
    `    limit_req_zone $binary_remote_addr zone=${RATE_ZONE}:10m rate=${limits.rateLimitRequestsPerSecond}r/s;`,
    '    limit_req_status 429;',
    '',
  ];
}

/** Proxy directives of a `location` forwarding to `target` (an upstream name or a variable). */
function proxyLines(target: string, limits: ProxyLimits, keepalive: boolean, connectTimeoutSeconds: number): string[] {
  return [
    `            limit_req zone=${RATE_ZONE}${limits.rateLimitBurst > 0 ? ` burst=${limits.rateLimitBurst}` : ''} nodelay;`,
    `            proxy_pass ${target};`,
    '            proxy_http_version 1.1;',
    ...(keepalive ? ['            proxy_set_header Connection "";'] : []),
    '            proxy_set_header Host $host;',
    '            proxy_set_header X-Real-IP $remote_addr;',
    '            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '            proxy_set_header X-Forwarded-Proto $scheme;',
    '            proxy_redirect off;',
    `            proxy_connect_timeout ${connectTimeoutSeconds}s;`,
    `            proxy_send_timeout ${limits.proxyReadTimeoutSeconds}s;`,
    `            proxy_read_timeout ${limits.proxyReadTimeoutSeconds}s;`,
    '            proxy_next_upstream error timeout http_502 http_503;',
    '            proxy_buffering on;',
    '            proxy_buffer_size 8k;',
    '            proxy_buffers 16 8k;',
    '            proxy_busy_buffers_size 16k;',
  ];
}

/** nginx's own health answer, independent of every app. */
function healthLocation(): string[] {
  return [
    '        location = /health {',
    '            access_log off;',
    '            default_type text/plain;',
    '            return 200 "ok\\n";',
    '        }',
  ];
}

/** Seed 000's headers, set at server level with `always` (so error pages carry them too). */
function securityHeaders(tls: EdgeTlsOptions | undefined): string[] {
  const lines = [
    '        add_header X-Frame-Options "SAMEORIGIN" always;',
    '        add_header X-Content-Type-Options "nosniff" always;',
    '        add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    '        add_header Permissions-Policy "camera=(), microphone=(), geolocation=(), payment=()" always;',
    `        add_header Content-Security-Policy "${headerValue('tls.contentSecurityPolicy', tls?.contentSecurityPolicy ?? DEFAULT_CONTENT_SECURITY_POLICY)}" always;`,
  ];
  if (tls) {
    const maxAge = integer('tls.hstsMaxAgeSeconds', tls.hstsMaxAgeSeconds ?? DEFAULT_HSTS_MAX_AGE_SECONDS, 0);
    lines.unshift(`        add_header Strict-Transport-Security "max-age=${maxAge}; includeSubDomains" always;`);
  }
  return lines;
}

function listen(port: number, tls: boolean, defaultServer: boolean): string[] {
  const flags = `${tls ? ' ssl' : ''}${defaultServer ? ' default_server' : ''}`;
  return [`        listen ${port}${flags};`, `        listen [::]:${port}${flags};`];
}

function tlsGlobal(tls: EdgeTlsOptions): string[] {
  const cert = absPath('tls.certificatePath', tls.certificatePath);
  const profile = check(tls.profile === 'intermediate' || tls.profile === 'modern', 'tls.profile', tls.profile, "must be 'intermediate' or 'modern'");
  return [
    `    # TLS: Mozilla ${profile} (guidelines 6.0); one PEM holds the chain and the key (certbot on the host).`,
    `    ssl_protocols ${profile === 'modern' ? 'TLSv1.3' : 'TLSv1.2 TLSv1.3'};`,
    ...(profile === 'intermediate' ? [`    ssl_ciphers ${TLS12_CIPHERS.join(':')};`] : []),
    `    ssl_conf_command Ciphersuites ${TLS13_CIPHERSUITES.join(':')};`,
    '    ssl_prefer_server_ciphers off;',
    `    ssl_ecdh_curve ${TLS_CURVES.join(':')};`,
    '    ssl_session_timeout 1d;',
    '    ssl_session_cache shared:TierformTLS:10m;',
    '    ssl_session_tickets off;',
    `    ssl_certificate ${cert};`,
    `    ssl_certificate_key ${cert};`,
    '',
  ];
}

/** Returns the complete `/etc/nginx/nginx.conf` of the edge container. */
export function renderEdgeNginxConf(o: EdgeNginxOptions): string {
  if (o.apps.length === 0 && !o.staticSite) throw new RenderError('apps', "'apps' must list at least one app, or 'staticSite' be given");
  integer('maxFails', o.maxFails, 1);
  integer('failTimeoutSeconds', o.failTimeoutSeconds, 1);
  integer('proxyConnectTimeoutSeconds', o.proxyConnectTimeoutSeconds, 1);
  const seen = new Set<string>();
  const claim = (names: readonly string[], owner: string) => {
    if (names.length === 0) refuse(`${owner}.serverNames`, 'must list at least one host name', names);
    for (const n of names) {
      check(HOST.test(n) && n !== '_', `${owner}.serverNames`, n, 'must be a host name');
      if (seen.has(n.toLowerCase())) refuse(`${owner}.serverNames`, 'must not repeat a host name another site serves', n);
      seen.add(n.toLowerCase());
    }
  };
  const tls = o.tls;
  const sitePort = tls ? 443 : 80;
  const lines = ['# nginx.conf of the edge container - generated by tierform (lib/render/nginx-vhosts.ts); redeploy to change.', ...httpPreamble(o)];
  if (tls) lines.push(...tlsGlobal(tls));

  for (const app of o.apps) {
    check(NAME.test(app.name), 'apps.name', app.name, 'must be lowercase letters, digits and _');
    if (app.servers.length === 0) refuse('apps.servers', `of '${app.name}' must list at least one container`, app.servers);
    lines.push(
      `    upstream app_${app.name} {`,
      "        # shared by the workers: max_fails counts every worker's failures, and a failed container is skipped by all",
      `        zone app_${app.name} 64k;`,
      ...(app.balance === 'ip-hash'
        ? ['        # sticky sessions: a client address always reaches the same container', '        ip_hash;']
        : ['        # round robin']),
      ...app.servers.map(
        (s) =>
          `        server ${check(SERVER.test(s), 'apps.servers', s, "must be 'address:port'")} max_fails=${o.maxFails} fail_timeout=${o.failTimeoutSeconds}s;`,
      ),
      '        keepalive 16;',
      '    }',
      '',
    );
  }

  // Port 80: /health for the container's own health check; the rest redirects to HTTPS (or is dropped without TLS).
  lines.push(
    "    # Port 80 for any host: nginx's own /health, then " + (tls ? 'a redirect to HTTPS.' : 'requests for unknown hosts are dropped.'),
    '    server {',
    ...listen(80, false, true),
    '        server_name _;',
    // The redirect is a response too: it carries the headers (HSTS only means something over HTTPS).
    ...securityHeaders(undefined),
    ...healthLocation(),
    '        location / {',
    tls ? '            return 301 https://$host$request_uri;' : '            return 444;',
    '        }',
    '    }',
    '',
  );
  if (tls) {
    lines.push(
      '    # HTTPS for unknown host names: only /health is answered.',
      '    server {',
      ...listen(443, true, true),
      '        server_name _;',
      ...securityHeaders(tls),
      ...healthLocation(),
      '        location / {',
      '            return 444;',
      '        }',
      '    }',
      '',
    );
  }

  if (o.staticSite) {
    claim(o.staticSite.serverNames, 'staticSite');
    const root = absPath('staticSite.root', o.staticSite.root);
    lines.push(
      '    # The static site.',
      '    server {',
      ...listen(sitePort, !!tls, false),
      `        server_name ${o.staticSite.serverNames.join(' ')};`,
      ...securityHeaders(tls),
      `        root ${root};`,
      '        index index.html;',
      ...healthLocation(),
      '        location / {',
      '            try_files $uri $uri/ =404;',
      '        }',
      '    }',
      '',
    );
  }

  for (const app of o.apps) {
    claim(app.serverNames, `apps[${app.name}]`);
    lines.push(
      `    # ${app.name}: ${app.servers.length} container${app.servers.length > 1 ? 's' : ''}${app.balance === 'ip-hash' ? ', ip_hash' : ''}.`,
      '    server {',
      ...listen(sitePort, !!tls, false),
      `        server_name ${app.serverNames.join(' ')};`,
      ...securityHeaders(tls),
      ...healthLocation(),
      '        location / {',
      ...proxyLines(`http://app_${app.name}`, o, true, o.proxyConnectTimeoutSeconds),
      '        }',
      '    }',
      '',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** Returns the complete `/etc/nginx/nginx.conf` of seed 001's proxy container. */
export function renderAppProxyNginxConf(o: AppProxyNginxOptions): string {
  const listenPort = port('listenPort', o.listenPort);
  const appPort = port('appPort', o.appPort);
  const host = check(/^[a-z0-9][a-z0-9_.-]*$/.test(o.appHost), 'appHost', o.appHost, 'must be a container name');
  integer('resolverValidSeconds', o.resolverValidSeconds, 1);
  return [
    '# nginx.conf of the app proxy container - generated by tierform (lib/render/nginx-vhosts.ts); redeploy to change.',
    ...httpPreamble(o),
    "    # Docker's embedded DNS, asked at request time: nginx starts (and answers /health) before the app exists,",
    '    # and follows the app when its container is re-created with another address.',
    `    resolver 127.0.0.11 valid=${o.resolverValidSeconds}s ipv6=off;`,
    '    resolver_timeout 5s;',
    '',
    '    server {',
    ...listen(listenPort, false, true),
    '        server_name _;',
    ...securityHeaders(undefined),
    ...healthLocation(),
    '        location / {',
    `            set $tierform_app http://${host}:${appPort};`,
    ...proxyLines('$tierform_app', o, false, 5),
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}
