/** The load balancer role: HAProxy with HTTP health checks, stats on the VPC address only. Pure. */
import { NET_ENV_FILE } from '../render/base';
import { CloudConfigFragment } from '../render/cloud-config';
import { HAPROXY_CFG_PATH, HAPROXY_DROP_IN_PATH, HaproxyConfigOptions, renderHaproxyCfg, renderHaproxyDropIn } from '../render/haproxy';

export function haproxyFragment(options: HaproxyConfigOptions): CloudConfigFragment {
  return {
    packages: ['haproxy'],
    files: [
      // Deferred: haproxy.cfg is a conffile of the haproxy package, so it is written after the install.
      { path: HAPROXY_CFG_PATH, content: renderHaproxyCfg(options), permissions: '0644', defer: true },
      { path: HAPROXY_DROP_IN_PATH, content: renderHaproxyDropIn(), permissions: '0644' },
    ],
    commands: [
      ['sh', '-c', `set -a && . ${NET_ENV_FILE} && haproxy -c -q -f ${HAPROXY_CFG_PATH}`],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', 'haproxy'],
      ['systemctl', 'restart', 'haproxy'],
    ],
  };
}
