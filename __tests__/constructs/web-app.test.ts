import { Secret } from '../../lib/secrets';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Network } from '@cdktf/provider-docker/lib/network';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { ContainerImage } from '../../constructs/container-image';
import { DockerNetwork } from '../../constructs/docker-network';
import { EdgeProxy } from '../../constructs/edge-proxy';
import { PostgresContainer } from '../../constructs/postgres-container';
import { RedisContainer } from '../../constructs/redis-container';
import { AppDatabase, WebApp } from '../../constructs/web-app';
import { TlsProfile } from '../../constructs/https';

function dockerStack() {
  const stack = new TerraformStack(Testing.app(), 'test');
  new DockerProvider(stack, 'docker', { host: 'unix:///var/run/docker.sock' });
  const v = (id: string) => Secret.fromVariable(new TerraformVariable(stack, id, { type: 'string', sensitive: true }));
  return { stack, v };
}
const image = ContainerImage.registry('ghcr.io/foobar/app:1.2.3');

describe('WebApp', () => {
  test('simple shape: one web container, a migration before it, PostgreSQL on an internal backend network', () => {
    const { stack, v } = dockerStack();
    new WebApp(stack, 'Recipe', {
      name: 'recipe',
      subdomain: 'recipe',
      image,
      migrateCommand: ['python', 'migrate.py'],
      database: AppDatabase.postgres({ superuserPassword: v('su'), appPassword: v('app') }),
    });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'recipe-web',
      env: expect.arrayContaining(['DB_HOST=recipe-db', 'DB_PASSWORD_FILE=/run/secrets/db-password']),
    });
    expect(synth).toHaveResourceWithProperties(Container, { name: 'recipe-migrate', attach: true });
    expect(synth).toHaveResourceWithProperties(Network, { name: 'recipe-backend', internal: true });
    expect(synth).toHaveResourceWithProperties(Network, { name: 'recipe-frontend', internal: true, ipam_config: [{ subnet: '172.30.126.0/24' }] });
  });

  test('simple shape: the web container is created only after the migration exited 0, the migration after the healthy database', () => {
    const { stack, v } = dockerStack();
    new WebApp(stack, 'Books', {
      name: 'books',
      subdomain: 'books',
      image,
      migrateCommand: ['python', 'migrate.py'],
      database: AppDatabase.mysql({ rootPassword: v('root'), appPassword: v('app') }),
    });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'books-web',
      depends_on: [expect.stringMatching(/^docker_container\.Books_Migrate_Container_/)],
      lifecycle: { precondition: [expect.objectContaining({ condition: expect.stringMatching(/Books_Migrate_Container_\w+\.exit_code == 0\}$/) })] },
    });
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'books-migrate',
      restart: 'no',
      depends_on: [expect.stringMatching(/^docker_container\.Books_Database_Service_Container_/)],
      networks_advanced: [{ name: expect.stringMatching(/Books_Backend/) }],
    });
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'books-db',
      wait: true,
      env: expect.arrayContaining(['MYSQL_USER=app', 'MYSQL_PASSWORD_FILE=/run/secrets/app-db-password']),
      healthcheck: expect.objectContaining({ test: ['CMD', 'mysqladmin', 'ping', '-h', '127.0.0.1', '--silent'], interval: '10s' }),
    });
  });

  test('the app reaches PostgreSQL as a least-privilege role of its own, never the superuser', () => {
    const { stack, v } = dockerStack();
    new WebApp(stack, 'Recipe', {
      name: 'recipe',
      subdomain: 'recipe',
      image,
      database: AppDatabase.postgres({ superuserPassword: v('su'), appPassword: v('app') }),
    });
    const json = JSON.parse(Testing.synth(stack));
    const byName = (n: string) =>
      Object.values(
        json.resource.docker_container as Record<string, { name: string; env: string[]; upload: { file: string; content: string }[] }>,
      ).find((c) => c.name === n)!;
    expect(byName('recipe-web').env).toEqual(expect.arrayContaining(['DB_USER=app', 'DB_NAME=recipe']));
    const init = byName('recipe-db').upload.find((u) => u.file.startsWith('/docker-entrypoint-initdb.d/'))!.content;
    expect(init).toContain('CREATE ROLE "app" LOGIN PASSWORD :\'app_password\' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;');
    expect(init).toContain('REVOKE ALL ON DATABASE "recipe" FROM PUBLIC;');
    expect(init).toContain('REVOKE CREATE ON SCHEMA public FROM PUBLIC;');
  });

  test('throws if the subdomain is not a DNS label', () => {
    const { stack } = dockerStack();
    expect(() => new WebApp(stack, 'A', { name: 'a', subdomain: 'a.b', image })).toThrow(
      "test/A: 'subdomain' is not a DNS label, got 'a.b'. Pass one label such as 'recipe' (the edge serves recipe.<domain>).",
    );
  });
});

