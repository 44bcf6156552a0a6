import type { Secret } from '../lib/secrets';
import { Construct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { checkInteger, isToken, requireProps } from '../lib/validate';
import { ContainerImage } from './container-image';
import { DockerNetwork } from './docker-network';
import { ContainerLimitsProps, DockerService, HealthCheck } from './docker-service';
import { MysqlContainer } from './mysql-container';
import { IContainerDatabase, PostgresContainer } from './postgres-container';

/** The database an app gets on its own backend network. */
export class AppDatabase {
  /** PostgreSQL (`PostgresContainer`): superuser and app passwords are sensitive variables' values. */
  public static postgres(
    props: {
      readonly superuserPassword: Secret;
      readonly appPassword: Secret;
      readonly databaseName?: string;
      readonly image?: ContainerImage;
    } & ContainerLimitsProps,
  ): AppDatabase {
    return new AppDatabase('postgres', { ...props });
  }

  /** MySQL (`MysqlContainer`). */
  public static mysql(
    props: {
      readonly rootPassword: Secret;
      readonly appPassword: Secret;
      readonly databaseName?: string;
      readonly image?: ContainerImage;
    } & ContainerLimitsProps,
  ): AppDatabase {
    return new AppDatabase('mysql', { ...props });
  }

  private constructor(
    public readonly engine: 'postgres' | 'mysql',
    private readonly props: Record<string, unknown>,
  ) {}

  /** @internal */
  public _create(scope: Construct, appName: string, network: DockerNetwork): IContainerDatabase {
    const databaseName = (this.props.databaseName as string | undefined) ?? appName.replace(/-/g, '_');
    const common = { ...this.props, name: `${appName}-db`, network, databaseName };
    return this.engine === 'postgres'
      ? new PostgresContainer(scope, 'Database', common as unknown as ConstructorParameters<typeof PostgresContainer>[2])
      : new MysqlContainer(scope, 'Database', common as unknown as ConstructorParameters<typeof MysqlContainer>[2]);
  }
}

/** Where the app's code-specific database password lands in its containers. */
export const APP_DB_PASSWORD_FILE = '/run/secrets/db-password';

export interface WebAppProps extends ContainerLimitsProps {
  /** App name: prefix of its containers, networks and volume, e.g. 'recipe'. */
  readonly name: string;
  /** Subdomain the edge routes to the app, e.g. 'recipe' for recipe.<domain>. */
  readonly subdomain: string;
  readonly image: ContainerImage;
  /** Web containers: 1 is seed 000's simple shape, 3 its load-balanced one. @default 1 */
  readonly replicas?: number;
  /** Port the app listens on in its containers. @default 5000 */
  readonly port?: number;
  /** @default - the image's command */
  readonly command?: string[];
  /**
   * Run once before the web containers, in a container of the same image on the backend network only; the web
   * containers are created only after it exited 0 (never racing it). Runs again when the image changes.
   * @default - no migration
   */
  readonly migrateCommand?: string[];
  /** @default - no database */
  readonly database?: AppDatabase;
  /** Non-secret environment. @default - none */
  readonly environment?: Record<string, string>;
  /** Path answering 200 while the app can serve. @default '/health' */
  readonly healthCheckPath?: string;
  /**
   * Keep a client on one container (nginx `ip_hash`) when there are several: for apps keeping sessions in memory.
   * @default true
   */
  readonly stickySessions?: boolean;
  /**
   * Subnet of the app's frontend network (the edge and the web containers, at fixed addresses: .2 is the edge,
   * .10 and up the web containers).
   * @default - a /24 in 172.30.0.0/16 derived from the name (stable when other apps come and go)
   */
  readonly frontendSubnet?: string;
  /** Let the web containers reach the internet (external APIs). @default false (internal networks only) */
  readonly allowEgress?: boolean;
}

const SUBDOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const APP_NAME = /^[a-z][a-z0-9-]{0,24}$/;

/** FNV-1a of the name into 1..250: the third octet of the default frontend subnet. */
function subnetOctet(name: string): number {
  let h = 0x811c9dc5;
  for (const ch of name) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 250) + 1;
}

/**
 * A web app on a Docker host (seed 000): `replicas` web containers, an optional one-shot migration and an optional
 * database, on two networks of its own: `<name>-frontend` (the edge proxy and the web containers) and
 * `<name>-backend` (web, migration and database; internal). No port is published: the edge reaches the web
 * containers at fixed addresses, so re-creating one (a new image) never leaves nginx with a stale address.
 */
