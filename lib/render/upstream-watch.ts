/**
 * Runtime discovery for nginx (web droplets in front of an app tier): a small watcher keeps the `server` lines of
 * nginx's upstream equal to the A records of the app tier's internal DNS name, and reloads nginx (gracefully: old
 * workers finish their requests) only when the set changes.
 *
 * Why a watcher: Ubuntu 24.04's nginx is 1.24, and open-source nginx re-resolves upstream names only from 1.27.3
 * (`server … resolve`). Writing the addresses into nginx.conf through user_data would replace every web droplet
 * whenever the app tier is scaled (user_data is ForceNew).
 *
 * Discovery failing never empties the upstream: a failed or empty lookup keeps the last servers. At first boot the
 * watcher waits (bounded) for the first answer before nginx starts.
 *
 * Pure: plain values in, text out; no cdktf import.
 */
import { absPath, dnsName, integer, port, refuse } from './guards';

export const UPSTREAM_WATCH_SCRIPT = '/usr/local/sbin/tierform-upstream-watch';
export const UPSTREAM_WATCH_UNIT_NAME = 'tierform-upstream-watch.service';
export const UPSTREAM_WATCH_UNIT_PATH = `/etc/systemd/system/${UPSTREAM_WATCH_UNIT_NAME}`;
/** Directory of the included server lists. */
export const UPSTREAM_SERVERS_DIR = '/etc/nginx/tierform-upstreams';

export interface UpstreamWatchOptions {
  /** DNS name whose A records are the upstream servers, e.g. `foobar-app.internal.foobar.com`. */
  readonly name: string;
  /** TCP port of every server. */
  readonly port: number;
  /** Parameters of each `server` line, e.g. `max_fails=3 fail_timeout=30s`. */
  readonly serverParameters: string;
  /** The file nginx includes inside its upstream block. */
  readonly serversFile: string;
  /**
   * Seconds between two lookups.
   * @default 5
   */
  readonly intervalSeconds?: number;
  /**
   * At first boot, how long to wait for the first answer before nginx starts anyway (answering 502 until a server
   * appears).
   * @default 300
   */
  readonly bootWaitSeconds?: number;
}

/**
 * Bash: `tierform-upstream-watch boot` (once, before nginx starts), `watch` (the service's loop) or `once` (one
 * lookup, for operators and tests).
 */
export function renderUpstreamWatchScript(o: UpstreamWatchOptions): string {
  const name = dnsName('name', o.name);
  if (!/^[A-Za-z0-9_= .]+$/.test(o.serverParameters)) {
    refuse('serverParameters', "must be letters, digits, '_', '=', '.' and spaces", o.serverParameters);
  }
  const parameters = o.serverParameters;
  const file = absPath('serversFile', o.serversFile);
  const serverPort = port('port', o.port);
  const interval = integer('intervalSeconds', o.intervalSeconds ?? 5, 1, 3600);
  const bootWait = integer('bootWaitSeconds', o.bootWaitSeconds ?? 300, 0, 86400);
  return `#!/usr/bin/env bash
# tierform: keeps nginx's upstream servers equal to the A records of ${name} (runtime discovery).
#   tierform-upstream-watch boot    once at first boot, before nginx starts: waits for the first answer
#   tierform-upstream-watch watch   the service's loop: re-resolves every ${interval}s, reloads nginx on a change
#   tierform-upstream-watch once    one lookup now (exit 1 when no address is known)
# A failed or empty lookup keeps the last servers: discovery being down never empties the upstream.
set -euo pipefail
readonly NAME='${name}'
readonly PORT=${serverPort}
readonly PARAMETERS='${parameters}'
readonly SERVERS_FILE='${file}'
readonly INTERVAL_SECONDS=${interval}
readonly BOOT_WAIT_SECONDS=${bootWait}

log() { echo "tierform-upstream-watch: $*" >&2; }

# The name's IPv4 addresses, sorted and unique (nothing when the lookup fails).
addresses() {
  getent ahostsv4 "$NAME" 2>/dev/null | awk '$2 == "STREAM" { print $1 }' | sort -u -t . -k1,1n -k2,2n -k3,3n -k4,4n || true
}

render() {
  local address
  echo "# written by tierform-upstream-watch from the A records of $NAME"
  for address in "$@"; do
    printf 'server %s:%s %s;\\n' "$address" "$PORT" "$PARAMETERS"
  done
}

# Rewrites the servers file when the set changed and reloads a running nginx. Fails when no address is known.
sync_once() {
  local found new
  mapfile -t found < <(addresses)
  if [ "\${#found[@]}" -eq 0 ]; then
    log "no address for $NAME (lookup failed or empty): keeping the last servers"
    return 1
  fi
  new=$(render "\${found[@]}")
  if [ -f "$SERVERS_FILE" ] && [ "$new" = "$(cat "$SERVERS_FILE")" ]; then
    return 0
  fi
  install -d -m 0755 "$(dirname "$SERVERS_FILE")"
  if [ -f "$SERVERS_FILE" ]; then
    cp -p "$SERVERS_FILE" "$SERVERS_FILE.last"
  fi
  printf '%s\\n' "$new" > "$SERVERS_FILE.tmp"
  mv "$SERVERS_FILE.tmp" "$SERVERS_FILE"
  log "servers of $NAME: \${found[*]}"
  if systemctl is-active --quiet nginx.service; then
    if nginx -t -q; then
      systemctl reload nginx.service
    elif [ -f "$SERVERS_FILE.last" ]; then
      log "nginx -t refused the new servers: restoring the last ones"
      mv "$SERVERS_FILE.last" "$SERVERS_FILE"
    fi
  fi
}

case "\${1:-watch}" in
  boot)
    deadline=$((SECONDS + BOOT_WAIT_SECONDS))
    until sync_once; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        if [ ! -s "$SERVERS_FILE" ]; then
          log "no address for $NAME after \${BOOT_WAIT_SECONDS}s: nginx answers 502 until one appears"
          install -d -m 0755 "$(dirname "$SERVERS_FILE")"
          printf 'server 127.0.0.1:%s down;\\n' "$PORT" > "$SERVERS_FILE"
        fi
        break
      fi
      sleep 2
    done
    ;;
  once)
    sync_once
    ;;
  watch)
    while true; do
      sync_once || true
      sleep "$INTERVAL_SECONDS"
    done
    ;;
  *)
    echo "usage: $0 boot|watch|once" >&2
    exit 2
    ;;
esac
`;
}

/** The watcher's systemd service (root: it rewrites a file under /etc/nginx and reloads nginx). */
export function renderUpstreamWatchUnit(): string {
  return `# tierform: keeps nginx's upstream servers equal to the app tier's DNS records
[Unit]
Description=tierform upstream watcher (nginx servers from DNS)
After=nginx.service network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${UPSTREAM_WATCH_SCRIPT} watch
Restart=always
RestartSec=5
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=yes

[Install]
WantedBy=multi-user.target
`;
}
