/**
 * The lab's mapping of docker_* attributes to Docker Engine API requests (pure; no root, no daemon): each attribute
 * with the kreuzwerker/docker 3.6.2 provider's meaning, and every attribute the lab does not map refused by name.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { dependencyOrder, dockerResources, evaluateCondition, renderAttributes } from '../../../../lib/lab/docker/apply';
import { hostCgroupMounts, installsDocker } from '../../../../lib/lab/docker/engine';
import {
  LAB_IMAGE_RECIPES,
  LAB_IMAGE_SUBSTITUTIONS,
  LabImageName,
  imageKey,
  parseImageReference,
  recipesDir,
  substitutionFor,
} from '../../../../lib/lab/docker/images';
import {
  CONTAINER_ATTRIBUTES,
  containerSpec,
  imageSpec,
  networkSpec,
  parseGoDuration,
  uploadTar,
  volumeSpec,
} from '../../../../lib/lab/docker/mapping';
import { dockerfileBaseImages } from '../../../../lib/lab/docker/apply';
import { parseStack } from '../../../../lib/plan/plan';
import { makeTempDir, requireTool, run } from '../../../helpers/tools';
import { dockerHostStack } from './docker-fixture';

const A = 'docker_container.app';
const MB = 1024 * 1024;

describe('containerSpec', () => {
  test('maps names, image, command, entrypoint, user, env and labels onto Config', () => {
    const s = containerSpec(A, {
      name: 'app',
      image: 'sha256:abc',
      command: ['gunicorn', '-w', '2', 'app:app'],
      entrypoint: ['/entry.sh'],
      user: 'app:app',
      env: ['A=1', 'B=two'],
      labels: [{ label: 'role', value: 'web' }],
      working_dir: '/srv',
    });
    expect(s.create).toMatchObject({
      Image: 'sha256:abc',
      Cmd: ['gunicorn', '-w', '2', 'app:app'],
      Entrypoint: ['/entry.sh'],
      User: 'app:app',
      Env: ['A=1', 'B=two'],
      Labels: { role: 'web' },
      WorkingDir: '/srv',
    });
    expect(s).toMatchObject({ name: 'app', start: true, mustRun: true, wait: false, waitTimeoutSeconds: 60, attach: false, removeVolumes: true });
  });

  test('publishes ports as the provider does: tcp by default, 0.0.0.0, a random host port when external is unset', () => {
    const s = containerSpec(A, {
      name: 'a',
      image: 'x',
      ports: [
        { internal: 80, external: 8080 },
        { internal: 53, protocol: 'udp', ip: '127.0.0.1' },
      ],
    });
    expect(s.create).toMatchObject({ ExposedPorts: { '80/tcp': {}, '53/udp': {} } });
    expect((s.create.HostConfig as Record<string, unknown>).PortBindings).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
  });

  test('memory and memory_swap are MB, cpus are NanoCpus (and win over cpu_period/cpu_quota), cpu_shares as given', () => {
    const hc = containerSpec(A, {
      name: 'a',
      image: 'x',
      memory: 384,
      memory_swap: 512,
      cpus: '0.3',
      cpu_period: 100000,
      cpu_quota: 50000,
      cpu_shares: 512,
    }).create.HostConfig as Record<string, unknown>;
    expect(hc).toMatchObject({ Memory: 384 * MB, MemorySwap: 512 * MB, NanoCpus: 300_000_000, CpuShares: 512 });
    expect(hc.CpuPeriod).toBeUndefined();
    const unlimitedSwap = containerSpec(A, { name: 'a', image: 'x', memory: 64, memory_swap: -1 }).create.HostConfig as Record<string, unknown>;
    expect(unlimitedSwap.MemorySwap).toBe(-1);
    const quota = containerSpec(A, { name: 'a', image: 'x', cpu_period: 100000, cpu_quota: 50000 }).create.HostConfig as Record<string, unknown>;
    expect(quota).toMatchObject({ CpuPeriod: 100000, CpuQuota: 50000 });
  });

  test('healthcheck durations are Go durations in nanoseconds', () => {
    const s = containerSpec(A, {
      name: 'a',
      image: 'x',
      healthcheck: { test: ['CMD', 'pg_isready'], interval: '30s', timeout: '1m30s', start_period: '500ms', retries: 3 },
    });
    expect(s.create.Healthcheck).toEqual({ Test: ['CMD', 'pg_isready'], Interval: 30e9, Timeout: 90e9, StartPeriod: 5e8, Retries: 3 });
    expect(parseGoDuration(A, 'x', '0s')).toBe(0);
    expect(parseGoDuration(A, 'x', '1h2m3s')).toBe(3723e9);
  });

  test('restart policy, logging, read-only root, tmpfs, init, stop signal', () => {
    const s = containerSpec(A, {
      name: 'a',
      image: 'x',
      restart: 'on-failure',
      max_retry_count: 3,
      log_driver: 'json-file',
      log_opts: { 'max-size': '10m', 'max-file': '3' },
      read_only: true,
      tmpfs: { '/tmp': 'rw,size=64m' },
      init: true,
      stop_signal: 'SIGQUIT',
      stop_timeout: 20,
    });
    expect(s.create.HostConfig).toMatchObject({
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,size=64m' },
      Init: true,
    });
    expect(s.create).toMatchObject({ StopSignal: 'SIGQUIT', StopTimeout: 20 });
    // Without log_driver the daemon's default applies (daemon.json): the provider sends an empty type.
    expect((containerSpec(A, { name: 'a', image: 'x' }).create.HostConfig as { LogConfig: unknown }).LogConfig).toEqual({
      Type: '',
      Config: undefined,
    });
  });

  test('volumes become binds (named volume or host path, ro/rw) and anonymous volumes; mounts keep their options', () => {
    const s = containerSpec(A, {
      name: 'a',
      image: 'x',
      volumes: [
        { volume_name: 'pgdata', container_path: '/data' },
        { host_path: '/etc/app.conf', container_path: '/app.conf', read_only: true },
        { container_path: '/scratch' },
      ],
      mounts: [
        { type: 'bind', source: '/etc/nginx/site.conf', target: '/etc/nginx/conf.d/site.conf', read_only: true },
        { type: 'volume', source: 'v', target: '/v', volume_options: { no_copy: true } },
        { type: 'tmpfs', target: '/t', tmpfs_options: { size_bytes: 1024, mode: 448 } },
      ],
    });
    expect(s.create.Volumes).toEqual({ '/data': {}, '/app.conf': {}, '/scratch': {} });
    expect(s.create.HostConfig).toMatchObject({
      Binds: ['pgdata:/data:rw', '/etc/app.conf:/app.conf:ro'],
      Mounts: [
        { Type: 'bind', Source: '/etc/nginx/site.conf', Target: '/etc/nginx/conf.d/site.conf', ReadOnly: true },
        { Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true } },
        { Type: 'tmpfs', Source: '', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 448 } },
      ],
    });
  });

  test('networks_advanced with aliases are connected after create; uploads keep permissions over executable', () => {
    const s = containerSpec(A, {
      name: 'a',
      image: 'x',
      networks_advanced: [{ name: 'backend', aliases: ['db', 'postgres'] }, { name: 'frontend' }],
      upload: [
        { file: '/run/secrets/pw', content: 'secret', permissions: '0600' },
        { file: '/entry.sh', content_base64: Buffer.from('#!/bin/sh\n').toString('base64'), executable: true },
        { file: '/plain', content: 'x' },
      ],
    });
    expect(s.networks).toEqual([
      { name: 'backend', aliases: ['db', 'postgres'], ipv4Address: undefined },
      { name: 'frontend', aliases: [], ipv4Address: undefined },
    ]);
    // No network_mode: nothing in HostConfig (the engine's default network, left again when networks_advanced connect).
    expect(s.create.HostConfig).not.toHaveProperty('NetworkMode');
    expect(s.create.NetworkingConfig).toEqual({});
    const fixed = containerSpec(A, { name: 'a', image: 'x', networks_advanced: [{ name: 'frontend', ipv4_address: '172.30.7.10' }] });
    expect(fixed.networks).toEqual([{ name: 'frontend', aliases: [], ipv4Address: '172.30.7.10' }]);
    expect(containerSpec(A, { name: 'a', image: 'x', network_mode: 'frontend' }).create.HostConfig).toMatchObject({ NetworkMode: 'frontend' });
    expect(s.uploads.map((u) => [u.file, u.mode.toString(8), u.content?.toString()])).toEqual([
      ['/run/secrets/pw', '600', 'secret'],
      ['/entry.sh', '744', '#!/bin/sh\n'],
      ['/plain', '644', 'x'],
    ]);
  });

  test('accepts a whole-list reference rendered to JSON text (e.g. command = var.command)', () => {
    expect(containerSpec(A, { name: 'a', image: 'x', command: '["redis-server","--appendonly","yes"]' }).create.Cmd).toEqual([
      'redis-server',
      '--appendonly',
      'yes',
    ]);
  });

  test('ForceNew attributes change the replacement key; restart and resources only the update key; lifecycle flags neither', () => {
    const base = { name: 'a', image: 'x', env: ['A=1', 'B=2'], memory: 64, restart: 'always' };
    const s = containerSpec(A, base);
    expect(containerSpec(A, { ...base, env: ['B=2', 'A=1'] }).forceNewKey).toBe(s.forceNewKey);
    expect(containerSpec(A, { ...base, image: 'y' }).forceNewKey).not.toBe(s.forceNewKey);
    const updated = containerSpec(A, { ...base, memory: 96, restart: 'unless-stopped' });
    expect([updated.forceNewKey, updated.updateKey === s.updateKey]).toEqual([s.forceNewKey, false]);
    const flags = containerSpec(A, { ...base, wait: true, must_run: false, destroy_grace_seconds: 5 });
    expect([flags.forceNewKey, flags.updateKey]).toEqual([s.forceNewKey, s.updateKey]);
    // The tables agree with the provider's schema: ForceNew vs updated in place.
    expect(
      Object.entries(CONTAINER_ATTRIBUTES)
        .filter(([, v]) => v === 'update')
        .map(([k]) => k)
        .sort(),
    ).toEqual(['cpu_period', 'cpu_quota', 'cpu_set', 'cpu_shares', 'max_retry_count', 'memory', 'memory_swap', 'restart']);
  });

  test('throws if an attribute is not mapped, naming the resource and the attribute', () => {
    expect(() => containerSpec(A, { name: 'a', image: 'x', gpus: 'all' })).toThrow(
      /docker_container\.app: attribute 'gpus' is not supported by the tierform lab: no GPUs/,
    );
    expect(() => containerSpec(A, { name: 'a', image: 'x', cgroup_parent: '/x' })).toThrow(/attribute 'cgroup_parent' is not supported/);
    expect(() => containerSpec(A, { name: 'a', image: 'x', something_new: 1 })).toThrow(/attribute 'something_new' is not supported/);
    expect(() => containerSpec(A, { name: 'a', image: 'x', networks_advanced: [{ name: 'n', ipv6_address: '::1' }] })).toThrow(
      /attribute 'networks_advanced\[0\]\.ipv6_address' is not supported by the tierform lab: the lab has no IPv6/,
    );
    expect(() => containerSpec(A, { name: 'a', image: 'x', healthcheck: { test: ['CMD', 'true'], start_interval: '1s' } })).toThrow(
      /healthcheck\.start_interval: needs Docker API 1\.44/,
    );
  });

  test('throws on values the provider refuses', () => {
    expect(() => containerSpec(A, { name: 'a', image: 'x', restart: 'sometimes' })).toThrow(
      /restart: 'sometimes' must be one of no, on-failure, always, unless-stopped/,
    );
    expect(() => containerSpec(A, { name: 'a', image: 'x', memory: 'lots' })).toThrow(/memory: must be a number, got "lots"/);
    expect(() => containerSpec(A, { name: 'a', image: 'x', command: ['a', ''] })).toThrow(/values for command may not be empty/);
    expect(() => containerSpec(A, { name: 'a', image: 'x', upload: [{ file: '/f' }] })).toThrow(
      /one of 'content', 'content_base64', or 'source' must be set/,
    );
    expect(() => containerSpec(A, { name: 'a', image: 'x', upload: [{ file: '/f', content: 'a', source: 'b' }] })).toThrow(/only one of/);
    expect(() => containerSpec(A, { name: 'a', image: 'x', volumes: [{ host_path: 'relative', container_path: '/x' }] })).toThrow(
      /must be an absolute path/,
    );
    expect(() => containerSpec(A, { name: 'a', image: 'x', healthcheck: { test: ['CMD', 'true'], interval: '30 seconds' } })).toThrow(
      /is not a duration/,
    );
  });
});

describe('networks, volumes, images', () => {
  test('a docker_network is a bridge network, internal when asked, with its IPAM config', () => {
    const s = networkSpec('docker_network.backend', {
      name: 'backend',
      internal: true,
      ipam_config: [{ subnet: '172.30.0.0/24', gateway: '172.30.0.1' }],
      labels: [{ label: 'a', value: 'b' }],
    });
    expect(s.body).toMatchObject({
      Name: 'backend',
      Driver: 'bridge',
      Internal: true,
      Attachable: false,
      Labels: { a: 'b' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '172.30.0.0/24', Gateway: '172.30.0.1' }] },
    });
    expect(() => networkSpec('docker_network.x', { name: 'x', driver: 'overlay' })).toThrow(
      /driver: 'overlay': the lab's engines run the bridge driver only/,
    );
  });

  test('a docker_volume is a local volume; a volume without a name is refused', () => {
    expect(volumeSpec('docker_volume.v', { name: 'pgdata' }).body).toEqual({ Name: 'pgdata', Driver: 'local', DriverOpts: {}, Labels: {} });
    expect(() => volumeSpec('docker_volume.v', {})).toThrow(/docker_volume\.v: name: is required by the lab/);
  });

  test('a docker_image with a build block keeps its context, Dockerfile and build args', () => {
    const s = imageSpec('docker_image.app', { name: 'app:1', build: { context: './app', build_args: { V: '1' }, tag: ['app:latest'] } });
    expect(s.build).toMatchObject({ context: './app', dockerfile: 'Dockerfile', buildArgs: { V: '1' }, tags: ['app:latest'], remove: true });
    expect(() => imageSpec('docker_image.app', { name: 'app', build: { context: '.', secrets: [{ id: 'x' }] } })).toThrow(
      /build\.secrets' is not supported by the tierform lab: build secrets need BuildKit/,
    );
    expect(() => imageSpec('docker_image.app', { name: 'app', platform: 'linux/arm64' })).toThrow(/platform/);
  });

  test('dockerfileBaseImages: FROM images with build args, stages and scratch excluded', () => {
    expect(
      dockerfileBaseImages('ARG PY=3.12\nFROM python:${PY}-slim AS build\nRUN true\nFROM build\nFROM scratch\nFROM nginx:1.27-alpine\n'),
    ).toEqual(['python:3.12-slim', 'nginx:1.27-alpine']);
    expect(dockerfileBaseImages('ARG PY=3.12\nFROM python:$PY\n', { PY: '3.11' })).toEqual(['python:3.11']);
  });
});

describe('images', () => {
  test('parses image references as Docker does', () => {
    expect(parseImageReference('postgres:16.4')).toEqual({ registry: undefined, repository: 'postgres', tag: '16.4', digest: undefined });
    expect(parseImageReference('docker.io/library/redis:7-alpine')).toMatchObject({ registry: undefined, repository: 'redis', tag: '7-alpine' });
    expect(parseImageReference(`nginx@sha256:${'a'.repeat(64)}`)).toMatchObject({
      repository: 'nginx',
      tag: undefined,
      digest: `sha256:${'a'.repeat(64)}`,
    });
    expect(parseImageReference('ghcr.io/acme/app:1')).toMatchObject({ registry: 'ghcr.io', repository: 'acme/app' });
    expect(parseImageReference('python')).toMatchObject({ tag: 'latest' });
    expect(() => parseImageReference('Not An Image')).toThrow(/is not a Docker image reference/);
  });

  test('every plan image the Docker stacks use has a stand-in; other registries have none', () => {
    expect(
      ['postgres:16', 'postgres:16.4', 'redis:7-alpine', 'nginx:1.27-alpine', 'mysql:8.0', 'mariadb:11', 'python:3.12-slim'].map(
        (r) => substitutionFor(r)?.labImage,
      ),
    ).toEqual(['postgres', 'postgres', 'redis', 'nginx', 'mariadb', 'mariadb', 'python']);
    expect(substitutionFor('ghcr.io/acme/postgres:16')).toBeUndefined();
    expect(substitutionFor('bitnami/redis:7')).toBeUndefined();
  });

  test('image keys follow the recipe content: a changed file gives a new key, the base key flows into the others', () => {
    const tmp = makeTempDir('recipes');
    try {
      fs.cpSync(recipesDir(), tmp.dir, { recursive: true });
      const before = Object.fromEntries((Object.keys(LAB_IMAGE_RECIPES) as LabImageName[]).map((n) => [n, imageKey(n, tmp.dir)]));
      expect(before).toEqual(Object.fromEntries((Object.keys(LAB_IMAGE_RECIPES) as LabImageName[]).map((n) => [n, imageKey(n)])));
      fs.appendFileSync(path.join(tmp.dir, 'redis', 'Dockerfile'), '# changed\n');
      expect(imageKey('redis', tmp.dir)).not.toBe(before.redis);
      expect(imageKey('nginx', tmp.dir)).toBe(before.nginx);
      fs.appendFileSync(path.join(tmp.dir, 'base', 'make-rootfs.sh'), '# changed\n');
      expect(imageKey('nginx', tmp.dir)).not.toBe(before.nginx);
    } finally {
      tmp.cleanup();
    }
  });

  test('every substitution names a lab image that has a recipe', () => {
    for (const s of LAB_IMAGE_SUBSTITUTIONS) expect(fs.existsSync(path.join(recipesDir(), s.labImage))).toBe(true);
  });

  test("the recipes' shell scripts pass shellcheck", () => {
    requireTool('shellcheck', 'shellcheck');
    const scripts = [
      'base/make-rootfs.sh',
      'postgres/docker-entrypoint.sh',
      'redis/docker-entrypoint.sh',
      'nginx/docker-entrypoint.sh',
      'nginx/20-envsubst-on-templates.sh',
      'mariadb/docker-entrypoint.sh',
      'mariadb/healthcheck.sh',
    ];
    const r = run(
      'shellcheck',
      scripts.map((s) => path.join(recipesDir(), s)),
    );
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  test("the python image's pip stand-in compiles", () => {
    const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', path.join(recipesDir(), 'python', 'pip')], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
  });
});

describe('the plan around the resources', () => {
  const plan = parseStack(dockerHostStack(), 'lab-docker-host');

  test('dependency order follows references and depends_on', () => {
    const order = dependencyOrder(dockerResources(plan));
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('docker_image.postgres', 'docker_container.db');
    before('docker_network.backend', 'docker_container.db');
    before('docker_volume.pgdata', 'docker_container.db');
    before('docker_container.db', 'docker_container.web'); // depends_on
    before('docker_container.web', 'docker_container.probe_frontend');
  });

  test('a precondition on a one-shot container orders it first and is evaluated as Terraform would', () => {
    const json = dockerHostStack();
    const containers = (json.resource as Record<string, Record<string, Record<string, unknown>>>).docker_container;
    containers.web.lifecycle = { precondition: [{ condition: '${docker_container.probe_backend.exit_code == 0}', error_message: 'migrate first' }] };
    delete containers.probe_backend.depends_on;
    const order = dependencyOrder(dockerResources(parseStack(json)));
    expect(order.indexOf('docker_container.probe_backend')).toBeLessThan(order.indexOf('docker_container.web'));
    const exit = (code: string) => (r: string) => (r === 'docker_container.m.exit_code' ? code : 'x');
    expect(evaluateCondition(A, '${docker_container.m.exit_code == 0}', exit('0'))).toBe(true);
    expect(evaluateCondition(A, '${docker_container.m.exit_code == 0}', exit('1'))).toBe(false);
    expect(evaluateCondition(A, '${docker_container.m.exit_code != 0}', exit('1'))).toBe(true);
    expect(() => evaluateCondition(A, '${length(var.x) > 0}', exit('0'))).toThrow(/evaluates '\$\{<reference> == <literal>\}' and '!=' only/);
  });

  test('renders references and keeps non-string values', () => {
    const out = renderAttributes({ a: '${var.x}-y', n: 3, l: ['${var.x}'], depends_on: ['z'] }, (r) => (r === 'var.x' ? 'X' : 'no'));
    expect(out).toEqual({ a: 'X-y', n: 3, l: ['X'] });
  });

  test('throws if the plan has docker resources the lab does not apply', () => {
    const json = dockerHostStack();
    (json.resource as Record<string, unknown>).docker_service = { s: { name: 's' } };
    expect(() => dockerResources(parseStack(json))).toThrow(
      /docker_service\.s: the tierform lab applies docker_network, docker_volume, docker_image, docker_container only/,
    );
  });

  test('a droplet installs Docker Engine when its packages name docker.io', () => {
    expect(installsDocker(['nginx', 'docker.io'])).toBe(true);
    expect(installsDocker(['nginx'])).toBe(false);
  });

  test("the droplet's cgroup mounts are this machine's, read from mountinfo", () => {
    const mountinfo = [
      '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      '39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
      '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '41 22 0:38 / /proc rw - proc proc rw',
    ].join('\n');
    expect(hostCgroupMounts(mountinfo)).toEqual([
      { type: 'tmpfs', target: '/sys/fs/cgroup', options: 'rw,mode=755' },
      { type: 'cgroup', target: '/sys/fs/cgroup/cpu', options: 'rw,cpu' },
      { type: 'cgroup', target: '/sys/fs/cgroup/systemd', options: 'rw,name=systemd' },
      { type: 'cgroup2', target: '/sys/fs/cgroup/unified', options: 'rw' },
    ]);
  });
});

test('upload archives are tar files with the file at its path and mode', () => {
  requireTool('tar', 'tar');
  const tmp = makeTempDir('upload');
  try {
    const file = path.join(tmp.dir, 'u.tar');
    fs.writeFileSync(file, uploadTar('/run/secrets/db_password', Buffer.from('s3cret'), 0o600));
    const r = run('tar', ['-tvf', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^-rw------- 0\/0 +6 .* run\/secrets\/db_password$/m);
    expect(run('tar', ['-xOf', file]).stdout).toBe('s3cret');
  } finally {
    tmp.cleanup();
  }
});
