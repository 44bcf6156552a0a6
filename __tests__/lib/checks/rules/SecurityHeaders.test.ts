import rule from '../../../../lib/checks/rules/SecurityHeaders';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, droplet, nonCompliant, outcome, view } from '../fixtures';
import { HEADERS, haproxyCfg } from './_tls';

const with_ = (path: string, content: string) =>
  view({ digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path, content }] }) }) } });

describe('PR-HDR1 SecurityHeaders', () => {
  test('Noncompliance 1: TLS without any header', () => {
    const v = with_('/etc/haproxy/haproxy.cfg', haproxyCfg({ tls: true, headers: [] }));
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(
      nonCompliant(
        /no Strict-Transport-Security/,
        /X-Content-Type-Options/,
        /X-Frame-Options/,
        /Referrer-Policy/,
        /Permissions-Policy/,
        /Content-Security-Policy/,
      ),
    );
  });

  test('Noncompliance 2: HSTS below six months (nginx)', () => {
    const nginx = `server { listen 443 ssl; add_header Strict-Transport-Security "max-age=300" always; add_header X-Content-Type-Options nosniff; add_header X-Frame-Options DENY; add_header Referrer-Policy no-referrer; add_header Permissions-Policy "camera=()"; add_header Content-Security-Policy "default-src 'self'"; }\n`;
    expect(outcome(rule, with_('/etc/nginx/conf.d/site.conf', nginx), 'digitalocean_droplet.d')).toEqual(nonCompliant(/max-age below six months/));
  });

  test('Compliance: seed 000\u2019s headers; frame-ancestors standing in for X-Frame-Options', () => {
    expect(outcome(rule, with_('/etc/haproxy/haproxy.cfg', haproxyCfg({ tls: true })), 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    const noXfo = HEADERS.filter((h) => !/X-Frame-Options/.test(h));
    expect(outcome(rule, with_('/etc/haproxy/haproxy.cfg', haproxyCfg({ tls: true, headers: noXfo })), 'digitalocean_droplet.d')).toEqual(COMPLIANT);
  });

  test('Not applicable: plain HTTP (PR-TLS1 reports that)', () => {
    expect(outcome(rule, with_('/etc/haproxy/haproxy.cfg', haproxyCfg()), 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
