import { MonitorAlert } from '@cdktf/provider-digitalocean/lib/monitor-alert';
import { UptimeAlert } from '@cdktf/provider-digitalocean/lib/uptime-alert';
import { UptimeCheck } from '@cdktf/provider-digitalocean/lib/uptime-check';
import { Annotations, Fn, Lazy } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { memoizedFragment } from '../lib/render/cloud-config';
import { EMAIL } from '../lib/render/guards';
import { MysqlFlavor } from '../lib/render/mysql';
import { PROMETHEUS_JOBS, PROMETHEUS_PATHS, PROMETHEUS_PORT, PrometheusDnsTarget, PrometheusJob } from '../lib/render/prometheus';
import { sizingFragment } from '../lib/fragments/sizing';
import {
  EXPORTER_PASSWORD_CHARACTERS,
  EXPORTER_PASSWORD_PATTERN,
  EXPORTER_PORTS,
  ExporterKind,
  exportersFragment,
  prometheusServerFragment,
} from '../lib/fragments/monitoring';
import { Secret, passwordVariable, secretToken } from '../lib/secrets';
import { checkInteger, checkLiteral, isToken } from '../lib/validate';
import { checkWired } from './_wiring';
import { IConnectable } from './connections';
import { Port } from './port';
import { RoleBase, RoleProps } from './role-base';
import { IRoleDroplet, TierDroplet } from './tier-droplet';
import { IDiscoverable, waitForNames } from './_discovery';
import { attributeReference } from '../lib/reference';

export type { ExporterKind } from '../lib/fragments/monitoring';
export { EXPORTER_PORTS } from '../lib/fragments/monitoring';

/** The engine and primary of a watched database: the primary's setup creates the exporter account. */
export interface MysqlMonitoring {
  readonly flavor: MysqlFlavor;
  /** Runs the account hook; the account reaches the replicas through replication. */
  readonly primary: IRoleDroplet;
}

/**
 * A role a MonitoringAgent can watch: WebTier, HaproxyLoadBalancer, PrimaryReplicaMysql, SingleServer (and any
 * construct with droplets and a firewall of its own). Every droplet listed gets node_exporter and the role's
 * exporters, the role's firewall admits the monitoring server on exactly those ports, and Prometheus scrapes each
 * droplet at its VPC address.
 */
export interface IMonitorable extends IConnectable, IDiscoverable {
  /** The role's name (its tag and firewall name), e.g. 'foobar-web': the `role` label of its series. */
  readonly roleName: string;
  /** Every droplet of the role: each gets node_exporter and the role's exporters. */
  readonly droplets: readonly IRoleDroplet[];
  /** What the droplets run besides node_exporter, which every watched droplet runs. */
  readonly exporters: readonly ExporterKind[];
  /** Required when `exporters` includes 'mysqld'. */
  readonly mysqlMonitoring?: MysqlMonitoring;
}

/** Every MonitoringAgent of an app (by its root construct), in creation order. */
const AGENTS = new WeakMap<IConstruct, MonitoringAgent[]>();

function agentsOf(root: IConstruct): MonitoringAgent[] {
  let agents = AGENTS.get(root);
  if (agents === undefined) {
    agents = [];
    AGENTS.set(root, agents);
  }
  return agents;
}

/** Regions DigitalOcean runs uptime checks from. */
export const UPTIME_REGIONS = ['us_east', 'us_west', 'eu_west', 'se_asia'] as const;

