/** The load balancer role: HAProxy with HTTP health checks, stats on the VPC address only. Pure. */
import { CloudConfigFragment } from '../render/cloud-config';
import { HaproxyConfigOptions, renderHaproxyCfg } from '../render/haproxy';
import { NET_ENV_FILE } from './base';

export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg';
export const HAPROXY_DROPIN = '/etc/systemd/system/haproxy.service.d/60-tierform.conf';

/** Gives haproxy.service this droplet's addresses (TIERFORM_PRIVATE_IP for the stats bind). */
export function renderHaproxyDropIn(): string {
  return `# tierform: HAProxy expands "\${TIERFORM_PRIVATE_IP}" in haproxy.cfg from this environment file
[Service]
EnvironmentFile=${NET_ENV_FILE}
`;
}

export function haproxyFragment(options: HaproxyConfigOptions): CloudConfigFragment {
  return {
    packages: ['haproxy'],
    files: [
      // Deferred: haproxy.cfg is a conffile of the haproxy package, so it is written after the install.
      { path: HAPROXY_CFG, content: renderHaproxyCfg(options), permissions: '0644', defer: true },
      { path: HAPROXY_DROPIN, content: renderHaproxyDropIn(), permissions: '0644' },
    ],
    commands: [
      ['sh', '-c', `set -a && . ${NET_ENV_FILE} && haproxy -c -q -f ${HAPROXY_CFG}`],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', 'haproxy'],
      ['systemctl', 'restart', 'haproxy'],
    ],
  };
}
