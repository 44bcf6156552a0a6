import rule from '../../../../lib/checks/rules/RateLimiting';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, droplet, nonCompliant, outcome, view } from '../fixtures';

const NGINX = (limits: boolean) => `http {
  ${limits ? 'limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;' : ''}
  server {
    listen 80;
    location / {
      ${limits ? 'limit_req zone=api burst=20 nodelay;' : ''}
      proxy_pass http://127.0.0.1:8000;
    }
  }
}
`;
const HAPROXY = 'defaults\n    mode http\nfrontend http\n    bind :80\n    default_backend web\nbackend web\n    server w1 10.0.0.3:80 check\n';
const file = (path: string, content: string) => cloudConfig({ write_files: [{ path, content }] });

describe('PR-WEB2 RateLimiting', () => {
  test('Noncompliance 1: nginx proxies without limit_req', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: file('/etc/nginx/nginx.conf', NGINX(false)) }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/proxies without limit_req/));
  });

  test('Noncompliance 2: HAProxy in front of the app, and nobody limits requests', () => {
    const v = view({ digitalocean_droplet: { lb: droplet({ user_data: file('/etc/haproxy/haproxy.cfg', HAPROXY) }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(nonCompliant(/frontend http tracks no request rate/));
  });

  test('Compliance: nginx limit_req; HAProxy in front of nginx servers that limit', () => {
    const v = view({
      digitalocean_droplet: {
        web: droplet({ user_data: file('/etc/nginx/nginx.conf', NGINX(true)) }),
        lb: droplet({ user_data: file('/etc/haproxy/haproxy.cfg', HAPROXY) }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.web')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(COMPLIANT);
  });

  test('Compliance: HAProxy tracking request rates itself', () => {
    const tracked = HAPROXY.replace(
      '    default_backend web',
      '    stick-table type ip size 100k expire 30s store http_req_rate(10s)\n    http-request track-sc0 src\n    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }\n    default_backend web',
    );
    const v = view({ digitalocean_droplet: { lb: droplet({ user_data: file('/etc/haproxy/haproxy.cfg', tracked) }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(COMPLIANT);
  });

  test('Not applicable: no proxy', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ packages: ['mariadb-server'] }) }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
