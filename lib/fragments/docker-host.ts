/**
 * The Docker host role (pure): Ubuntu 24.04's Docker Engine (`docker.io`) with tierform's daemon.json, and, with
 * HTTPS, certbot keeping a wildcard certificate in `/etc/tierform/tls` for the edge nginx *container*.
 *
 * Nothing here depends on the apps: containers, networks, images and volumes are `docker_*` resources of the apps
 * stack, so adding an app or changing an image tag never touches this droplet's user_data (ForceNew).
 *
 * Certificates: the certbot renderers of stages 2-3 (`lib/render/certbot.ts`) write one PEM (chain + key, 0600) at
 * `EDGE_TLS_PEM`; the edge container mounts `EDGE_TLS_DIR` read-only. After a new PEM, certbot's scripts reload
 * `tierform-edge-reload.service` (lib/render/edge-reload.ts), which signals the edge container's nginx.
 */
import {
  CERTBOT_CREDENTIALS_MODE,
  CERTBOT_CREDENTIALS_PATH,
  CERTBOT_ISSUE_SCRIPT_PATH,
  CERTBOT_ISSUE_SERVICE,
  CERTBOT_ISSUE_TIMER,
  CERTBOT_PACKAGES,
  renderCertbotCredentials,
  renderCertbotDeployHook,
  renderCertbotIssueScript,
  renderCertbotIssueService,
  renderCertbotIssueTimer,
} from '../render/certbot';
import { CloudConfigFragment } from '../render/cloud-config';
import { DOCKER_DAEMON_JSON_PATH, DockerDaemonOptions, renderDockerDaemonJson } from '../render/docker-daemon';
import { EDGE_RELOAD_UNIT, renderEdgeReloadUnit } from '../render/edge-reload';

// Re-exported for constructs/edge-proxy.ts, which imports it from here (defined with its renderer).

/** Host directory holding the edge's certificate; mounted read-only into the edge container at the same path. */
export const EDGE_TLS_DIR = '/etc/tierform/tls';
export const EDGE_TLS_PEM = `${EDGE_TLS_DIR}/site.pem`;
export const EDGE_DEPLOY_HOOK_PATH = '/etc/letsencrypt/renewal-hooks/deploy/tierform-edge';

/** Docker Engine from Ubuntu's archive, configured before its first start. */
export function dockerEngineFragment(daemon: DockerDaemonOptions): CloudConfigFragment {
  return {
    packages: ['docker.io'],
    // Not deferred: daemon.json is no conffile of docker.io, and dockerd's first start (by the package) reads it.
    files: [{ path: DOCKER_DAEMON_JSON_PATH, content: renderDockerDaemonJson(daemon), permissions: '0644' }],
    commands: [
      ['systemctl', 'enable', 'docker.service'],
      // Restart: if the package started dockerd before daemon.json existed, this applies it.
      ['systemctl', 'restart', 'docker.service'],
      ['docker', 'info', '--format', '{{.LoggingDriver}} live-restore={{.LiveRestoreEnabled}}'],
    ],
  };
}

export interface EdgeTlsRoleOptions {
  /** Apex domain: the certificate covers it and `*.domain`. */
  readonly domain: string;
  readonly email: string;
  /** DigitalOcean token with DNS write access (a sensitive variable's token). */
  readonly dnsToken: string;
  readonly staging: boolean;
}

/**
 * certbot for the edge: a usable PEM at boot (self-signed for 7 days until Let's Encrypt answers), issuance in the
 * background, renewal by Ubuntu's certbot.timer and our deploy hook.
 */
export function edgeTlsFragment(o: EdgeTlsRoleOptions): CloudConfigFragment {
  const certName = o.domain;
  return {
    packages: [...CERTBOT_PACKAGES],
    files: [
      { path: CERTBOT_CREDENTIALS_PATH, content: renderCertbotCredentials(o.dnsToken), permissions: CERTBOT_CREDENTIALS_MODE },
      {
        path: CERTBOT_ISSUE_SCRIPT_PATH,
        content: renderCertbotIssueScript({
          domain: o.domain,
          email: o.email,
          certName,
          pemPath: EDGE_TLS_PEM,
          staging: o.staging,
          reloadUnit: EDGE_RELOAD_UNIT,
        }),
        permissions: '0755',
      },
      // Deferred: /etc/letsencrypt belongs to the certbot package.
      {
        path: EDGE_DEPLOY_HOOK_PATH,
        content: renderCertbotDeployHook({ certName, pemPath: EDGE_TLS_PEM, reloadUnit: EDGE_RELOAD_UNIT }),
        permissions: '0755',
        defer: true,
      },
      { path: `/etc/systemd/system/${EDGE_RELOAD_UNIT}`, content: renderEdgeReloadUnit(), permissions: '0644' },
      { path: `/etc/systemd/system/${CERTBOT_ISSUE_SERVICE}`, content: renderCertbotIssueService({ certName }), permissions: '0644' },
      { path: `/etc/systemd/system/${CERTBOT_ISSUE_TIMER}`, content: renderCertbotIssueTimer(), permissions: '0644' },
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', EDGE_RELOAD_UNIT],
      [CERTBOT_ISSUE_SCRIPT_PATH, '--fallback-only'],
      ['systemctl', 'enable', CERTBOT_ISSUE_TIMER],
      ['systemctl', 'start', '--no-block', CERTBOT_ISSUE_SERVICE],
    ],
  };
}
