/**
 * What every tierform droplet runs, whatever its role, as one cloud-config fragment (renderers in
 * lib/render/base.ts): its own addresses in /etc/tierform/net.env first, then key-only SSH, fail2ban and bounded
 * journald. Pure.
 */
import { NETINFO_SCRIPT, renderFail2banJail, renderJournaldLimits, renderNetinfoScript, renderSshdConfig } from '../render/base';
import { CloudConfigFragment } from '../render/cloud-config';

// Re-exported for constructs/primary-replica-mysql.ts, which imports it from here (defined with its renderer).
export { NET_ENV_FILE } from '../render/base';

let base: CloudConfigFragment | undefined;

/** The same object every time, so droplets with the same roles share one rendered cloud-config body. */
export function baseFragment(): CloudConfigFragment {
  return (base ??= {
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
}
