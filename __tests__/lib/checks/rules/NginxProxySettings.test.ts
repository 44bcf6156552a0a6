import rule from '../../../../lib/checks/rules/NginxProxySettings';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, container, droplet, nonCompliant, outcome, view } from '../fixtures';

const BARE = 'server {\n  listen 80;\n  location / {\n    proxy_pass http://backend:8000;\n  }\n}\n';
const GOOD = `http {
  client_max_body_size 10M;
  proxy_connect_timeout 5s;
  proxy_read_timeout 60s;
  proxy_buffers 8 16k;
  server {
    listen 80;
    location / {
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_pass http://app;
    }
  }
}
`;

describe('PR-WEB1 NginxProxySettings', () => {
  test('Noncompliance 1: seed 003\u2019s bare `location / { proxy_pass ...; }` uploaded into a container', () => {
    const v = view({
      docker_container: { proxy: container({ image: 'nginx:1.27', upload: [{ file: '/etc/nginx/conf.d/default.conf', content: BARE }] }) },
    });
    expect(outcome(rule, v, 'docker_container.proxy')).toEqual(
      nonCompliant(
        /proxy_set_header missing for host, x-forwarded-for, x-forwarded-proto/,
        /no proxy timeouts/,
        /no proxy buffer/,
        /no client_max_body_size/,
      ),
    );
  });

  test('Noncompliance 2: headers set at server level are lost in a location that sets its own', () => {
    const conf = GOOD.replace('    location / {\n', '    proxy_set_header Host $host;\n    location / {\n').replace(
      /      proxy_set_header (Host|X-Forwarded-For) [^\n]*\n/g,
      '',
    );
    const v = view({
      digitalocean_droplet: { d: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/nginx/nginx.conf', content: conf }] }) }) },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/missing for host, x-forwarded-for$/));
  });

  test('Compliance: every setting in effect; `include proxy_params` counts for the headers', () => {
    const params = GOOD.replace(/      proxy_set_header [^\n]*\n/g, '').replace('      proxy_pass', '      include proxy_params;\n      proxy_pass');
    const v = view({
      digitalocean_droplet: {
        a: droplet({ user_data: cloudConfig({ write_files: [{ path: '/etc/nginx/nginx.conf', content: GOOD }] }) }),
        b: droplet({ user_data: `#!/bin/bash\ncat > /etc/nginx/nginx.conf <<'EOF'\n${params}EOF\n` }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.a')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.b')).toEqual(COMPLIANT);
  });

  test('Not applicable: nginx serving files only', () => {
    const v = view({
      digitalocean_droplet: {
        d: droplet({
          user_data: cloudConfig({ write_files: [{ path: '/etc/nginx/nginx.conf', content: 'http { server { listen 80; root /var/www; } }\n' }] }),
        }),
      },
    });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
