import rule from '../../../../lib/checks/rules/ConfigFromEnvFiles';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, droplet, nonCompliant, outcome, view } from '../fixtures';

const unit = (body: string) =>
  cloudConfig({
    write_files: [{ path: '/etc/systemd/system/app.service', content: `[Service]\n${body}ExecStart=/usr/bin/gunicorn app:app\nMemoryMax=512M\n` }],
  });

describe('PR-CFG1 ConfigFromEnvFiles', () => {
  test('Noncompliance 1: settings inline in the unit (seed 003 #15)', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: unit('Environment="DB_NAME=production_db" "DB_USER=app"\n') }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/sets DB_NAME, DB_USER inline/));
  });

  test('Noncompliance 2: a boot script exporting settings to the app', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: '#!/bin/bash\nexport DB_NAME=production_db\nnohup gunicorn app:app &\n' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/exports DB_NAME/));
  });

  test('Compliance: an EnvironmentFile; only harmless inline settings', () => {
    const v = view({
      digitalocean_droplet: {
        a: droplet({ user_data: unit('EnvironmentFile=/etc/app.env\nEnvironment=PYTHONUNBUFFERED=1\n') }),
        b: droplet({ user_data: unit('Environment=PYTHONUNBUFFERED=1\n') }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.a')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.b')).toEqual(COMPLIANT);
  });

  test('Not applicable: no app on the droplet; containers', () => {
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ packages: ['haproxy'] }) }) },
      docker_container: { c: { name: 'c', image: 'x:1' } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
    expect(outcome(rule, v, 'docker_container.c')).toEqual(NOT_APPLICABLE);
  });
});
