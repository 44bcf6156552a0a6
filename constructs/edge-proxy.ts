import { TerraformAsset, AssetType } from 'cdktf';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { CONTAINER_NGINX_CONF, renderEdgeNginxConf } from '../lib/render/nginx-vhosts';
import { EDGE_CONTAINER_NAME } from '../lib/render/edge-reload';
import { EDGE_TLS_DIR, EDGE_TLS_PEM } from '../lib/fragments/docker-host';
import { checkDomain, checkInteger } from '../lib/validate';
import { ContainerImage } from './container-image';
import { DockerNetwork } from './docker-network';
import { ContainerLimitsProps, DockerService, HealthCheck, SourceFile, resolveLimits } from './docker-service';
import { TlsProfile } from './https';
import { WebApp } from './web-app';

export interface EdgeHttpsProps {
  /** @default TlsProfile.intermediate() */
  readonly profile?: TlsProfile;
  /** @default 63072000 */
  readonly hstsMaxAgeSeconds?: number;
  /** @default - seed 000's policy */
  readonly contentSecurityPolicy?: string;
}

export interface EdgeProxyProps extends ContainerLimitsProps {
  /** The apex domain: apps answer at `<subdomain>.<domain>`, the static site at the apex and www. */
  readonly domain: string;
  /** The apps it routes to, by subdomain. */
  readonly apps: WebApp[];
  /**
   * A directory of your repository served at the apex and www (uploaded into the container file by file; its
   * content stays out of Terraform state).
   * @default - no static site
   */
  readonly staticSiteDirectory?: string;
  /**
   * HTTPS with the wildcard certificate the Docker host keeps (`DockerHost` with `https`): the host directory is
   * mounted read-only. Without it the edge serves plain HTTP (local trials).
   * @default - plain HTTP
   */
  readonly https?: EdgeHttpsProps;
  /** @default ContainerImage.registry('nginx:1.27-alpine') */
  readonly image?: ContainerImage;
  /** @default 10 */
  readonly clientMaxBodySizeMiB?: number;
  /** @default 10 */
  readonly rateLimitRequestsPerSecond?: number;
  /** @default 20 */
  readonly rateLimitBurst?: number;
  /** @default 60 */
  readonly proxyReadTimeoutSeconds?: number;
  /** @default 3 */
  readonly maxFails?: number;
  /** @default 30 */
  readonly failTimeoutSeconds?: number;
  /**
   * Seconds nginx waits to connect to an app container before counting a failure and trying the next one. A stopped
   * container's fixed address does not refuse connections (they time out), so this is what a client waits, at most
   * `maxFails` times, when a replica dies.
   * @default 2
   */
  readonly proxyConnectTimeoutSeconds?: number;
}

const STATIC_ROOT = '/usr/share/nginx/html';

function listFiles(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.posix.join(rel, e.name)) : e.isFile() ? [path.posix.join(rel, e.name)] : []));
}

/**
 * The Docker host's entry point (seed 000): an nginx container, the only one publishing ports (80 and 443), routing
 * by Host header to each app's containers over the app's frontend network, serving the static site at the apex, with
 * TLS and the security headers on every response. Its configuration arrives by `upload`, so it changes (and the
 * container is re-created, a second or two) only when an app is added or removed, never when an app's image changes.
 */
export class EdgeProxy extends Construct {
  public readonly network: DockerNetwork;
  public readonly service: DockerService;
  public readonly configuration: string;

