/**
 * Renders reserved-IP failover for the HAProxy pair: keepalived.conf, the VXLAN tunnel the VRRP adverts travel
 * in, the HAProxy health check, the script that moves the DigitalOcean reserved IP, and their systemd units.
 * keepalived 2.2.8 on Ubuntu 24.04 and 2.2.7 on Debian 12 (the lab): only syntax valid in both.
 * Pure: plain values in, text out; never imports cdktf.
 *
 * Why a tunnel: DigitalOcean Cloud Firewalls pass only tcp, udp and icmp. VRRP is IP protocol 112, so adverts
 * between the droplets would be dropped silently and both would turn master. The pair instead runs a
 * point-to-point VXLAN link (UDP 4789, which the firewall allows from the pair's own tag) between their VPC
 * addresses, and keepalived sends unicast VRRP inside it between fixed tunnel addresses.
 *
 * Why no VIP on the public side: the reserved IP is routed to a droplet by DigitalOcean when the API assigns
 * it, never by ARP. keepalived still needs one virtual address (without any, `keepalived -t` fails: "No VIP
 * specified; at least one is required"), so the instance holds a /32 *master marker* on the tunnel interface:
 * harmless (nothing routes to it), and the assign script reads it to know that this node is still master.
 *
 * Values unknown until apply:
 * - the peer's VPC address is not in user_data (the two droplets' user_data would reference each other: a
 *   Terraform cycle). The tunnel script resolves a DNS name Terraform creates (an A record to the peer's
 *   private IP) at every start, with a bounded retry loop;
 * - this droplet's own VPC address comes from /etc/tierform/net.env (TIERFORM_PRIVATE_IP), its droplet id
 *   from the metadata service when the assign script runs;
 * - the reserved IP and the peer's DNS name may be Terraform token texts (`${TfToken[TOKEN.3]}`), inserted
 *   verbatim. The scripts contain literal `${VAR}` shell expansions; the construct layer escapes them.
 *
 * Inputs are validated by the construct layer; this file only refuses what would corrupt a file's syntax.
 */
import * as ipaddr from 'ipaddr.js';
import { NET_ENV_FILE } from './base';
import { integer, ipv4Cidr, number, port, refuse, refuseSecret, shellWord, urlPath, word } from './guards';

/** Where each rendered file goes on the droplet. */
export const KEEPALIVED_CONF_PATH = '/etc/keepalived/keepalived.conf';
export const RESERVED_IP_ASSIGN_SCRIPT_PATH = '/usr/local/sbin/tierform-reserved-ip-assign';
export const VRRP_TUNNEL_SCRIPT_PATH = '/usr/local/sbin/tierform-vrrp-tunnel';
export const CHECK_HAPROXY_SCRIPT_PATH = '/usr/local/sbin/tierform-check-haproxy';
export const HAPROXY_STATE_SCRIPT_PATH = '/usr/local/sbin/tierform-haproxy-state';
/**
 * The file keepalived tracks (`track_file`): `1` once haproxy.service's main process has exited (written by
 * systemd's ExecStopPost, also after a crash), `0` once it started. keepalived watches it with inotify.
 */
export const HAPROXY_STATE_FILE = '/run/tierform/haproxy-stopped';
/** Ordered after Debian's unit and the HAProxy role's own drop-in (60-tierform.conf). */
export const HAPROXY_STATE_DROP_IN_PATH = '/etc/systemd/system/haproxy.service.d/70-tierform-keepalived.conf';
export const VRRP_TUNNEL_UNIT_NAME = 'tierform-vrrp-tunnel.service';
export const VRRP_TUNNEL_UNIT_PATH = `/etc/systemd/system/${VRRP_TUNNEL_UNIT_NAME}`;
export const KEEPALIVED_DROP_IN_PATH = '/etc/systemd/system/keepalived.service.d/10-tierform.conf';
export const RECONCILE_SERVICE_NAME = 'tierform-reserved-ip-reconcile.service';
export const RECONCILE_SERVICE_PATH = `/etc/systemd/system/${RECONCILE_SERVICE_NAME}`;
export const RECONCILE_TIMER_NAME = 'tierform-reserved-ip-reconcile.timer';
export const RECONCILE_TIMER_PATH = `/etc/systemd/system/${RECONCILE_TIMER_NAME}`;
/** Root-only (0600) file holding the DigitalOcean API token the assign script uses (`renderApiTokenFile`). */
export const DO_TOKEN_FILE = '/etc/tierform/do-token';

/** Where HAProxy answers the keepalived health check (a `monitor-uri` frontend on loopback). */
export const LB_HEALTH_PORT = 8405;
export const LB_HEALTH_PATH = '/tierform-lb-health';
/** VXLAN's UDP port (IANA): the only thing the pair's firewall must admit from the pair itself. */
export const VRRP_TUNNEL_UDP_PORT = 4789;

/** The VRRP instance's name in keepalived.conf and its logs. */
export const VRRP_INSTANCE_NAME = 'tierform_lb';
/** Priorities by node index: node 0 wins the first election. */
const PRIORITIES = [150, 100] as const;

/** The tunnel's interface and subnet, shared by every renderer here. */
export interface VrrpTunnelNetwork {
  /**
   * Name of the VXLAN interface (at most 15 characters).
   * @default 'vrrp0'
   */
  readonly interfaceName?: string;
  /**
   * Private IPv4 subnet of the tunnel, /29 or wider, that must not overlap the VPC: node 0 takes the first host
   * address, node 1 the second, and the master marker (a /32 keepalived puts on the master) the last one.
   * @default '10.255.255.0/29' (nodes 10.255.255.1 and .2, marker .6)
   */
  readonly cidr?: string;
}

