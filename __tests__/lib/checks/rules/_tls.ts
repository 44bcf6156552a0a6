/** HAProxy configs for the TLS rules' tests. */
export const HEADERS = [
  '    http-after-response set-header Strict-Transport-Security "max-age=63072000; includeSubDomains" if { ssl_fc }',
  '    http-after-response set-header X-Frame-Options SAMEORIGIN',
  '    http-after-response set-header X-Content-Type-Options nosniff',
  '    http-after-response set-header Referrer-Policy strict-origin-when-cross-origin',
  '    http-after-response set-header Permissions-Policy "camera=(), microphone=()"',
  `    http-after-response set-header Content-Security-Policy "default-src 'self'; object-src 'none'; frame-ancestors 'self'"`,
];

export function haproxyCfg(o: { tls?: boolean; redirect?: boolean; options?: string; headers?: string[] } = {}): string {
  return [
    'global',
    ...(o.tls ? [`    ssl-default-bind-options ${o.options ?? 'ssl-min-ver TLSv1.2 no-tls-tickets'}`] : []),
    'defaults',
    '    mode http',
    'frontend http',
    '    bind :80',
    ...(o.tls ? ['    bind :443 ssl crt /etc/haproxy/certs/site.pem alpn h2,http/1.1'] : []),
    ...((o.redirect ?? o.tls) ? ['    http-request redirect scheme https code 301 unless { ssl_fc }'] : []),
    ...(o.headers ?? (o.tls ? HEADERS : [])),
    '    default_backend web',
    'backend web',
    '    option httpchk',
    '    server w1 10.0.0.3:80 check',
    '',
  ].join('\n');
}
