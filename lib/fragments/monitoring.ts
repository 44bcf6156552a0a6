/**
 * The monitoring role, as cloud-config fragments: the exporters a watched droplet runs, and the Prometheus server
 * droplet. Pure: plain values in, fragments out (renderers in lib/render/exporters.ts, mysqld-exporter-setup.ts and
 * prometheus.ts).
 *
 * How each value reaches the droplets (one approach per kind, as everywhere in tierform):
 * - a droplet's own VPC address (every exporter's and Prometheus's listen address): systemd expands
 *   `${TIERFORM_PRIVATE_IP}` from /etc/tierform/net.env, written at boot by tierform-netinfo; the exporters are
 *   restarted after it (the package's own first start fails on the missing file instead of listening everywhere);
 * - the watched droplets' addresses (scrape targets): Terraform references in the monitoring droplet's user_data;
 * - the exporter account's password: base64 of a sensitive Terraform variable in a 0600 root-only file, decoded at
 *   boot into the exporter's credentials file (on every database node) and into the account statements (on the
 *   primary, through the setup script's hook directory).
 */
import { CloudConfigFile, CloudConfigFragment } from '../render/cloud-config';
import {
  EXPORTER_PACKAGES,
  MYSQLD_EXPORTER_PORT,
  NGINX_EXPORTER_PORT,
  NODE_EXPORTER_PORT,
  dropInPath,
  renderMysqldExporterDropIn,
  renderNginxExporterDropIn,
  renderNginxStubStatusServer,
  renderNodeExporterDropIn,
} from '../render/exporters';
import { renderEnvFile } from '../render/env-file';
import { HAPROXY_STATS_PORT } from '../render/haproxy';
import { MysqlFlavor } from '../render/mysql';
import {
  MYSQLD_EXPORTER_ACCOUNT_HOOK,
  MYSQLD_EXPORTER_SECRETS_FILE,
  MYSQLD_EXPORTER_SETUP_SCRIPT,
  renderMysqldExporterAccountHook,
  renderMysqldExporterSetupScript,
} from '../render/mysqld-exporter-setup';
import { NGINX_INCLUDE_DIR } from '../render/nginx';
import {
  AlertRulesOptions,
  PROMETHEUS_PATHS,
  PrometheusJob,
  renderAlertRules,
  renderPrometheusConfig,
  renderPrometheusDropIn,
  renderPrometheusSelfTargetsScript,
} from '../render/prometheus';

/** What a role's droplets run besides node_exporter (which every watched droplet runs). */
export type ExporterKind = 'haproxy' | 'nginx' | 'mysqld';

/** TCP port of each exporter on the droplets' VPC addresses. */
export const EXPORTER_PORTS: Readonly<Record<ExporterKind | 'node', number>> = {
  node: NODE_EXPORTER_PORT,
  haproxy: HAPROXY_STATS_PORT,
  nginx: NGINX_EXPORTER_PORT,
  mysqld: MYSQLD_EXPORTER_PORT,
};

/** nginx's loopback stub_status server, included by nginx.conf (lib/render/nginx.ts). */
export const STUB_STATUS_CONF = `${NGINX_INCLUDE_DIR}/stub-status.conf`;
/** Prometheus's rules file. */
export const PROMETHEUS_RULES_FILE = `${PROMETHEUS_PATHS.rulesDir}/tierform.yml`;

/** systemd units (= package names) of the exporters a droplet runs. */
const UNITS = {
  node: EXPORTER_PACKAGES.node,
  nginx: EXPORTER_PACKAGES.nginx,
  mysqld: EXPORTER_PACKAGES.mysqld,
} as const;

/**
 * Characters the exporter password may hold. The password set of lib/secrets.ts without `#` and `?`: the exporter
 * cuts an INI value at `#` or `;` and breaks its DSN on `?` (see `renderMysqldExporterCnf`); no `'`, `\`, backquote
 * or whitespace either, so it is safe inside SQL quotes, the backquoted INI value and the shell.
 */
export const EXPORTER_PASSWORD_PATTERN = '^[-A-Za-z0-9_.~+=@^*:,!/]{16,128}$';
/** The same set, in words, for messages. */
export const EXPORTER_PASSWORD_CHARACTERS = 'letters, digits and - _ . ~ + = @ ^ * : , ! /';

export interface MysqldExporterRoleOptions {
  readonly flavor: MysqlFlavor;
  /** The primary runs the account hook; replicas get the account through replication. */
  readonly primary: boolean;
  /** base64 of the account's password: a token such as `${base64encode(var.x)}`. */
  readonly passwordBase64: string;
}

export interface ExportersOptions {
  /** Role exporters besides node_exporter; HAProxy's is built in (nothing to install). */
  readonly exporters: readonly ExporterKind[];
  /** Required when `exporters` includes 'mysqld'. */
  readonly mysql?: MysqldExporterRoleOptions;
}

