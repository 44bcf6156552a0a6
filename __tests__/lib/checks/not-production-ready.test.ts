/**
 * Seed 003's "NOT PRODUCTION READY" nginx-flask-mysql setup, rebuilt as a user could write it with raw provider
 * resources: a droplet running Docker, and the compose file's three services as docker_container resources
 * (kreuzwerker/docker schema). The pack must report each of the seed's critical and high findings on it, on the
 * resource the seed blames, as errors; and its medium ones as warnings. The one high item a plan cannot show is
 * #5 (connection pooling, retries, the table dropped at startup: application code), so no rule judges it.
 */
import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Network } from '@cdktf/provider-docker/lib/network';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { App, Aspects, TerraformStack, Testing } from 'cdktf';
import { ProductionReadiness, RuleLevel } from '../../../lib/checks';
import { makeTempDir } from '../../helpers/tools';

/** The seed's proxy/conf: `location / { proxy_pass http://backend:8000; }` and nothing else. */
const SEED_NGINX = 'server {\n    listen 80;\n    location / {\n        proxy_pass   http://backend:8000;\n    }\n}\n';
/** The seed's `secrets: db-password: file: db/password.txt`, committed to git, mounted where both services read it. */
const SEED_SECRET = { file: '/run/secrets/db-password', content: 'db-78n9n\n' };

function notProductionReady(app = Testing.app()): TerraformStack {
  const stack = new TerraformStack(app, 'nginx-flask-mysql');
  new DigitaloceanProvider(stack, 'do', {});
  new DockerProvider(stack, 'docker', { host: 'unix:///var/run/docker.sock' });
  new Droplet(stack, 'host', {
    name: 'docker-host',
    image: 'ubuntu-24-04-x64',
    region: 'nyc3',
    size: 's-2vcpu-2gb',
    sshKeys: ['3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa'],
    userData: '#!/bin/bash\napt-get update\napt-get install -y docker.io\n',
  });
  const backnet = new Network(stack, 'backnet', { name: 'backnet' });
  const frontnet = new Network(stack, 'frontnet', { name: 'frontnet' });
  const dbImage = new Image(stack, 'db_image', { name: 'mariadb:10-focal' });
  const backendImage = new Image(stack, 'backend_image', { name: 'nginx-flask-mysql/backend:latest' });
  const proxyImage = new Image(stack, 'proxy_image', { name: 'nginx:1.13-alpine' });
  new Container(stack, 'db', {
    name: 'db',
    image: dbImage.imageId,
    env: ['MYSQL_DATABASE=example', 'MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password'],
    upload: [SEED_SECRET],
    healthcheck: {
      test: ['CMD-SHELL', 'mysqladmin ping -h 127.0.0.1 --password="$(cat /run/secrets/db-password)" --silent'],
      interval: '3s',
      retries: 5,
      startPeriod: '30s',
    },
    networksAdvanced: [{ name: backnet.name }],
  });
  // (construct id 'backend' is taken by the stack's Terraform backend)
  new Container(stack, 'backend_service', {
    name: 'backend',
    image: backendImage.imageId,
    command: ['flask', 'run', '--host=0.0.0.0', '--port=8000'],
    env: ['FLASK_ENV=development', 'FLASK_APP=hello.py'],
    ports: [{ internal: 8000, external: 8000 }],
    upload: [SEED_SECRET],
    networksAdvanced: [{ name: backnet.name }, { name: frontnet.name }],
  });
  new Container(stack, 'proxy', {
    name: 'proxy',
    image: proxyImage.imageId,
    ports: [{ internal: 80, external: 80 }],
    upload: [{ file: '/etc/nginx/conf.d/default.conf', content: SEED_NGINX }],
    networksAdvanced: [{ name: frontnet.name }],
  });
  return stack;
}

function judge() {
  const stack = notProductionReady();
  const pack = new ProductionReadiness({ now: new Date('2026-06-01T00:00:00Z') });
  Aspects.of(stack).add(pack);
  Testing.synth(stack);
  const on = (level: RuleLevel) => pack.violations(level).map((r) => `${r.ruleId} ${r.path.split('/').pop()}`);
  return { pack, errors: on(RuleLevel.ERROR), warnings: on(RuleLevel.WARNING) };
}

