/**
 * Renders the web tier's complete `/etc/nginx/nginx.conf`: nginx terminates HTTP on the droplet and proxies to
 * gunicorn (a local unix socket, or app droplets' `host:port`).
 *
 * Pure: plain values in, text out; no cdktf import. Inputs are validated by the construct layer. Addresses may be
 * unresolved Terraform tokens (`${TfToken[...]}`): they are inserted verbatim and never parsed here.
 *
 * The file is self-contained on purpose: it does not include `sites-enabled/` (the package's default site also
 * claims `default_server` on port 80) nor `modules-enabled/` (every directive used is compiled into Debian's and
 * Ubuntu's nginx). Only directives valid on nginx 1.22 (Debian 12, where it is checked) and 1.24 (Ubuntu 24.04)
 * are used. The one include of ours is `/etc/nginx/tierform.d/*.conf` at the end of `http { }`: blocks other
 * tierform roles add to a web droplet (the monitoring role's loopback stub_status server). A pattern that matches
 * no file is not an error for nginx, so a droplet without such roles needs nothing there.
 */
import { RenderError, absPath, refuse } from './guards';

/** Directory whose `*.conf` files nginx.conf includes inside `http { }` (other roles' server blocks). */
export const NGINX_INCLUDE_DIR = '/etc/nginx/tierform.d';

/** How nginx spreads requests over the upstream servers. */
export type NginxBalance = 'round-robin' | 'least-conn' | 'ip-hash';

/** Everything `renderNginxConf` needs; the construct layer fills the defaults. */
export interface NginxConfOptions {
  /** `server_name` values, e.g. `['foobar.com', 'www.foobar.com']`; `['_']` makes the site the catch-all. */
  readonly serverNames: readonly string[];
  /** TCP port nginx listens on (IPv4 and IPv6), e.g. 80. */
  readonly listenPort: number;
  /**
   * Upstream servers: `unix:/run/tierform-app/gunicorn.sock` or `host:port` (host may be a Terraform token).
   * Exactly one of `upstreamServers` (at least one server) and `upstreamServersFile`.
   */
  readonly upstreamServers?: readonly string[];
  /**
   * A file of `server …;` lines included in the upstream block, kept up to date at run time by the upstream
   * watcher (`renderUpstreamWatcherScript`), so servers found by DNS never enter this file.
   */
  readonly upstreamServersFile?: string;
  /** Load balancing method; `ip-hash` pins a client address to one server (sticky sessions). */
  readonly balance: NginxBalance;
  /** Failed attempts within `failTimeoutSeconds` after which an upstream server is skipped (`max_fails`). */
  readonly maxFails: number;
  /** Window for `maxFails` and how long a failed upstream server is then skipped (`fail_timeout`), seconds. */
  readonly failTimeoutSeconds: number;
  /** Idle keepalive connections to the upstream cached per nginx worker (`keepalive`). */
  readonly upstreamKeepalive: number;
  /** Largest accepted request body (`client_max_body_size`), MiB. */
  readonly clientMaxBodySizeMb: number;
  /** Timeout for establishing a connection to an upstream server (`proxy_connect_timeout`), seconds. */
  readonly proxyConnectTimeoutSeconds: number;
  /** Timeout between two writes of the request to the upstream (`proxy_send_timeout`), seconds. */
  readonly proxySendTimeoutSeconds: number;
  /** Timeout between two reads of the upstream's response (`proxy_read_timeout`), seconds. */
  readonly proxyReadTimeoutSeconds: number;
  /** Sustained requests per second allowed per client address on proxied paths (`limit_req_zone rate`). */
  readonly rateLimitRequestsPerSecond: number;
  /** Requests above the rate served at once before answering 429 (`limit_req burst`, with `nodelay`). */
  readonly rateLimitBurst: number;
  /**
   * Trusted load balancers/proxies in front of nginx (CIDRs or addresses). When non-empty, the client address is
   * taken from their `X-Forwarded-For` (so rate limiting and logs key on the client, not the load balancer) and
   * their `X-Forwarded-Proto` is passed on. Empty: nginx faces clients directly and forwarded headers from the
   * client are not trusted.
   */
  readonly realIpFromCidrs: readonly string[];
  /**
   * Directory served at `/static/` by nginx itself, e.g. `/opt/tierform/app/static`.
   * @default - no `/static/` location: every path is proxied
   */
  readonly staticRoot?: string;
  /**
   * Directory whose `*.conf` files are included at the end of `http { }` (absolute, no spaces or `;`).
   * @default '/etc/nginx/tierform.d'
   */
  readonly includeDir?: string;
}

