/**
 * The app role: a Flask (or any WSGI) app under gunicorn as a hardened systemd service, as one cloud-config
 * fragment (renderers in lib/render/gunicorn.ts, app-setup.ts, env-file.ts, sample-app.ts). Pure.
 */
import { APP_DIR, APP_SECRETS_B64_FILE, APP_SECRETS_ENV_FILE, APP_USER, APP_VENV, AppCode, renderAppSetupScript } from '../render/app-setup';
import { NET_ENV_FILE } from '../render/base';
import { CloudConfigFragment } from '../render/cloud-config';
import { renderEnvFile } from '../render/env-file';
import { GUNICORN_UNIT_NAME, renderGunicornUnit } from '../render/gunicorn';
import { SAMPLE_APP_DEB_PACKAGES, renderSampleApp } from '../render/sample-app';

// Re-exported for constructs/app-source.ts and constructs/_web-options.ts, which import it from here.

export const APP_ENV_FILE = '/etc/tierform/app.env';
export const APP_SETUP_SCRIPT = '/usr/local/sbin/tierform-app-setup';
export const APP_SOCKET = '/run/tierform-app/gunicorn.sock';

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
    {
      path: APP_SETUP_SCRIPT,
      content: renderAppSetupScript(o.code, o.socketGroup, o.bind.startsWith('unix:') ? o.bind.slice('unix:'.length) : undefined),
      permissions: '0755',
    },
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