describe("seed 003's NOT PRODUCTION READY setup", () => {
  const { errors, warnings, pack } = judge();

  test.each([
    ['#1 Flask development mode (critical)', ['PR-APP1 backend_service', 'PR-APP2 backend_service']],
    ['#2 backend port exposed to the host (critical)', ['PR-NET1 backend_service', 'PR-NET2 host']],
    ['#3 weak database password security: plaintext, root for the app (critical)', ['PR-SEC1 db', 'PR-SEC1 backend_service', 'PR-DB1 db']],
    ['#4 no resource limits (critical)', ['PR-RES1 db', 'PR-RES1 backend_service', 'PR-RES1 proxy']],
    ['#6 nginx configuration: headers, timeouts, buffers, body size, rate limiting (high)', ['PR-WEB1 proxy', 'PR-WEB2 proxy']],
    ['#7 no HTTPS/TLS (high)', ['PR-TLS1 proxy']],
    ['#8 health checks missing for backend and proxy (high)', ['PR-HC1 backend_service', 'PR-HC1 proxy']],
  ])('%s is reported as an error', (_item, expected) => {
    expect(errors).toEqual(expect.arrayContaining(expected));
  });

  test('the database, which has a health check, is not blamed for missing one (#8)', () => {
    expect(errors).not.toContain('PR-HC1 db');
  });

  test.each([
    ['#9 database health check too aggressive', ['PR-HC2 db']],
    ['#10 no log rotation', ['PR-LOG1 db', 'PR-LOG1 backend_service', 'PR-LOG1 proxy']],
    ['#11 outdated and unpinned images', ['PR-IMG1 db_image', 'PR-IMG1 proxy_image', 'PR-IMG2 backend_image']],
    ['#12 no database backups', ['PR-BAK1 db']],
    ['#14 no monitoring or alerting', ['PR-MON1 host']],
  ])('%s is reported as a warning', (_item, expected) => {
    expect(warnings).toEqual(expect.arrayContaining(expected));
  });

  test('the findings say what is wrong', () => {
    const finding = (id: string, name: string) => pack.violations().find((r) => r.ruleId === id && r.path.endsWith(`/${name}`))?.findings;
    expect(finding('PR-NET1', 'backend_service')).toEqual([
      'publishes container port 8000/tcp on 0.0.0.0:8000; reach it over a Docker network or bind it to 127.0.0.1',
    ]);
    expect(finding('PR-SEC1', 'db')).toEqual(['file /run/secrets/db-password holds a literal secret']);
    expect(finding('PR-DB1', 'db')).toEqual([
      'the mariadb container creates no app account (set MYSQL_USER / MARIADB_USER and its password): apps would use root',
    ]);
    // #6 lists five missing things: headers, timeouts, buffers and the body size (PR-WEB1), rate limiting (PR-WEB2).
    const nginx = finding('PR-WEB1', 'proxy') ?? [];
    expect(nginx).toEqual([
      expect.stringMatching(/proxy_set_header missing for host, x-forwarded-for, x-forwarded-proto$/),
      expect.stringMatching(/no proxy timeouts/),
      expect.stringMatching(/no proxy buffer settings/),
      expect.stringMatching(/no client_max_body_size$/),
    ]);
    expect(finding('PR-WEB2', 'proxy')).toEqual([expect.stringMatching(/without limit_req/)]);
    expect(finding('PR-TLS1', 'proxy')).toEqual([expect.stringMatching(/./)]);
    expect(finding('PR-HC2', 'db')).toEqual(['container db: healthcheck interval 3s (use 5s to 5m)']);
  });

  test('synth fails on it', () => {
    const out = makeTempDir('npr');
    try {
      const app = new App({ outdir: out.dir });
      Aspects.of(notProductionReady(app)).add(new ProductionReadiness());
      expect(() => app.synth()).toThrow(/\[nginx-flask-mysql\/backend_service\] PR-APP1: A Python web app runs without a production WSGI server\./);
    } finally {
      out.cleanup();
    }
  });
});