/** Name of the upstream block and of the rate limiting zone. */
const UPSTREAM = 'tierform_app';
const RATE_ZONE = 'tierform_per_client';

/** Returns the complete text of `/etc/nginx/nginx.conf`. */
export function renderNginxConf(options: NginxConfOptions): string {
  if (options.serverNames.length === 0) {
    refuse('serverNames', 'must list at least one name', options.serverNames);
  }
  const servers = options.upstreamServers ?? [];
  if ((servers.length === 0) === (options.upstreamServersFile === undefined)) {
    throw new RenderError('upstreamServers', "'upstreamServers' (at least one server) or 'upstreamServersFile' must be given, not both");
  }
  if (options.upstreamServersFile !== undefined) {
    absPath('upstreamServersFile', options.upstreamServersFile);
  }
  const includeDir = absPath('includeDir', options.includeDir ?? NGINX_INCLUDE_DIR);
  const trusted = options.realIpFromCidrs.length > 0;
  const isCatchAll = options.serverNames.includes('_');

  const lines: string[] = [
    '# /etc/nginx/nginx.conf - generated by tierform; do not edit on the droplet (redeploy instead).',
    '# nginx answers /health itself and proxies everything else to the gunicorn upstream below.',
    'user www-data;',
    'worker_processes auto;',
    'pid /run/nginx.pid;',
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
    '    tcp_nopush on;',
    '    keepalive_timeout 65s;',
    '    types_hash_max_size 2048;',
    '    # Room for long domain names in server_name.',
    '    server_names_hash_bucket_size 128;',
    '',
    '    # Request time and upstream address/timings in every access log line.',
    '    log_format tierform \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent \'',
    '                        \'"$http_referer" "$http_user_agent" rt=$request_time \'',
    "                        'upstream=$upstream_addr ust=$upstream_status urt=$upstream_response_time';",
    '    access_log /var/log/nginx/access.log tierform;',
    '',
    '    # Compress text responses (text/html is always compressed once gzip is on).',
    '    gzip on;',
    '    gzip_vary on;',
    '    gzip_proxied any;',
    '    gzip_comp_level 5;',
    '    gzip_min_length 256;',
    '    gzip_types text/plain text/css text/xml text/javascript application/javascript application/json',
    '               application/xml application/rss+xml image/svg+xml;',
    '',
    `    client_max_body_size ${options.clientMaxBodySizeMb}m;`,
    '',
  ];

  if (trusted) {
    lines.push(
      '    # Trusted load balancers: the client address comes from their X-Forwarded-For.',
      ...options.realIpFromCidrs.map((cidr) => `    set_real_ip_from ${cidr};`),
      '    real_ip_header X-Forwarded-For;',
      '    real_ip_recursive on;',
      '',
      '    # X-Forwarded-Proto is believed only when the connection comes from a trusted load balancer.',
      '    geo $realip_remote_addr $tierform_from_trusted_proxy {',
      '        default 0;',
      ...options.realIpFromCidrs.map((cidr) => `        ${cidr} 1;`),
      '    }',
      '    map "$tierform_from_trusted_proxy:$http_x_forwarded_proto" $tierform_forwarded_proto {',
      '        default $scheme;',
      '        "1:https" https;',
      '        "1:http" http;',
      '    }',
      '',
    );
  }

  lines.push(
    '    # Rate limiting per client address; over the limit nginx answers 429.',
    `    limit_req_zone $binary_remote_addr zone=${RATE_ZONE}:10m rate=${rate(options.rateLimitRequestsPerSecond)};`,
    '    limit_req_status 429;',
    '',
    `    upstream ${UPSTREAM} {`,
    ...balanceLines(options.balance),
    ...servers.map((server) => `        server ${server} ${upstreamServerParameters(options)};`),
    ...(options.upstreamServersFile !== undefined
      ? ['        # Servers found at run time (DNS), kept current by tierform-upstream-watch.', `        include ${options.upstreamServersFile};`]
      : []),
    `        keepalive ${options.upstreamKeepalive};`,
    '    }',
    '',
  );

  if (!isCatchAll) {
    lines.push(
      '    # Requests for unknown host names: only the health check is answered, anything else is dropped.',
      '    server {',
      ...listenLines(options.listenPort, true),
      '        server_name _;',
      ...healthLocation(),
      '        location / {',
      '            return 444;',
      '        }',
      '    }',
      '',
    );
  }

  const proto = trusted ? '$tierform_forwarded_proto' : '$scheme';
  lines.push(
    '    server {',
    ...listenLines(options.listenPort, isCatchAll),
    `        server_name ${options.serverNames.join(' ')};`,
    '',
    '        add_header X-Content-Type-Options "nosniff" always;',
    '        add_header X-Frame-Options "SAMEORIGIN" always;',
    '        add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    '',
    ...healthLocation(),
  );

  if (options.staticRoot !== undefined) {
    const root = options.staticRoot.endsWith('/') ? options.staticRoot : `${options.staticRoot}/`;
    lines.push(
      '',
      '        # Static files straight from disk.',
      '        location /static/ {',
      `            alias ${root};`,
      '            expires 7d;',
      '            access_log off;',
      '        }',
    );
  }

  lines.push(
    '',
    '        location / {',
    // nginx rejects burst=0: no burst is written as no burst parameter.
    `            limit_req zone=${RATE_ZONE}${options.rateLimitBurst > 0 ? ` burst=${options.rateLimitBurst}` : ''} nodelay;`,
    '',
    `            proxy_pass http://${UPSTREAM};`,
    '            # HTTP/1.1 with an empty Connection header keeps upstream connections alive.',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '            proxy_set_header Host $host;',
    '            proxy_set_header X-Real-IP $remote_addr;',
    '            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    `            proxy_set_header X-Forwarded-Proto ${proto};`,
    '            proxy_redirect off;',
    '',
    `            proxy_connect_timeout ${options.proxyConnectTimeoutSeconds}s;`,
    `            proxy_send_timeout ${options.proxySendTimeoutSeconds}s;`,
    `            proxy_read_timeout ${options.proxyReadTimeoutSeconds}s;`,
    '            # Idempotent requests are retried on the next server when one fails or answers 502/503.',
    '            proxy_next_upstream error timeout http_502 http_503;',
    '',
    '            proxy_buffering on;',
    '            proxy_buffer_size 8k;',
    '            proxy_buffers 16 8k;',
    '            proxy_busy_buffers_size 16k;',
    '        }',
    '    }',
    '',
    "    # Server blocks other tierform roles add (e.g. the monitoring role's stub_status); none is fine.",
    `    include ${includeDir.replace(/\/+$/, '')}/*.conf;`,
    '}',
    '',
  );
  return lines.join('\n');
}

