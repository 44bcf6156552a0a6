import rule from '../../../../lib/checks/rules/DedicatedDatabaseUser';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-DB1 DedicatedDatabaseUser', () => {
  test('Noncompliance 1: the MariaDB container has only root (seed 003 #3)', () => {
    const v = view({
      docker_container: {
        db: container({ image: 'mariadb:10-focal', env: ['MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password', 'MYSQL_DATABASE=example'] }),
      },
    });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(nonCompliant(/creates no app account/));
  });

  test('Noncompliance 2: the app connects as root', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { app: container({ env: ['DB_USER=root', 'DATABASE_URL=mysql+pymysql://root:${var.p}@db/app'] }) },
    });
    expect(outcome(rule, v, 'docker_container.app')).toEqual(nonCompliant(/connects as root \(DB_USER=root\)/, /database URL connects as root/));
  });

  test('Noncompliance 3: a database droplet with no app account, and one granting ALL ON *.*', () => {
    const v = view({
      digitalocean_droplet: {
        none: droplet({ user_data: cloudConfig({ packages: ['mariadb-server'] }) }),
        all: droplet({
          user_data:
            "#!/bin/bash\napt-get install -y mysql-server\nmysql -e \"CREATE USER 'app'@'%' IDENTIFIED BY '$${P}'; GRANT ALL PRIVILEGES ON *.* TO 'app'@'%'\"\n",
        }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.none')).toEqual(nonCompliant(/no dedicated app account/));
    expect(outcome(rule, v, 'digitalocean_droplet.all')).toEqual(nonCompliant(/app is granted ALL PRIVILEGES ON \*\.\*/));
  });

  test('Compliance: MYSQL_USER set; a droplet granting one database; an app using its account; a replica', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: {
        db: container({ image: 'mariadb:11.4', env: ['MYSQL_USER=app', 'MYSQL_PASSWORD=${var.p}'] }),
        app: container({ env: ['DB_USER=app'] }),
      },
      digitalocean_droplet: {
        primary: droplet({
          user_data:
            "#!/bin/bash\napt-get install -y mysql-server\nmysql -e \"CREATE USER 'app'@'10.%' IDENTIFIED BY '$${P}'; GRANT SELECT, INSERT, UPDATE, DELETE ON app.* TO 'app'@'10.%'\"\n",
        }),
        replica: droplet({
          user_data: '#!/bin/bash\napt-get install -y mysql-server\nmysql -e "CHANGE REPLICATION SOURCE TO SOURCE_HOST=\'10.0.0.2\'"\n',
        }),
      },
    });
    for (const a of ['docker_container.db', 'docker_container.app', 'digitalocean_droplet.primary', 'digitalocean_droplet.replica'])
      expect(outcome(rule, v, a)).toEqual(COMPLIANT);
  });

  test('Not applicable: a proxy', () => {
    const v = view({ docker_container: { proxy: container({ image: 'nginx:1.27-alpine' }) } });
    expect(outcome(rule, v, 'docker_container.proxy')).toEqual(NOT_APPLICABLE);
  });
});
