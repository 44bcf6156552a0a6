/**
 * Renders what every tierform droplet runs, whatever its role: the netinfo script that writes the droplet's own
 * addresses to `NET_ENV_FILE`, key-only SSH, the fail2ban SSH jail and the journal's size limits.
 *
 * Values a droplet learns about ITSELF (its VPC and public addresses) come from the droplet metadata service at
 * boot (169.254.169.254) and land in `NET_ENV_FILE`, which every other renderer reads for `TIERFORM_PRIVATE_IP`;
 * values about OTHER droplets reach it through DNS names or Terraform references. One approach per kind of value.
 *
 * Pure: no input, text out; no cdktf import.
 */

/** Written at boot by the netinfo script: `TIERFORM_PRIVATE_IP`, `TIERFORM_PUBLIC_IP`, `TIERFORM_DROPLET_ID`. */
export const NET_ENV_FILE = '/etc/tierform/net.env';
/** The netinfo script (`renderNetinfoScript`), mode 0755, run first at boot. */
export const NETINFO_SCRIPT = '/usr/local/sbin/tierform-netinfo';

/**
 * Bash: reads this droplet's addresses from the metadata service (30 tries, 2 s apart, per value) into
 * `NET_ENV_FILE`, atomically. Overrides for tests: `TIERFORM_METADATA_URL`, `TIERFORM_NET_ENV`.
 */
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

/** sshd_config.d drop-in: keys only (DigitalOcean installs the account's keys), few tries, no forwarding of X11. */
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

/** fail2ban jail.d file: bans an address for an hour after 5 failed SSH logins within 10 minutes. */
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

/** journald.conf.d drop-in: the journal keeps at most 500 MB and a month. */
export function renderJournaldLimits(): string {
  return `# tierform: bound the journal so logs cannot fill the disk
[Journal]
SystemMaxUse=500M
SystemMaxFileSize=50M
MaxRetentionSec=1month
`;
}
