import rule from '../../../../lib/checks/rules/Backups';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-BAK1 Backups', () => {
  test('Noncompliance 1: a database droplet with data on a volume and no backups (seed 003 #12)', () => {
    const v = view({
      digitalocean_droplet: {
        db: droplet({ name: 'db', volume_ids: ['${digitalocean_volume.data.id}'], user_data: cloudConfig({ packages: ['mariadb-server'] }) }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.db')).toEqual(nonCompliant(/db holds data on a volume but has neither/));
  });

  test('Noncompliance 2: a database container with nothing dumping it', () => {
    const v = view({ docker_container: { db: container({ image: 'mariadb:11.4' }) } });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(nonCompliant(/has no dump job/));
  });

  test('Compliance: DigitalOcean backups; a cron dump; a dump container; a managed database', () => {
    const cron = '0 3 * * * root mysqldump --single-transaction app | gzip > /backups/app.sql.gz\n';
    const v = view({
      digitalocean_droplet: {
        a: droplet({ backups: true, user_data: cloudConfig({ packages: ['mysql-server'] }) }),
        b: droplet({ user_data: cloudConfig({ packages: ['mysql-server'], write_files: [{ path: '/etc/cron.d/dump', content: cron }] }) }),
      },
      docker_container: {
        db: container({ image: 'mariadb:11.4' }),
        dump: container({
          image: 'mariadb:11.4-ubi',
          command: ['sh', '-c', 'while sleep 86400; do mariadb-dump -h db app > /backups/app.sql; done'],
        }),
      },
      digitalocean_database_cluster: { m: { engine: 'mysql' } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.a')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.b')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'docker_container.db')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_database_cluster.m')).toEqual(COMPLIANT);
  });

  test('Not applicable: stateless droplets and containers', () => {
    const v = view({
      digitalocean_droplet: { web: droplet({ user_data: cloudConfig({ packages: ['nginx'] }) }) },
      docker_container: { c: container({ image: 'nginx:1.27' }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.web')).toEqual(NOT_APPLICABLE);
    expect(outcome(rule, v, 'docker_container.c')).toEqual(NOT_APPLICABLE);
  });
});
