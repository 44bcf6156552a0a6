import rule from '../../../../lib/checks/rules/HealthChecks';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

const cfg = (backend: string) => `defaults\n    mode http\nfrontend http\n    bind :80\n    default_backend web\nbackend web\n${backend}`;
const lb = (content: string) => droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/haproxy/haproxy.cfg', content }] }) });

describe('PR-HC1 HealthChecks', () => {
  test('Noncompliance 1: containers without a healthcheck (seed 003 #8)', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container({ healthcheck: undefined }), d: container({ healthcheck: { test: ['NONE'] } }) },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/has no healthcheck/));
    expect(outcome(rule, v, 'docker_container.d')).toEqual(nonCompliant(/has no healthcheck/));
  });

  test('Noncompliance 2: an HAProxy backend whose servers are never checked', () => {
    const v = view({ digitalocean_droplet: { lb: lb(cfg('    option httpchk\n    server w1 10.0.0.3:80\n    server w2 10.0.0.4:80 check\n')) } });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(nonCompliant(/backend web: w1 is never checked/));
  });

  test('Noncompliance 3: nginx upstream with passive checks off; a load balancer without healthcheck', () => {
    const nginx =
      'upstream app { server 10.0.0.5:8000 max_fails=0; server 10.0.0.6:8000; }\nserver { listen 80; location / { proxy_pass http://app; } }\n';
    const v = view({
      digitalocean_droplet: { web: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/nginx/conf.d/app.conf', content: nginx }] }) }) },
      digitalocean_loadbalancer: { l: { name: 'lb', forwarding_rule: [] } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.web')).toEqual(nonCompliant(/max_fails=0/));
    expect(outcome(rule, v, 'digitalocean_loadbalancer.l')).toEqual(nonCompliant(/no healthcheck block/));
  });

  test('Not applicable: a one-shot container (a migration job that runs to completion)', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: {
        job: container({ healthcheck: undefined, must_run: false, restart: 'no' }),
        svc: container({ healthcheck: undefined, must_run: false, restart: 'unless-stopped' }),
      },
    });
    expect(outcome(rule, v, 'docker_container.job')).toEqual(NOT_APPLICABLE);
    expect(outcome(rule, v, 'docker_container.svc')).toEqual(nonCompliant(/has no healthcheck/));
  });

  test('Compliance: checked servers (also discovered by server-template), container and LB checks', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container() },
      digitalocean_droplet: { lb: lb(cfg('    option httpchk\n    server-template web 1-10 _http._tcp.web.internal resolvers vpc check\n')) },
      digitalocean_loadbalancer: { l: { name: 'lb', healthcheck: { protocol: 'http', port: 80, path: '/health' } } },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_loadbalancer.l')).toEqual(COMPLIANT);
  });

  test('Not applicable: a droplet that proxies nothing', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ packages: ['mariadb-server'] }) }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