export interface MonitoringAgentProps extends RoleProps {
  /** Roles to watch; more with `watch()`. @default - none yet */
  readonly roles?: IMonitorable[];
  /**
   * Droplet size slug.
   * @default 's-1vcpu-2gb'
   */
  readonly size?: string;
  /** Days Prometheus keeps samples (1 to 3650). @default 15 */
  readonly retentionDays?: number;
  /**
   * Disk space Prometheus's samples may use, GB; the oldest go first.
   * @default - half the disk the droplet has, measured at every boot (25 GB on s-1vcpu-2gb; follows a resize)
   */
  readonly retentionSizeGiB?: number;
  /** Seconds between scrapes, also the rule evaluation interval (5 to 300). @default 15 */
  readonly scrapeIntervalSeconds?: number;
  /** Prometheus alert ReplicationLagging: a replica this many seconds behind for 5 minutes. @default 30 */
  readonly replicationLagAlertSeconds?: number;
  /** Prometheus alerts DiskSpaceLow / DiskFilling: below this percentage free on any disk (1 to 99). @default 15 */
  readonly diskFreeAlertPercent?: number;
  /** Prometheus alert High5xxRate: this fraction of a HAProxy backend's responses are 5xx (0 to 1). @default 0.05 */
  readonly http5xxAlertRatio?: number;
  /**
   * Password of the database account mysqld_exporter uses ('exporter'@'localhost': PROCESS and replication
   * status only): a sensitive variable's value; literals are refused. It must be 16 to 128 of
   * [-A-Za-z0-9_.~+=@^*:,!/] (no `#`, `?`, `;`, quotes or backquotes: the exporter cannot read them).
   * @default - a new sensitive variable `<path>_ExporterPassword`, created when a database is first watched
   */
  readonly exporterPassword?: Secret;
  /**
   * DigitalOcean monitor alerts (CPU, memory, root disk) on every watched role's droplets and on this one,
   * e-mailed to `alertEmails`.
   * @default true
   */
  readonly digitalOceanAlerts?: boolean;
  /**
   * Who DigitalOcean alerts (monitor and uptime) e-mail: addresses verified in your DigitalOcean account, or a
   * token list. Required while `digitalOceanAlerts` is on or `uptimeUrl` is given.
   * @default - none (an error when alerts are on)
   */
  readonly alertEmails?: string[];
  /** CPU alert: above this percentage (1 to 99) for `alertWindowMinutes`. @default 80 */
  readonly cpuAlertPercent?: number;
  /** Memory alert: above this percentage used (1 to 99). @default 90 */
  readonly memoryAlertPercent?: number;
  /** Disk alert: root disk above this percentage used (1 to 99). @default 85 */
  readonly diskAlertPercent?: number;
  /** How long a DigitalOcean metric must stay over its threshold: 5, 10, 30 or 60 minutes. @default 5 */
  readonly alertWindowMinutes?: number;
  /**
   * The site's public URL, checked by DigitalOcean from outside ('down' alert to `alertEmails`).
   * @default - no uptime check
   */
  readonly uptimeUrl?: string;
  /** Where DigitalOcean checks `uptimeUrl` from: 'us_east', 'us_west', 'eu_west', 'se_asia'. @default ['us_east', 'eu_west'] */
  readonly uptimeRegions?: string[];
  /** Minutes the URL must be down in a region before the alert: 2, 3, 5, 10, 15, 30 or 60. @default 2 */
  readonly uptimeDownMinutes?: number;
}

const ALERT_WINDOWS: Readonly<Record<number, string>> = { 5: '5m', 10: '10m', 30: '30m', 60: '1h' };
const UPTIME_PERIODS: Readonly<Record<number, string>> = { 2: '2m', 3: '3m', 5: '5m', 10: '10m', 15: '15m', 30: '30m', 60: '1h' };

/**
 * A Prometheus server droplet watching roles over the VPC, plus DigitalOcean's own alerts:
 *
 *   const monitoring = new MonitoringAgent(this, 'Monitoring', { vpc, name: 'foobar-mon', sshKeys, alertEmails });
 *   monitoring.watch(web).watch(lb).watch(db);
 *
 * - Every watched droplet runs node_exporter; per role the nginx exporter (reading a loopback stub_status),
 *   HAProxy's built-in `/metrics` (port 8404) or mysqld_exporter (its account created by the primary's setup).
 *   Every exporter and Prometheus listen on their droplet's VPC address only, and each watched role's firewall
 *   admits exactly the exporter ports, from this role's tag only.
 * - Scrape targets are found at run time: each watched role's internal DNS name (`dns_sd_configs`), so scaling a
 *   role never changes this droplet (whose metrics history a replacement would lose). Roles watched after
 *   construction count, and Terraform creates this droplet after the records it resolves.
 * - Prometheus evaluates tierform's alert rules (instance down, replication stopped or lagging, disk filling, 5xx
 *   rate); they show in Prometheus (/alerts). Nothing routes them (no Alertmanager): notifications come from the
 *   DigitalOcean alerts (CPU, memory, root disk per droplet tag; uptime of `uptimeUrl`), e-mailed to `alertEmails`.
 * - Prometheus is reachable on `<privateIpv4>:9090` from nothing by default: use an SSH tunnel from an admin
 *   network, or `monitoring.connections.allowFrom(peer, Port.tcp(9090))`.
 */
