#!/usr/bin/env bash
# tierform: add or remove an admin SSH key on running droplets, without replacing them.
#
# Droplets take their `ssh_keys` only at creation, and tierform tells Terraform to ignore later changes of that
# list (it is ForceNew: a new key would otherwise re-create every droplet, the database primary included). So:
#   1. add the key to your DigitalOcean account and to TF_VAR_ssh_keys: droplets created from now on get it;
#   2. run this script to put it on (or take it off) the droplets that already run.
#
# usage: scripts/ssh-keys.sh add    <public-key-file> <host>...
#        scripts/ssh-keys.sh remove <public-key-file> <host>...
# Hosts are what `ssh` accepts (root@203.0.113.10, or a Host from ~/.ssh/config); the key you log in with must
# still be authorized. Removing the last authorized key is refused, so a typo cannot lock everyone out.
set -euo pipefail

usage() {
  echo "usage: $0 add|remove <public-key-file> <host>..." >&2
  exit 2
}

[ "$#" -ge 3 ] || usage
action=$1
key_file=$2
shift 2
case "$action" in add | remove) ;; *) usage ;; esac
[ -r "$key_file" ] || { echo "$0: cannot read $key_file" >&2; exit 2; }

key=$(grep -m1 -E '^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+' "$key_file" || true)
[ -n "$key" ] || { echo "$0: $key_file holds no OpenSSH public key" >&2; exit 2; }
# Type and base64 body identify the key; the comment does not.
id=$(printf '%s\n' "$key" | awk '{ print $1 " " $2 }')

# Runs on the droplet as root: idempotent, keeps the file's mode, never leaves authorized_keys empty.
remote=$(cat <<'REMOTE'
set -eu
action=$1; id=$2; key=$3
mkdir -p -m 0700 "$HOME/.ssh"
file="$HOME/.ssh/authorized_keys"
touch "$file"
chmod 0600 "$file"
tmp=$(mktemp "$file.XXXXXX")
awk -v id="$id" '($1 " " $2) != id' "$file" > "$tmp"
if [ "$action" = add ]; then
  printf '%s\n' "$key" >> "$tmp"
elif [ -n "${SSH_CONNECTION:-}" ] && [ ! -s "$tmp" ]; then
  rm -f "$tmp"
  echo "refused: removing this key would leave no key to log in with" >&2
  exit 3
fi
chmod 0600 "$tmp"
mv "$tmp" "$file"
echo "$action: $(wc -l < "$file") key(s) authorized"
REMOTE
)

status=0
for host in "$@"; do
  printf '%s: ' "$host"
  # The script travels on stdin; arguments are quoted for the remote shell.
  if ! printf '%s\n' "$remote" | ssh -o BatchMode=yes -- "$host" sh -s -- "$(printf '%q' "$action")" "$(printf '%q' "$id")" "$(printf '%q' "$key")"; then
    echo "$0: $host failed" >&2
    status=1
  fi
done
exit "$status"
