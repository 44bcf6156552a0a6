/**
 * Renders the app server side of the web tier: the systemd unit running gunicorn (`tierform-app.service`). The
 * environment files it reads are rendered by ./env-file.ts.
 *
 * Pure: plain values in, text out; no cdktf import. Inputs are validated by the construct layer. Values may be
 * unresolved Terraform tokens and are inserted verbatim. The unit may also contain `${VAR}` references that
 * systemd expands at start from `EnvironmentFile=` (e.g. `bind: '${TIERFORM_PRIVATE_IP}:8000'`); the construct
 * layer escapes those for Terraform.
 */

import { integer, refuse } from './guards';
import { SIZING_ENV_FILE, SIZING_UNIT_NAME } from './sizing';

// Kept for __tests__/lib/lab/unit-file.test.ts, which imports it from here; it lives in ./env-file.ts.

/** Name of the rendered unit; its runtime directory is `/run/tierform-app`. */
export const GUNICORN_UNIT_NAME = 'tierform-app.service';

/** gunicorn's recommended worker count for `vcpus` cores: `2 * vcpus + 1`. */
export function gunicornWorkers(vcpus: number): number {
  return 2 * integer('vcpus', vcpus, 1) + 1;
}

/** Everything `renderGunicornUnit` needs; the construct layer fills the defaults. */
export interface GunicornUnitOptions {
  /**
   * Number of gunicorn worker processes (see `gunicornWorkers`), or `'per-cpu'`: 2 × the droplet's CPUs + 1, as
   * `tierform-sizing.service` computes it at every boot (`TIERFORM_GUNICORN_WORKERS`), so a resize changes no file.
   */
  readonly workers: number | 'per-cpu';
  /**
   * Address gunicorn listens on: `unix:/run/tierform-app/gunicorn.sock`, or `host:port` for nginx on other
   * droplets (e.g. `${TIERFORM_PRIVATE_IP}:8000`, expanded by systemd from the environment file).
   * A unix socket is created with mode 0660 (owner `user`, group `group`): nginx's user (www-data) must be
   * `group` or a member of it.
   */
  readonly bind: string;
  /** WSGI callable as `module:variable`, e.g. `app:app`. */
  readonly wsgiApp: string;
  /** Directory holding the app module (gunicorn's working directory), e.g. `/opt/tierform/app`. */
  readonly workingDirectory: string;
  /** Unprivileged system user the app runs as. */
  readonly user: string;
  /** Group the app runs as; also the group of the unix socket. */
  readonly group: string;
  /** Environment files read at start, in order (`EnvironmentFile=`; each must exist). */
  readonly environmentFiles: readonly string[];
  /** Absolute path of the gunicorn executable, e.g. `/usr/bin/gunicorn` or `/opt/tierform/venv/bin/gunicorn`. */
  readonly gunicornPath: string;
  /** A worker silent for this long is killed and restarted (`--timeout`); also the graceful stop time, seconds. */
  readonly timeoutSeconds: number;
  /**
   * Hard memory limit of the whole service (`MemoryMax=`), MiB, or `{ percent }` of the droplet's memory (systemd
   * percentages follow a resize); `MemoryHigh=` throttles at 90 % of it.
   */
  readonly memoryMax: number | { readonly percent: number };
  /**
   * CPU time limit of the whole service, percent of one CPU (`CPUQuota=`, 200 = two full cores).
   * @default - no CPU limit
   */
  readonly cpuQuotaPercent?: number;
  /**
   * Addresses of the proxies whose `X-Forwarded-Proto` gunicorn trusts (`--forwarded-allow-ips`); may be
   * tokens or `${VAR}` references. Connections over a unix socket are always trusted by gunicorn.
   * @default ['127.0.0.1']
   */
  readonly forwardedAllowIps?: readonly string[];
}