  constructor(scope: Construct, id: string, props: EdgeProxyProps) {
    super(scope, id);
    checkDomain(this, 'domain', props.domain);
    const reserved = new Map<string, string>(props.staticSiteDirectory ? [['www', 'the static site']] : []);
    const subnets = new Map<string, string>();
    for (const app of props.apps) {
      const owner = reserved.get(app.subdomain);
      if (owner) throw propError(this, 'apps', `gives subdomain '${app.subdomain}' to ${app.name}, already used by ${owner}`, app.subdomain, Messages.subdomainClash);
      reserved.set(app.subdomain, app.name);
      const other = subnets.get(app.edgeAddress);
      if (other) {
        throw propError(this, 'apps', `gives ${app.name} the frontend subnet of ${other}`, app.edgeAddress.replace(/\.2$/, '.0/24'), `Pass 'frontendSubnet' to one of them (a free private /24).`);
      }
      subnets.set(app.edgeAddress, app.name);
    }
    if (props.apps.length === 0 && !props.staticSiteDirectory) {
      throw propError(this, 'apps', 'is empty and there is no static site', [], "Pass at least one WebApp or 'staticSiteDirectory'.");
    }
    const limits = resolveLimits(this, props, { memoryLimitMiB: 128, memoryReservationMiB: 64, cpus: 0.5 });
    this.network = new DockerNetwork(this, 'Network', { name: 'tierform-edge', internal: false });

    const sourceFiles: SourceFile[] = [];
    if (props.staticSiteDirectory) {
      const dir = props.staticSiteDirectory;
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw propError(this, 'staticSiteDirectory', 'is not a directory', path.basename(dir), 'Pass the directory holding index.html.');
      }
      const asset = new TerraformAsset(this, 'StaticSite', { path: dir, type: AssetType.DIRECTORY });
      for (const rel of listFiles(dir)) {
        if (!/^[A-Za-z0-9._/-]+$/.test(rel)) throw propError(this, 'staticSiteDirectory', 'holds a file name tierform cannot upload', rel, "Use letters, digits, '.', '_', '-' and '/'.");
        const hash = createHash('sha256').update(fs.readFileSync(path.join(dir, rel))).digest('hex');
        sourceFiles.push({ path: `${STATIC_ROOT}/${rel}`, source: `${asset.path}/${rel}`, sourceHash: hash });
      }
    }

    this.configuration = renderEdgeNginxConf({
      apps: props.apps.map((a) => ({
        name: a.name.replace(/-/g, '_'),
        serverNames: [`${a.subdomain}.${props.domain}`],
        servers: a.upstreamServers,
        balance: a.stickySessions && a.upstreamServers.length > 1 ? 'ip-hash' : 'round-robin',
      })),
      staticSite: props.staticSiteDirectory ? { serverNames: [props.domain, `www.${props.domain}`], root: STATIC_ROOT } : undefined,
      tls: props.https
        ? {
            certificatePath: EDGE_TLS_PEM,
            profile: (props.https.profile ?? TlsProfile.intermediate()).name,
            hstsMaxAgeSeconds: props.https.hstsMaxAgeSeconds,
            contentSecurityPolicy: props.https.contentSecurityPolicy,
          }
        : undefined,
      clientMaxBodySizeMb: checkInteger(this, 'clientMaxBodySizeMiB', props.clientMaxBodySizeMiB ?? 10, 1, 10240),
      rateLimitRequestsPerSecond: checkInteger(this, 'rateLimitRequestsPerSecond', props.rateLimitRequestsPerSecond ?? 10, 1, 100000),
      rateLimitBurst: checkInteger(this, 'rateLimitBurst', props.rateLimitBurst ?? 20, 0, 100000),
      proxyReadTimeoutSeconds: checkInteger(this, 'proxyReadTimeoutSeconds', props.proxyReadTimeoutSeconds ?? 60, 1, 3600),
      maxFails: checkInteger(this, 'maxFails', props.maxFails ?? 3, 1, 100),
      failTimeoutSeconds: checkInteger(this, 'failTimeoutSeconds', props.failTimeoutSeconds ?? 30, 1, 3600),
      proxyConnectTimeoutSeconds: checkInteger(this, 'proxyConnectTimeoutSeconds', props.proxyConnectTimeoutSeconds ?? 2, 1, 60),
    });

    this.service = new DockerService(this, 'Service', {
      ...limits,
      name: EDGE_CONTAINER_NAME,
      image: props.image ?? ContainerImage.registry('nginx:1.27-alpine'),
      networks: [{ network: this.network }, ...props.apps.map((a) => ({ network: a.frontend, addresses: [a.edgeAddress] }))],
      publishedPorts: [{ internal: 80, external: 80 }, ...(props.https ? [{ internal: 443, external: 443 }] : [])],
      files: [{ path: CONTAINER_NGINX_CONF, content: this.configuration }],
      sourceFiles,
      volumes: props.https ? [{ hostPath: EDGE_TLS_DIR, containerPath: EDGE_TLS_DIR, readOnly: true }] : undefined,
      healthCheck: HealthCheck.command(['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/health'], { intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 10 }),
      // After the apps' web containers: nginx starts with every upstream address in use.
      dependsOn: props.apps.map((a) => a.web),
    });
  }
}
