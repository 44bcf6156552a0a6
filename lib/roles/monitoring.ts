/**
 * The monitoring role, as cloud-config fragments: the exporters a watched droplet runs, and the Prometheus server
 * droplet. Pure: plain values in, fragments out (renderers in lib/render/exporters.ts and prometheus.ts).
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
  HAPROXY_METRICS_PORT,
  MYSQLD_EXPORTER_CNF,
  MYSQLD_EXPORTER_PORT,
  NGINX_EXPORTER_PORT,
  NODE_EXPORTER_PORT,
  dropInPath,
  renderMysqldExporterAccountSql,
  renderMysqldExporterCnf,
  renderMysqldExporterDropIn,
  renderNginxExporterDropIn,
  renderNginxStubStatusServer,
  renderNodeExporterDropIn,
} from '../render/exporters';
import { renderEnvFile } from '../render/gunicorn';
import { MYSQL_SETUP_HOOKS_DIR, MysqlFlavor, flavorFacts } from '../render/mysql';
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
  haproxy: HAPROXY_METRICS_PORT,
  nginx: NGINX_EXPORTER_PORT,
  mysqld: MYSQLD_EXPORTER_PORT,
};

/** nginx's loopback stub_status server, included by nginx.conf (lib/render/nginx.ts). */
export const STUB_STATUS_CONF = `${NGINX_INCLUDE_DIR}/stub-status.conf`;
/** base64 of the exporter account's password, 0600 root. */
export const MYSQLD_EXPORTER_SECRETS_FILE = '/etc/tierform/mysqld-exporter.b64';
/** Writes the exporter's credentials file from the secret (every database node). */
export const MYSQLD_EXPORTER_SETUP_SCRIPT = '/usr/local/sbin/tierform-mysqld-exporter-setup';
/** Creates the exporter account; run by the primary's setup script (lib/render/mysql.ts hooks). */
export const MYSQLD_EXPORTER_ACCOUNT_HOOK = `${MYSQL_SETUP_HOOKS_DIR}/50-mysqld-exporter-account.sh`;
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
      { path: PROMETHEUS_PATHS.dropIn, content: renderPrometheusDropIn({ retentionDays: o.retentionDays, retentionSizeGb: o.retentionSizeGb }), permissions: '0644' },
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

// ---- scripts ----------------------------------------------------------------------------------------------------

/** Bash: prints the password base64-encoded in MYSQLD_EXPORTER_PASSWORD_B64 of $SECRETS_FILE, checked; never logs it. */
function decodePasswordFunction(): string {
  return `# Prints the exporter password from $SECRETS_FILE (base64); never logs it.
decode_password() {
  local decoded
  [[ -r $SECRETS_FILE ]] || die "$SECRETS_FILE is missing"
  # shellcheck source=/dev/null
  . "$SECRETS_FILE"
  [[ -n \${MYSQLD_EXPORTER_PASSWORD_B64:-} ]] || die "MYSQLD_EXPORTER_PASSWORD_B64 is not set in $SECRETS_FILE"
  decoded="$(printf '%s' "$MYSQLD_EXPORTER_PASSWORD_B64" | base64 -d 2>/dev/null)" || die "MYSQLD_EXPORTER_PASSWORD_B64 in $SECRETS_FILE is not valid base64"
  # The exporter cuts INI values at # and ;, and breaks its DSN on ?; quotes, backslashes and spaces break SQL.
  case $decoded in
    '' | *"'"* | *\\\\* | *[[:space:]]* | *'\`'* | *'?'* | *'#'* | *';'*)
      die "the exporter password must be non-empty without quotes, backslashes, whitespace, backquotes, ?, # or ;" ;;
  esac
  printf '%s' "$decoded"
}`;
}

function scriptHead(tag: string, what: string): string {
  return `#!/usr/bin/env bash
# Managed by tierform (lib/roles/monitoring.ts): ${what}
set -euo pipefail

readonly LOG_TAG='${tag}'
log() { printf '%s: %s\\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

readonly SECRETS_FILE="\${TIERFORM_EXPORTER_SECRETS:-${MYSQLD_EXPORTER_SECRETS_FILE}}"
`;
}

const PASSWORD_MARK = '@EXPORTER_PASSWORD@';

/**
 * Bash script run at first boot on every database node (after the packages, so the prometheus user exists):
 * writes mysqld_exporter's credentials file (`renderMysqldExporterCnf`, 0600 prometheus) with the password decoded
 * from the secret. Overrides for tests: TIERFORM_EXPORTER_SECRETS, TIERFORM_EXPORTER_CNF, TIERFORM_EXPORTER_CNF_OWNER.
 */
export function renderMysqldExporterSetupScript(): string {
  const template = renderMysqldExporterCnf({ password: PASSWORD_MARK });
  return `${scriptHead('tierform-mysqld-exporter', "writes mysqld_exporter's credentials from the secret. Safe to run again.")}readonly CNF="\${TIERFORM_EXPORTER_CNF:-${MYSQLD_EXPORTER_CNF.path}}"
readonly OWNER="\${TIERFORM_EXPORTER_CNF_OWNER:-${MYSQLD_EXPORTER_CNF.owner}}"

${decodePasswordFunction()}

password="$(decode_password)"
# The file as lib/render/exporters.ts renders it, with ${PASSWORD_MARK} where the password goes.
IFS= read -r -d '' template <<'CNF' || true
${template}CNF
umask 077
tmp="$(mktemp "$CNF.XXXXXX")"
trap 'rm -f -- "$tmp"' EXIT
# The replacement is quoted: bash 5.2 would otherwise read & in it as the matched text.
printf '%s' "\${template//${PASSWORD_MARK}/"$password"}" >"$tmp"
chown "$OWNER" "$tmp"
chmod ${MYSQLD_EXPORTER_CNF.permissions} "$tmp"
mv -f "$tmp" "$CNF"
trap - EXIT
log "wrote $CNF"
`;
}

/**
 * Bash hook for the primary's setup script (`<MYSQL_SETUP_HOOKS_DIR>/50-mysqld-exporter-account.sh`): creates or
 * updates `'exporter'@'localhost'` with `renderMysqldExporterAccountSql` (PROCESS and replication status only;
 * on MariaDB only the password's hash reaches the binary log). Uses the client command the setup script passes in
 * TIERFORM_MYSQL; the statements replicate, so every replica gets the account.
 */
export function renderMysqldExporterAccountHook(flavor: MysqlFlavor): string {
  const sql = renderMysqldExporterAccountSql({ flavor, password: '${EXPORTER_PASSWORD}' });
  return `${scriptHead('tierform-mysqld-exporter-account', "mysqld_exporter's account. Run by the primary's setup script; idempotent.")}read -r -a MYSQL_CMD <<<"\${TIERFORM_MYSQL:-${flavorFacts(flavor).clientCommand}}"

${decodePasswordFunction()}

EXPORTER_PASSWORD="$(decode_password)"
log "ensuring account 'exporter'@'localhost' (PROCESS and replication status only)"
"\${MYSQL_CMD[@]}" --batch <<SQL
${sql}SQL
`;
}