/** Returns the text of `/etc/systemd/system/tierform-app.service`. */
export function renderGunicornUnit(options: GunicornUnitOptions): string {
  const gracefulSeconds = options.timeoutSeconds;
  const forwardedAllowIps = options.forwardedAllowIps ?? ['127.0.0.1'];
  if (forwardedAllowIps.length === 0) {
    refuse('forwardedAllowIps', 'must list at least one address', forwardedAllowIps);
  }
  const perCpu = options.workers === 'per-cpu';
  const memory =
    typeof options.memoryMax === 'number'
      ? { high: `${Math.max(1, Math.floor(options.memoryMax * 0.9))}M`, max: `${options.memoryMax}M` }
      : { high: `${Math.max(1, Math.floor(options.memoryMax.percent * 0.9))}%`, max: `${options.memoryMax.percent}%` };
  // Enough threads for the workers and the master, with headroom; stops a fork bomb. Per CPU: room for 32 CPUs.
  const tasksMax = Math.max(64, (perCpu ? 65 : (options.workers as number)) * 16);

  const execStart = [
    options.gunicornPath,
    `--workers ${perCpu ? '${TIERFORM_GUNICORN_WORKERS}' : options.workers}`,
    `--bind ${options.bind}`,
    // Socket (and other files gunicorn creates) without world access: 0660.
    '--umask 0o007',
    `--timeout ${options.timeoutSeconds}`,
    `--graceful-timeout ${gracefulSeconds}`,
    '--keep-alive 5',
    // Recycle workers now and then (jittered so they do not all restart together): bounds memory leaks.
    '--max-requests 1000',
    '--max-requests-jitter 100',
    `--forwarded-allow-ips ${forwardedAllowIps.join(',')}`,
    '--access-logfile -',
    '--error-logfile -',
    '--log-level info',
    options.wsgiApp,
  ];

  const lines: string[] = [
    `# /etc/systemd/system/${GUNICORN_UNIT_NAME} - generated by tierform; do not edit on the droplet.`,
    `# gunicorn serves the WSGI app ${options.wsgiApp}; logs go to journald (journalctl -u tierform-app).`,
    '[Unit]',
    `Description=tierform app (gunicorn serving ${options.wsgiApp})`,
    'Documentation=https://docs.gunicorn.org/en/stable/settings.html',
    ...(perCpu
      ? [`After=network-online.target ${SIZING_UNIT_NAME}`, `Wants=network-online.target`, `Requires=${SIZING_UNIT_NAME}`]
      : ['After=network-online.target', 'Wants=network-online.target']),
    // Restart=on-failure, but stop trying after 10 failed starts within 5 minutes.
    'StartLimitIntervalSec=300',
    'StartLimitBurst=10',
    '',
    '[Service]',
    // exec: start fails if gunicorn cannot be executed. (gunicorn >= 20 also sends READY=1, but Type=notify is
    // not relied on: a gunicorn or venv without it would hang the start until the timeout.)
    'Type=exec',
    `User=${options.user}`,
    `Group=${options.group}`,
    `WorkingDirectory=${options.workingDirectory}`,
    ...[...options.environmentFiles, ...(perCpu ? [SIZING_ENV_FILE] : [])].map((file) => `EnvironmentFile=${file}`),
    // /run/tierform-app, owned by the service user; 0755 so nginx can reach the socket inside.
    'RuntimeDirectory=tierform-app',
    'RuntimeDirectoryMode=0755',
    `ExecStart=${execStart.join(' ')}`,
    // HUP: gunicorn reloads its config and gracefully replaces the workers.
    'ExecReload=/bin/kill -s HUP $MAINPID',
    // SIGTERM to the master only (graceful stop: it finishes in-flight requests), SIGKILL to all at the timeout.
    'KillMode=mixed',
    `TimeoutStopSec=${gracefulSeconds + 10}`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '# Hardening: the app only reads its code and talks to the network.',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    'CapabilityBoundingSet=',
    'UMask=0027',
    '',
    '# Resource limits for the whole service (master and workers).',
    `MemoryHigh=${memory.high}`,
    `MemoryMax=${memory.max}`,
    `TasksMax=${tasksMax}`,
    'LimitNOFILE=65536',
  ];
  if (options.cpuQuotaPercent !== undefined) {
    lines.push(`CPUQuota=${options.cpuQuotaPercent}%`);
  }
  lines.push('', '[Install]', 'WantedBy=multi-user.target', '');
  return lines.join('\n');
}
