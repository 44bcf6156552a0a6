import rule from '../../../../lib/checks/rules/ProductionWsgiServer';
import { APP_IMAGE, COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-APP1 ProductionWsgiServer', () => {
  test('Noncompliance 1: a droplet script starts `flask run`', () => {
    const v = view({
      digitalocean_droplet: {
        d: droplet({ user_data: '#!/bin/bash\napt-get install -y python3-flask\ncd /opt/app && FLASK_APP=app flask run --host 0.0.0.0 &\n' }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/Flask's development server/));
  });

  test('Noncompliance 2: a container runs `python -m flask run`', () => {
    const v = view({ docker_image: APP_IMAGE, docker_container: { c: container({ command: ['python', '-m', 'flask', 'run', '--host=0.0.0.0'] }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/python -m flask run/));
  });

  test('Noncompliance 3: `python3 app.py` where app.py calls app.run()', () => {
    const userData = cloudConfig({
      write_files: [{ path: '/opt/app/app.py', content: 'from flask import Flask\napp = Flask(__name__)\napp.run(host="0.0.0.0", port=8000)\n' }],
      runcmd: ['cd /opt/app && nohup python3 app.py &'],
    });
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: userData }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/app\.py, which starts the framework's development server/));
  });

  test('Noncompliance 4: Django\u2019s runserver', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ user_data: '#!/bin/sh\npython3 manage.py runserver 0.0.0.0:8000 &\n' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/runserver/));
  });

  test('Compliance: gunicorn in a systemd unit, gunicorn in a container', () => {
    const unit = '[Service]\nExecStart=/opt/venv/bin/gunicorn --workers 3 --bind unix:/run/app.sock app:app\nMemoryMax=512M\n';
    const v = view({
      docker_image: APP_IMAGE,
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/systemd/system/app.service', content: unit }] }) }) },
      docker_container: { c: container({ command: ['gunicorn', '--bind', '0.0.0.0:8000', 'hello:server'] }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'docker_container.c')).toEqual(COMPLIANT);
  });

  test('Not applicable: a droplet with no Python web app, and other resources', () => {
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ packages: ['haproxy'] }) }) },
      digitalocean_tag: { web: { name: 'web' } },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
    expect(outcome(rule, v, 'digitalocean_tag.web')).toEqual(NOT_APPLICABLE);
  });
});
