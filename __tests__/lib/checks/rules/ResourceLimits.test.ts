import rule from '../../../../lib/checks/rules/ResourceLimits';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-RES1 ResourceLimits', () => {
  test('Noncompliance 1: a container without memory (seed 003 #4)', () => {
    const v = view({ docker_image: APP_IMAGE, docker_container: { c: container({ memory: undefined }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/container app has no memory limit/));
  });

  test('Noncompliance 2: a systemd unit running gunicorn without MemoryMax', () => {
    const unit = '[Service]\nExecStart=/usr/bin/gunicorn app:app\n';
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/systemd/system/app.service', content: unit }] }) }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/app\.service runs the app without MemoryMax/));
  });

  test('Noncompliance 3: the app started from the boot script; docker run without --memory', () => {
    const v = view({
      digitalocean_droplet: {
        d: droplet({ user_data: '#!/bin/bash\nnohup python3 /opt/app/app.py > /var/log/app.log 2>&1 &\ndocker run -d -p 80:80 nginx:1.27\n' }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/started from a boot script/, /docker run` without --memory/));
  });

  test('Compliance: MemoryMax on the unit; memory on the container', () => {
    const unit = '[Service]\nExecStart=/usr/bin/gunicorn app:app\nMemoryMax=1024M\n';
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container() },
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/systemd/system/app.service', content: unit }] }) }) },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
  });

  test('Not applicable: a droplet that runs no app', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ packages: ['haproxy'] }) }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