export class MonitoringAgent extends RoleBase {
  public readonly droplet: TierDroplet;
  /** DigitalOcean monitor alerts: cpu, memory, disk (empty when `digitalOceanAlerts` is false). */
  public readonly monitorAlerts: MonitorAlert[] = [];
  public readonly uptimeCheck?: UptimeCheck;
  public readonly uptimeAlert?: UptimeAlert;
  private readonly watched: IMonitorable[] = [];
  private readonly exporterPasswordProp?: string;
  private exporterPasswordValue?: string;

  constructor(scope: Construct, id: string, props: MonitoringAgentProps) {
    super(scope, id, props, { defaultPort: Port.tcp(PROMETHEUS_PORT) });
    const retentionDays = checkInteger(this, 'retentionDays', props.retentionDays ?? 15, 1, 3650);
    const scrapeIntervalSeconds = checkInteger(this, 'scrapeIntervalSeconds', props.scrapeIntervalSeconds ?? 15, 5, 300);
    const replicationLagSeconds = checkInteger(this, 'replicationLagAlertSeconds', props.replicationLagAlertSeconds ?? 30, 1, 86400);
    const diskFreePercent = checkInteger(this, 'diskFreeAlertPercent', props.diskFreeAlertPercent ?? 15, 1, 99);
    const http5xxRatio = props.http5xxAlertRatio ?? 0.05;
    checkLiteral(this, 'http5xxAlertRatio', http5xxRatio, "tierform writes it into Prometheus's alert rules at synth.");
    if (!(typeof http5xxRatio === 'number' && Number.isFinite(http5xxRatio) && http5xxRatio > 0 && http5xxRatio < 1)) {
      throw propError(
        this,
        'http5xxAlertRatio',
        'must be a fraction between 0 and 1 (exclusive)',
        http5xxRatio,
        'Pass e.g. 0.05 for 5 % of the responses.',
      );
    }
    this.exporterPasswordProp = secretToken(this, 'exporterPassword', props.exporterPassword);

    this.droplet = this.addDroplet('Droplet', { defaultSize: 's-1vcpu-2gb' });
    const diskGb = this.droplet.sizeInfo?.diskGb;
    const retentionSizeGb =
      props.retentionSizeGiB !== undefined
        ? checkInteger(this, 'retentionSizeGiB', props.retentionSizeGiB, 1, diskGb === undefined ? 16384 : diskGb - 1)
        : ('sizing' as const);
    if (retentionSizeGb === 'sizing') {
      // Half the storage filesystem, measured at every boot: a resize replaces nothing.
      this.droplet.addFragment(sizingFragment({ retention: { dir: PROMETHEUS_PATHS.storage, percent: 50 }, before: ['prometheus.service'] }));
    }

    const rules = { replicationLagSeconds, diskFreePercent, http5xxRatio };
    // Its own machine metrics, then Prometheus rendered at synth: roles watched later count. Rendered again only
    // when the jobs change (the other inputs are fixed here).
    this.droplet.addFragment(
      memoizedFragment(
        () => this.scrapeJobs(),
        (jobs) => prometheusServerFragment({ jobs, scrapeIntervalSeconds, retentionDays, retentionSizeGb, rules }),
      ),
    );

    this.createDigitalOceanAlerts(props);
    if (props.uptimeUrl !== undefined) {
      const uptime = this.createUptimeCheck(props, props.uptimeUrl);
      this.uptimeCheck = uptime.check;
      this.uptimeAlert = uptime.alert;
    }

    if (props.roles !== undefined && !Array.isArray(props.roles)) {
      throw propError(this, 'roles', 'must be a list of roles', props.roles, 'Pass e.g. [web, database], or call watch(role).');
    }
    agentsOf(this.node.root).push(this);
    for (const role of props.roles ?? []) this.watch(role);
    this.node.addValidation({
      validate: () => (this.watched.length === 0 ? [scopeError(this, `MonitoringAgent ${Messages.nothingWatched}`).message] : []),
    });

    this.addOutput('PrivateIpv4', this.droplet.privateIpv4, `VPC address of Prometheus (port ${PROMETHEUS_PORT}; reach it through an SSH tunnel)`);
  }

