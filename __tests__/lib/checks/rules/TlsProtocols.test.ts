import rule from '../../../../lib/checks/rules/TlsProtocols';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, droplet, nonCompliant, outcome, view } from '../fixtures';
import { haproxyCfg } from './_tls';

const with_ = (path: string, content: string) =>
  view({ digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path, content }] }) }) } });

describe('PR-TLS2 TlsProtocols', () => {
  test('Noncompliance 1: nginx enables TLS 1.0 and 1.1, tickets on', () => {
    const v = with_('/etc/nginx/nginx.conf', 'server { listen 443 ssl; ssl_protocols TLSv1 TLSv1.1 TLSv1.2; location / { proxy_pass http://a; } }\n');
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/ssl_protocols enables TLSv1, TLSv1\.1/, /session tickets are on/));
  });

  test('Noncompliance 2: HAProxy states no minimum version', () => {
    const v = with_('/etc/haproxy/haproxy.cfg', haproxyCfg({ tls: true, options: 'no-tls-tickets' }));
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/minimum TLS version is not stated/));
  });

  test('Noncompliance 3: HAProxy allows TLS 1.0', () => {
    const v = with_('/etc/haproxy/haproxy.cfg', haproxyCfg({ tls: true, options: 'ssl-min-ver TLSv1.0 no-tls-tickets' }));
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/minimum TLS version TLSv1\.0/));
  });

  test('Compliance: Mozilla intermediate (HAProxy), TLS 1.3 only with tickets off (nginx, seed 000)', () => {
    expect(outcome(rule, with_('/etc/haproxy/haproxy.cfg', haproxyCfg({ tls: true })), 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    const nginx = 'server { listen 443 ssl; ssl_protocols TLSv1.3; ssl_session_tickets off; location / { proxy_pass http://a; } }\n';
    expect(outcome(rule, with_('/etc/nginx/conf.d/site.conf', nginx), 'digitalocean_droplet.d')).toEqual(COMPLIANT);
  });

  test('Not applicable: no TLS anywhere', () => {
    expect(outcome(rule, with_('/etc/haproxy/haproxy.cfg', haproxyCfg()), 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
