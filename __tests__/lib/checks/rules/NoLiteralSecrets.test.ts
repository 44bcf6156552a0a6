import rule from '../../../../lib/checks/rules/NoLiteralSecrets';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-SEC1 NoLiteralSecrets', () => {
  test('Noncompliance 1: MYSQL_ROOT_PASSWORD literal in a container', () => {
    const v = view({ docker_container: { db: container({ image: 'mariadb:11.4', env: ['MYSQL_ROOT_PASSWORD=hunter2', 'MYSQL_DATABASE=app'] }) } });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(nonCompliant(/MYSQL_ROOT_PASSWORD has a literal value/));
  });

  test('Noncompliance 2: a literal in an env file, an SQL account and a mysql command line', () => {
    const userData = cloudConfig({
      write_files: [{ path: '/etc/app.env', content: 'DB_PASSWORD=s3cret\n' }],
      runcmd: ["mysql -uroot -e \"CREATE USER 'app'@'%' IDENTIFIED BY 'hunter2'\"", 'mysqldump -u root -phunter2 app > /root/app.sql'],
    });
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: userData }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/DB_PASSWORD is assigned a literal value/, /IDENTIFIED BY/, /MySQL command line/),
    );
  });

  test('Noncompliance 3: an API token in a shell script', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: '#!/bin/bash\nexport DO_TOKEN=dop_v1_abcdef\n' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/DO_TOKEN/));
  });

  test("Noncompliance 4: seed 003's db/password.txt, uploaded as the Docker secret file the containers read", () => {
    const secret = { file: '/run/secrets/db-password', content: 'db-78n9n' };
    const v = view({
      docker_container: {
        db: container({ image: 'mariadb:10-focal', env: ['MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password'], upload: [secret] }),
        app: container({ upload: [secret, { file: '/app/.env', content: 'FLASK_ENV=production\nDB_PASSWORD=db-78n9n\n' }] }),
      },
    });
    expect(outcome(rule, v, 'docker_container.db')).toEqual(nonCompliant(/file \/run\/secrets\/db-password holds a literal secret/));
    expect(outcome(rule, v, 'docker_container.app')).toEqual(
      nonCompliant(/file \/run\/secrets\/db-password holds a literal secret/, /uploaded file \/app\/\.env: DB_PASSWORD is assigned a literal value/),
    );
  });

  test('Noncompliance 5: a droplet writes a token file and a private key with their values', () => {
    const userData = cloudConfig({
      write_files: [
        { path: '/etc/app/api-token', content: 'dop_v1_abcdef\n' },
        { path: '/etc/ssl/private/site.pem', content: '-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n' },
      ],
    });
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: userData }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/file \/etc\/app\/api-token holds a literal secret/, /file \/etc\/ssl\/private\/site\.pem holds a literal secret/),
    );
  });

  test('Compliance: secret files filled from variables, and public files under secret-looking names', () => {
    const userData = cloudConfig({
      write_files: [
        { path: '/run/secrets/db-password', content: '${base64decode(base64encode(var.db_password))}' },
        { path: '/etc/tierform/secrets.env', content: "DB_PASSWORD_B64='${base64encode(var.db_password)}'\n" },
        { path: '/etc/ssl/certs/site.pem', content: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n' },
      ],
    });
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: userData }) },
      docker_container: { db: container({ image: 'mariadb:11.4', upload: [{ file: '/run/secrets/db-password', content: '${var.db_password}' }] }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'docker_container.db')).toEqual(COMPLIANT);
  });

  test('Compliance: values from variables, read at boot, or from *_FILE', () => {
    const userData = cloudConfig({
      write_files: [
        {
          path: '/etc/app.env',
          content: "DB_PASSWORD_B64='${base64encode(var.db_password)}'\nAPI_TOKEN=$(cat /run/secrets/token)\nSECRET=$${SECRET_FROM_ENV}\n",
        },
      ],
      runcmd: ["mysql -e \"CREATE USER 'app'@'%' IDENTIFIED BY '$${PASSWORD}'\""],
    });
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: userData }) },
      docker_container: {
        db: container({ image: 'mariadb:11.4', env: ['MYSQL_ROOT_PASSWORD_FILE=/run/secrets/root', 'MYSQL_PASSWORD=${var.db_password}'] }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'docker_container.db')).toEqual(COMPLIANT);
  });

  test('Not applicable: firewalls, tags', () => {
    const v = view({ digitalocean_tag: { t: { name: 'x' } } });
    expect(outcome(rule, v, 'digitalocean_tag.t')).toEqual(NOT_APPLICABLE);
  });
});