describe('EdgeProxy', () => {
  test('publishes 80 and 443, mounts the host certificate read-only, joins each app\u2019s frontend at .2', () => {
    const { stack } = dockerStack();
    const app = new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image, replicas: 2 });
    new EdgeProxy(stack, 'Edge', { domain: 'foobar.com', apps: [app], https: {} });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'tierform-edge',
      ports: [expect.objectContaining({ internal: 80, external: 80 }), expect.objectContaining({ internal: 443, external: 443 })],
      volumes: [{ host_path: '/etc/tierform/tls', container_path: '/etc/tierform/tls', read_only: true }],
      networks_advanced: [
        expect.objectContaining({ name: expect.stringMatching(/Edge_Network/) }),
        expect.objectContaining({ ipv4_address: app.edgeAddress }),
      ],
    });
  });

  test('every response carries seed 000\u2019s headers, HSTS over HTTPS', () => {
    const { stack } = dockerStack();
    const edge = new EdgeProxy(stack, 'Edge', {
      domain: 'foobar.com',
      apps: [new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image })],
      https: {},
    });
    for (const h of [
      'Strict-Transport-Security "max-age=63072000; includeSubDomains" always',
      'X-Frame-Options',
      'X-Content-Type-Options',
      'Referrer-Policy',
      'Permissions-Policy',
      'Content-Security-Policy',
    ]) {
      expect(edge.configuration).toContain(`add_header ${h}`);
    }
    expect(edge.configuration).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    // The plain-HTTP server's redirect carries them too, all but HSTS (meaningless over HTTP).
    const port80 = /server \{\n\s*listen 80 default_server;[\s\S]*?return 301 [^\n]*\n\s*\}\n\s*\}/.exec(edge.configuration)?.[0] ?? '';
    expect(port80).toContain('add_header X-Frame-Options "SAMEORIGIN" always;');
    expect(port80).toContain('add_header Content-Security-Policy');
    expect(port80).not.toContain('Strict-Transport-Security');
  });

  test('routes by Host: each app\u2019s subdomain to its upstream, the apex and www to the static site', () => {
    const { stack } = dockerStack();
    const apps = [
      new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image }),
      new WebApp(stack, 'B', { name: 'blog-app', subdomain: 'blog', image }),
    ];
    const edge = new EdgeProxy(stack, 'Edge', { domain: 'foobar.com', apps, staticSiteDirectory: __dirname });
    const server = (name: string) =>
      new RegExp(`server \\{[^{}]*server_name ${name.replace(/\./g, '\\.')};[\\s\\S]*?\\n    \\}`).exec(edge.configuration)?.[0] ?? '';
    expect(server('shop.foobar.com')).toContain('proxy_pass http://app_shop;');
    expect(server('blog.foobar.com')).toContain('proxy_pass http://app_blog_app;');
    expect(server('foobar.com www.foobar.com')).toContain('root /usr/share/nginx/html;');
    expect(server('foobar.com www.foobar.com')).not.toContain('proxy_pass');
  });

  test('TlsProfile.modern() is TLS 1.3 only; the intermediate default adds TLS 1.2', () => {
    const { stack } = dockerStack();
    const app = new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image });
    const modern = new EdgeProxy(stack, 'Modern', { domain: 'foobar.com', apps: [app], https: { profile: TlsProfile.modern() } });
    expect(modern.configuration).toContain('ssl_protocols TLSv1.3;');
    expect(modern.configuration).not.toContain('TLSv1.2');
  });

  test('a dead app container is given up on after proxyConnectTimeoutSeconds, counted by every worker (zone)', () => {
    const { stack } = dockerStack();
    const apps = [new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image, replicas: 2 })];
    const edge = new EdgeProxy(stack, 'Edge', { domain: 'foobar.com', apps, proxyConnectTimeoutSeconds: 3 });
    expect(edge.configuration).toMatch(/upstream app_shop \{[^}]*zone app_shop 64k;[^}]*ip_hash;/);
    expect(edge.configuration).toContain('proxy_connect_timeout 3s;');
    expect(
      () =>
        new EdgeProxy(dockerStack().stack, 'Edge', {
          domain: 'foobar.com',
          apps: [new WebApp(stack, 'B', { name: 'b', subdomain: 'b', image })],
          proxyConnectTimeoutSeconds: 0,
        }),
    ).toThrow(/proxyConnectTimeoutSeconds/);
  });

  test('throws if two apps claim one subdomain', () => {
    const { stack } = dockerStack();
    const a = new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image });
    const b = new WebApp(stack, 'B', { name: 'store', subdomain: 'shop', image });
    expect(() => new EdgeProxy(stack, 'Edge', { domain: 'foobar.com', apps: [a, b] })).toThrow(
      "test/Edge: 'apps' gives subdomain 'shop' to store, already used by shop, got 'shop'. Give each app its own subdomain; the apex and www belong to the static site.",
    );
  });

  test('throws if an app takes www from the static site', () => {
    const { stack } = dockerStack();
    const a = new WebApp(stack, 'A', { name: 'shop', subdomain: 'www', image });
    expect(() => new EdgeProxy(stack, 'Edge', { domain: 'foobar.com', apps: [a], staticSiteDirectory: __dirname })).toThrow(
      "test/Edge: 'apps' gives subdomain 'www' to shop, already used by the static site, got 'www'.",
    );
  });

  test('throws if two apps share a frontend subnet', () => {
    const { stack } = dockerStack();
    const a = new WebApp(stack, 'A', { name: 'shop', subdomain: 'shop', image, frontendSubnet: '172.30.5.0/24' });
    const b = new WebApp(stack, 'B', { name: 'blog', subdomain: 'blog', image, frontendSubnet: '172.30.5.0/24' });
    expect(() => new EdgeProxy(stack, 'Edge', { domain: 'foobar.com', apps: [a, b] })).toThrow(
      "test/Edge: 'apps' gives blog the frontend subnet of shop, got '172.30.5.0/24'. Pass 'frontendSubnet' to one of them (a free private /24).",
    );
  });
});

