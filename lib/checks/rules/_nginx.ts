/**
 * Internal: nginx configs of a workload and the settings in effect for its proxied locations, with nginx's
 * inheritance (a directive in a block applies to the blocks inside it; `proxy_set_header` and `add_header`
 * are inherited only by blocks that set none of their own).
 */
import { NginxDirective, findNginx, parseNginx } from '../config-text';
import { HostFile } from '../host-config';
import { Workload } from './_workloads';

export interface ProxiedLocation {
  readonly file: string;
  /** The location (or server) block holding `proxy_pass`, outermost first. */
  readonly chain: readonly NginxDirective[];
  /** Every configuration tree of the workload (an `upstream` or `limit_req_zone` may live in another file). */
  readonly trees: readonly NginxDirective[][];
}

/** Ubuntu's /etc/nginx/proxy_params sets these four. */
const PROXY_PARAMS = ['host', 'x-real-ip', 'x-forwarded-for', 'x-forwarded-proto'];

export function nginxFiles(w: Workload): { file: HostFile; tree: NginxDirective[] }[] {
  if (w.kind === 'droplet') return w.droplet.nginx.map((n) => ({ file: n.file, tree: [...n.tree] }));
  return w.container.uploads
    .filter((u) => /nginx|\.conf$/.test(u.path) && /\bserver\s*\{|\blocation\b/.test(u.content))
    .map((file) => ({ file, tree: parseNginx(file.content) }));
}

/** Locations (or servers) that proxy to an app: `proxy_pass`, `uwsgi_pass`, `fastcgi_pass`. */
export function proxiedLocations(w: Workload): ProxiedLocation[] {
  const files = nginxFiles(w);
  const trees = files.map((f) => f.tree);
  const out: ProxiedLocation[] = [];
  for (const f of files) {
    for (const kind of ['proxy_pass', 'uwsgi_pass', 'fastcgi_pass']) {
      for (const { directive, parents } of findNginx(f.tree, kind)) out.push({ file: f.file.path, chain: [...parents, directive], trees });
    }
  }
  return out;
}

/** Directives named `name` in effect at the end of `chain` (closest block that sets any). */
export function inherited(chain: readonly NginxDirective[], name: string, topLevel: readonly NginxDirective[] = []): NginxDirective[] {
  for (let i = chain.length - 2; i >= 0; i--) {
    const own = (chain[i].children ?? []).filter((d) => d.name === name);
    if (own.length > 0) return own;
  }
  return topLevel.filter((d) => d.name === name);
}

/** True when `name` is set at any level enclosing the proxied location (or the file's top level / http block). */
export function setAnywhere(loc: ProxiedLocation, name: string): boolean {
  const levels = loc.chain.slice(0, -1).flatMap((b) => b.children ?? []);
  const top = loc.trees.flatMap((t) => [...t, ...t.filter((d) => d.name === 'http').flatMap((d) => d.children ?? [])]);
  return [...levels, ...top].some((d) => d.name === name);
}

/** Header names passed upstream at the proxied location (proxy_params counts for its four). */
export function proxyHeaders(loc: ProxiedLocation): Set<string> {
  const levels = loc.chain.slice(0, -1);
  let found: NginxDirective[] = [];
  for (let i = levels.length - 1; i >= 0; i--) {
    const own = (levels[i].children ?? []).filter(
      (d) => d.name === 'proxy_set_header' || (d.name === 'include' && /proxy_params/.test(d.args[0] ?? '')),
    );
    if (own.length > 0) {
      found = own;
      break;
    }
  }
  const names = new Set<string>();
  for (const d of found) {
    if (d.name === 'include') PROXY_PARAMS.forEach((h) => names.add(h));
    else if (d.args[0]) names.add(d.args[0].toLowerCase());
  }
  return names;
}
