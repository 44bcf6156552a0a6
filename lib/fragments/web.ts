/** The web role: nginx as reverse proxy in front of gunicorn (local socket or an app tier). Pure. */
import { CloudConfigFragment } from '../render/cloud-config';
import { NginxConfOptions, renderNginxConf } from '../render/nginx';
import {
  UPSTREAM_WATCH_SCRIPT,
  UPSTREAM_WATCH_UNIT_NAME,
  UPSTREAM_WATCH_UNIT_PATH,
  UpstreamWatchOptions,
  renderUpstreamWatchScript,
  renderUpstreamWatchUnit,
} from '../render/upstream-watch';

export const NGINX_CONF = '/etc/nginx/nginx.conf';

export function nginxFragment(options: NginxConfOptions): CloudConfigFragment {
  return {
    packages: ['nginx'],
    // Deferred: nginx.conf is a conffile of the nginx package, so it is written after the install.
    files: [{ path: NGINX_CONF, content: renderNginxConf(options), permissions: '0644', defer: true }],
    commands: [
      ['nginx', '-t'],
      ['systemctl', 'enable', 'nginx'],
      ['systemctl', 'restart', 'nginx'],
    ],
  };
}

/**
 * Runtime discovery of the upstream servers (web droplets in front of an app tier): the watcher fills
 * `options.serversFile` before nginx's first start, then keeps it current. Put it before `nginxFragment`.
 */
export function upstreamWatchFragment(options: UpstreamWatchOptions): CloudConfigFragment {
  return {
    files: [
      { path: UPSTREAM_WATCH_SCRIPT, content: renderUpstreamWatchScript(options), permissions: '0755' },
      { path: UPSTREAM_WATCH_UNIT_PATH, content: renderUpstreamWatchUnit(), permissions: '0644' },
    ],
    // `boot` fills the servers file before nginx -t; the service reloads nginx only once nginx is active.
    commands: [
      [UPSTREAM_WATCH_SCRIPT, 'boot'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', UPSTREAM_WATCH_UNIT_NAME],
    ],
  };
}
