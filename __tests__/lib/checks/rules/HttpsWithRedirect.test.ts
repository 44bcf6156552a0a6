import rule from '../../../../lib/checks/rules/HttpsWithRedirect';
import { COMPLIANT, NOT_APPLICABLE, WEB_TAG, cloudConfig, container, droplet, firewall, nonCompliant, outcome, view } from '../fixtures';
import { haproxyCfg } from './_tls';

const ANY = ['0.0.0.0/0', '::/0'];
const lb = (cfg: string) =>
  droplet({ user_data: cloudConfig({ packages: ['haproxy'], write_files: [{ path: '/etc/haproxy/haproxy.cfg', content: cfg }] }) });

describe('PR-TLS1 HttpsWithRedirect', () => {
  test('Noncompliance 1: a public load balancer on plain HTTP (seed 003 #7)', () => {
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { lb: lb(haproxyCfg()) },
      digitalocean_firewall: { f: firewall([['tcp', '80', ANY]]) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(nonCompliant(/serves plain HTTP/));
  });

  test('Noncompliance 2: TLS without the HTTP redirect, and a firewall that forgets 443', () => {
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { lb: lb(haproxyCfg({ tls: true, redirect: false })) },
      digitalocean_firewall: { f: firewall([['tcp', '80', ANY]]) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(nonCompliant(/does not answer with a redirect/));
    const v2 = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { lb: lb(haproxyCfg({ tls: true })) },
      digitalocean_firewall: { f: firewall([['tcp', '80', ANY]]) },
    });
    expect(outcome(rule, v2, 'digitalocean_droplet.lb')).toEqual(nonCompliant(/does not admit tcp\/443/));
  });

  test('Noncompliance 3: a nginx container publishing only port 80; a droplet without any firewall', () => {
    const v = view({
      docker_container: { proxy: container({ image: 'nginx:1.27', ports: [{ internal: 80, external: 80 }] }) },
      digitalocean_droplet: { www: droplet({ tags: [], user_data: cloudConfig({ packages: ['nginx'] }) }) },
    });
    expect(outcome(rule, v, 'docker_container.proxy')).toEqual(nonCompliant(/publishes HTTP only/));
    expect(outcome(rule, v, 'digitalocean_droplet.www')).toEqual(nonCompliant(/serves plain HTTP/));
  });

  test('Compliance: HAProxy terminating TLS with the redirect; nginx with listen 443 ssl and return 301', () => {
    const nginx =
      'server { listen 80; return 301 https://$host$request_uri; }\nserver { listen 443 ssl; ssl_certificate /etc/ssl/site.pem; location / { proxy_pass http://app:8000; } }\n';
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { lb: lb(haproxyCfg({ tls: true })) },
      digitalocean_firewall: {
        f: firewall([
          ['tcp', '80', ANY],
          ['tcp', '443', ANY],
        ]),
      },
      docker_container: {
        proxy: container({
          image: 'nginx:1.27',
          ports: [
            { internal: 80, external: 80 },
            { internal: 443, external: 443 },
          ],
          upload: [{ file: '/etc/nginx/conf.d/site.conf', content: nginx }],
        }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'docker_container.proxy')).toEqual(COMPLIANT);
  });

  test('Not applicable: web servers behind the load balancer (no public port)', () => {
    const v = view({
      digitalocean_tag: WEB_TAG,
      digitalocean_droplet: { web: lb(haproxyCfg()) },
      digitalocean_firewall: { f: firewall([['tcp', '80', ['10.0.0.0/8']]]) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.web')).toEqual(NOT_APPLICABLE);
  });
});