describe('database containers', () => {
  test('throws if PostgreSQL is put on a non-internal network', () => {
    const { stack, v } = dockerStack();
    const net = new DockerNetwork(stack, 'Net', { name: 'public', internal: false });
    expect(
      () => new PostgresContainer(stack, 'Db', { name: 'db', network: net, databaseName: 'app', superuserPassword: v('su'), appPassword: v('app') }),
    ).toThrow(
      "test/Db: 'network' is not internal, got 'public'. The database lives only on an internal backend network (seed 000): create it with internal: true.",
    );
  });

  test('throws if the app role would reuse the superuser password', () => {
    const { stack, v } = dockerStack();
    const net = new DockerNetwork(stack, 'Net', { name: 'backend' });
    const same = v('pw');
    expect(
      () => new PostgresContainer(stack, 'Db', { name: 'db', network: net, databaseName: 'app', superuserPassword: same, appPassword: same }),
    ).toThrow(
      "test/Db: 'appPassword' is the superuser password, got '(redacted)'. Give the app role a password of its own (a second sensitive variable).",
    );
  });

  test('Redis keeps its memory ceiling under the container limit, append-only', () => {
    const { stack } = dockerStack();
    new RedisContainer(stack, 'Cache', {
      name: 'cache',
      network: new DockerNetwork(stack, 'Net', { name: 'backend' }),
      memoryLimitMiB: 200,
      memoryReservationMiB: 100,
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Container, {
      memory: 200,
      command: expect.arrayContaining(['--appendonly', 'yes', '--maxmemory', '150mb']),
    });
  });

  test('throws if a network subnet is public', () => {
    const { stack } = dockerStack();
    expect(() => new DockerNetwork(stack, 'Net', { name: 'front', subnet: '8.8.8.0/24' })).toThrow(
      "test/Net: 'subnet' is not a private IPv4 subnet from /16 to /28, got '8.8.8.0/24'. Pass e.g. '172.30.1.0/24'.",
    );
  });
});
