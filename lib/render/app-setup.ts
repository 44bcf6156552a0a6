/**
 * Renders the app role's setup script: the service user, the code (the bundled sample, or a git checkout in a
 * virtualenv), the database password decoded into a root-only EnvironmentFile, then the gunicorn service started.
 *
 * Secrets arrive base64-encoded in a 0600 root-only file (`APP_SECRETS_B64_FILE`); the script decodes them into a
 * 0600 EnvironmentFile (`APP_SECRETS_ENV_FILE`) that systemd reads as root, so the password reaches the app as
 * DB_PASSWORD without ever being world-readable on disk or in the unit.
 *
 * Pure: plain values in, text out; no cdktf import. The git URL and ref may be Terraform token texts, inserted
 * verbatim; the construct layer validates them (`AppSource.bind` in constructs/app-source.ts).
 */
import { GUNICORN_UNIT_NAME } from './gunicorn';
import { word } from './guards';

export const APP_DIR = '/opt/tierform/app';
export const APP_VENV = '/opt/tierform/venv';
export const APP_USER = 'tierform-app';
/** base64 of the database password (`DB_PASSWORD_B64=...`), 0600 root. */
export const APP_SECRETS_B64_FILE = '/etc/tierform/app-secrets.b64';
/** The decoded password (`DB_PASSWORD=...`), 0600 root, read by systemd. */
export const APP_SECRETS_ENV_FILE = '/etc/tierform/app-secrets.env';

/** Where the code comes from. */
export type AppCode =
  | { readonly kind: 'sample' }
  | { readonly kind: 'git'; readonly url: string; readonly ref: string; readonly wsgiApp: string; readonly requirementsFile: string };

/** Refused inside the script's double quotes besides what `word` refuses: expansions. */
const EXPANSIONS = '`$';

/**
 * Bash, run at first boot as root (safe to run again): creates `APP_USER`, lets `socketGroup` (nginx's user) reach
 * gunicorn's socket, fetches the git code (nothing for the sample, which cloud-init writes), decodes the password
 * and (re)starts `tierform-app.service`. With `socket` (gunicorn on a unix socket for nginx on the same droplet) it
 * returns only once the socket exists (bounded, 120 s), and reloads nginx only then: nginx starts after this script,
 * and a load balancer puts the droplet in rotation as soon as nginx answers its /health — a new droplet found by DNS
 * must not get requests before its app listens.
 */
export function renderAppSetupScript(code: AppCode, socketGroup: string, socket?: string): string {
  const group = word('socketGroup', socketGroup);
  const waitForSocket =
    socket === undefined
      ? ''
      : `
# Wait (at most 120 s) until gunicorn listens: nginx's /health puts the droplet in the load balancer's rotation, so
# nginx must not serve this droplet's site before the app can (nginx is (re)started after this script).
for _ in $(seq 1 240); do
  [ -S "${word('socket', socket, EXPANSIONS)}" ] && break
  sleep 0.5
done
if [ ! -S "${socket}" ]; then
  echo "tierform-app-setup: ${GUNICORN_UNIT_NAME} did not create ${socket} within 120 s" >&2
  exit 1
fi
`;
  const fetchCode =
    code.kind === 'git'
      ? `
# The user's app: clone (or update) the repository at the pinned ref into a virtualenv-backed checkout.
if [ ! -d "${APP_DIR}/.git" ]; then
  git clone --quiet "${word('code.url', code.url, EXPANSIONS)}" "${APP_DIR}"
fi
git -C "${APP_DIR}" fetch --quiet --tags origin
git -C "${APP_DIR}" checkout --quiet "${word('code.ref', code.ref, EXPANSIONS)}"
python3 -m venv "${APP_VENV}"
"${APP_VENV}/bin/pip" install --quiet --upgrade pip
"${APP_VENV}/bin/pip" install --quiet -r "${APP_DIR}/${word('code.requirementsFile', code.requirementsFile, EXPANSIONS)}" gunicorn
`
      : '';
  return `#!/usr/bin/env bash
# tierform: prepares and starts the app service (${GUNICORN_UNIT_NAME}). Safe to run again.
set -euo pipefail

if ! id -u ${APP_USER} >/dev/null 2>&1; then
  useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --user-group ${APP_USER}
fi
# nginx (www-data) connects to gunicorn's unix socket through the socket's group (nginx is reloaded below).
usermod -a -G ${APP_USER} ${group} 2>/dev/null || true
mkdir -p "${APP_DIR}"
${fetchCode}
# Decode the database password into a root-only EnvironmentFile read by systemd.
umask 077
DB_PASSWORD_B64=''
if [ -f "${APP_SECRETS_B64_FILE}" ]; then
  # shellcheck disable=SC1091
  . "${APP_SECRETS_B64_FILE}"
fi
tmp=$(mktemp "${APP_SECRETS_ENV_FILE}.XXXXXX")
if [ -n "$DB_PASSWORD_B64" ]; then
  # Single-quoted, with ' written as '"'"' (read the same by systemd's EnvironmentFile parser and sh).
  password=$(printf '%s' "$DB_PASSWORD_B64" | base64 -d)
  printf "DB_PASSWORD='%s'\\n" "$(printf '%s' "$password" | sed "s/'/'\\"'\\"'/g")" > "$tmp"
fi
chmod 0600 "$tmp"
mv "$tmp" "${APP_SECRETS_ENV_FILE}"
umask 022

systemctl daemon-reload
systemctl enable ${GUNICORN_UNIT_NAME}
systemctl restart ${GUNICORN_UNIT_NAME}
${waitForSocket}
# Running nginx workers keep the groups they started with: reload nginx (new workers) now that the membership is in
# place and the app listens.
systemctl try-reload-or-restart nginx.service
`;
}
