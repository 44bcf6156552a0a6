/**
 * The app role: a Flask (or any WSGI) app under gunicorn as a hardened systemd service. Pure.
 *
 * Secrets arrive base64-encoded in a 0600 root-only file; the setup script decodes them into a 0600
 * EnvironmentFile that systemd reads as root, so the password reaches the app as DB_PASSWORD without ever
 * being world-readable on disk or in the unit.
 */
import { CloudConfigFragment } from '../render/cloud-config';
import { GUNICORN_UNIT_NAME, renderEnvFile, renderGunicornUnit } from '../render/gunicorn';
import { SAMPLE_APP_DEB_PACKAGES, renderSampleApp } from '../render/sample-app';
import { NET_ENV_FILE } from './base';

export const APP_DIR = '/opt/tierform/app';
export const APP_VENV = '/opt/tierform/venv';
export const APP_USER = 'tierform-app';
export const APP_ENV_FILE = '/etc/tierform/app.env';
export const APP_SECRETS_B64_FILE = '/etc/tierform/app-secrets.b64';
export const APP_SECRETS_ENV_FILE = '/etc/tierform/app-secrets.env';
export const APP_SETUP_SCRIPT = '/usr/local/sbin/tierform-app-setup';
export const APP_SOCKET = '/run/tierform-app/gunicorn.sock';

/** Where the code comes from. */
export type AppCode =
  | { readonly kind: 'sample' }
  | { readonly kind: 'git'; readonly url: string; readonly ref: string; readonly wsgiApp: string; readonly requirementsFile: string };

export interface AppDatabaseSettings {
  readonly writerHost: string;
  /** A read replica; reads go to the writer when absent. */
  readonly readerHost?: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  /** base64 of the password, usually `${base64encode(var.x)}` (a token). */
  readonly passwordBase64: string;
}

export interface AppRoleOptions {
  readonly code: AppCode;
  /** A number, or 'per-cpu' (needs the droplet's sizing service, see `sizingFragment`). */
  readonly workers: number | 'per-cpu';
  /** `unix:<socket>` for nginx on the same droplet, or `${TIERFORM_PRIVATE_IP}:<port>` for a separate app tier. */
  readonly bind: string;
  readonly timeoutSeconds: number;
  /** MiB, or a percentage of the droplet's memory. */
  readonly memoryMax: number | { readonly percent: number };
  readonly database?: AppDatabaseSettings;
  /** Proxies whose X-Forwarded-Proto gunicorn trusts. */
  readonly forwardedAllowIps: readonly string[];
  /** Group of the unix socket (www-data lets nginx connect). */
  readonly socketGroup: string;
}

export function renderAppSetupScript(code: AppCode, socketGroup: string): string {
  const fetchCode =
    code.kind === 'git'
      ? `
# The user's app: clone (or update) the repository at the pinned ref into a virtualenv-backed checkout.
if [ ! -d "${APP_DIR}/.git" ]; then
  git clone --quiet "${code.url}" "${APP_DIR}"
fi
git -C "${APP_DIR}" fetch --quiet --tags origin
git -C "${APP_DIR}" checkout --quiet "${code.ref}"
python3 -m venv "${APP_VENV}"
"${APP_VENV}/bin/pip" install --quiet --upgrade pip
"${APP_VENV}/bin/pip" install --quiet -r "${APP_DIR}/${code.requirementsFile}" gunicorn
`
      : '';
  return `#!/usr/bin/env bash
# tierform: prepares and starts the app service (${GUNICORN_UNIT_NAME}). Safe to run again.
set -euo pipefail

if ! id -u ${APP_USER} >/dev/null 2>&1; then
  useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --user-group ${APP_USER}
fi
# nginx (www-data) connects to gunicorn's unix socket through the socket's group. Running nginx workers
# keep the groups they started with, so reload nginx (new workers) once the membership is in place.
usermod -a -G ${APP_USER} ${socketGroup} 2>/dev/null || true
systemctl try-reload-or-restart nginx.service
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
`;
}

export function appFragment(o: AppRoleOptions): CloudConfigFragment {
  const sample = o.code.kind === 'sample';
  const env: Record<string, string> = { PYTHONUNBUFFERED: '1' };
  if (o.database) {
    env.DB_HOST = o.database.writerHost;
    env.DB_PORT = `${o.database.port}`;
    env.DB_NAME = o.database.name;
    env.DB_USER = o.database.user;
    if (o.database.readerHost) env.DB_READ_HOST = o.database.readerHost;
  }
  const files = [
    { path: APP_ENV_FILE, content: renderEnvFile(env), permissions: '0644' },
    {
      path: `/etc/systemd/system/${GUNICORN_UNIT_NAME}`,
      content: renderGunicornUnit({
        workers: o.workers,
        bind: o.bind,
        wsgiApp: o.code.kind === 'git' ? o.code.wsgiApp : 'app:app',
        workingDirectory: APP_DIR,
        user: APP_USER,
        group: APP_USER,
        environmentFiles: [NET_ENV_FILE, APP_ENV_FILE, APP_SECRETS_ENV_FILE],
        gunicornPath: sample ? '/usr/bin/gunicorn' : `${APP_VENV}/bin/gunicorn`,
        timeoutSeconds: o.timeoutSeconds,
        memoryMax: o.memoryMax,
        forwardedAllowIps: o.forwardedAllowIps,
      }),
      permissions: '0644',
    },
    { path: APP_SETUP_SCRIPT, content: renderAppSetupScript(o.code, o.socketGroup), permissions: '0755' },
  ];
  if (o.database) {
    files.push({ path: APP_SECRETS_B64_FILE, content: renderEnvFile({ DB_PASSWORD_B64: o.database.passwordBase64 }), permissions: '0600' });
  }
  if (sample) {
    files.push({ path: `${APP_DIR}/app.py`, content: renderSampleApp(), permissions: '0644' });
  }
  return {
    packages: sample ? [...SAMPLE_APP_DEB_PACKAGES] : ['git', 'python3-venv', 'python3-pip'],
    files,
    commands: [[APP_SETUP_SCRIPT]],
  };
}