/** The parameters of every upstream `server` line: `max_fails=3 fail_timeout=30s`. */
export function upstreamServerParameters(options: Pick<NginxConfOptions, 'maxFails' | 'failTimeoutSeconds'>): string {
  return `max_fails=${options.maxFails} fail_timeout=${options.failTimeoutSeconds}s`;
}

/** nginx rates are whole requests per second or per minute. */
function rate(requestsPerSecond: number): string {
  return Number.isInteger(requestsPerSecond) ? `${requestsPerSecond}r/s` : `${Math.max(1, Math.round(requestsPerSecond * 60))}r/m`;
}

function balanceLines(balance: NginxBalance): string[] {
  switch (balance) {
    case 'round-robin':
      return ['        # round robin (the default method)'];
    case 'least-conn':
      return ['        least_conn;'];
    case 'ip-hash':
      return ['        # sticky sessions: a client address always reaches the same server', '        ip_hash;'];
    default:
      refuse('balance', "must be 'round-robin', 'least-conn' or 'ip-hash'", balance);
  }
}

function listenLines(port: number, defaultServer: boolean): string[] {
  const flag = defaultServer ? ' default_server' : '';
  return [`        listen ${port}${flag};`, `        listen [::]:${port}${flag};`];
}

/** nginx's own health check: answered without the app (a broken app must not take the proxy out). */
function healthLocation(): string[] {
  return [
    '        location = /health {',
    '            access_log off;',
    '            default_type text/plain;',
    '            return 200 "ok\\n";',
    '        }',
  ];
}
