import rule from '../../../../lib/checks/rules/LogRotation';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-LOG1 LogRotation', () => {
  test("Noncompliance 1: Docker's default json-file driver without max-size (seed 003 #10)", () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container({ log_driver: undefined }), d: container({ log_driver: 'json-file', log_opts: { 'max-file': '3' } }) },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/logs with json-file without max-size/));
    expect(outcome(rule, v, 'docker_container.d')).toEqual(nonCompliant(/without max-size/));
  });

  test('Noncompliance 2: the app appends to a log file nobody rotates', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: '#!/bin/bash\nnohup gunicorn app:app >> /var/log/app.log 2>&1 &\n' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/\/var\/log\/app\.log is written by a long-running process/));
  });

  test('Noncompliance 3: a unit appending to a file', () => {
    const unit = '[Service]\nExecStart=/usr/bin/gunicorn app:app\nStandardOutput=append:/var/log/app/out.log\n';
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/systemd/system/app.service', content: unit }] }) }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/\/var\/log\/app\/out\.log/));
  });

  test('Compliance: json-file with max-size; a logrotate entry; services logging to the journal', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container({ log_driver: 'json-file', log_opts: { 'max-size': '10m', 'max-file': '3' } }) },
      digitalocean_droplet: {
        rotated: droplet({
          user_data: cloudConfig({
            write_files: [{ path: '/etc/logrotate.d/app', content: '/var/log/app/*.log {\n  daily\n  rotate 7\n}\n' }],
            runcmd: ['nohup gunicorn app:app >> /var/log/app/app.log 2>&1 &'],
          }),
        }),
        journal: droplet({
          user_data: cloudConfig({
            write_files: [{ path: '/etc/systemd/system/app.service', content: '[Service]\nExecStart=/usr/bin/gunicorn app:app\n' }],
          }),
        }),
      },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.rotated')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.journal')).toEqual(COMPLIANT);
  });

  test('Not applicable: a droplet with no user_data', () => {
    const v = view({ digitalocean_droplet: { d: droplet() } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
