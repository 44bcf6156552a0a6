/**
 * Internal: public web entry points and how they terminate TLS, read from the proxies' configs.
 */
import { NginxDirective, findNginx, haproxyHeaders, nginxHeaders, HeaderSetting } from '../config-text';
import { DropletView, StackView } from '../stack-view';
import { ContainerView, Workload } from './_workloads';
import { nginxFiles } from './_nginx';

const WEB_SERVER_PACKAGES = /^(nginx(-\w+)?|haproxy|apache2|httpd|caddy|traefik|lighttpd)$/;

/** Does the droplet run a web server or proxy? */
export function runsWebServer(d: DropletView): boolean {
  return d.nginx.length > 0 || d.haproxy.length > 0 || d.config.packages.some((p) => WEB_SERVER_PACKAGES.test(p.replace(/=.*/, '')));
}

/** A droplet the internet reaches on 80/443 (or on everything: no firewall) that runs a web server. */
export function isPublicWebDroplet(d: DropletView, stack: StackView): boolean {
  return runsWebServer(d) && (stack.isPublicTcpPort(d, 80) || stack.isPublicTcpPort(d, 443));
}

/** A container publishing 80 or 443 on a non-loopback host address. */
export function isPublicWebContainer(c: ContainerView): boolean {
  return c.ports.some((p) => (p.internal === 80 || p.internal === 443 || p.external === 80 || p.external === 443) && !/^(127\.|::1$)/.test(p.ip));
}

export interface TlsSetup {
  /** Some listener terminates TLS. */
  readonly terminates: boolean;
  /** Plain HTTP answers with a redirect to HTTPS. */
  readonly redirects: boolean;
  /** Minimum TLS version if stated: 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'; undefined when not stated. */
  readonly minVersion?: string;
  /** Versions explicitly enabled (nginx ssl_protocols). */
  readonly protocols?: readonly string[];
  readonly sessionTicketsOff: boolean;
  readonly headers: readonly HeaderSetting[];
  /** Where it was read from, for messages. */
  readonly files: readonly string[];
}

function nginxTls(trees: readonly NginxDirective[][]): Omit<TlsSetup, 'files' | 'headers'> & { headers: HeaderSetting[] } {
  const listens = trees.flatMap((t) => findNginx(t, 'listen')).map((l) => l.directive.args);
  const terminates =
    listens.some((args) => args.includes('ssl') || args.includes('quic')) || trees.some((t) => findNginx(t, 'ssl_certificate').length > 0);
  const redirects = trees.some((t) =>
    [...findNginx(t, 'return'), ...findNginx(t, 'rewrite')].some(
      ({ directive }) =>
        directive.args.some((a) => /^https:\/\//.test(a)) && (directive.name === 'rewrite' || /^30[1278]$/.test(directive.args[0] ?? '')),
    ),
  );
  const protocols = trees.flatMap((t) => findNginx(t, 'ssl_protocols')).flatMap((p) => p.directive.args);
  const tickets = trees.flatMap((t) => findNginx(t, 'ssl_session_tickets')).map((p) => p.directive.args[0]);
  return {
    terminates,
    redirects,
    protocols: protocols.length > 0 ? protocols : undefined,
    minVersion: protocols.length > 0 ? ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].find((v) => protocols.includes(v)) : undefined,
    sessionTicketsOff: tickets.length > 0 && tickets.every((t) => t === 'off'),
    headers: trees.flatMap(nginxHeaders),
  };
}

/** How a workload's proxies handle TLS (nginx and HAProxy configs it writes or uploads). */
export function tlsSetup(w: Workload): TlsSetup {
  const files: string[] = [];
  const ng = nginxFiles(w);
  files.push(...ng.map((n) => n.file.path));
  const n = nginxTls(ng.map((f) => f.tree));
  let terminates = n.terminates;
  let redirects = n.redirects;
  let minVersion = n.minVersion;
  let sessionTicketsOff = n.sessionTicketsOff;
  const headers = [...n.headers];
  const haproxy = w.kind === 'droplet' ? w.droplet.haproxy : [];
  for (const h of haproxy) {
    files.push(h.file.path);
    const lines = h.sections.flatMap((s) => s.lines);
    if (lines.some((l) => l[0] === 'bind' && l.includes('ssl'))) terminates = true;
    if (
      lines.some(
        (l) =>
          (l[0] === 'http-request' && l[1] === 'redirect' && l[2] === 'scheme' && l[3] === 'https') ||
          (l[0] === 'redirect' && l[1] === 'scheme' && l[2] === 'https'),
      )
    )
      redirects = true;
    const options = lines.filter((l) => l[0] === 'ssl-default-bind-options' || (l[0] === 'bind' && l.includes('ssl'))).flat();
    const i = options.indexOf('ssl-min-ver');
    if (i >= 0 && options[i + 1]) minVersion = options[i + 1];
    else if (options.includes('no-tlsv10') && options.includes('no-tlsv11')) minVersion = 'TLSv1.2';
    if (options.includes('no-tls-tickets')) sessionTicketsOff = true;
    headers.push(...haproxyHeaders(h.sections));
  }
  return { terminates, redirects, minVersion, protocols: n.protocols, sessionTicketsOff, headers, files };
}

/** The public web entry points among workloads: droplets and containers the internet reaches on 80/443. */
export function isPublicEntry(w: Workload, stack: StackView): boolean {
  return w.kind === 'droplet' ? isPublicWebDroplet(w.droplet, stack) : isPublicWebContainer(w.container);
}
