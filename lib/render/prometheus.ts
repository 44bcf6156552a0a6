/**
 * Renders the monitoring droplet's Prometheus (Ubuntu 24.04 `prometheus` 2.45; checked here with Debian 12's
 * 2.42): `prometheus.yml`, the alert rules, the systemd drop-in and the boot-time self-target script.
 *
 * Pure: plain values in, text out; no cdktf import. YAML is produced with the `yaml` package. Target addresses
 * may be Terraform token texts (`${TfToken[TOKEN.3]}:9100`), inserted verbatim and resolved by Terraform; the
 * rules contain no `${` or `%{`, so they pass through a Terraform string template unchanged.
 *
 * Addresses, one approach per kind of value:
 * - other droplets' exporters: their private IPs as Terraform references in the targets (known at apply);
 * - this droplet's own exporters (Prometheus itself, its node_exporter): a droplet cannot reference its own IP in
 *   its user_data, and Prometheus does not expand environment variables in its configuration. Those jobs read a
 *   `file_sd` file that `renderPrometheusSelfTargetsScript` writes from `TIERFORM_PRIVATE_IP` each time
 *   Prometheus starts (`ExecStartPre=` of the drop-in);
 * - Prometheus's own listen address: `--web.listen-address=${TIERFORM_PRIVATE_IP}:9090` in the drop-in's
 *   ExecStart, expanded by systemd from /etc/tierform/net.env (see lib/render/exporters.ts for why a drop-in and
 *   not `/etc/default/prometheus`, whose ARGS value systemd does not expand again).
 *
 * Metric names used by the rules, and where they were checked: `up` (Prometheus); `node_filesystem_*`
 * (node_exporter 1.5 output); `haproxy_backend_http_responses_total{code="5xx"}`,
 * `haproxy_backend_active_servers`, `haproxy_backend_backup_servers`, `haproxy_server_status{state=...}` (HAProxy
 * 2.6 `/metrics`; HAProxy 2.8 keeps them); `nginx_up` (nginx exporter 0.11 and 1.x); `mysql_up`,
 * `mysql_slave_status_{slave_io_running,slave_sql_running,seconds_behind_master}` (mysqld_exporter 0.14/0.15:
 * `SHOW SLAVE STATUS` columns lowercased; Yes → 1, No/Connecting → 0, NULL → no sample).
 */
import { NET_ENV_FILE } from './base';
import { PRIVATE_IP_REF, renderVpcDropIn, systemdArg } from './exporters';
import { RenderError, absPath, dnsName, integer, number, port, positive, refuse, shellQuote, urlPath } from './guards';
import { SIZING_ENV_FILE, SIZING_UNIT_NAME } from './sizing';
import { stringifyYaml } from './yaml-text';

/** Prometheus's port, on the VPC address. */
export const PROMETHEUS_PORT = 9090;

/** The job names the construct tree uses; the alert rules refer to some of them. */
export const PROMETHEUS_JOBS = {
  node: 'node',
  haproxy: 'haproxy',
  nginx: 'nginx',
  mysqld: 'mysqld',
  prometheus: 'prometheus',
} as const;

/** Paths on the monitoring droplet. */
export const PROMETHEUS_PATHS = {
  config: '/etc/prometheus/prometheus.yml',
  /** Where `rule_files` entries normally live. */
  rulesDir: '/etc/prometheus/rules',
  storage: '/var/lib/prometheus/metrics2/',
  /** file_sd files for this droplet's own exporters, written at start (owned by prometheus). */
  selfTargetsDir: '/var/lib/prometheus/tierform-self',
  /** `renderPrometheusSelfTargetsScript`, mode 0755. */
  selfTargetsScript: '/usr/local/lib/tierform/prometheus-self-targets',
  /** `renderPrometheusDropIn`. */
  dropIn: '/etc/systemd/system/prometheus.service.d/50-tierform.conf',
} as const;

