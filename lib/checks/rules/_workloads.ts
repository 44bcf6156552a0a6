/**
 * Internal (not exported by index.ts): what rules need to know about the two kinds of workload a plan can run —
 * a droplet (its user_data) and a Docker container (`docker_container`, kreuzwerker/docker 3.6 schema) — read
 * from the Terraform JSON.
 */
import { HostFile } from '../host-config';
import { PlanElement } from '../rule';
import { DropletView, StackView, blocks, stringList } from '../stack-view';

export interface ContainerPort {
  readonly internal: number;
  /** Host port; undefined: Docker picks one (still published). */
  readonly external?: number;
  /** Host address; Docker's default is every address (0.0.0.0). */
  readonly ip: string;
  readonly protocol: string;
}

export interface ContainerView {
  readonly element: PlanElement;
  readonly name: string;
  /** `nginx:1.27-alpine`, from the literal or the referenced docker_image; undefined when unknown. */
  readonly image?: string;
  /** `KEY` → raw value (may hold `${...}`). */
  readonly env: ReadonlyMap<string, string>;
  /** command and entrypoint, joined with spaces. */
  readonly commandLine: string;
  readonly ports: readonly ContainerPort[];
  readonly publishAllPorts: boolean;
  readonly networkMode?: string;
  readonly memoryMb?: number;
  readonly healthcheck?: Readonly<Record<string, unknown>>;
  readonly logDriver?: string;
  readonly logOpts: Readonly<Record<string, unknown>>;
  /** Files uploaded into the container (`upload { file, content }`). */
  readonly uploads: readonly HostFile[];
  /** Everything a rule might search: image, command, env, uploaded file contents. */
  readonly text: string;
}

export function containerView(element: PlanElement, stack: StackView): ContainerView {
  const a = element.attributes;
  const env = new Map<string, string>();
  for (const entry of stringList(a.env) ?? []) {
    const i = entry.indexOf('=');
    if (i > 0) env.set(entry.slice(0, i), entry.slice(i + 1));
  }
  const commandLine = [...(stringList(a.entrypoint) ?? []), ...(stringList(a.command) ?? [])].join(' ');
  const ports = blocks(a.ports).map((p) => ({
    internal: Number(p.internal),
    external: p.external === undefined || p.external === null ? undefined : Number(p.external),
    ip: typeof p.ip === 'string' ? p.ip : '0.0.0.0',
    protocol: typeof p.protocol === 'string' ? p.protocol : 'tcp',
  }));
  const uploads = blocks(a.upload).map((u) => ({ path: String(u.file ?? ''), content: typeof u.content === 'string' ? u.content : '' }));
  const image = stack.imageName(a.image);
  const health = blocks(a.healthcheck)[0];
  const logOpts = a.log_opts !== null && typeof a.log_opts === 'object' && !Array.isArray(a.log_opts) ? (a.log_opts as Record<string, unknown>) : {};
  return {
    element,
    name: typeof a.name === 'string' ? a.name : element.logicalId,
    image,
    env,
    commandLine,
    ports,
    publishAllPorts: a.publish_all_ports === true,
    networkMode: typeof a.network_mode === 'string' ? a.network_mode : undefined,
    memoryMb: typeof a.memory === 'number' ? a.memory : undefined,
    healthcheck: health,
    logDriver: typeof a.log_driver === 'string' ? a.log_driver : undefined,
    logOpts,
    uploads,
    text: [image ?? '', commandLine, ...[...env].map(([k, v]) => `${k}=${v}`), ...uploads.map((u) => `# file ${u.path}\n${u.content}`)].join('\n'),
  };
}

/** The workload an element describes, if any. */
export type Workload =
  { readonly kind: 'droplet'; readonly droplet: DropletView } | { readonly kind: 'container'; readonly container: ContainerView };

export function workloadOf(element: PlanElement, stack: StackView): Workload | undefined {
  if (element.type === 'digitalocean_droplet') return { kind: 'droplet', droplet: stack.droplet(element) };
  if (element.type === 'docker_container') return { kind: 'container', container: containerView(element, stack) };
  return undefined;
}

/** The text a rule searches for a workload. */
export function workloadText(w: Workload): string {
  return w.kind === 'droplet' ? w.droplet.config.text : w.container.text;
}

/** Files the workload writes (droplet files and heredocs, container uploads). */
export function workloadFiles(w: Workload): readonly HostFile[] {
  return w.kind === 'droplet' ? w.droplet.config.files : w.container.uploads;
}

/** Image repository and tag: `library/nginx:1.27` → { repository: 'nginx', tag: '1.27' }; digest pins kept apart. */
export function parseImage(image: string): { repository: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@');
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  const path = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const repository = path.split('/').pop()!.toLowerCase();
  return { repository, tag: hasTag ? withoutDigest.slice(colon + 1) : undefined, digest };
}

const DATABASE_IMAGES = ['mysql', 'mariadb', 'postgres', 'postgresql', 'mongo', 'redis', 'percona', 'percona-server'];
const DATABASE_PACKAGES =
  /^(mysql-server(-[0-9.]+)?|mariadb-server(-[0-9.]+)?|postgresql(-[0-9]+)?|mongodb(-org)?|redis-server|percona-server-server)$/;

/** Is this container a database server (by its image)? */
export function isDatabaseContainer(c: ContainerView): boolean {
  return c.image !== undefined && DATABASE_IMAGES.includes(parseImage(c.image).repository);
}

/** Does this droplet run a database server (installed at boot)? */
export function isDatabaseDroplet(d: DropletView): boolean {
  return (
    d.config.packages.some((p) => DATABASE_PACKAGES.test(p.replace(/=.*/, ''))) ||
    /\bdocker run\b[^\n]*\b(mysql|mariadb|postgres)(:|\s)/.test(d.config.text)
  );
}

/** Python web apps and how they are started. */
export const DEV_SERVERS: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\bflask\s+(?:--app\s+\S+\s+)?run\b/, what: "Flask's development server (`flask run`)" },
  { pattern: /\bpython[0-9.]*\s+-m\s+flask\s+run\b/, what: "Flask's development server (`python -m flask run`)" },
  { pattern: /\bmanage\.py\s+runserver\b/, what: "Django's development server (`manage.py runserver`)" },
];
export const PRODUCTION_SERVERS = /\b(gunicorn|uwsgi|waitress-serve|uvicorn|hypercorn|mod_wsgi|granian)\b/;
export const PYTHON_WEB_APP = /\b(flask|Flask|django|wsgi|WSGI|gunicorn|uwsgi|FLASK_APP|FLASK_ENV)\b/;

/** Names that hold secrets. */
export const SECRET_NAME = /(PASSWORD|PASSWD|PASS$|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;

/** True when a value is computed at deploy or at boot rather than written in the plan. */
export function isComputedValue(value: string): boolean {
  const v = value
    .trim()
    .replace(/,$/, '')
    .replace(/^["']|["']$/g, '');
  // Interpolations, boot-time shell expansions, and code (a call such as `_password()`) are not literals.
  return v === '' || /(^|[^$])\$\{/.test(v) || /\$\$\{|\$\(|^\$[A-Za-z_]|`/.test(v) || /^<.*>$/.test(v) || /^[A-Za-z_][\w.]*\(.*\)$/.test(v);
}
