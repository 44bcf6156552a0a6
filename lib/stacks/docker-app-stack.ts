/**
 * Seed 001 as one stack: nginx (the only published port) → the sample app → Redis and PostgreSQL, each with its own
 * health check, on a frontend network (nginx, app) and an internal backend network (app, Redis, PostgreSQL). nginx
 * finds the app at request time through Docker's DNS, so it starts and answers /health before the app exists.
 * The same stack runs on your machine (`DockerTarget.local()`: validate locally) or on a droplet
 * (`DockerTarget.droplet(host)`).
 */
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ContainerImage } from '../../constructs/container-image';
import { DockerNetwork } from '../../constructs/docker-network';
import { DockerService, HealthCheck } from '../../constructs/docker-service';
import { DockerTarget } from '../../constructs/docker-target';
import { PostgresContainer } from '../../constructs/postgres-container';
import { RedisContainer } from '../../constructs/redis-container';
import { APP_DB_PASSWORD_FILE } from '../../constructs/web-app';
import { CONTAINER_NGINX_CONF, renderAppProxyNginxConf } from '../render/nginx-vhosts';
import { passwordSecret } from '../secrets';
import { checkInteger, requireProps } from '../validate';
import { SAMPLE_APP_DIR } from './docker-multi-app';

export interface DockerAppStackProps {
  readonly target: DockerTarget;
  /**
   * Host port nginx is published on. On a droplet it must be a port the host's Cloud Firewall admits (80, or 443
   * with HTTPS): a synth error otherwise.
   * @default 8080 on your machine (`DockerTarget.local()`), 80 on a droplet
   */
  readonly publishedPort?: number;
  /** Prefix of container, network and volume names. @default 'shop' */
  readonly namePrefix?: string;
}

export class DockerAppStack extends TerraformStack {
  public readonly proxy: DockerService;
  public readonly app: DockerService;
  public readonly redis: RedisContainer;
  public readonly postgres: PostgresContainer;
  /** True when the stack targets the local Docker (`DockerTarget.local()`), not a droplet. */
  public readonly isLocal: boolean;

  constructor(scope: Construct, id: string, props: DockerAppStackProps) {
    super(scope, id);
    props = requireProps(this, props, { target: 'Pass where the containers run: DockerTarget.droplet(host) or DockerTarget.local().' });
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    props.target.configure(this);
    this.isLocal = props.target.isLocal;
    const prefix = props.namePrefix ?? 'shop';
    const port = checkInteger(this, 'publishedPort', props.publishedPort ?? (props.target.isLocal ? 8080 : 80), 1, 65535);
    const frontend = new DockerNetwork(this, 'Frontend', { name: `${prefix}-frontend`, internal: false });
    const backend = new DockerNetwork(this, 'Backend', { name: `${prefix}-backend`, internal: true });
    this.postgres = new PostgresContainer(this, 'Postgres', {
      name: `${prefix}-postgres`,
      network: backend,
      databaseName: 'shop',
      superuserPassword: passwordSecret(this, 'postgres_superuser_password', 'Password of the postgres superuser'),
      appPassword: passwordSecret(this, 'postgres_app_password', 'Password of the app role'),
    });
    this.redis = new RedisContainer(this, 'Redis', { name: `${prefix}-redis`, network: backend });
    const appName = `${prefix}-app`;
    // nginx first and independent of the app: it resolves the app per request (seed 001's fix).
    this.proxy = new DockerService(this, 'Proxy', {
      name: `${prefix}-nginx`,
      image: ContainerImage.registry('nginx:1.27-alpine'),
      memoryLimitMiB: 128,
      memoryReservationMiB: 64,
      cpus: 0.5,
      networks: [{ network: frontend }],
      publishedPorts: [{ internal: 80, external: port }],
      files: [
        {
          path: CONTAINER_NGINX_CONF,
          content: renderAppProxyNginxConf({
            listenPort: 80,
            appHost: appName,
            appPort: 5000,
            resolverValidSeconds: 10,
            clientMaxBodySizeMb: 10,
            rateLimitRequestsPerSecond: 10,
            rateLimitBurst: 20,
            proxyReadTimeoutSeconds: 60,
          }),
        },
      ],
      healthCheck: HealthCheck.command(['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/health'], {
        intervalSeconds: 30,
        timeoutSeconds: 5,
        retries: 3,
        startPeriodSeconds: 10,
      }),
    });
    this.app = new DockerService(this, 'App', {
      name: appName,
      image: ContainerImage.fromDirectory(SAMPLE_APP_DIR, { name: 'tierform-sample-app' }),
      networks: [{ network: frontend }, { network: backend }],
      environment: {
        PORT: '5000',
        REDIS_HOST: this.redis.host,
        DB_ENGINE: 'postgres',
        DB_HOST: this.postgres.host,
        DB_PORT: '5432',
        DB_NAME: this.postgres.databaseName,
        DB_USER: this.postgres.appUser,
        DB_PASSWORD_FILE: APP_DB_PASSWORD_FILE,
      },
      secretFiles: [{ path: APP_DB_PASSWORD_FILE, value: this.postgres.appPassword, mode: '0444' }],
      healthCheck: HealthCheck.command(
        ['python3', '-c', "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4)"],
        { intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 20 },
      ),
      command: ['sh', '-c', 'python migrate.py; exec gunicorn --workers 2 --bind 0.0.0.0:5000 --access-logfile - --timeout 30 app:app'],
      dependsOn: [this.postgres.service, this.redis.service],
    });
    new TerraformOutput(this, 'url', {
      value: `http://${props.target.publicAddress}:${port}/`,
      description: 'nginx (on the Docker host; localhost for a local target)',
    });
  }
}
