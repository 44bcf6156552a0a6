import rule from '../../../../lib/checks/rules/NoDebugMode';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-APP2 NoDebugMode', () => {
  test('Noncompliance 1: FLASK_ENV=development in a container', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container({ env: ['FLASK_ENV=development'], command: ['gunicorn', 'app:app'] }) },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/FLASK_ENV=development/));
  });

  test('Noncompliance 2: app.run(debug=True) and FLASK_DEBUG=1 on a droplet', () => {
    const v = view({
      digitalocean_droplet: {
        d: droplet({
          user_data: cloudConfig({
            write_files: [
              { path: '/opt/app/app.py', content: 'app.run(host="0.0.0.0", debug=True)\n' },
              { path: '/etc/app.env', content: 'FLASK_DEBUG=1\n' },
            ],
          }),
        }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/debug=True/, /FLASK_DEBUG/));
  });

  test('Noncompliance 3: gunicorn --reload', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: '#!/bin/sh\ngunicorn --reload app:app &\n' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/--reload/));
  });

  test('Compliance: FLASK_ENV=production, gunicorn', () => {
    const v = view({
      docker_image: APP_IMAGE,
      docker_container: { c: container({ env: ['FLASK_ENV=production'], command: ['gunicorn', 'app:app'] }) },
    });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(COMPLIANT);
  });

  test('Not applicable: no Python web app', () => {
    const v = view({ docker_container: { c: container({ image: 'nginx:1.27-alpine' }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(NOT_APPLICABLE);
  });
});
