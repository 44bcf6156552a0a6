import rule from '../../../../lib/checks/rules/ContainerPortsNotPublished';
import { COMPLIANT, NOT_APPLICABLE, container, nonCompliant, outcome, view } from '../fixtures';

describe('PR-NET1 ContainerPortsNotPublished', () => {
  test('Noncompliance 1: the backend publishes 8000:8000 (seed 003 #2)', () => {
    const v = view({ docker_container: { c: container({ ports: [{ internal: 8000, external: 8000 }] }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/container port 8000\/tcp on 0\.0\.0\.0:8000/));
  });

  test('Noncompliance 2: the database publishes 5432 (seed 000\u2019s simple setup)', () => {
    const v = view({ docker_container: { db: container({ image: 'postgres:16.4', ports: [{ internal: 5432, external: 5432, ip: '0.0.0.0' }] }) } });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(nonCompliant(/5432/));
  });

  test('Noncompliance 3: publish_all_ports and host networking', () => {
    const v = view({ docker_container: { a: container({ publish_all_ports: true }), b: container({ network_mode: 'host' }) } });
    expect(outcome(rule, v, 'docker_container.a')).toEqual(nonCompliant(/publish_all_ports/));
    expect(outcome(rule, v, 'docker_container.b')).toEqual(nonCompliant(/network_mode "host"/));
  });

  test('Noncompliance 4: a port without an external one is still published (random host port)', () => {
    const v = view({ docker_container: { c: container({ ports: [{ internal: 3306 }] }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/3306\/tcp on 0\.0\.0\.0:\(random\)/));
  });

  test('Compliance: the proxy publishes 80/443, the backend binds loopback, the db publishes nothing', () => {
    const v = view({
      docker_container: {
        proxy: container({
          image: 'nginx:1.27-alpine',
          ports: [
            { internal: 80, external: 80 },
            { internal: 443, external: 443 },
          ],
        }),
        app: container({ ports: [{ internal: 8000, external: 8000, ip: '127.0.0.1' }] }),
        db: container({ image: 'mariadb:11.4' }),
      },
    });
    for (const c of ['proxy', 'app', 'db']) expect(outcome(rule, v, `docker_container.${c}`)).toEqual(COMPLIANT);
  });

  test('Not applicable: droplets', () => {
    const v = view({ digitalocean_droplet: { d: { name: 'x' } } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