/** A node's own place in the tunnel. */
export interface VrrpTunnelAddressing extends VrrpTunnelNetwork {
  /** This droplet's index in the pair: node 0 has the higher priority and wins the first election. */
  readonly nodeIndex: 0 | 1;
}

/** The tunnel's addresses as rendered (dotted quads). */
export interface VrrpTunnelAddresses {
  readonly interfaceName: string;
  /** This node's tunnel address. */
  readonly self: string;
  /** The peer's tunnel address. */
  readonly peer: string;
  /** The /32 keepalived adds on the master only. */
  readonly marker: string;
  /** Prefix length of `cidr`, used on the node addresses. */
  readonly prefixLength: number;
}

/** Addresses of a node in the tunnel (node i: first host + i; marker: last host). */
export function vrrpTunnelAddresses(o: VrrpTunnelAddressing): VrrpTunnelAddresses {
  const interfaceName = ifname(o.interfaceName ?? 'vrrp0');
  const cidr = o.cidr ?? '10.255.255.0/29';
  const [, prefixLength] = ipv4Cidr('cidr', cidr);
  if (prefixLength > 29) {
    refuse('cidr', 'must be a /29 or wider (two nodes and the master marker)', cidr);
  }
  if (o.nodeIndex !== 0 && o.nodeIndex !== 1) {
    refuse('nodeIndex', 'must be 0 or 1', o.nodeIndex);
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
  const size = 2 ** (32 - prefixLength);
  const at = (offset: number): string => [24, 16, 8, 0].map((shift) => Math.floor((network + offset) / 2 ** shift) % 256).join('.');
  return {
    interfaceName,
    self: at(1 + o.nodeIndex),
    peer: at(2 - o.nodeIndex),
    marker: at(size - 2),
    prefixLength,
  };
}

// ---- keepalived.conf -------------------------------------------------------------------------------------

/** Everything `renderKeepalivedConf` needs. */
export interface KeepalivedConfOptions extends VrrpTunnelAddressing {
  /** Name of this node in keepalived's logs (`router_id`), e.g. the droplet name. */
  readonly routerId: string;
  /**
   * VRRP virtual router id (1-255). Adverts only travel in the pair's own tunnel, so it need not be unique.
   * @default 51
   */
  readonly virtualRouterId?: number;
  /**
   * Seconds between VRRP adverts (VRRPv3: in steps of 0.01 s, 0.01 to 40.95). The backup takes over when it has
   * heard none for 3 × this plus its skew time ((256 − priority) / 256 × this): with 0.2 s, a dead or cut-off
   * master is replaced after about 0.7 s. The cost is 5 adverts a second (about 100 bytes each, inside the tunnel)
   * from the master, and a master that stalls for 0.7 s (keepalived runs with realtime priority) is replaced.
   * @default 0.2
   */
  readonly advertIntervalSeconds?: number;
  /**
   * Seconds between runs of the HAProxy health check (keepalived 2.2 takes whole seconds only). A crashed or
   * stopped HAProxy does not wait for it: systemd's ExecStopPost marks it at once (`HAPROXY_STATE_FILE`).
   * @default 1
   */
  readonly checkIntervalSeconds?: number;
  /**
   * Seconds a health check run may take before keepalived counts it as failed (the check itself gives up after
   * 1 second, so this only matters if curl hangs).
   * @default 2
   */
  readonly checkTimeoutSeconds?: number;
  /**
   * Consecutive failed health checks before this node gives up mastership (enters FAULT): a hung HAProxy is
   * caught 2 to 3 s after it stops answering. One failure would be faster, and fails over for a check that was
   * merely slow to start on a busy droplet (seen in the lab's tests with 0.5 s tries and `fall 1`); a crash does
   * not wait for this check anyway (`HAPROXY_STATE_FILE`).
   * @default 2
   */
  readonly checkFall?: number;
  /**
   * Consecutive passed health checks before a node in FAULT may become master again.
   * @default 2
   */
  readonly checkRise?: number;
}

/** Renders /etc/keepalived/keepalived.conf for one node of the pair. */
export function renderKeepalivedConf(o: KeepalivedConfOptions): string {
  const t = vrrpTunnelAddresses(o);
  const lines = [
    '# /etc/keepalived/keepalived.conf - rendered by tierform (lib/render/keepalived.ts); local edits are overwritten.',
    `# VRRP between the HAProxy pair runs unicast inside the VXLAN tunnel ${t.interfaceName} (${VRRP_TUNNEL_UNIT_NAME}):`,
    '# DigitalOcean Cloud Firewalls drop IP protocol 112. The reserved IP is moved by the DigitalOcean API',
    '# (notify scripts), never by ARP.',
    'global_defs {',
    `    router_id ${word('routerId', o.routerId, KEEPALIVED_SPECIALS)}`,
    // Notify scripts read the root-only API token; keepalived refuses any script a non-root user could change.
    '    enable_script_security',
    '    script_user root',
    // VRRPv3 (RFC 5798): the protocol has no authentication, see the instance below.
    '    vrrp_version 3',
    // The only virtual address is the marker on the tunnel: one gratuitous ARP, no delayed second burst.
    '    vrrp_garp_master_repeat 1',
    '    vrrp_garp_master_delay 0',
    // Realtime scheduling for the VRRP process: a busy droplet must not miss adverts and cause a failover.
    '    max_auto_priority',
    '}',
    '',
    '# HAProxy health: a hung HAProxy fails like a dead one (the check asks HAProxy itself over HTTP).',
    'vrrp_script chk_haproxy {',
    `    script "${CHECK_HAPROXY_SCRIPT_PATH}"`,
    `    interval ${integer('checkIntervalSeconds', o.checkIntervalSeconds ?? 1, 1, 3600)}`,
    `    timeout ${integer('checkTimeoutSeconds', o.checkTimeoutSeconds ?? 2, 1, 3600)}`,
    `    fall ${integer('checkFall', o.checkFall ?? 2, 1, 100)}`,
    `    rise ${integer('checkRise', o.checkRise ?? 2, 1, 100)}`,
    '}',
    '',
    // Event-driven, for a crash: systemd runs haproxy.service's ExecStopPost when its main process exits for any
    // reason (a crash, an OOM kill, a stop) and it writes 1 here; keepalived sees the change through inotify and
    // enters FAULT at once, sending a priority 0 advert so the peer takes over after its skew time. Not
    // vrrp_track_process: that needs the kernel's process events connector, which only answers in the initial
    // network namespace (keepalived then stays in FAULT: seen in the lab), and a process name matches any
    // container's HAProxy on the same kernel.
    '# HAProxy stopped or crashed: systemd writes 1 to this file at once (ExecStopPost), 0 when it starts again.',
    'track_file haproxy_stopped {',
    `    file "${HAPROXY_STATE_FILE}"`,
    // weight 0: any value but 0 is a failure (FAULT), like the health check.
    '    weight 0',
    // A missing file (before HAProxy ever started) is created as 0: the health check decides until then.
    '    init_file 0',
    '}',
    '',
    `vrrp_instance ${VRRP_INSTANCE_NAME} {`,
    // Both nodes start BACKUP and never preempt: a node coming back (from FAULT or a reboot) stays backup, so a
    // failure moves the reserved IP once, not twice (each move is an API call and seconds of lost packets).
    '    state BACKUP',
    '    nopreempt',
    `    interface ${t.interfaceName}`,
    `    virtual_router_id ${integer('virtualRouterId', o.virtualRouterId ?? 51, 1, 255)}`,
    `    priority ${PRIORITIES[o.nodeIndex]}`,
    `    advert_int ${advertInterval(o.advertIntervalSeconds ?? 0.2)}`,
    // Unicast between the fixed tunnel addresses; adverts from any other source are dropped.
    `    unicast_src_ip ${t.self}`,
    '    check_unicast_src',
    '    unicast_peer {',
    `        ${t.peer}`,
    '    }',
    // No authentication block: VRRPv3 removed it (keepalived ignores it with a warning), and VRRPv2 PASS is
    // clear text anyway. Adverts are only accepted from the peer's tunnel address, the tunnel only from the
    // peer's VPC address, and the Cloud Firewall lets UDP 4789 in from the pair's tag only.
    '    # The master marker: nothing routes to it; it shows which node is master (the assign script reads it).',
    '    virtual_ipaddress {',
    `        ${t.marker}/32 dev ${t.interfaceName}`,
    '    }',
    '    track_script {',
    '        chk_haproxy',
    '    }',
    '    track_file {',
    '        haproxy_stopped',
    '    }',
    `    notify_master "${RESERVED_IP_ASSIGN_SCRIPT_PATH} master"`,
    // A master hearing a lower-priority master means a split brain just healed; the peer may hold the reserved
    // IP since then, so assign it again (acassen/keepalived#100: notify_master alone is not re-run). This is a
    // race the higher-priority master often loses (the other steps down first): the reconcile timer covers it.
    `    notify_master_rx_lower_pri "${RESERVED_IP_ASSIGN_SCRIPT_PATH} rx-lower-pri"`,
    '    notify_backup "/usr/bin/logger -t tierform-vrrp entered BACKUP"',
    '    notify_fault "/usr/bin/logger -t tierform-vrrp -p daemon.warning entered FAULT"',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

// ---- reserved IP assign script ---------------------------------------------------------------------------

/** Why the assign script runs: its first argument. */
export type ReservedIpAssignTrigger = 'master' | 'rx-lower-pri' | 'reconcile';

/** Everything `renderReservedIpAssignScript` needs. */
export interface ReservedIpAssignScriptOptions extends VrrpTunnelAddressing {
  /** The reserved IPv4 address, or a Terraform token text inserted verbatim. */
  readonly reservedIp: string;
  /**
   * Attempts (a status check and an assign call each) of a `master` or `rx-lower-pri` run before it gives up
   * with a non-zero exit; a `reconcile` run makes one attempt (the timer brings the next).
   * @default 40
   */
  readonly maxAttempts?: number;
  /**
   * Upper bound in seconds of a run's retry loop (no attempt starts after it), and of its wait for another run.
   * Long on purpose: the run stops as soon as this node is no longer master, and an API outage must not leave
   * the reserved IP on a dead peer.
   * @default 600
   */
  readonly maxSeconds?: number;
  /**
   * Delay in milliseconds before the second attempt; it doubles per attempt up to 16 s, with random jitter
   * (half the delay plus up to the other half) so both nodes never retry in step.
   * @default 1000
   */
  readonly firstRetryDelayMs?: number;
}

/**
 * Renders /usr/local/sbin/tierform-reserved-ip-assign `[master|rx-lower-pri|reconcile]`: assigns the reserved
 * IP to this droplet through the DigitalOcean API when this node is VRRP master and the IP is elsewhere.
 *
 * - `master` (keepalived notify_master) and `rx-lower-pri` (notify_master_rx_lower_pri) retry with exponential
 *   backoff and jitter, and stop as soon as this node is no longer master.
 * - `reconcile` (the timer, `renderReconcileTimer`) makes one attempt and is needed because the
 *   `rx-lower-pri` notification is a race: when a split brain heals, the lower-priority master often hears the
 *   higher one first and steps down silently, so the higher one never hears a lower advert and the reserved IP
 *   stays on the backup (seen in the lab in most heals). A reconcile run takes the IP back when the peer answers
 *   over the tunnel (so it is not master: the split brain is over). While the peer does not answer (dead, or a
 *   split brain with both masters), only node 0 takes it, so two masters never pass the IP back and forth.
 */
export function renderReservedIpAssignScript(o: ReservedIpAssignScriptOptions): string {
  const t = vrrpTunnelAddresses(o);
  const maxAttempts = integer('maxAttempts', o.maxAttempts ?? 40, 1, 1000);
  const maxSeconds = integer('maxSeconds', o.maxSeconds ?? 600, 1, 86_400);
  const firstDelay = integer('firstRetryDelayMs', o.firstRetryDelayMs ?? 1000, 1, 60_000);
  const reservedIp = shellWord('reservedIp', o.reservedIp);
  return `#!/usr/bin/env bash
# tierform: assigns the reserved IP ${o.reservedIp} to this droplet through the DigitalOcean API.
# Usage: tierform-reserved-ip-assign [master|rx-lower-pri|reconcile] (default master). keepalived runs it on
# becoming MASTER and when a lower-priority master shows a healed split brain; a timer runs \`reconcile\`.
# It does nothing unless this node is master (keepalived's marker ${t.marker} is on ${t.interfaceName}).
# The API token is read from a root-only file and handed to curl on stdin (-K -), never in argv (ps shows argv).
# Logs go to syslog (tag tierform-reserved-ip) and stderr, never the token.
# Overrides for labs and tests: TIERFORM_DO_API, TIERFORM_METADATA_URL, TIERFORM_NET_ENV, TIERFORM_DO_TOKEN_FILE,
# TIERFORM_LOCK_FILE, TIERFORM_LOG_FILE (log lines are appended there too).
set -euo pipefail

readonly LOG_TAG='tierform-reserved-ip'
readonly RESERVED_IP=${reservedIp}
readonly API="\${TIERFORM_DO_API:-https://api.digitalocean.com}"
readonly METADATA_URL="\${TIERFORM_METADATA_URL:-http://169.254.169.254/metadata/v1}"
readonly NET_ENV="\${TIERFORM_NET_ENV:-${NET_ENV_FILE}}"
readonly TOKEN_FILE="\${TIERFORM_DO_TOKEN_FILE:-${DO_TOKEN_FILE}}"
readonly LOCK_FILE="\${TIERFORM_LOCK_FILE:-/run/tierform-reserved-ip.lock}"
readonly TUNNEL_INTERFACE='${t.interfaceName}'
readonly MARKER_ADDRESS='${t.marker}'
readonly PEER_TUNNEL_ADDRESS='${t.peer}'
readonly NODE_INDEX=${o.nodeIndex}
readonly MAX_SECONDS=${maxSeconds}
readonly FIRST_DELAY_MS=${firstDelay}
readonly MAX_DELAY_MS=16000
readonly TRIGGER=\${1:-master}
case $TRIGGER in
  master | rx-lower-pri) MAX_ATTEMPTS=${maxAttempts} ;;
  reconcile) MAX_ATTEMPTS=1 ;;
  *)
    printf 'usage: %s [master|rx-lower-pri|reconcile]\\n' "$0" >&2
    exit 2
    ;;
esac
readonly MAX_ATTEMPTS

log() {
  printf '%s: [%s] %s\\n' "$LOG_TAG" "$TRIGGER" "$*" >&2
  logger -t "$LOG_TAG" -- "[$TRIGGER] $*" 2>/dev/null || true
  if [[ -n \${TIERFORM_LOG_FILE:-} ]]; then
    printf '%s %s: [%s] %s\\n' "$(date +%s.%N)" "$LOG_TAG" "$TRIGGER" "$*" >>"$TIERFORM_LOG_FILE" || true
  fi
}
die() { log "ERROR: $*"; exit 1; }

# keepalived adds the marker on the master only (before notify_master runs) and removes it on leaving MASTER.
is_master() {
  [[ $(ip -o -4 addr show dev "$TUNNEL_INTERFACE" to "$MARKER_ADDRESS/32" 2>/dev/null) == *" inet $MARKER_ADDRESS/"* ]]
}

# True when the peer answers over the tunnel (a refused TCP connection counts): the VRRP link works, and as this
# node is master, the peer is backup.
peer_answers() {
  local out
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  out=$(LC_ALL=C timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/9"' probe "$PEER_TUNNEL_ADDRESS" 2>&1) && return 0
  [[ $out == *'Connection refused'* ]]
}

# api METHOD PATH [JSON]: prints the HTTP status (000 when there was no answer); the body lands in $BODY.
api() {
  local method=$1 path=$2 data=\${3:-} args
  args=(-sS -o "$BODY" -w '%{http_code}' --connect-timeout 5 --max-time 20 -X "$method" -K -)
  if [[ -n $data ]]; then
    args+=(-H 'Content-Type: application/json' --data "$data")
  fi
  curl "\${args[@]}" "$API$path" <<<"header = \\"Authorization: Bearer $TOKEN\\"" || true
}

# The API's error message, if the body is a DigitalOcean error document.
api_message() { jq -r '.message // empty' "$BODY" 2>/dev/null | head -c 300 || true; }

# Sleeps before attempt $1 + 1: exponential backoff (capped) with jitter.
backoff() {
  local attempt=$1 delay_ms=$FIRST_DELAY_MS i
  for ((i = 1; i < attempt && delay_ms < MAX_DELAY_MS; i++)); do
    delay_ms=$((delay_ms * 2))
  done
  ((delay_ms <= MAX_DELAY_MS)) || delay_ms=$MAX_DELAY_MS
  delay_ms=$((delay_ms / 2 + RANDOM % (delay_ms / 2 + 1)))
  if ((SECONDS * 1000 + delay_ms > MAX_SECONDS * 1000)); then
    die "giving up after $attempt attempts: the next one would start after \${MAX_SECONDS}s"
  fi
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
}

# A backup never calls the API (the timer runs this every few seconds on both nodes).
if ! is_master; then
  [[ $TRIGGER == reconcile ]] || log "not MASTER ($MARKER_ADDRESS is not on $TUNNEL_INTERFACE): leaving $RESERVED_IP where it is"
  exit 0
fi
[[ $RESERVED_IP =~ ^[0-9]{1,3}(\\.[0-9]{1,3}){3}$ ]] || die "the reserved IP is not an IPv4 address: '$RESERVED_IP'"

# One run at a time; a reconcile run gives way to a run in progress.
waited=0
exec 9>>"$LOCK_FILE"
if [[ $TRIGGER == reconcile ]]; then
  flock -n 9 || exit 0
else
  flock -n 9 || {
    waited=1
    flock -w "$MAX_SECONDS" 9 || die "another run still holds $LOCK_FILE after \${MAX_SECONDS}s"
  }
fi

[[ -r $TOKEN_FILE ]] || die "$TOKEN_FILE is missing or unreadable"
# One line; read by the shell itself (no process on the way to the assign call).
IFS= read -r TOKEN <"$TOKEN_FILE" || true
TOKEN=\${TOKEN//[[:space:]]/}
[[ $TOKEN =~ ^[A-Za-z0-9_-]+$ ]] || die "$TOKEN_FILE does not hold a DigitalOcean API token"

BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# This droplet's id: from net.env (written at boot by tierform-netinfo from the metadata service; read without
# starting a process), else from the metadata service itself.
if [[ -r $NET_ENV ]]; then
  # shellcheck source=/dev/null
  . "$NET_ENV"
fi
droplet_id=\${TIERFORM_DROPLET_ID:-}
if [[ -z $droplet_id ]]; then
  droplet_id=$(curl -fsS --connect-timeout 2 --max-time 5 --retry 5 --retry-connrefused --retry-max-time 30 "$METADATA_URL/id") ||
    die "the metadata service did not give this droplet's id ($METADATA_URL/id)"
fi
[[ $droplet_id =~ ^[0-9]+$ ]] || die "the droplet id is not a number: '$droplet_id'"

for ((attempt = 1; ; attempt++)); do
  # Checked at the start for a first attempt that did not wait for the lock: every process started costs time
  # before a failover's call.
  if ((attempt > 1 || waited)) && ! is_master; then
    log "not MASTER any more: leaving $RESERVED_IP where it is"
    exit 0
  fi
  holder=''
  # A run for a new master assigns first and asks later: the status call would cost a round trip to the API
  # before every failover (the IP is elsewhere then, or this run would not be needed). Retries ask first.
  if [[ $TRIGGER == master && $attempt == 1 ]]; then
    status=skipped
  else
    status=$(api GET "/v2/reserved_ips/$RESERVED_IP")
  fi
  if [[ $status == skipped ]]; then
    :
  elif [[ $status == 200 ]]; then
    holder=$(jq -r '.reserved_ip.droplet.id // empty' "$BODY" 2>/dev/null || true)
    if [[ $holder == "$droplet_id" ]]; then
      [[ $TRIGGER == reconcile ]] || log "$RESERVED_IP is already assigned to this droplet ($droplet_id)"
      exit 0
    fi
    if [[ $TRIGGER == reconcile && -n $holder && $NODE_INDEX != 0 ]] && ! peer_answers; then
      log "$RESERVED_IP is on droplet $holder and the peer does not answer over $TUNNEL_INTERFACE (down, or a split brain): node 0 decides"
      exit 0
    fi
  elif [[ $TRIGGER == reconcile ]]; then
    log "status of $RESERVED_IP: HTTP $status $(api_message); trying again on the next run"
    exit 0
  else
    # The status check only saves a call; the assign call below still decides.
    log "status of $RESERVED_IP: HTTP $status $(api_message)"
  fi
  # Still master after the status call (checked above when there was none).
  if [[ $status != skipped ]] && ! is_master; then
    log "not MASTER any more: leaving $RESERVED_IP where it is"
    exit 0
  fi
  status=$(api POST "/v2/reserved_ips/$RESERVED_IP/actions" "{\\"type\\":\\"assign\\",\\"droplet_id\\":$droplet_id}")
  if [[ $status == 2[0-9][0-9] ]]; then
    log "assigned $RESERVED_IP to this droplet ($droplet_id; it was on \${holder:-an unknown or no droplet}), HTTP $status"
    exit 0
  fi
  log "assigning $RESERVED_IP to $droplet_id failed (attempt $attempt/$MAX_ATTEMPTS): HTTP $status $(api_message)"
  case $status in
    401 | 403 | 404) die "HTTP $status cannot be fixed by retrying: check the token in $TOKEN_FILE and the reserved IP" ;;
  esac
  ((attempt < MAX_ATTEMPTS)) || die "giving up after $attempt attempts"
  backoff "$attempt"
done
`;
}

// ---- VXLAN tunnel ----------------------------------------------------------------------------------------

/** Everything `renderTunnelScript` needs. */
export interface TunnelScriptOptions extends VrrpTunnelAddressing {
  /**
   * DNS name of the peer's VPC address (an A record Terraform creates), or a Terraform token text inserted
   * verbatim, e.g. `lb-1.internal.example.com`.
   */
  readonly peerDnsName: string;
  /**
   * VXLAN network identifier (1-16777215); both nodes must use the same.
   * @default 4242
   */
  readonly vni?: number;
  /**
   * UDP port of the VXLAN traffic between the VPC addresses (the Cloud Firewall must allow it from the pair).
   * @default 4789 (IANA)
   */
  readonly udpPort?: number;
  /**
   * MTU of the tunnel interface: the VPC's 1500 less 50 bytes of VXLAN over IPv4 headers.
   * @default 1450
   */
  readonly mtu?: number;
  /**
   * How long `up` keeps trying to resolve `peerDnsName` (the record may appear after this droplet boots).
   * @default 600
   */
  readonly resolveTimeoutSeconds?: number;
}

/**
 * Renders /usr/local/sbin/tierform-vrrp-tunnel (`up` | `down`): the VXLAN link to the peer's VPC address. `up`
 * resolves the peer again on every run and recreates the link when an endpoint changed; otherwise it leaves the
 * running link alone (same interface index, so a running keepalived is not disturbed).
 *
 * The link has no `dev`: the kernel routes the encapsulated packets to the peer like any VPC traffic, so the
 * script need not know the VPC interface's name (eth1 on DigitalOcean droplets today).
 */
export function renderTunnelScript(o: TunnelScriptOptions): string {
  const t = vrrpTunnelAddresses(o);
  const vni = integer('vni', o.vni ?? 4242, 1, 16_777_215);
  const udpPort = port('udpPort', o.udpPort ?? VRRP_TUNNEL_UDP_PORT);
  const mtu = integer('mtu', o.mtu ?? 1450, 576, 9000);
  const resolveSeconds = integer('resolveTimeoutSeconds', o.resolveTimeoutSeconds ?? 600, 1, 86_400);
  return `#!/usr/bin/env bash
# tierform: the VXLAN tunnel ${t.interfaceName} to the HAProxy peer; keepalived's unicast VRRP adverts travel in it
# (DigitalOcean Cloud Firewalls drop VRRP, IP protocol 112, but pass VXLAN, UDP ${udpPort}, from the pair's tag).
# Usage: tierform-vrrp-tunnel up|down. Run by ${VRRP_TUNNEL_UNIT_NAME}; \`up\` resolves the peer again every time.
# Overrides for labs and tests: TIERFORM_NET_ENV (file defining TIERFORM_PRIVATE_IP), TIERFORM_PEER_ADDRESS
# (the peer's VPC address; skips DNS).
set -euo pipefail

readonly LOG_TAG='tierform-vrrp-tunnel'
readonly INTERFACE='${t.interfaceName}'
readonly VNI=${vni}
readonly UDP_PORT=${udpPort}
readonly MTU=${mtu}
readonly TUNNEL_ADDRESS='${t.self}/${t.prefixLength}'
readonly PEER_NAME=${shellWord('peerDnsName', o.peerDnsName)}
readonly RESOLVE_SECONDS=${resolveSeconds}
readonly NET_ENV="\${TIERFORM_NET_ENV:-${NET_ENV_FILE}}"

log() { printf '%s: %s\\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
is_ipv4() { [[ $1 =~ ^[0-9]{1,3}(\\.[0-9]{1,3}){3}$ ]]; }

# Prints the peer's VPC address; retries with a growing pause until RESOLVE_SECONDS have passed.
resolve_peer() {
  if [[ -n \${TIERFORM_PEER_ADDRESS:-} ]]; then
    printf '%s\\n' "$TIERFORM_PEER_ADDRESS"
    return 0
  fi
  local deadline=$((SECONDS + RESOLVE_SECONDS)) pause=1 address
  while :; do
    address=$(getent ahostsv4 "$PEER_NAME" | awk 'NR == 1 { print $1 }' || true)
    if is_ipv4 "$address"; then
      printf '%s\\n' "$address"
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    log "$PEER_NAME does not resolve yet; trying again in \${pause}s"
    # A negative answer cached by the local resolver would outlive the record's creation.
    resolvectl flush-caches >/dev/null 2>&1 || true
    sleep "$((pause < deadline - SECONDS ? pause : deadline - SECONDS))"
    pause=$((pause < 16 ? pause * 2 : 30))
  done
}

# True when the link exists with exactly these endpoints, port, MTU and tunnel address.
link_matches() {
  local local_ip=$1 remote=$2 details
  details=$(ip -d -o link show dev "$INTERFACE" 2>/dev/null) || return 1
  [[ $details == *" mtu $MTU "* &&
    $details == *" vxlan id $VNI remote $remote local $local_ip "* &&
    $details == *" dstport $UDP_PORT "* ]] || return 1
  [[ $(ip -o -4 addr show dev "$INTERFACE" to "$TUNNEL_ADDRESS") == *" inet $TUNNEL_ADDRESS "* ]]
}

up() {
  [[ -r $NET_ENV ]] || die "$NET_ENV is missing (written by tierform-netinfo at boot)"
  # shellcheck source=/dev/null
  . "$NET_ENV"
  local local_ip=\${TIERFORM_PRIVATE_IP:-} remote
  is_ipv4 "$local_ip" || die "TIERFORM_PRIVATE_IP from $NET_ENV is not an IPv4 address: '$local_ip'"
  remote=$(resolve_peer) || die "$PEER_NAME did not resolve within \${RESOLVE_SECONDS}s"
  is_ipv4 "$remote" || die "the peer address is not an IPv4 address: '$remote'"
  [[ $remote != "$local_ip" ]] || die "the peer address $remote is this droplet's own address"

  if link_matches "$local_ip" "$remote"; then
    ip link set dev "$INTERFACE" up
    log "$INTERFACE already up: $local_ip <-> $remote (VNI $VNI)"
    return 0
  fi
  if ip link show dev "$INTERFACE" >/dev/null 2>&1; then
    log "$INTERFACE exists with other settings; recreating it"
    ip link del dev "$INTERFACE"
  fi
  ip link add "$INTERFACE" type vxlan id "$VNI" local "$local_ip" remote "$remote" dstport "$UDP_PORT" nolearning
  ip link set dev "$INTERFACE" mtu "$MTU"
  ip addr add "$TUNNEL_ADDRESS" dev "$INTERFACE"
  ip link set dev "$INTERFACE" up
  log "$INTERFACE up: $local_ip <-> $remote (VNI $VNI, UDP $UDP_PORT), tunnel address $TUNNEL_ADDRESS"
}

down() {
  if ip link show dev "$INTERFACE" >/dev/null 2>&1; then
    ip link del dev "$INTERFACE"
    log "$INTERFACE removed"
  fi
}

case \${1:-} in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac
`;
}

// ---- HAProxy health check --------------------------------------------------------------------------------

/** Where HAProxy answers the pair's health check (a `monitor-uri` on a loopback frontend). */
export interface CheckHaproxyScriptOptions {
  /**
   * Loopback TCP port of HAProxy's health frontend.
   * @default 8405
   */
  readonly port?: number;
  /**
   * Path HAProxy answers with `monitor-uri` (200 healthy, 503 when `monitor fail` matches).
   * @default '/tierform-lb-health'
   */
  readonly path?: string;
}

/**
 * Renders /usr/local/sbin/tierform-check-haproxy, keepalived's `chk_haproxy` (exit 0 = healthy). It asks
 * HAProxy over HTTP on loopback, so a hung HAProxy (process alive, event loop stuck) fails like a dead one.
 */
export function renderCheckHaproxyScript(o: CheckHaproxyScriptOptions = {}): string {
  const healthPort = port('port', o.port ?? LB_HEALTH_PORT);
  const path = urlPath('path', o.path ?? LB_HEALTH_PATH);
  return `#!/usr/bin/env bash
# tierform: keepalived's HAProxy health check (vrrp_script chk_haproxy); exit 0 means healthy.
# HAProxy answers ${path} itself on a loopback frontend (monitor-uri), so a stuck HAProxy fails within
# a second like a dead one; HAProxy answers 503 when no web server is up.
exec curl -fsS -o /dev/null --max-time 1 --noproxy '*' 'http://127.0.0.1:${healthPort}${path}'
`;
}

// ---- HAProxy's state for keepalived (track_file) -------------------------------------------------------

/**
 * Renders /usr/local/sbin/tierform-haproxy-state `started|stopped`: writes 0 or 1 to `HAPROXY_STATE_FILE`, the
 * file keepalived tracks. haproxy.service runs it (`renderHaproxyStateDropIn`): systemd knows the moment HAProxy's
 * main process exits, so a crash reaches keepalived without waiting for the next health check.
 */
export function renderHaproxyStateScript(): string {
  return `#!/usr/bin/env bash
# tierform: tells keepalived whether HAProxy runs (track_file haproxy_stopped reads ${HAPROXY_STATE_FILE}).
# Usage: tierform-haproxy-state started|stopped. haproxy.service runs it (ExecStartPost / ExecStopPost; systemd
# runs ExecStopPost after any exit of the main process: a crash, a kill, a stop).
# Override for labs and tests: TIERFORM_HAPROXY_STATE_FILE.
set -euo pipefail

readonly STATE_FILE="\${TIERFORM_HAPROXY_STATE_FILE:-${HAPROXY_STATE_FILE}}"
case \${1:-} in
  started) value=0 ;;
  stopped) value=1 ;;
  *)
    printf 'usage: %s started|stopped\\n' "$0" >&2
    exit 2
    ;;
esac
[[ -d \${STATE_FILE%/*} ]] || mkdir -p -- "\${STATE_FILE%/*}"
# In place: keepalived reads the file when it is closed after writing (inotify).
printf '%s\\n' "$value" >"$STATE_FILE"
`;
}

/**
 * Renders `HAPROXY_STATE_DROP_IN_PATH`, the drop-in that makes haproxy.service report to keepalived. `-`: a
 * failing report never fails HAProxy's start or stop (the health check still decides within 2 s).
 */
export function renderHaproxyStateDropIn(): string {
  return `# ${HAPROXY_STATE_DROP_IN_PATH} - rendered by tierform; do not edit on the droplet.
# keepalived leaves MASTER the moment HAProxy's main process exits (track_file haproxy_stopped).
[Service]
ExecStartPost=-${HAPROXY_STATE_SCRIPT_PATH} started
ExecStopPost=-${HAPROXY_STATE_SCRIPT_PATH} stopped
`;
}

// ---- systemd ---------------------------------------------------------------------------------------------

/** Renders /etc/systemd/system/tierform-vrrp-tunnel.service: the tunnel, up before keepalived starts. */
export function renderTunnelUnit(): string {
  return `# ${VRRP_TUNNEL_UNIT_PATH} - rendered by tierform; do not edit on the droplet.
[Unit]
Description=tierform VXLAN tunnel to the HAProxy peer (carries keepalived's VRRP)
Documentation=man:ip-link(8)
Wants=network-online.target
After=network-online.target
Before=keepalived.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${VRRP_TUNNEL_SCRIPT_PATH} up
ExecStop=${VRRP_TUNNEL_SCRIPT_PATH} down
# Resolving the peer may take up to its own bound (resolveTimeoutSeconds); this is the outer limit.
TimeoutStartSec=15min

[Install]
WantedBy=multi-user.target
`;
}

/**
 * Renders /etc/systemd/system/keepalived.service.d/10-tierform.conf: keepalived needs the tunnel. Stopping or
 * restarting the tunnel (to re-resolve the peer) stops or restarts keepalived with it. keepalived also needs the
 * directory of HAProxy's state file before it starts (it watches the directory).
 */
export function renderKeepalivedDropIn(): string {
  return `# ${KEEPALIVED_DROP_IN_PATH} - rendered by tierform; do not edit on the droplet.
[Unit]
Requires=${VRRP_TUNNEL_UNIT_NAME}
After=${VRRP_TUNNEL_UNIT_NAME}

[Service]
# keepalived watches ${HAPROXY_STATE_FILE} through its directory (inotify), which must exist when it starts:
# at boot keepalived may start before haproxy.service first writes the file.
ExecStartPre=/bin/mkdir -p ${HAPROXY_STATE_FILE.slice(0, HAPROXY_STATE_FILE.lastIndexOf('/'))}
`;
}

/**
 * Renders /etc/systemd/system/tierform-reserved-ip-reconcile.service: one `reconcile` run of the assign script
 * (a no-op without API calls on the backup; one status call on the master).
 */
export function renderReconcileService(): string {
  return `# ${RECONCILE_SERVICE_PATH} - rendered by tierform; do not edit on the droplet.
[Unit]
Description=tierform: keep the reserved IP on the VRRP master
After=keepalived.service

[Service]
Type=oneshot
ExecStart=${RESERVED_IP_ASSIGN_SCRIPT_PATH} reconcile
TimeoutStartSec=2min
`;
}

/** Options of the reconcile timer. */
export interface ReconcileTimerOptions {
  /**
   * Seconds between reconcile runs: the longest the reserved IP stays on the backup after a split brain heals
   * when keepalived's notify_master_rx_lower_pri did not fire. The master makes one API call per run
   * (240 an hour at 15 s, of the 5,000 an hour the API allows per token).
   * @default 15
   */
  readonly intervalSeconds?: number;
}

/** Renders /etc/systemd/system/tierform-reserved-ip-reconcile.timer (enable this one, not the service). */
export function renderReconcileTimer(o: ReconcileTimerOptions = {}): string {
  const interval = integer('intervalSeconds', o.intervalSeconds ?? 15, 5, 3600);
  return `# ${RECONCILE_TIMER_PATH} - rendered by tierform; do not edit on the droplet.
[Unit]
Description=tierform: keep the reserved IP on the VRRP master every ${interval}s

[Timer]
OnBootSec=1min
OnUnitActiveSec=${interval}s
AccuracySec=1s

[Install]
WantedBy=timers.target
`;
}

// ---- API token -------------------------------------------------------------------------------------------

/**
 * Renders `DO_TOKEN_FILE` (write it 0600 root): the DigitalOcean API token the assign script reads, on one line.
 * `token` is normally the text of a sensitive Terraform variable's token, inserted verbatim.
 */
export function renderApiTokenFile(token: string): string {
  if (token === '' || /\s/.test(token)) {
    refuseSecret('apiToken', 'must be one line without whitespace (a DigitalOcean token or a Terraform reference)');
  }
  return `${token}\n`;
}

// ---- value helpers: refuse only what would break a file's syntax (shared ones in ./guards.ts) ---------------

/** VRRPv3's advert interval: centiseconds in a 12-bit field (0.01 to 40.95 s), written without float noise. */
function advertInterval(value: number): string {
  number('advertIntervalSeconds', value, { min: 0.01, max: 40.95 });
  const centiseconds = Math.round(value * 100);
  if (Math.abs(centiseconds - value * 100) > 1e-6)
    refuse('advertIntervalSeconds', 'must be a multiple of 0.01 s (VRRPv3 counts centiseconds)', value);
  return String(centiseconds / 100);
}

/** keepalived.conf's own special characters, refused in its words besides `word`'s: `!` comments, braces block. */
const KEEPALIVED_SPECIALS = '!{}';

function ifname(value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,14}$/.test(value)) {
    refuse('interfaceName', "must be 1 to 15 letters, digits, '_' or '-', starting with a letter", value);
  }
  return value;
}