/** One scrape target. */
export interface PrometheusTarget {
  /** `host:port`; the host may be a Terraform token text (inserted verbatim). */
  readonly address: string;
  /** Labels attached to every series of this target, e.g. `{ role: 'web', droplet: 'web-0' }`. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Targets found at run time: every A record of `name` (a role's internal DNS name), scraped on `port`. Prometheus
 * re-resolves it (`dns_sd_configs`), so droplets added to or removed from the role need no change here; while the
 * lookup fails it keeps the last targets.
 */
export interface PrometheusDnsTarget {
  /** DNS name, e.g. `foobar-web.internal.foobar.com` (may be a Terraform token text). */
  readonly name: string;
  readonly port: number;
  /** Labels of every series of these targets, e.g. `{ role: 'foobar-web' }`. */
  readonly labels: Readonly<Record<string, string>>;
}

/** An exporter on the monitoring droplet itself, whose address is known only at boot. */
export interface PrometheusSelfTarget {
  /** TCP port it listens on (on the VPC address). */
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface PrometheusJob {
  /** `job` label; letters, digits, `_` and `-`; unique. */
  readonly name: string;
  /** Targets on other droplets at fixed addresses. @default - none */
  readonly targets?: readonly PrometheusTarget[];
  /** Targets on other droplets found by DNS. @default - none */
  readonly dnsTargets?: readonly PrometheusDnsTarget[];
  /**
   * Seconds between two resolutions of the `dnsTargets` names.
   * @default 30
   */
  readonly dnsRefreshSeconds?: number;
  /**
   * HTTP path of the metrics.
   * @default '/metrics'
   */
  readonly metricsPath?: string;
  /**
   * Also scrape this exporter on the monitoring droplet itself (through the file written by
   * `renderPrometheusSelfTargetsScript`).
   * @default - none
   */
  readonly selfTarget?: PrometheusSelfTarget;
}

export interface PrometheusConfigOptions {
  readonly scrapeIntervalSeconds: number;
  readonly evaluationIntervalSeconds: number;
  /**
   * Per-scrape timeout; at most the scrape interval.
   * @default - the smaller of 10 and the scrape interval
   */
  readonly scrapeTimeoutSeconds?: number;
  readonly jobs: readonly PrometheusJob[];
  /** Rule files (absolute paths, or relative to prometheus.yml's directory); each must exist. */
  readonly ruleFiles: readonly string[];
  /**
   * Labels added to alerts and to series sent to external systems, e.g. `{ stage: 'prod' }`.
   * @default - none
   */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /**
   * Alertmanager `host:port` addresses that receive the alerts.
   * @default - none: alerts are only visible in Prometheus (/alerts)
   */
  readonly alertmanagers?: readonly string[];
  /**
   * Directory of the self-target files (must match `renderPrometheusSelfTargetsScript`).
   * @default '/var/lib/prometheus/tierform-self'
   */
  readonly selfTargetsDir?: string;
}

/** Text of `/etc/prometheus/prometheus.yml`. */
export function renderPrometheusConfig(o: PrometheusConfigOptions): string {
  const scrapeInterval = integer('scrapeIntervalSeconds', o.scrapeIntervalSeconds, 1);
  const scrapeTimeout = integer('scrapeTimeoutSeconds', o.scrapeTimeoutSeconds ?? Math.min(10, scrapeInterval), 1);
  if (scrapeTimeout > scrapeInterval) {
    refuse('scrapeTimeoutSeconds', `must not exceed 'scrapeIntervalSeconds' (${scrapeInterval})`, scrapeTimeout);
  }
  if (o.jobs.length === 0) {
    refuse('jobs', 'must list at least one scrape job', o.jobs);
  }
  const names = new Set<string>();
  const selfDir = absPath('selfTargetsDir', o.selfTargetsDir ?? PROMETHEUS_PATHS.selfTargetsDir);
  const scrapeConfigs = o.jobs.map((job, j) => {
    const name = jobName(`jobs[${j}].name`, job.name);
    if (names.has(name)) {
      refuse(`jobs[${j}].name`, 'must be unique (an earlier job has the same name)', name);
    }
    names.add(name);
    const targets = job.targets ?? [];
    const dnsTargets = job.dnsTargets ?? [];
    if (targets.length === 0 && dnsTargets.length === 0 && job.selfTarget === undefined) {
      throw new RenderError(`jobs[${j}]`, `'jobs[${j}]' (job '${name}') has no targets: give 'targets', 'dnsTargets' or 'selfTarget'`);
    }
    const config: Record<string, unknown> = { job_name: name };
    if (job.metricsPath !== undefined) {
      config.metrics_path = urlPath(`jobs[${j}].metricsPath`, job.metricsPath);
    }
    if (targets.length > 0) {
      config.static_configs = targets.map((t, i) => ({
        targets: [address(`jobs[${j}].targets[${i}].address`, t.address)],
        labels: labels(`jobs[${j}].targets[${i}].labels`, t.labels),
      }));
    }
    if (dnsTargets.length > 0) {
      const refresh = integer(`jobs[${j}].dnsRefreshSeconds`, job.dnsRefreshSeconds ?? 30, 1);
      config.dns_sd_configs = dnsTargets.map((t, i) => ({
        names: [dnsName(`jobs[${j}].dnsTargets[${i}].name`, t.name)],
        type: 'A',
        port: port(`jobs[${j}].dnsTargets[${i}].port`, t.port),
        refresh_interval: `${refresh}s`,
      }));
      // Each name's labels, attached by the name the target came from (dns_sd has no per-config labels).
      config.relabel_configs = dnsTargets.flatMap((t, i) =>
        Object.entries(labels(`jobs[${j}].dnsTargets[${i}].labels`, t.labels)).map(([label, value]) => ({
          source_labels: ['__meta_dns_name'],
          regex: regexLiteral(t.name),
          target_label: label,
          replacement: value,
        })),
      );
    }
    if (job.selfTarget !== undefined) {
      port(`jobs[${j}].selfTarget.port`, job.selfTarget.port);
      labels(`jobs[${j}].selfTarget.labels`, job.selfTarget.labels);
      config.file_sd_configs = [{ files: [`${selfDir}/${name}.json`] }];
    }
    return config;
  });

  const global: Record<string, unknown> = {
    scrape_interval: `${scrapeInterval}s`,
    scrape_timeout: `${scrapeTimeout}s`,
    evaluation_interval: `${integer('evaluationIntervalSeconds', o.evaluationIntervalSeconds, 1)}s`,
  };
  if (o.externalLabels !== undefined && Object.keys(o.externalLabels).length > 0) {
    global.external_labels = labels('externalLabels', o.externalLabels);
  }
  const doc: Record<string, unknown> = {
    global,
    rule_files: o.ruleFiles.map((f, i) => {
      if (f === '' || /[\s*?[]/.test(f)) {
        refuse(`ruleFiles[${i}]`, 'must be a file path without spaces or wildcards', f);
      }
      return f;
    }),
  };
  if (o.alertmanagers !== undefined && o.alertmanagers.length > 0) {
    doc.alerting = {
      alertmanagers: [{ static_configs: [{ targets: o.alertmanagers.map((a, i) => address(`alertmanagers[${i}]`, a)) }] }],
    };
  }
  doc.scrape_configs = scrapeConfigs;
  return `# Rendered by tierform (lib/render/prometheus.ts); local edits are overwritten.\n${yaml(doc)}`;
}

/**
 * Bash script (mode 0755) run by `prometheus.service` before each start, as user prometheus: writes
 * `<dir>/<job>.json` (file_sd) for every job with a `selfTarget`, at `TIERFORM_PRIVATE_IP:<port>`. Refuses
 * to run when the variable is not an IPv4 address.
 */
export function renderPrometheusSelfTargetsScript(jobs: readonly PrometheusJob[], dir: string = PROMETHEUS_PATHS.selfTargetsDir): string {
  const selfJobs = jobs.filter((j) => j.selfTarget !== undefined);
  const writes = selfJobs.map((job) => {
    const self = job.selfTarget as PrometheusSelfTarget;
    const name = jobName('jobs[].name', job.name);
    const json = JSON.stringify([
      { targets: [`${IP_MARK}:${port(`${name}.selfTarget.port`, self.port)}`], labels: labels(`${name}.selfTarget.labels`, self.labels) },
    ]);
    return `write_targets ${name} ${shellQuote(json)}`;
  });
  return `#!/usr/bin/env bash
# Rendered by tierform (lib/render/prometheus.ts). Run by prometheus.service (ExecStartPre=) before each start:
# writes this droplet's own scrape targets as file_sd files, because its VPC address is known only at boot
# (TIERFORM_PRIVATE_IP, from the unit's EnvironmentFile).
set -euo pipefail

readonly DIR=${shellQuote(absPath('dir', dir))}
ip="\${TIERFORM_PRIVATE_IP:-}"
if [[ ! $ip =~ ^[0-9]{1,3}(\\.[0-9]{1,3}){3}$ ]]; then
  echo "prometheus-self-targets: TIERFORM_PRIVATE_IP is not an IPv4 address: '$ip'" >&2
  exit 1
fi
mkdir -p "$DIR"

# write_targets JOB JSON: JSON has ${IP_MARK} where the address goes; replaced atomically.
write_targets() {
  local tmp
  tmp="$(mktemp "$DIR/.$1.XXXXXX")"
  printf '%s\\n' "\${2//${IP_MARK}/$ip}" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$DIR/$1.json"
}

${writes.length > 0 ? writes.join('\n') : '# no job scrapes this droplet itself'}
`;
}

export interface PrometheusServiceOptions {
  /** Days of samples kept on disk (`--storage.tsdb.retention.time`). */
  readonly retentionDays: number;
  /**
   * Disk cap of the samples, GB (`--storage.tsdb.retention.size`); the oldest blocks go first. `'sizing'`: the
   * `TIERFORM_RETENTION_GB` the droplet's sizing service computes at every boot from the disk it has (a resize then
   * changes no file).
   * @default - no size cap (time only)
   */
  readonly retentionSizeGb?: number | 'sizing';
  /**
   * TCP port on the VPC address.
   * @default 9090
   */
  readonly listenPort?: number;
  /**
   * Run `renderPrometheusSelfTargetsScript` before each start.
   * @default true
   */
  readonly runSelfTargetsScript?: boolean;
  /** @default '/etc/tierform/net.env' */
  readonly netEnvFile?: string;
}

/**
 * Drop-in `/etc/systemd/system/prometheus.service.d/50-tierform.conf`: Prometheus on
 * `${TIERFORM_PRIVATE_IP}:9090` only, with the retention flags. Used instead of `/etc/default/prometheus`
 * (a conffile of the package; its ARGS are still appended).
 */
export function renderPrometheusDropIn(o: PrometheusServiceOptions): string {
  const days = integer('retentionDays', o.retentionDays, 1, 3650);
  const args = [
    `--config.file=${PROMETHEUS_PATHS.config}`,
    `--storage.tsdb.path=${PROMETHEUS_PATHS.storage}`,
    `--storage.tsdb.retention.time=${days}d`,
  ];
  const sizing = o.retentionSizeGb === 'sizing';
  if (sizing) {
    args.push('--storage.tsdb.retention.size=${TIERFORM_RETENTION_GB}GB');
  } else if (o.retentionSizeGb !== undefined) {
    args.push(`--storage.tsdb.retention.size=${integer('retentionSizeGb', o.retentionSizeGb, 1)}GB`);
  }
  args.push(`--web.listen-address=${PRIVATE_IP_REF}:${port('listenPort', o.listenPort ?? PROMETHEUS_PORT)}`);
  return renderVpcDropIn({
    description: 'Prometheus on the VPC address only, with tierform retention.',
    executable: '/usr/bin/prometheus',
    args: args.map((a, i) => (a.includes(PRIVATE_IP_REF) || a.includes('${TIERFORM_RETENTION_GB}') ? a : systemdArg(`args[${i}]`, a))),
    execStartPre: o.runSelfTargetsScript === false ? [] : [PROMETHEUS_PATHS.selfTargetsScript],
    netEnvFile: o.netEnvFile ?? NET_ENV_FILE,
    ...(sizing ? { requires: [SIZING_UNIT_NAME], environmentFiles: [SIZING_ENV_FILE] } : {}),
  });
}

// ---- alert rules ----------------------------------------------------------------------------------------------

export interface AlertRulesOptions {
  /** ReplicationLagging fires when a replica is more than this many seconds behind for 5 minutes. */
  readonly replicationLagSeconds: number;
  /** DiskSpaceLow / DiskFilling fire below this percentage of free space on a filesystem. */
  readonly diskFreePercent: number;
  /** High5xxRate fires when this fraction (0..1) of a backend's responses are 5xx for 5 minutes. */
  readonly http5xxRatio: number;
  /**
   * High5xxRate ignores backends serving fewer requests per second than this (one failed request out of two
   * is not an outage).
   * @default 0.1
   */
  readonly http5xxMinRequestsPerSecond?: number;
  /**
   * Minutes a target may fail its scrapes before InstanceDown.
   * @default 2
   */
  readonly instanceDownMinutes?: number;
  /**
   * DiskFilling fires when a filesystem below `diskFreePercent` would be full within this many hours
   * (`predict_linear` over the last hour).
   * @default 4
   */
  readonly diskFullWithinHours?: number;
}

/** Alert names, for tests and for routing. */
export const ALERTS = {
  instanceDown: 'InstanceDown',
  nginxDown: 'NginxDown',
  mysqlDown: 'MysqlDown',
  haproxyBackendDown: 'HAProxyBackendDown',
  haproxyServerDown: 'HAProxyServerDown',
  systemdUnitFailed: 'SystemdUnitFailed',
  replicationStopped: 'ReplicationStopped',
  replicationLagging: 'ReplicationLagging',
  diskSpaceLow: 'DiskSpaceLow',
  diskFilling: 'DiskFilling',
  high5xxRate: 'High5xxRate',
} as const;

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'critical' | 'warning' };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** Filesystems that are disks (node_exporter already skips most others; tmpfs & co. excluded again here). */
const DISK_FS = 'fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|iso9660"';

/** Text of the rules file (`/etc/prometheus/rules/tierform.yml`). */
export function renderAlertRules(o: AlertRulesOptions): string {
  const lag = positive('replicationLagSeconds', o.replicationLagSeconds);
  const freePercent = number('diskFreePercent', o.diskFreePercent, { above: 0, below: 100 });
  const ratio = number('http5xxRatio', o.http5xxRatio, { above: 0, below: 1 });
  const minRps = number('http5xxMinRequestsPerSecond', o.http5xxMinRequestsPerSecond ?? 0.1, { min: 0 });
  const downMinutes = integer('instanceDownMinutes', o.instanceDownMinutes ?? 2, 1);
  const fullHours = positive('diskFullWithinHours', o.diskFullWithinHours ?? 4);

  const freeRatio = `node_filesystem_avail_bytes{${DISK_FS}} / node_filesystem_size_bytes{${DISK_FS}} * 100`;
  const writable = `node_filesystem_readonly{${DISK_FS}} == 0`;
  const backendRate = (selector: string) => `sum by (instance, job, proxy) (rate(haproxy_backend_http_responses_total${selector}[5m]))`;

  const availability: AlertRule[] = [
    rule(
      ALERTS.instanceDown,
      'up == 0',
      `${downMinutes}m`,
      'critical',
      '{{ $labels.job }} target {{ $labels.instance }} is down',
      `Prometheus has not been able to scrape {{ $labels.instance }} (job {{ $labels.job }}) for ${downMinutes} minutes: the droplet, the exporter or the VPC path to it is down.`,
    ),
    rule(
      ALERTS.nginxDown,
      'nginx_up == 0',
      '2m',
      'critical',
      'nginx is down on {{ $labels.instance }}',
      'The nginx exporter on {{ $labels.instance }} cannot read stub_status: nginx is not running or not answering on 127.0.0.1.',
    ),
    rule(
      ALERTS.mysqlDown,
      'mysql_up == 0',
      '2m',
      'critical',
      'MySQL is down on {{ $labels.instance }}',
      'mysqld_exporter on {{ $labels.instance }} cannot connect to the local server over its unix socket.',
    ),
    rule(
      ALERTS.haproxyBackendDown,
      // Only backends with servers: the `stats` listener is also a backend, always with 0 servers.
      '(haproxy_backend_active_servers + haproxy_backend_backup_servers) == 0 ' +
        'and on (instance, job, proxy) count by (instance, job, proxy) (haproxy_server_status) > 0',
      '1m',
      'critical',
      'HAProxy backend {{ $labels.proxy }} has no server up on {{ $labels.instance }}',
      'Every server of backend {{ $labels.proxy }} failed its health checks: HAProxy on {{ $labels.instance }} answers 503 to every request.',
    ),
    rule(
      ALERTS.haproxyServerDown,
      'haproxy_server_status{state="DOWN"} == 1',
      '2m',
      'warning',
      'HAProxy server {{ $labels.proxy }}/{{ $labels.server }} is down',
      'HAProxy on {{ $labels.instance }} took {{ $labels.server }} out of rotation after failed health checks.',
    ),
    rule(
      ALERTS.systemdUnitFailed,
      'node_systemd_unit_state{state="failed"} == 1',
      '5m',
      'warning',
      '{{ $labels.name }} failed on {{ $labels.instance }}',
      'systemd reports {{ $labels.name }} as failed on {{ $labels.instance }} (systemctl status {{ $labels.name }}).',
    ),
  ];
  const replication: AlertRule[] = [
    rule(
      ALERTS.replicationStopped,
      // One sample per stopped thread; `thread` keeps the two apart (an alert needs distinct label sets).
      'label_replace(mysql_slave_status_slave_io_running == 0, "thread", "io", "", "") ' +
        'or label_replace(mysql_slave_status_slave_sql_running == 0, "thread", "sql", "", "")',
      '2m',
      'critical',
      'Replication {{ $labels.thread }} thread stopped on {{ $labels.instance }}',
      'The replica {{ $labels.instance }} is not replicating from {{ $labels.master_host }}: its {{ $labels.thread }} thread is not running (SHOW SLAVE STATUS: Last_IO_Error / Last_SQL_Error).',
    ),
    rule(
      ALERTS.replicationLagging,
      `mysql_slave_status_seconds_behind_master > ${lag}`,
      '5m',
      'warning',
      'Replica {{ $labels.instance }} is {{ $value }}s behind',
      `The replica {{ $labels.instance }} has been more than ${lag} seconds behind {{ $labels.master_host }} for 5 minutes: reads from it are stale.`,
    ),
  ];
  const disk: AlertRule[] = [
    rule(
      ALERTS.diskSpaceLow,
      `${freeRatio} < ${freePercent} and ${writable}`,
      '15m',
      'warning',
      `Less than ${freePercent}% free on {{ $labels.mountpoint }} ({{ $labels.instance }})`,
      '{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | printf "%.1f" }}% free.',
    ),
    rule(
      ALERTS.diskFilling,
      `${freeRatio} < ${freePercent} ` +
        `and predict_linear(node_filesystem_avail_bytes{${DISK_FS}}[1h], ${fullHours} * 3600) < 0 ` +
        `and ${writable}`,
      '10m',
      'critical',
      `{{ $labels.mountpoint }} on {{ $labels.instance }} will be full within ${fullHours}h`,
      `{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | printf "%.1f" }}% free and, at the rate of the last hour, fills up within ${fullHours} hours.`,
    ),
  ];
  const http: AlertRule[] = [
    rule(
      ALERTS.high5xxRate,
      `${backendRate('{code="5xx"}')} / ${backendRate('')} > ${ratio} and ${backendRate('')} > ${minRps}`,
      '5m',
      'critical',
      'High 5xx rate on HAProxy backend {{ $labels.proxy }}',
      `{{ $value | humanizePercentage }} of the responses of backend {{ $labels.proxy }} on {{ $labels.instance }} are 5xx (threshold ${ratio * 100}%).`,
    ),
  ];
  const doc = {
    groups: [
      { name: 'tierform-availability', rules: availability },
      { name: 'tierform-replication', rules: replication },
      { name: 'tierform-disk', rules: disk },
      { name: 'tierform-http', rules: http },
    ],
  };
  return `# Rendered by tierform (lib/render/prometheus.ts); local edits are overwritten.\n${yaml(doc)}`;
}

function rule(alert: string, expr: string, forDuration: string, severity: 'critical' | 'warning', summary: string, description: string): AlertRule {
  return { alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description } };
}

// ---- helpers (shared ones in ./guards.ts) ----------------------------------------------------------------------

const IP_MARK = '@PRIVATE_IP@';

function yaml(doc: unknown): string {
  // lineWidth 0: long expressions stay on one line (easier to read and to grep on the droplet).
  return stringifyYaml(doc, { lineWidth: 0 });
}

/** A regular expression matching exactly `value` (RE2: dots escaped; a token text is left as it is). */
function regexLiteral(value: string): string {
  return value.includes('${') ? value : value.replace(/\./g, '\\.');
}

function jobName(field: string, value: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) {
    refuse(field, "must be letters, digits, '_' or '-'", value);
  }
  return value;
}

/** `host:port` (host may be a Terraform token text or a bracketed IPv6 literal). */
function address(field: string, value: string): string {
  if (!/^[^\s/]+:\d{1,5}$/.test(value)) {
    refuse(field, "must be host:port without spaces or '/'", value);
  }
  return value;
}

function labels(field: string, value: Readonly<Record<string, string>>): Record<string, string> {
  for (const [name, v] of Object.entries(value)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__')) {
      refuse(`${field}.${name}`, "must be named with letters, digits and '_', not starting with '__'", name);
    }
    if (typeof v !== 'string') {
      refuse(`${field}.${name}`, 'must be a string', v);
    }
  }
  return { ...value };
}
