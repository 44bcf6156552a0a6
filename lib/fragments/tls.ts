/**
 * HTTPS on a load balancer droplet (pure): certbot with the DigitalOcean DNS plugin (DNS-01: `*.domain` and the
 * apex on one certificate) and the combined PEM HAProxy reads.
 *
 * Boot order matters, so there are two fragments: `tlsBeforeHaproxy` (before HAProxy's own fragment) makes sure a
 * usable PEM exists — a 7-day self-signed one until Let's Encrypt answers — so `haproxy -c` passes and HAProxy
 * starts; `tlsAfterHaproxy` (after it) starts the real issuance in the background. Renewal is Ubuntu's own
 * certbot.timer, whose `certbot renew` runs our deploy hook (rebuild the PEM, reload HAProxy).
 */
import {
  CERTBOT_CREDENTIALS_MODE,
  CERTBOT_CREDENTIALS_PATH,
  CERTBOT_DEPLOY_HOOK_PATH,
  CERTBOT_ISSUE_SCRIPT_PATH,
  CERTBOT_ISSUE_SERVICE,
  CERTBOT_ISSUE_TIMER,
  CERTBOT_PACKAGES,
  DEFAULT_HAPROXY_PEM_PATH,
  renderCertbotCredentials,
  renderCertbotDeployHook,
  renderCertbotIssueScript,
  renderCertbotIssueService,
  renderCertbotIssueTimer,
} from '../render/certbot';
import { CloudConfigFragment } from '../render/cloud-config';

export interface TlsRoleOptions {
  /** Apex domain: the certificate covers it and `*.domain`. */
  readonly domain: string;
  /** Let's Encrypt account e-mail. */
  readonly email: string;
  /** DigitalOcean API token with DNS write access (a reference to a sensitive variable). */
  readonly dnsToken: string;
  readonly staging: boolean;
}

export const TLS_PEM_PATH = DEFAULT_HAPROXY_PEM_PATH;

export function tlsBeforeHaproxy(o: TlsRoleOptions): CloudConfigFragment {
  const certName = o.domain;
  return {
    packages: [...CERTBOT_PACKAGES],
    files: [
      { path: CERTBOT_CREDENTIALS_PATH, content: renderCertbotCredentials(o.dnsToken), permissions: CERTBOT_CREDENTIALS_MODE },
      {
        path: CERTBOT_ISSUE_SCRIPT_PATH,
        content: renderCertbotIssueScript({ domain: o.domain, email: o.email, certName, pemPath: TLS_PEM_PATH, staging: o.staging }),
        permissions: '0755',
      },
      // Deferred: /etc/letsencrypt belongs to the certbot package.
      { path: CERTBOT_DEPLOY_HOOK_PATH, content: renderCertbotDeployHook({ certName, pemPath: TLS_PEM_PATH }), permissions: '0755', defer: true },
      { path: `/etc/systemd/system/${CERTBOT_ISSUE_SERVICE}`, content: renderCertbotIssueService({ certName }), permissions: '0644' },
      { path: `/etc/systemd/system/${CERTBOT_ISSUE_TIMER}`, content: renderCertbotIssueTimer(), permissions: '0644' },
    ],
    commands: [[CERTBOT_ISSUE_SCRIPT_PATH, '--fallback-only']],
  };
}

export function tlsAfterHaproxy(): CloudConfigFragment {
  return {
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', CERTBOT_ISSUE_TIMER],
      ['systemctl', 'start', '--no-block', CERTBOT_ISSUE_SERVICE],
    ],
  };
}
