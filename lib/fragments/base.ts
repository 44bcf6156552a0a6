/**
 * What every tierform droplet runs, whatever its role, as one cloud-config fragment (renderers in
 * lib/render/base.ts): its own addresses in /etc/tierform/net.env first, then key-only SSH, fail2ban and bounded
 * journald. Pure.
 */
import { NETINFO_SCRIPT, renderFail2banJail, renderJournaldLimits, renderNetinfoScript, renderSshdConfig } from '../render/base';
import { CloudConfigFragment } from '../render/cloud-config';

/**
 * The base fragment: one frozen object built once, so droplets with the same fragments share one rendered
 * cloud-config body (the render cache keys bodies on fragment identity). Immutable: no hidden state.
 */
const BASE: CloudConfigFragment = Object.freeze({
  packages: ['curl', 'fail2ban'],
  files: [
    { path: NETINFO_SCRIPT, content: renderNetinfoScript(), permissions: '0755' },
    { path: '/etc/ssh/sshd_config.d/60-tierform.conf', content: renderSshdConfig(), permissions: '0644' },
    { path: '/etc/fail2ban/jail.d/60-tierform.conf', content: renderFail2banJail(), permissions: '0644', defer: true },
    { path: '/etc/systemd/journald.conf.d/60-tierform.conf', content: renderJournaldLimits(), permissions: '0644' },
  ],
  commands: [
    [NETINFO_SCRIPT],
    ['systemctl', 'restart', 'systemd-journald'],
    ['systemctl', 'reload', 'ssh'],
    ['systemctl', 'enable', '--now', 'fail2ban'],
    ['systemctl', 'restart', 'fail2ban'],
  ],
});

/** What every droplet runs first (the same object every time). */
export function baseFragment(): CloudConfigFragment {
  return BASE;
}
