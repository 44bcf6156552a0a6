/**
 * The failover role of an HAProxy pair (pure): keepalived with unicast VRRP inside a VXLAN tunnel, and the
 * scripts that move the DigitalOcean reserved IP to the master through the API.
 *
 * Why a tunnel: DigitalOcean Cloud Firewalls pass only tcp, udp and icmp, so VRRP (IP protocol 112) between
 * the two droplets would be dropped silently and both would turn master. The tunnel is VXLAN over udp/4789,
 * which the pair's firewall admits from the pair's own tag.
 */
import { CloudConfigFragment } from '../render/cloud-config';
import {
  CHECK_HAPROXY_SCRIPT_PATH,
  DO_TOKEN_FILE,
  HAPROXY_STATE_DROP_IN_PATH,
  HAPROXY_STATE_SCRIPT_PATH,
  KEEPALIVED_CONF_PATH,
  KEEPALIVED_DROP_IN_PATH,
  LB_HEALTH_PATH,
  LB_HEALTH_PORT,
  RECONCILE_SERVICE_PATH,
  RECONCILE_TIMER_NAME,
  RECONCILE_TIMER_PATH,
  RESERVED_IP_ASSIGN_SCRIPT_PATH,
  VRRP_TUNNEL_SCRIPT_PATH,
  VRRP_TUNNEL_UNIT_NAME,
  VRRP_TUNNEL_UDP_PORT,
  VRRP_TUNNEL_UNIT_PATH,
  renderApiTokenFile,
  renderCheckHaproxyScript,
  renderHaproxyStateDropIn,
  renderHaproxyStateScript,
  renderKeepalivedConf,
  renderKeepalivedDropIn,
  renderReconcileService,
  renderReconcileTimer,
  renderReservedIpAssignScript,
  renderTunnelScript,
  renderTunnelUnit,
} from '../render/keepalived';

// Re-exported for constructs/haproxy-pair.ts, which imports them from here (defined with their renderer).

export interface KeepalivedRoleOptions {
  readonly nodeIndex: 0 | 1;
  /** keepalived's router_id, e.g. the droplet name. */
  readonly routerId: string;
  /** The reserved IP (a reference). */
  readonly reservedIp: string;
  /** DNS name of the other node's VPC address. */
  readonly peerDnsName: string;
  /** The DigitalOcean API token (a reference to a sensitive variable): written root-only. */
  readonly apiToken: string;
  readonly virtualRouterId: number;
}

export function keepalivedFragment(o: KeepalivedRoleOptions): CloudConfigFragment {
  const tunnel = { nodeIndex: o.nodeIndex };
  return {
    packages: ['keepalived', 'jq', 'curl'],
    files: [
      { path: DO_TOKEN_FILE, content: renderApiTokenFile(o.apiToken), permissions: '0600' },
      {
        path: VRRP_TUNNEL_SCRIPT_PATH,
        content: renderTunnelScript({ ...tunnel, peerDnsName: o.peerDnsName, udpPort: VRRP_TUNNEL_UDP_PORT }),
        permissions: '0755',
      },
      { path: VRRP_TUNNEL_UNIT_PATH, content: renderTunnelUnit(), permissions: '0644' },
      { path: CHECK_HAPROXY_SCRIPT_PATH, content: renderCheckHaproxyScript({ port: LB_HEALTH_PORT, path: LB_HEALTH_PATH }), permissions: '0755' },
      // haproxy.service tells keepalived at once when HAProxy's main process exits (vrrp_track_file).
      { path: HAPROXY_STATE_SCRIPT_PATH, content: renderHaproxyStateScript(), permissions: '0755' },
      { path: HAPROXY_STATE_DROP_IN_PATH, content: renderHaproxyStateDropIn(), permissions: '0644' },
      { path: RESERVED_IP_ASSIGN_SCRIPT_PATH, content: renderReservedIpAssignScript({ ...tunnel, reservedIp: o.reservedIp }), permissions: '0755' },
      // Deferred: keepalived.conf is written after the package install, like the other daemons' configs.
      {
        path: KEEPALIVED_CONF_PATH,
        content: renderKeepalivedConf({ ...tunnel, routerId: o.routerId, virtualRouterId: o.virtualRouterId }),
        permissions: '0644',
        defer: true,
      },
      { path: KEEPALIVED_DROP_IN_PATH, content: renderKeepalivedDropIn(), permissions: '0644' },
      { path: RECONCILE_SERVICE_PATH, content: renderReconcileService(), permissions: '0644' },
      { path: RECONCILE_TIMER_PATH, content: renderReconcileTimer(), permissions: '0644' },
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', VRRP_TUNNEL_UNIT_NAME],
      ['systemctl', 'enable', 'keepalived'],
      ['systemctl', 'restart', 'keepalived'],
      ['systemctl', 'enable', '--now', RECONCILE_TIMER_NAME],
    ],
  };
}