  /**
   * Monitors `role`: its droplets get node_exporter and the role's exporters, its firewall admits this role on the
   * exporter ports, and Prometheus scrapes them. Watching a role again is a no-op (with a warning).
   */
  public watch(role: IMonitorable): this {
    if (
      role === undefined ||
      role === null ||
      typeof role.internalName !== 'function' ||
      typeof (role as { exporters?: unknown }).exporters !== 'object'
    ) {
      throw propError(
        this,
        'roles',
        'contains something that is not a role',
        role,
        'Pass tierform roles (WebTier, AppTier, HaproxyLoadBalancer, HaproxyPair, PrimaryReplicaMysql, SingleServer).',
      );
    }
    if (this.watched.includes(role)) {
      Annotations.of(this).addWarning(Messages.watchedAgain(role.node.path));
      return this;
    }
    // A role has one monitoring server: its exporters and firewall rules exist once. Looked up among the app's
    // agents (a registry, not a walk of the whole construct tree on every call).
    const other = agentsOf(this.node.root).find((a) => a !== this && a.watched.includes(role));
    if (other !== undefined) {
      throw scopeError(this, `${role.node.path} ${Messages.watchedTwice(other.node.path)}`);
    }
    checkWired(this, 'roles', role);
    if (role.exporters.includes('mysqld') && role.mysqlMonitoring === undefined) {
      throw scopeError(this, `cannot watch ${role.node.path}: ${Messages.mysqlMonitoringMissing}`);
    }
    this.watched.push(role);

    const passwordBase64 = role.exporters.includes('mysqld') ? Fn.base64encode(this.exporterPassword()) : undefined;
    // One fragment object per droplet kind, so droplets of a role still share one rendered cloud-config.
    const replicaFragment = exportersFragment({
      exporters: role.exporters,
      mysql: role.mysqlMonitoring && { flavor: role.mysqlMonitoring.flavor, primary: false, passwordBase64: passwordBase64! },
    });
    const primaryFragment = role.mysqlMonitoring
      ? exportersFragment({
          exporters: role.exporters,
          mysql: { flavor: role.mysqlMonitoring.flavor, primary: true, passwordBase64: passwordBase64! },
        })
      : replicaFragment;
    for (const droplet of role.droplets) {
      droplet.addFragment(droplet === role.mysqlMonitoring?.primary ? primaryFragment : replicaFragment);
    }

    for (const kind of ['node', ...role.exporters] as const) {
      role.connections.allowFrom(this, Port.tcp(EXPORTER_PORTS[kind]), `${kind} exporter, scraped by ${this.roleName}`);
    }
    waitForNames([this.droplet], role.internalName());
    return this;
  }

  /** Roles watched so far, in order. */
  public get watchedRoles(): readonly IMonitorable[] {
    return [...this.watched];
  }

  /** Prometheus's VPC address (a reference). */
  public get privateIpv4(): string {
    return this.droplet.privateIpv4;
  }

  /** The password of the exporter account: the prop, or a sensitive variable made on first use. */
  private exporterPassword(): string {
    this.exporterPasswordValue ??=
      this.exporterPasswordProp ??
      passwordVariable(this, 'ExporterPassword', `Password of the MySQL account of mysqld_exporter (${this.node.path})`, {
        pattern: EXPORTER_PASSWORD_PATTERN,
        characters: EXPORTER_PASSWORD_CHARACTERS,
      }).stringValue;
    return this.exporterPasswordValue;
  }

  /** One job per exporter kind with targets; node and prometheus also scrape this droplet itself. */
  private scrapeJobs(): PrometheusJob[] {
    const selfLabels = { role: this.roleName, droplet: this.droplet.name };
    const targets = (kind: ExporterKind | 'node'): PrometheusDnsTarget[] =>
      this.watched
        .filter((r) => kind === 'node' || r.exporters.includes(kind))
        .map((r) => ({ name: r.internalName().fqdn, port: EXPORTER_PORTS[kind], labels: { role: r.roleName } }));
    const jobs: PrometheusJob[] = [
      { name: PROMETHEUS_JOBS.node, dnsTargets: targets('node'), selfTarget: { port: EXPORTER_PORTS.node, labels: selfLabels } },
    ];
    for (const kind of ['haproxy', 'nginx', 'mysqld'] as const) {
      const t = targets(kind);
      if (t.length > 0) jobs.push({ name: PROMETHEUS_JOBS[kind], dnsTargets: t });
    }
    jobs.push({ name: PROMETHEUS_JOBS.prometheus, targets: [], selfTarget: { port: PROMETHEUS_PORT, labels: selfLabels } });
    return jobs;
  }

  /** The watched roles' tags and this role's, evaluated at synth. */
  private alertTags(): string[] {
    return Lazy.listValue({
      produce: () => [this.firewall.tagName, ...this.watched.map((r) => r.connections.toFirewallEndpoint().tags ?? []).flat()],
    });
  }

