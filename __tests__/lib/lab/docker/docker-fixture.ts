/**
 * A Docker host stack written by hand as Terraform JSON (the shape cdktf synthesizes): one droplet whose cloud-config
 * installs docker.io and writes daemon.json, its Cloud Firewall (80 from anywhere, 22 from the admins), and
 * docker_* resources on the droplet's engine through `ssh://root@<droplet address>`: a frontend and an internal
 * backend network, a named volume, Postgres, Redis with append-only persistence, nginx published on port 80 with an
 * uploaded read-only configuration, and one-shot probes. Independent of tierform's constructs, so that the lab's
 * mapping is tested against the provider's attributes themselves.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformJson } from '../../../../lib/plan/plan';

const NGINX_CONF = `server {
    listen 80;
    location = /health { access_log off; return 200 "ok\\n"; }
    location / { return 200 "web $hostname\\n"; }
}
`;

const DAEMON_JSON = `{
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" },
  "live-restore": true
}
`;

/** A small script run in the python image: connect to host:port, print the outcome, exit 0 either way. */
const PROBE = `import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    socket.create_connection((host, port), timeout=3).close()
    print("probe", host, port, "open")
except OSError as e:
    print("probe", host, port, "failed", type(e).__name__)
`;

const DB_QUERY = `import os, psycopg2
c = psycopg2.connect(host="db", dbname="app", user="app", password=open("/run/secrets/db_password").read().strip(), connect_timeout=5)
cur = c.cursor()
cur.execute("CREATE TABLE IF NOT EXISTS marks (v text)")
cur.execute("INSERT INTO marks VALUES (%s)", (os.environ["MARK"],))
c.commit()
cur.execute("SELECT count(*) FROM marks")
print("marks", cur.fetchone()[0])
`;

export interface FixtureOptions {
  /** The redis image (an update changes its tag). @default 'redis:7-alpine' */
  readonly redisImage?: string;
  /** web's memory limit in MB (an in-place update). @default 64 */
  readonly webMemory?: number;
}

