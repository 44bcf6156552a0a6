import { Secret } from '../../lib/secrets';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { ContainerImage } from '../../constructs/container-image';
import { DockerNetwork } from '../../constructs/docker-network';
import { DockerService, HealthCheck, RestartPolicy } from '../../constructs/docker-service';

function dockerStack() {
  const stack = new TerraformStack(Testing.app(), 'test');
  new DockerProvider(stack, 'docker', { host: 'unix:///var/run/docker.sock' });
  const backend = new DockerNetwork(stack, 'Backend', { name: 'app-backend' });
  const public_ = new DockerNetwork(stack, 'Public', { name: 'app-public', internal: false });
  const secret = Secret.fromVariable(new TerraformVariable(stack, 'secret', { type: 'string', sensitive: true }));
  return { stack, backend, public: public_, secret };
}
const image = ContainerImage.registry('ghcr.io/foobar/app:1.2.3');

describe('DockerService', () => {
  test('gives every container seed 000\u2019s limits, a restart policy and a rotated json-file log by default', () => {
    const { stack, backend } = dockerStack();
    new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }] });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Container, {
      name: 'web',
      memory: 384,
      memory_swap: 384,
      cpus: '0.3',
      restart: 'unless-stopped',
      log_driver: 'json-file',
      log_opts: { 'max-size': '10m', 'max-file': '3' },
      destroy_grace_seconds: 10,
    });
  });

  test('names replicas <name>-<i> with one fixed address each', () => {
    const { stack } = dockerStack();
    const net = new DockerNetwork(stack, 'Front', { name: 'front', subnet: '172.30.9.0/24' });
    new DockerService(stack, 'Web', { name: 'web', image, replicas: 2, networks: [{ network: net, addresses: ['172.30.9.10', '172.30.9.11'] }] });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'web-0',
      networks_advanced: [expect.objectContaining({ ipv4_address: '172.30.9.10' })],
    });
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'web-1',
      networks_advanced: [expect.objectContaining({ ipv4_address: '172.30.9.11' })],
    });
  });

  test('a changed health check changes a label, so the provider re-creates the container', () => {
    const label = (interval: number) => {
      const { stack, backend } = dockerStack();
      new DockerService(stack, 'Web', {
        name: 'web',
        image,
        networks: [{ network: backend }],
        healthCheck: HealthCheck.command(['true'], { intervalSeconds: interval }),
      });
      const c = Object.values(JSON.parse(Testing.synth(stack)).resource.docker_container)[0] as { labels: { label: string; value: string }[] };
      return c.labels.find((l) => l.label === 'tierform.healthcheck')!.value;
    };
    expect(label(30)).not.toBe(label(60));
  });

  test('secret files come from sensitive variables, 0400 by default', () => {
    const { stack, backend, secret } = dockerStack();
    new DockerService(stack, 'Db', {
      name: 'db',
      image,
      networks: [{ network: backend }],
      secretFiles: [{ path: '/run/secrets/pw', value: secret }],
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Container, {
      upload: [{ file: '/run/secrets/pw', content: '${var.secret}', permissions: '0400' }],
    });
  });

  test('a one-shot job is attached to, never restarted, and gates its dependants with a precondition', () => {
    const { stack, backend } = dockerStack();
    const job = new DockerService(stack, 'Migrate', { name: 'migrate', image, networks: [{ network: backend }], runOnce: true });
    new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }], requireSuccessOf: [job] });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Container, { name: 'migrate', must_run: false, attach: true, restart: 'no' });
    expect(synth).toHaveResourceWithProperties(Container, {
      name: 'web',
      depends_on: [expect.stringMatching(/^docker_container\.Migrate_Container_/)],
      lifecycle: { precondition: [expect.objectContaining({ condition: expect.stringMatching(/exit_code == 0\}$/) })] },
    });
  });

  test('memory changes in place; the restart policy too (RestartPolicy.onFailure)', () => {
    const { stack, backend } = dockerStack();
    new DockerService(stack, 'Web', {
      name: 'web',
      image,
      networks: [{ network: backend }],
      memoryLimitMiB: 512,
      restart: RestartPolicy.onFailure(5),
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Container, {
      memory: 512,
      memory_swap: 512,
      restart: 'on-failure',
      max_retry_count: 5,
    });
  });

  test('throws if a database port is published', () => {
    const { stack, public: pub } = dockerStack();
    expect(
      () =>
        new DockerService(stack, 'Db', {
          name: 'db',
          image: ContainerImage.registry('postgres:16.4'),
          networks: [{ network: pub }],
          publishedPorts: [{ internal: 5432, external: 5432 }],
        }),
    ).toThrow(
      "test/Db: 'publishedPorts' publishes a database port, got '5432:5432'. A database port published on the host is reachable from outside the Docker networks (seed 000: \u201cDatabase port exposed\u201d). Keep the database on an internal network and reach it from the app containers; for a one-off admin session use an SSH tunnel and docker exec.",
    );
  });

  test('throws if the memory limit is below the reservation', () => {
    const { stack, backend } = dockerStack();
    expect(
      () => new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }], memoryLimitMiB: 128, memoryReservationMiB: 192 }),
    ).toThrow(
      "test/Web: 'memoryLimitMiB' is below 'memoryReservationMiB' (192), got 128. The limit is the hard ceiling (the OOM killer acts at it) and must be at least the reservation; raise memoryLimitMiB or lower memoryReservationMiB.",
    );
  });

  test('throws if the image is not pinned (latest or no tag)', () => {
    for (const reference of ['nginx:latest', 'nginx']) {
      const { stack, backend } = dockerStack();
      expect(
        () => new DockerService(stack, 'Web', { name: 'web', image: ContainerImage.registry(reference), networks: [{ network: backend }] }),
      ).toThrow(
        `test/Web: 'image' is not pinned to a version, got '${reference}'. Pin a version tag ('postgres:16.4') or a digest ('postgres@sha256:...'): with 'latest' or no tag the image a container runs changes without the plan showing it.`,
      );
    }
  });

  const warnings = (c: { node: { metadata: { type: string; data: unknown }[] } }) =>
    c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data);

  test('warns if the tag names no version (a release channel such as alpine), not for a version tag', () => {
    const { stack, backend } = dockerStack();
    const channel = new DockerService(stack, 'Web', {
      name: 'web',
      image: ContainerImage.registry('nginx:alpine'),
      networks: [{ network: backend }],
    });
    const version = new DockerService(stack, 'Api', {
      name: 'api',
      image: ContainerImage.registry('nginx:1.27-alpine'),
      networks: [{ network: backend }],
    });
    expect(warnings(channel)).toEqual([
      "test/Web: 'image' is 'nginx:alpine', whose tag 'alpine' names no version (a release channel follows new releases): pin a version tag or a digest so the plan shows when the image changes.",
    ]);
    expect(warnings(version)).toEqual([]);
  });

  test('warns if a secret-looking variable comes from a sensitive variable through the environment (kept in state, shown by docker inspect)', () => {
    const { stack, backend, secret } = dockerStack();
    const web = new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }], environment: { API_TOKEN: secret.token } });
    expect(warnings(web)).toEqual([
      "test/Web: 'environment.API_TOKEN' puts a secret in the container's environment (visible to docker inspect and kept in Terraform state); prefer 'secretFiles' with a *_FILE variable.",
    ]);
  });

  test('accepts a digest without a tag', () => {
    const { stack, backend } = dockerStack();
    new DockerService(stack, 'Web', {
      name: 'web',
      image: ContainerImage.registry(`nginx@sha256:${'a'.repeat(64)}`),
      networks: [{ network: backend }],
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Image, { name: `nginx@sha256:${'a'.repeat(64)}` });
  });

  test('throws if a health check runs more often than every 5 seconds', () => {
    const { stack, backend } = dockerStack();
    expect(
      () =>
        new DockerService(stack, 'Db', {
          name: 'db',
          image,
          networks: [{ network: backend }],
          healthCheck: HealthCheck.command(['pg_isready'], { intervalSeconds: 3 }),
        }),
    ).toThrow(
      "test/Db: 'healthCheck.intervalSeconds' checks more often than every 5 seconds, got 3. Seed 003: checks every few seconds load the service for nothing and flap under load; check every 5 s or more (10 s for databases, 30 s for apps is usual).",
    );
  });

  test('throws if a secret is a literal in the environment', () => {
    const { stack, backend } = dockerStack();
    expect(
      () => new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }], environment: { DB_PASSWORD: 'hunter2hunter2' } }),
    ).toThrow(
      "test/Web: 'environment.DB_PASSWORD' is a literal secret, got '(redacted)'. Secrets must not be literals in the plan: pass a sensitive TerraformVariable's value through 'secretFiles' (written to a file in the container) instead of 'environment'.",
    );
  });

  test('throws if a secret file is given a literal', () => {
    const { stack, backend } = dockerStack();
    expect(
      () =>
        new DockerService(stack, 'Web', {
          name: 'web',
          image,
          networks: [{ network: backend }],
          secretFiles: [{ path: '/run/secrets/pw', value: 'hunter2hunter2' as unknown as Secret }],
        }),
    ).toThrow("test/Web: 'secretFiles[/run/secrets/pw].value' is a literal secret, got '(redacted)'.");
  });

  test('throws if replicas publish a port', () => {
    const { stack, public: pub } = dockerStack();
    expect(
      () =>
        new DockerService(stack, 'Web', {
          name: 'web',
          image,
          replicas: 2,
          networks: [{ network: pub }],
          publishedPorts: [{ internal: 80, external: 80 }],
        }),
    ).toThrow(
      "test/Web: 'publishedPorts' cannot be published by several replicas, got [80]. Publish from one container (a proxy) and reach the replicas over a network.",
    );
  });

  test('throws if a port is published from internal networks only', () => {
    const { stack, backend } = dockerStack();
    expect(
      () =>
        new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }], publishedPorts: [{ internal: 80, external: 8080 }] }),
    ).toThrow(
      "test/Web: 'publishedPorts' are published from internal networks only, got [8080]. Docker publishes ports only on a non-internal network: add one (internal: false) to the networks.",
    );
  });

  test('throws if the CPU share is zero', () => {
    const { stack, backend } = dockerStack();
    expect(() => new DockerService(stack, 'Web', { name: 'web', image, networks: [{ network: backend }], cpus: 0 })).toThrow(
      "test/Web: 'cpus' must be a CPU share from 0.01 to 64, got 0. Pass e.g. 0.3 (30% of one CPU) or 1.5.",
    );
  });

  test('throws if a one-shot job has replicas', () => {
    const { stack, backend } = dockerStack();
    expect(() => new DockerService(stack, 'Job', { name: 'job', image, replicas: 2, networks: [{ network: backend }], runOnce: true })).toThrow(
      "test/Job: 'replicas' must be 1 for a one-shot job, got 2.",
    );
  });

  test('throws if the container name is not a name', () => {
    const { stack, backend } = dockerStack();
    expect(() => new DockerService(stack, 'Web', { name: 'Web_1', image, networks: [{ network: backend }] })).toThrow(
      "test/Web: 'name' is not a valid container name, got 'Web_1'. Use lowercase letters, digits and '-', starting with a letter, at most 40 characters (it names containers, networks and volumes).",
    );
  });
});
