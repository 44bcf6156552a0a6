import { Construct } from 'constructs';
import { propError } from '../lib/errors';
import { Secret, secretToken } from '../lib/secrets';
import { isToken, requireProps } from '../lib/validate';
import { ContainerImage } from './container-image';
import { DockerNetwork } from './docker-network';
import { ContainerLimitsProps, DockerService, HealthCheck } from './docker-service';
import { DockerVolume } from './docker-volume';
import type { IContainerDatabase } from './postgres-container';

export interface MysqlContainerProps extends ContainerLimitsProps {
  /** Container name, e.g. 'bookfinder-db'. */
  readonly name: string;
  /** The backend network: it must be internal. */
  readonly network: DockerNetwork;
  /** @default ContainerImage.registry('mysql:8.4') */
  readonly image?: ContainerImage;
  readonly databaseName: string;
  /** The app's account: all privileges on `databaseName` only (the image's MYSQL_USER). @default 'app' */
  readonly appUser?: string;
  /** root's password: a sensitive variable's value. */
  readonly rootPassword: Secret;
  /** `appUser`'s password: a sensitive variable's value. */
  readonly appPassword: Secret;
  /** @default true */
  readonly retainDataOnDestroy?: boolean;
}

const IDENT = /^[a-z_][a-z0-9_]{0,31}$/;

/**
 * MySQL in a container on an internal network only, data on a named volume, `mysqladmin ping` every 10 s, both
 * passwords as 0400 files (`MYSQL_ROOT_PASSWORD_FILE`, `MYSQL_PASSWORD_FILE`; the entrypoint reads them as root),
 * and an app account limited to its database. Defaults to 512 MiB (MySQL 8.4 idles near 400 MiB).
 */
export class MysqlContainer extends Construct implements IContainerDatabase {
  public readonly engine = 'mysql' as const;
  public readonly host: string;
  public readonly port = 3306;
  public readonly databaseName: string;
  public readonly appUser: string;
  public readonly appPassword: Secret;
  public readonly network: DockerNetwork;
  public readonly service: DockerService;
  public readonly volume: DockerVolume;

  constructor(scope: Construct, id: string, props: MysqlContainerProps) {
    super(scope, id);
    props = requireProps(this, props, {
      name: "Pass the container's name, e.g. 'recipe-db'.",
      network: 'Pass an internal DockerNetwork (the database stays off the public network).',
      databaseName: "Pass the app's database name, e.g. 'app'.",
      rootPassword: 'Pass Secret.fromVariable(...) of a sensitive variable.',
      appPassword: 'Pass Secret.fromVariable(...) of a sensitive variable.',
    });
    if (!props.network.internal) {
      throw propError(
        this,
        'network',
        'is not internal',
        props.network.name,
        'The database lives only on an internal backend network (seed 000): create it with internal: true.',
      );
    }
    for (const [prop, value] of [
      ['databaseName', props.databaseName],
      ['appUser', props.appUser ?? 'app'],
    ] as const) {
      if (!isToken(value) && (!IDENT.test(value) || value === 'root' || value === 'mysql')) {
        throw propError(this, prop, 'is not a MySQL identifier tierform accepts', value, "Use lowercase letters, digits and _, not 'root'.");
      }
    }
    secretToken(this, 'rootPassword', props.rootPassword);
    secretToken(this, 'appPassword', props.appPassword);
    this.host = props.name;
    this.databaseName = props.databaseName;
    this.appUser = props.appUser ?? 'app';
    this.appPassword = props.appPassword;
    this.network = props.network;
    this.volume = new DockerVolume(this, 'Data', { name: `${props.name}-data`, retainOnDestroy: props.retainDataOnDestroy });
    this.service = new DockerService(this, 'Service', {
      memoryLimitMiB: 512,
      memoryReservationMiB: 256,
      cpus: 0.5,
      ...props,
      image: props.image ?? ContainerImage.registry('mysql:8.4'),
      networks: [{ network: props.network }],
      environment: {
        MYSQL_DATABASE: props.databaseName,
        MYSQL_USER: this.appUser,
        MYSQL_PASSWORD_FILE: '/run/secrets/app-db-password',
        MYSQL_ROOT_PASSWORD_FILE: '/run/secrets/mysql-root-password',
      },
      secretFiles: [
        { path: '/run/secrets/mysql-root-password', value: props.rootPassword, mode: '0400' },
        { path: '/run/secrets/app-db-password', value: props.appPassword, mode: '0400' },
      ],
      volumes: [{ volume: this.volume, containerPath: '/var/lib/mysql' }],
      healthCheck: HealthCheck.command(['mysqladmin', 'ping', '-h', '127.0.0.1', '--silent'], {
        intervalSeconds: 10,
        timeoutSeconds: 5,
        retries: 5,
        startPeriodSeconds: 60,
      }),
      waitUntilHealthy: true,
      waitTimeoutSeconds: 180,
      stopGraceSeconds: 60,
    });
  }
}