/**
 * What a watched droplet gets: node_exporter, plus per role the nginx stub_status server and nginx exporter, or
 * mysqld_exporter (credentials from the secret; the account hook on the primary). Every exporter listens on the
 * VPC address only (drop-ins written before the packages) and is restarted once net.env exists.
 */
export function exportersFragment(o: ExportersOptions): CloudConfigFragment {
  const packages: string[] = [EXPORTER_PACKAGES.node];
  const units: string[] = [UNITS.node];
  const files: CloudConfigFile[] = [{ path: dropInPath(UNITS.node), content: renderNodeExporterDropIn(), permissions: '0644' }];
  const commands: string[][] = [];
  if (o.exporters.includes('nginx')) {
    packages.push(EXPORTER_PACKAGES.nginx);
    units.push(UNITS.nginx);
    files.push(
      { path: STUB_STATUS_CONF, content: renderNginxStubStatusServer(), permissions: '0644' },
      { path: dropInPath(UNITS.nginx), content: renderNginxExporterDropIn(), permissions: '0644' },
    );
  }
  if (o.exporters.includes('mysqld')) {
    if (!o.mysql) {
      throw new Error("exportersFragment: 'mysql' is required with the mysqld exporter");
    }
    packages.push(EXPORTER_PACKAGES.mysqld);
    units.push(UNITS.mysqld);
    files.push(
      {
        path: MYSQLD_EXPORTER_SECRETS_FILE,
        content: renderEnvFile({ MYSQLD_EXPORTER_PASSWORD_B64: o.mysql.passwordBase64 }),
        permissions: '0600',
      },
      { path: MYSQLD_EXPORTER_SETUP_SCRIPT, content: renderMysqldExporterSetupScript(), permissions: '0755' },
      { path: dropInPath(UNITS.mysqld), content: renderMysqldExporterDropIn(), permissions: '0644' },
    );
    if (o.mysql.primary) {
      files.push({ path: MYSQLD_EXPORTER_ACCOUNT_HOOK, content: renderMysqldExporterAccountHook(o.mysql.flavor), permissions: '0755' });
    }
    // Runs after the prometheus user exists (packages are installed before runcmd).
    commands.push([MYSQLD_EXPORTER_SETUP_SCRIPT]);
  }
  commands.push(['systemctl', 'daemon-reload'], ['systemctl', 'enable', ...units], ['systemctl', 'restart', ...units]);
  return { packages, files, commands };
}

export interface PrometheusServerOptions {
  /** Scrape jobs (lib/render/prometheus.ts); targets on other droplets are Terraform references. */
  readonly jobs: readonly PrometheusJob[];
  readonly scrapeIntervalSeconds: number;
  readonly retentionDays: number;
  /** @default - no size cap */
  /** GB, or 'sizing' (measured at boot by the droplet's sizing service, which the construct adds). */
  readonly retentionSizeGb?: number | 'sizing';
  readonly rules: AlertRulesOptions;
}

/**
 * The monitoring droplet: Prometheus on its VPC address with the tierform alert rules, and its own
 * node_exporter (scraped through the self-target file written at each start).
 */
export function prometheusServerFragment(o: PrometheusServerOptions): CloudConfigFragment {
  const self = exportersFragment({ exporters: [] });
  return {
    packages: ['prometheus', ...(self.packages ?? [])],
    files: [
      {
        path: PROMETHEUS_PATHS.dropIn,
        content: renderPrometheusDropIn({ retentionDays: o.retentionDays, retentionSizeGb: o.retentionSizeGb }),
        permissions: '0644',
      },
      { path: PROMETHEUS_PATHS.selfTargetsScript, content: renderPrometheusSelfTargetsScript(o.jobs), permissions: '0755' },
      // Deferred: prometheus.yml is a conffile of the prometheus package; the rules live beside it.
      {
        path: PROMETHEUS_PATHS.config,
        content: renderPrometheusConfig({
          scrapeIntervalSeconds: o.scrapeIntervalSeconds,
          evaluationIntervalSeconds: o.scrapeIntervalSeconds,
          jobs: o.jobs,
          ruleFiles: [PROMETHEUS_RULES_FILE],
        }),
        permissions: '0644',
        defer: true,
      },
      { path: PROMETHEUS_RULES_FILE, content: renderAlertRules(o.rules), permissions: '0644', defer: true },
      ...(self.files ?? []),
    ],
    commands: [
      ['promtool', 'check', 'config', PROMETHEUS_PATHS.config],
      ...(self.commands ?? []),
      ['systemctl', 'enable', 'prometheus'],
      ['systemctl', 'restart', 'prometheus'],
    ],
  };
}
