/**
 * Seed 000 as two stacks joined by a cdktf cross-stack reference (`cdktf deploy docker-host docker-apps`):
 * - `DockerHostStack` (DigitalOcean): the Docker host droplet, its firewall, the wildcard certificate's certbot,
 *   and DNS (apex and `*` to the host). Its user_data knows nothing of the apps.
 * - `DockerMultiAppStack` (Docker provider over SSH to that droplet): the edge nginx container, a static site at the
 *   apex, and the apps: `recipe` load-balanced (3 web containers, ip_hash, PostgreSQL, migration before the
 *   replicas) and `bookfinder` simple (1 web container, MySQL, migration). Adding an app or changing an image tag is
 *   a change of this stack only.
 */
import * as path from 'path';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ContainerImage } from '../../constructs/container-image';
import { Dns } from '../../constructs/dns';
import { DockerHost } from '../../constructs/docker-host';
import { DockerTarget } from '../../constructs/docker-target';
import { EdgeProxy } from '../../constructs/edge-proxy';
import { TlsProfile } from '../../constructs/https';
import { AppDatabase, WebApp, WebAppProps } from '../../constructs/web-app';
import { passwordSecret } from '../secrets';
import { StageProps, checkStageProps, dnsToken, stageFoundation } from '../stages/common';
import { requireProps } from '../validate';

/** The repository's sample app and static site (the plan points at copies in the stack's assets). */
export const SAMPLE_APP_DIR = path.join(__dirname, '..', '..', 'apps', 'flask-sample');
export const SAMPLE_SITE_DIR = path.join(__dirname, '..', '..', 'apps', 'static-site');

export interface DockerHostStackProps extends StageProps {
  /** Let's Encrypt account; HTTPS is on when given. @default - plain HTTP */
  readonly email?: string;
  /** Droplet size. @default 's-1vcpu-2gb' (seed 000: 2 GB, 1 vCPU) */
  readonly size?: string;
}

export class DockerHostStack extends TerraformStack {
  public readonly host: DockerHost;
  public readonly dns: Dns;

  constructor(scope: Construct, id: string, props: DockerHostStackProps) {
    super(scope, id);
    props = checkStageProps(this, props);
    // State at the project root, named by a path relative to the stack's directory (cdktf.out/stacks/<id>): the
    // apps stack reads it through a cross-stack reference, and the plan names no path of this machine.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    const { inputs, vpc, dns } = stageFoundation(this, props, 'docker', { ipRange: '10.20.64.0/20', dnsTtlSeconds: 300 });
    this.host = new DockerHost(this, 'Host', {
      vpc,
      name: `${inputs.namePrefix}-host`,
      size: props.size,
      https: props.email ? { domain: props.domain, email: props.email, dnsToken: dnsToken(this) } : undefined,
    });
    // The apex, www and every other subdomain: the wildcard certificate covers them, nginx drops unknown hosts (444).
    this.dns = dns;
    this.dns.pointTo(this.host.publicIpv4);
    this.dns.addRecord('A_Wildcard', '*', this.host.publicIpv4);
    if (props.email) this.dns.addCaaRecords({ iodefEmail: props.email });
  }
}

export interface DockerMultiAppStackProps {
  readonly domain: string;
  /** Where the containers run: `DockerTarget.droplet(hostStack.host)` (or `DockerTarget.local()` to try it). */
  readonly target: DockerTarget;
  /** @default TlsProfile.intermediate() */
  readonly tlsProfile?: TlsProfile;
  /** More apps beside recipe and bookfinder, each on its own subdomain. @default - none */
  readonly extraApps?: WebAppProps[];
}

export class DockerMultiAppStack extends TerraformStack {
  public readonly recipe: WebApp;
  public readonly bookfinder: WebApp;
  public readonly edge: EdgeProxy;

  constructor(scope: Construct, id: string, props: DockerMultiAppStackProps) {
    super(scope, id);
    props = requireProps(this, props, {
      domain: "Pass the site's domain, e.g. 'foobar.com'.",
      target: 'Pass where the containers run: DockerTarget.droplet(host) or DockerTarget.local().',
    });
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    props.target.configure(this);
    const image = ContainerImage.fromDirectory(SAMPLE_APP_DIR, { name: 'tierform-sample-app' });
    this.recipe = new WebApp(this, 'Recipe', {
      name: 'recipe',
      subdomain: 'recipe',
      image,
      replicas: 3,
      migrateCommand: ['python', 'migrate.py'],
      database: AppDatabase.postgres({
        superuserPassword: passwordSecret(this, 'recipe_db_superuser_password', 'Password of the recipe database superuser (postgres)'),
        appPassword: passwordSecret(this, 'recipe_db_app_password', 'Password of the recipe app role'),
      }),
    });
    this.bookfinder = new WebApp(this, 'Bookfinder', {
      name: 'bookfinder',
      subdomain: 'bookfinder',
      image,
      replicas: 1,
      migrateCommand: ['python', 'migrate.py'],
      database: AppDatabase.mysql({
        rootPassword: passwordSecret(this, 'bookfinder_db_root_password', 'Password of the bookfinder MySQL root account'),
        appPassword: passwordSecret(this, 'bookfinder_db_app_password', 'Password of the bookfinder app account'),
      }),
    });
    const extra = (props.extraApps ?? []).map((p) => new WebApp(this, `App-${p.name}`, p));
    this.edge = new EdgeProxy(this, 'Edge', {
      domain: props.domain,
      apps: [this.recipe, this.bookfinder, ...extra],
      staticSiteDirectory: SAMPLE_SITE_DIR,
      https: props.target.https ? { profile: props.tlsProfile } : undefined,
    });
    const scheme = props.target.https ? 'https' : 'http';
    new TerraformOutput(this, 'urls', {
      value: [`${scheme}://${props.domain}/`, `${scheme}://recipe.${props.domain}/`, `${scheme}://bookfinder.${props.domain}/`],
      description: 'The static site and the apps',
    });
  }
}