export class WebApp extends Construct {
  public readonly name: string;
  public readonly subdomain: string;
  public readonly port: number;
  public readonly frontend: DockerNetwork;
  public readonly backend?: DockerNetwork;
  public readonly web: DockerService;
  public readonly migration?: DockerService;
  public readonly database?: IContainerDatabase;
  /** The web containers' `address:port` on the frontend network. */
  public readonly upstreamServers: string[];
  /** The edge's address on the frontend network. */
  public readonly edgeAddress: string;
  public readonly stickySessions: boolean;

  constructor(scope: Construct, id: string, props: WebAppProps) {
    super(scope, id);
    props = requireProps(this, props, {
      name: "Pass the app's name, e.g. 'recipe'.",
      subdomain: "Pass the app's subdomain, e.g. 'recipe'.",
      image: "Pass a ContainerImage, e.g. ContainerImage.fromDirectory('./app').",
    });
    if (!APP_NAME.test(props.name)) throw propError(this, 'name', 'is not a valid app name (max 25 characters)', props.name, Messages.containerName);
    if (isToken(props.subdomain) || !SUBDOMAIN.test(props.subdomain)) {
      throw propError(this, 'subdomain', 'is not a DNS label', props.subdomain, "Pass one label such as 'recipe' (the edge serves recipe.<domain>).");
    }
    this.name = props.name;
    this.subdomain = props.subdomain;
    this.port = checkInteger(this, 'port', props.port ?? 5000, 1, 65535);
    const replicas = checkInteger(this, 'replicas', props.replicas ?? 1, 1, 20);
    this.stickySessions = props.stickySessions ?? true;
    const subnet = props.frontendSubnet ?? `172.30.${subnetOctet(props.name)}.0/24`;
    this.frontend = new DockerNetwork(this, 'Frontend', { name: `${props.name}-frontend`, internal: !(props.allowEgress ?? false), subnet });
    const base = subnet.split('/')[0].split('.').slice(0, 3).join('.');
    if (!/^\d+\.\d+\.\d+$/.test(base) || !subnet.endsWith('/24')) {
      throw propError(this, 'frontendSubnet', 'is not a /24', subnet, "Pass a private /24 such as '172.30.7.0/24'.");
    }
    this.edgeAddress = `${base}.2`;
    const addresses = Array.from({ length: replicas }, (_, i) => `${base}.${10 + i}`);
    this.upstreamServers = addresses.map((a) => `${a}:${this.port}`);

    const environment: Record<string, string> = { PORT: `${this.port}`, ...(props.environment ?? {}) };
    const secretFiles = [];
    if (props.database) {
      this.backend = new DockerNetwork(this, 'Backend', { name: `${props.name}-backend`, internal: true });
      this.database = props.database._create(this, props.name, this.backend);
      Object.assign(environment, {
        DB_ENGINE: this.database.engine,
        DB_HOST: this.database.host,
        DB_PORT: `${this.database.port}`,
        DB_NAME: this.database.databaseName,
        DB_USER: this.database.appUser,
        DB_PASSWORD_FILE: APP_DB_PASSWORD_FILE,
      });
      // 0444: the app runs as a non-root user and upload files are root-owned; only this container reads it.
      secretFiles.push({ path: APP_DB_PASSWORD_FILE, value: this.database.appPassword, mode: '0444' });
    }
    const backendNetworks = this.backend ? [{ network: this.backend }] : [];
    if (props.migrateCommand) {
      if (props.migrateCommand.length === 0)
        throw propError(this, 'migrateCommand', 'is empty', [], "Pass the command, e.g. ['python', 'migrate.py'].");
      this.migration = new DockerService(this, 'Migrate', {
        name: `${props.name}-migrate`,
        image: props.image,
        command: props.migrateCommand,
        environment,
        secretFiles,
        networks: backendNetworks.length > 0 ? backendNetworks : [{ network: this.frontend }],
        runOnce: true,
        memoryLimitMiB: props.memoryLimitMiB,
        memoryReservationMiB: props.memoryReservationMiB,
        cpus: props.cpus,
        dependsOn: this.database ? [this.database.service] : undefined,
      });
    }
    const path = props.healthCheckPath ?? '/health';
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) throw propError(this, 'healthCheckPath', 'is not a URL path', path, "Pass e.g. '/health'.");
    this.web = new DockerService(this, 'Web', {
      ...props,
      name: `${props.name}-web`,
      replicas,
      environment,
      secretFiles,
      networks: [{ network: this.frontend, addresses }, ...backendNetworks],
      // The image's python answers the check: no curl needed in a slim image.
      healthCheck: HealthCheck.command(
        ['python3', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${this.port}${path}', timeout=4)`],
        { intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 20 },
      ),
      dependsOn: this.database && !this.migration ? [this.database.service] : undefined,
      requireSuccessOf: this.migration ? [this.migration] : undefined,
    });
  }
}
