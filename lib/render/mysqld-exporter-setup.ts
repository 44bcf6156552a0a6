/**
 * Renders the two boot scripts that give mysqld_exporter its account and credentials without the password ever
 * being in the plan: the credentials setup (every database node) and the account hook (the primary only).
 *
 * The password arrives as base64 of a sensitive Terraform variable in `MYSQLD_EXPORTER_SECRETS_FILE` (0600 root);
 * the scripts decode it at boot, check it, and write it into the exporter's credentials file
 * (`renderMysqldExporterCnf`) or the account statements (`renderMysqldExporterAccountSql`, lib/render/exporters.ts).
 *
 * Pure: plain values in, text out; no cdktf import.
 */
import { MYSQLD_EXPORTER_CNF, renderMysqldExporterAccountSql, renderMysqldExporterCnf } from './exporters';
import { MYSQL_SETUP_HOOKS_DIR, MysqlFlavor, flavorFacts } from './mysql';

/** base64 of the exporter account's password, 0600 root. */
export const MYSQLD_EXPORTER_SECRETS_FILE = '/etc/tierform/mysqld-exporter.b64';
/** Writes the exporter's credentials file from the secret (every database node). */
export const MYSQLD_EXPORTER_SETUP_SCRIPT = '/usr/local/sbin/tierform-mysqld-exporter-setup';
/** Creates the exporter account; run by the primary's setup script (lib/render/mysql.ts hooks). */
export const MYSQLD_EXPORTER_ACCOUNT_HOOK = `${MYSQL_SETUP_HOOKS_DIR}/50-mysqld-exporter-account.sh`;

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

/**
 * The scripts' common head. The comment names lib/fragments/monitoring.ts, where these scripts were first rendered:
 * it is left as it is because it is part of every database droplet's user_data, and any change there replaces the
 * droplet (user_data is ForceNew).
 */
function scriptHead(tag: string, what: string): string {
  return `#!/usr/bin/env bash
# Managed by tierform (lib/fragments/monitoring.ts): ${what}
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
 * Bash hook for the primary's setup script (`MYSQLD_EXPORTER_ACCOUNT_HOOK`): creates or updates
 * `'exporter'@'localhost'` with `renderMysqldExporterAccountSql` (PROCESS and replication status only; on MariaDB
 * only the password's hash reaches the binary log). Uses the client command the setup script passes in
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
