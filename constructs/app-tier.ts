import { Construct } from 'constructs';
import { GUNICORN_UNIT_NAME } from '../lib/render/gunicorn';
import { sizingFragment } from '../lib/fragments/sizing';
import { appFragment } from '../lib/fragments/app';
import { Messages } from '../lib/errors';
import { EXPORTER_PORTS } from '../lib/fragments/monitoring';
import { checkInteger, checkPortFree, checkSize } from '../lib/validate';
import { checkWired } from './_wiring';
import { AppSource } from './app-source';
import type { ExporterKind, IMonitorable } from './monitoring-agent';
import { Port } from './port';
import type { IMysqlDatabase } from './primary-replica-mysql';
import { RoleBase, RoleProps } from './role-base';
import { waitForNames } from './_discovery';
import { appDatabaseSettings, databaseNames } from './_web-options';

export interface AppTierProps extends RoleProps {
  /** Number of app droplets. @default 2 */
  readonly count?: number;
  /** The code to run. @default AppSource.sample() */
  readonly app?: AppSource;
  /** Database the app uses; its firewall admits this tier on 3306. @default - none */
  readonly database?: IMysqlDatabase;
  /** Port gunicorn listens on, on the VPC address. @default 8000 */
  readonly port?: number;
  /**
   * gunicorn workers.
   * @default - 2 × the droplet's CPUs + 1, counted at every boot (a resize changes it without replacing the droplet)
   */
  readonly workers?: number;
  /** gunicorn kills a worker silent this long, seconds. @default 30 */
  readonly appTimeoutSeconds?: number;
  /**
   * Memory limit of the app service, MiB.
   * @default - 3/4 of the droplet's memory (systemd `MemoryMax=75%`, which follows a resize)
   */
  readonly appMemoryMaxMiB?: number;
}

/** Ports tierform's own daemons listen on, on an app droplet (node_exporter when watched) or any droplet it runs. */
const APP_DROPLET_PORTS: Readonly<Record<number, string>> = {
  [EXPORTER_PORTS.node]: 'node_exporter',
  [EXPORTER_PORTS.nginx]: 'the nginx exporter',
  [EXPORTER_PORTS.mysqld]: 'mysqld_exporter',
  [EXPORTER_PORTS.haproxy]: 'the HAProxy stats and metrics listener',
  9090: 'Prometheus',
  8080: "nginx's stub_status",
  8405: "the load balancer's health listener",
};

/**
 * Application servers on their own droplets (stage 3, seed 002 part 3): gunicorn running the WSGI app on the
 * droplet's VPC address, reachable only from the roles you allow (the web tier). Put a `WebTier` with
 * `upstream: appTier` in front of it.
 */
export class AppTier extends RoleBase implements IMonitorable {
  public readonly port: number;
  public readonly healthCheckPath = '/health';
  /** Monitored by node_exporter only (gunicorn has no exporter of its own here). */
  public readonly exporters: readonly ExporterKind[] = [];

  constructor(scope: Construct, id: string, props: AppTierProps) {
    const port = props?.port ?? 8000;
    super(scope, id, props, { defaultPort: Port.tcp(port) });
    const count = checkInteger(this, 'count', props.count ?? 2, 1, 1000, { why: Messages.countLiteral });
    this.port = checkPortFree(this, 'port', checkInteger(this, 'port', port, 1024, 65535), APP_DROPLET_PORTS);
    const code = (props.app ?? AppSource.sample()).bind(this, 'app');
    const size = checkSize(this, 'size', props.size ?? 's-1vcpu-2gb');
    const memoryMb = size?.memoryMb ?? 2048;
    const workers = props.workers === undefined ? 'per-cpu' : checkInteger(this, 'workers', props.workers, 1, 256);
    const timeoutSeconds = checkInteger(this, 'appTimeoutSeconds', props.appTimeoutSeconds ?? 30, 1, 3600);
    const memoryMax =
      props.appMemoryMaxMiB === undefined ? { percent: 75 } : checkInteger(this, 'appMemoryMaxMiB', props.appMemoryMaxMiB, 64, memoryMb);

    const database = props.database;
    if (database) {
      checkWired(this, 'database', database);
      database.connections.allowDefaultPortFrom(this, `${props.name} to MySQL`);
    }
    const dbNames = database ? databaseNames(database) : undefined;
    // gunicorn binds the VPC address (from net.env, expanded by systemd). It trusts X-Forwarded-Proto from
    // any source ('*'): the firewall admits only the web tier to this port, and gunicorn before 22 takes no
    // CIDRs here.
    const fragment = appFragment({
      code,
      workers,
      bind: `\${TIERFORM_PRIVATE_IP}:${this.port}`,
      timeoutSeconds,
      memoryMax,
      forwardedAllowIps: ['*'],
      socketGroup: 'tierform-app',
      database: database && dbNames ? appDatabaseSettings(database, dbNames) : undefined,
    });
    // Workers counted at every boot, so a resize replaces nothing (one fragment object: droplets share the body).
    const sizing = workers === 'per-cpu' ? sizingFragment({ before: [GUNICORN_UNIT_NAME] }) : undefined;
    for (let i = 0; i < count; i++) {
      const droplet = this.addDroplet(`Droplet${i}`, { name: `${props.name}-${i}`, defaultSize: 's-1vcpu-2gb' });
      if (sizing) droplet.addFragment(sizing);
      droplet.addFragment(fragment);
    }
    if (dbNames) waitForNames(this.droplets, dbNames.writer, dbNames.reader);
    this.addOutput(
      'PrivateIpv4',
      this.droplets.map((d) => d.privateIpv4),
      `VPC addresses of ${props.name}`,
    );
  }
}
