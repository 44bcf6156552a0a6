/**
 * What every tierform droplet runs, whatever its role. Pure: returns a cloud-config fragment.
 *
 * Values a droplet learns about ITSELF (its VPC and public addresses) come from the droplet metadata service
 * at boot (169.254.169.254) and land in /etc/tierform/net.env; values about OTHER droplets (a database's
 * private IP) are Terraform references inside user_data. One approach per kind of value.
 */
import { CloudConfigFragment } from '../render/cloud-config';

export const NET_ENV_FILE = '/etc/tierform/net.env';
export const NETINFO_SCRIPT = '/usr/local/sbin/tierform-netinfo';

/** Shell: reads this droplet's addresses from the metadata service into /etc/tierform/net.env. */
export function renderNetinfoScript(): string {
  return `#!/usr/bin/env bash
# tierform: writes this droplet's own addresses, read from the DigitalOcean metadata service, to
# ${NET_ENV_FILE} (TIERFORM_PRIVATE_IP, TIERFORM_PUBLIC_IP, TIERFORM_DROPLET_ID) for the other boot steps.
set -euo pipefail
METADATA="\${TIERFORM_METADATA_URL:-http://169.254.169.254/metadata/v1}"
OUT="\${TIERFORM_NET_ENV:-${NET_ENV_FILE}}"

fetch() {
  local attempt
  for attempt in $(seq 1 30); do
    if curl -fsS --max-time 2 "$METADATA/$1"; then
      return 0
    fi
    echo "tierform-netinfo: metadata $1 not ready (attempt $attempt/30)" >&2
    sleep 2
  done
  echo "tierform-netinfo: metadata service did not answer for $1" >&2
  return 1
}

private_ip=$(fetch interfaces/private/0/ipv4/address)
public_ip=$(fetch interfaces/public/0/ipv4/address)
droplet_id=$(fetch id)
mkdir -p "$(dirname "$OUT")"
umask 022
tmp=$(mktemp "$OUT.XXXXXX")
printf 'TIERFORM_PRIVATE_IP=%s\\nTIERFORM_PUBLIC_IP=%s\\nTIERFORM_DROPLET_ID=%s\\n' "$private_ip" "$public_ip" "$droplet_id" > "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$OUT"
echo "tierform-netinfo: private $private_ip public $public_ip id $droplet_id" >&2
`;
}

export function renderSshdConfig(): string {
  return `# tierform: key-only SSH (DigitalOcean installs the account keys given to the droplet)
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PermitEmptyPasswords no
X11Forwarding no
MaxAuthTries 3
LoginGraceTime 30
`;
}

export function renderFail2banJail(): string {
  return `# tierform: ban addresses that keep failing SSH authentication
[sshd]
enabled = true
backend = systemd
maxretry = 5
findtime = 10m
bantime = 1h
`;
}

export function renderJournaldLimits(): string {
  return `# tierform: bound the journal so logs cannot fill the disk
[Journal]
SystemMaxUse=500M
SystemMaxFileSize=50M
MaxRetentionSec=1month
`;
}

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
