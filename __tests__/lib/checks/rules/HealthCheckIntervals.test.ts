import rule, { durationMs } from '../../../../lib/checks/rules/HealthCheckIntervals';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

const hc = (interval: string, timeout = '2s') => ({ test: ['CMD', 'healthcheck.sh', '--connect'], interval, timeout, retries: 3 });

describe('PR-HC2 HealthCheckIntervals', () => {
  test('durations: Docker (1m30s) and HAProxy (2s, bare milliseconds)', () => {
    expect([durationMs('1m30s'), durationMs('500ms'), durationMs('2s', 1), durationMs('500', 1), durationMs('soon')]).toEqual([
      90000,
      500,
      2000,
      500,
      undefined,
    ]);
  });

  test('Noncompliance 1: the database checked every 3 s (seed 003 #9)', () => {
    const v = view({ docker_container: { db: container({ image: 'mariadb:11.4', healthcheck: hc('3s') }) } });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(nonCompliant(/healthcheck interval 3s \(use 5s to 5m\)/));
  });

  test('Noncompliance 2: a timeout longer than the interval', () => {
    const v = view({ docker_image: APP_IMAGE, docker_container: { c: container({ healthcheck: hc('10s', '30s') }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/timeout 30s is longer than its interval/));
  });

  test('Noncompliance 3: HAProxy checking every 200 ms; a load balancer every second', () => {
    const cfg = 'backend web\n    default-server inter 200ms fall 3\n    server w 10.0.0.2:80 check\n';
    const v = view({
      digitalocean_droplet: { lb: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/haproxy/haproxy.cfg', content: cfg }] }) }) },
      digitalocean_loadbalancer: { l: { healthcheck: { check_interval_seconds: 1 } } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(nonCompliant(/every 200ms/));
    expect(outcome(rule, v, 'digitalocean_loadbalancer.l')).toEqual(nonCompliant(/every 1 s/));
  });

  test('Compliance: 10 s / 5 s for the database, HAProxy every 2 s', () => {
    const cfg = 'backend web\n    default-server inter 2s fall 3\n    server w 10.0.0.2:80 check\n';
    const v = view({
      docker_container: { db: container({ image: 'mariadb:11.4', healthcheck: hc('10s', '5s') }) },
      digitalocean_droplet: { lb: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/haproxy/haproxy.cfg', content: cfg }] }) }) },
    });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.lb')).toEqual(COMPLIANT);
  });

  test('Not applicable: no health check configured (PR-HC1 reports that)', () => {
    const v = view({ docker_container: { c: container({ healthcheck: undefined }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(NOT_APPLICABLE);
  });
});