export function dockerHostStack(options: FixtureOptions = {}): TerraformJson {
  const userData = [
    '#cloud-config',
    'packages:',
    '  - docker.io',
    'write_files:',
    '  - path: /etc/docker/daemon.json',
    "    permissions: '0644'",
    '    content: |',
    ...DAEMON_JSON.trimEnd()
      .split('\n')
      .map((l) => `      ${l}`),
    'runcmd:',
    '  - [systemctl, is-active, docker]',
    '',
  ].join('\n');
  const container = (extra: Record<string, unknown>) => ({ provider: 'docker', ...extra });
  return {
    terraform: {
      required_providers: {
        digitalocean: { source: 'digitalocean/digitalocean', version: '2.71.0' },
        docker: { source: 'kreuzwerker/docker', version: '3.6.2' },
      },
    },
    provider: { digitalocean: [{}], docker: [{ host: 'ssh://root@${digitalocean_droplet.dockerhost.ipv4_address}' }] },
    variable: {
      db_password: { type: 'string', sensitive: true, description: 'Postgres password' },
      admin_cidrs: { type: 'list(string)', description: 'who may SSH' },
    },
    resource: {
      digitalocean_vpc: { vpc: { name: 'lab-docker-vpc', region: 'fra1', ip_range: '10.30.0.0/20' } },
      digitalocean_tag: { host: { name: 'lab-docker-host' } },
      digitalocean_droplet: {
        dockerhost: {
          name: 'lab-docker-host',
          image: 'ubuntu-24-04-x64',
          size: 's-1vcpu-2gb',
          region: 'fra1',
          vpc_uuid: '${digitalocean_vpc.vpc.id}',
          tags: ['${digitalocean_tag.host.name}'],
          ssh_keys: [],
          user_data: userData,
        },
      },
      digitalocean_firewall: {
        host: {
          name: 'lab-docker-host',
          tags: ['${digitalocean_tag.host.name}'],
          inbound_rule: [
            { protocol: 'tcp', port_range: '22', source_addresses: '${var.admin_cidrs}' },
            { protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] },
          ],
          outbound_rule: [
            { protocol: 'tcp', port_range: 'all', destination_addresses: ['0.0.0.0/0', '::/0'] },
            { protocol: 'udp', port_range: 'all', destination_addresses: ['0.0.0.0/0', '::/0'] },
          ],
        },
      },
      docker_network: {
        frontend: { name: 'frontend' },
        backend: { name: 'backend', internal: true },
      },
      docker_volume: { pgdata: { name: 'pgdata' } },
      docker_image: {
        postgres: { name: 'postgres:16', keep_locally: true },
        redis: { name: options.redisImage ?? 'redis:7-alpine' },
        nginx: { name: 'nginx:1.27-alpine' },
        python: { name: 'python:3.12-slim' },
      },
      docker_container: {
        db: container({
          name: 'db',
          image: '${docker_image.postgres.image_id}',
          env: ['POSTGRES_USER=app', 'POSTGRES_DB=app', 'POSTGRES_PASSWORD_FILE=/run/secrets/db_password'],
          upload: [{ file: '/run/secrets/db_password', content: '${var.db_password}', permissions: '0400' }],
          networks_advanced: [{ name: '${docker_network.backend.name}', aliases: ['db'] }],
          mounts: [{ type: 'volume', source: '${docker_volume.pgdata.name}', target: '/var/lib/postgresql/data' }],
          healthcheck: { test: ['CMD', 'pg_isready', '-U', 'app', '-d', 'app'], interval: '2s', timeout: '3s', retries: 10, start_period: '2s' },
          memory: 256,
          restart: 'unless-stopped',
          wait: true,
          wait_timeout: 120,
          log_driver: 'json-file',
          log_opts: { 'max-size': '5m', 'max-file': '2' },
          labels: [{ label: 'org.tierform.role', value: 'database' }],
        }),
        cache: container({
          name: 'cache',
          image: '${docker_image.redis.image_id}',
          command: ['redis-server', '--appendonly', 'yes'],
          networks_advanced: [{ name: '${docker_network.backend.name}', aliases: ['cache'] }],
          healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '2s', timeout: '2s', retries: 5 },
          memory: 64,
          cpus: '0.3',
          // A read-only root file system (an upload to it would fail, as with the provider): data in the image's
          // /data volume, scratch space on tmpfs.
          read_only: true,
          tmpfs: { '/tmp': 'rw,size=16m' },
          restart: 'unless-stopped',
        }),
        web: container({
          name: 'web',
          image: '${docker_image.nginx.image_id}',
          networks_advanced: [{ name: '${docker_network.frontend.name}', aliases: ['web'] }],
          ports: [{ internal: 80, external: 80 }],
          upload: [{ file: '/etc/nginx/conf.d/default.conf', content: NGINX_CONF }],
          healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/health'], interval: '2s', timeout: '2s', retries: 5 },
          memory: options.webMemory ?? 64,
          restart: 'unless-stopped',
          wait: true,
          depends_on: ['docker_container.db'],
        }),
        probe_frontend: container({
          name: 'probe-frontend',
          image: '${docker_image.python.image_id}',
          networks_advanced: [{ name: '${docker_network.frontend.name}' }],
          upload: [{ file: '/probe.py', content: PROBE }],
          entrypoint: ['sh', '-c', 'python3 /probe.py db 5432; python3 /probe.py web 80; python3 /probe.py 203.0.113.1 443'],
          must_run: false,
          attach: true,
          logs: true,
          depends_on: ['docker_container.db', 'docker_container.web'],
        }),
        probe_backend: container({
          name: 'probe-backend',
          image: '${docker_image.python.image_id}',
          networks_advanced: [{ name: '${docker_network.backend.name}' }],
          upload: [
            { file: '/probe.py', content: PROBE },
            { file: '/query.py', content: DB_QUERY },
            { file: '/run/secrets/db_password', content: '${var.db_password}', permissions: '0600' },
          ],
          env: ['MARK=first'],
          entrypoint: ['sh', '-c', 'python3 /query.py; python3 /probe.py cache 6379; python3 /probe.py 203.0.113.1 443'],
          must_run: false,
          attach: true,
          logs: true,
          depends_on: ['docker_container.db', 'docker_container.cache'],
        }),
      },
    },
  };
}

/** Writes the stack as `<outdir>/stacks/<name>/cdk.tf.json` and returns the file. */
export function writeStack(outdir: string, name: string, json: TerraformJson): string {
  const file = path.join(outdir, 'stacks', name, 'cdk.tf.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}