  private createDigitalOceanAlerts(props: MonitoringAgentProps): void {
    const on = props.digitalOceanAlerts ?? true;
    const emails = this.alertEmails(props, on || props.uptimeUrl !== undefined);
    const window = this.alertWindow(props.alertWindowMinutes ?? 5);
    const thresholds = [
      ['Cpu', 'cpuAlertPercent', props.cpuAlertPercent ?? 80, 'v1/insights/droplet/cpu', 'CPU'],
      ['Memory', 'memoryAlertPercent', props.memoryAlertPercent ?? 90, 'v1/insights/droplet/memory_utilization_percent', 'memory'],
      ['Disk', 'diskAlertPercent', props.diskAlertPercent ?? 85, 'v1/insights/droplet/disk_utilization_percent', 'root disk'],
    ] as const;
    for (const [, prop, value] of thresholds) checkInteger(this, prop, value, 1, 99, { tokens: 'allow' });
    if (!on) {
      for (const [, prop] of thresholds) {
        if (props[prop] !== undefined) Annotations.of(this).addWarning(Messages.ignoredWithoutAlerts(prop));
      }
      return;
    }
    const tags = this.alertTags();
    for (const [id, , value, type, what] of thresholds) {
      this.monitorAlerts.push(
        new MonitorAlert(this, `${id}Alert`, {
          type,
          compare: 'GreaterThan',
          value,
          window,
          tags,
          enabled: true,
          description: `${this.roleName}: ${what} above ${value}% for ${window} (tierform)`,
          alerts: { email: emails },
        }),
      );
    }
  }

  private createUptimeCheck(props: MonitoringAgentProps, url: string): { check: UptimeCheck; alert: UptimeAlert } {
    let type: string | undefined;
    if (!isToken(url)) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '' || !url.startsWith(`${parsed.protocol}//`)) {
        throw propError(this, 'uptimeUrl', 'is not an http:// or https:// URL', url, Messages.uptimeUrl);
      }
      type = parsed.protocol.slice(0, -1);
    }
    const regions = props.uptimeRegions ?? ['us_east', 'eu_west'];
    if (!isToken(regions)) {
      if (regions.length === 0) {
        throw propError(this, 'uptimeRegions', 'must list at least one region', regions, Messages.uptimeRegions(UPTIME_REGIONS));
      }
      for (const region of regions) {
        if (!isToken(region) && !(UPTIME_REGIONS as readonly string[]).includes(region)) {
          throw propError(
            this,
            'uptimeRegions',
            'contains a region DigitalOcean does not check from',
            region,
            Messages.uptimeRegions(UPTIME_REGIONS),
          );
        }
      }
    }
    const minutes = props.uptimeDownMinutes ?? 2;
    const period = UPTIME_PERIODS[minutes];
    if (!isToken(minutes) && period === undefined) {
      throw propError(this, 'uptimeDownMinutes', 'is not a DigitalOcean uptime alert period', minutes, Messages.uptimePeriod);
    }
    const check = new UptimeCheck(this, 'UptimeCheck', { name: `${this.roleName}-uptime`, target: url, type, regions, enabled: true });
    const alert = new UptimeAlert(this, 'UptimeAlert', {
      checkId: attributeReference(check, 'id'),
      name: `${this.roleName}: ${isToken(url) ? 'the site' : url} is down`,
      type: 'down',
      period: period ?? `${minutes}m`,
      notifications: [{ email: this.alertEmails(props, true) }],
    });
    return { check, alert };
  }

  private alertEmails(props: MonitoringAgentProps, required: boolean): string[] {
    const emails = props.alertEmails ?? [];
    if (isToken(emails)) return emails;
    if (required && emails.length === 0) {
      throw propError(this, 'alertEmails', 'must list at least one address while DigitalOcean alerts are on', emails, Messages.alertEmailsMissing);
    }
    for (const email of emails) {
      if (!isToken(email) && !EMAIL.test(email)) {
        throw propError(this, 'alertEmails', 'contains something that is not an e-mail address', email, Messages.emailInvalid);
      }
    }
    return [...emails];
  }

  private alertWindow(minutes: number): string {
    if (isToken(minutes)) return `${minutes}m`;
    const window = ALERT_WINDOWS[minutes];
    if (window === undefined) {
      throw propError(this, 'alertWindowMinutes', 'is not a DigitalOcean alert window', minutes, Messages.alertWindow);
    }
    return window;
  }
}
