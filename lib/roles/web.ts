/** The web role: nginx as reverse proxy in front of gunicorn (local socket or an app tier). Pure. */
import { CloudConfigFragment } from '../render/cloud-config';
import { NginxConfOptions, renderNginxConf } from '../render/nginx';

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
