import { Container, ContainerConfig } from '@cdktf/provider-docker/lib/container';
import { Annotations, Token } from 'cdktf';
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { Secret, secretToken } from '../lib/secrets';
import { escapeForTerraform } from '../lib/terraform-text';
import { checkInteger, isToken, requireProps } from '../lib/validate';
import { BoundImage, ContainerImage } from './container-image';
import { DockerNetwork } from './docker-network';
import { DockerVolume } from './docker-volume';

/** Ports of database and cache servers: never published on the host. */
export const DATABASE_PORTS: readonly number[] = [3306, 33060, 5432, 6379, 27017, 9042, 11211];

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_KEY = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY/i;
const FILE_MODE = /^0[0-7]{3}$/;
const CONTAINER_PATH = /^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/;

/** How Docker decides a container is healthy. Intervals below 5 s are refused (seed 003). */
export class HealthCheck {
  /** `["CMD", ...argv]`: run without a shell. */
  public static command(argv: string[], timing: HealthCheckTiming = {}): HealthCheck {
    return new HealthCheck(['CMD', ...argv], timing);
  }

  /** `["CMD-SHELL", script]`: for images whose check needs a shell (`pg_isready ... || exit 1`). */
  public static shell(script: string, timing: HealthCheckTiming = {}): HealthCheck {
    return new HealthCheck(['CMD-SHELL', script], timing);
  }

  private constructor(
    public readonly test: readonly string[],
    public readonly timing: HealthCheckTiming,
  ) {}
}

export interface HealthCheckTiming {
  /** Seconds between checks (5 or more). @default 30 */
  readonly intervalSeconds?: number;
  /** Seconds one check may take. @default 5 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before the container is unhealthy. @default 3 */
  readonly retries?: number;
  /** Seconds after start during which failures do not count. @default 30 */
  readonly startPeriodSeconds?: number;
}

/** What Docker does when the container stops. */
export class RestartPolicy {
  /** Restart unless stopped by hand (seed 000's policy; survives reboots and OOM kills). */
  public static unlessStopped(): RestartPolicy {
    return new RestartPolicy('unless-stopped');
  }

  /** Restart after a non-zero exit, at most `maxRetries` times. */
  public static onFailure(maxRetries: number): RestartPolicy {
    return new RestartPolicy('on-failure', maxRetries);
  }

  /** Never restart (one-shot jobs). */
  public static never(): RestartPolicy {
    return new RestartPolicy('no');
  }

  private constructor(
    public readonly policy: 'unless-stopped' | 'on-failure' | 'no',
    public readonly maxRetries?: number,
  ) {}
}

/** A secret written to a file in the container (`*_FILE` variables), from a sensitive Terraform variable. */
export interface SecretFile {
  /** Absolute path in the container, e.g. '/run/secrets/postgres-password'. */
  readonly path: string;
  /** The secret (`Secret.fromVariable(...)`): literals are refused. */
  readonly value: Secret;
  /**
   * File mode. The provider's `upload` always writes root-owned files: 0400 where the image's entrypoint reads
   * the file as root before dropping privileges (postgres, mysql); 0444 where an unprivileged process must read it.
   * @default '0400'
   */
  readonly mode?: string;
}

/** A configuration file tierform renders, uploaded before the container starts. */
export interface ConfigFile {
  readonly path: string;
  readonly content: string;
  /** @default '0444' */
  readonly mode?: string;
}

/** A file of your repository uploaded as is (its content stays out of Terraform state). */
export interface SourceFile {
  readonly path: string;
  /** Path of the file as Terraform sees it (relative to the stack directory, e.g. an asset's path). */
  readonly source: string;
  /** Hash of the content at synth: a change of content replaces the container. */
  readonly sourceHash: string;
  /** @default '0444' */
  readonly mode?: string;
}

export interface ServiceNetwork {
  readonly network: DockerNetwork;
  /** Extra DNS names on this network. @default - the container name only */
  readonly aliases?: string[];
  /** Fixed IPv4 address per replica (the network needs a subnet). @default - chosen by Docker */
  readonly addresses?: string[];
}

export interface VolumeMount {
  /** A named volume, or omit and give `hostPath`. */
  readonly volume?: DockerVolume;
  /** A directory of the Docker host (bind mount). */
  readonly hostPath?: string;
  readonly containerPath: string;
  /** @default false */
  readonly readOnly?: boolean;
}

export interface PublishedPort {
  /** Port in the container. */
  readonly internal: number;
  /** Port on the host. */
  readonly external: number;
}

/** Limits every container of tierform gets (seed 000's starting point). */
export interface ContainerLimitsProps {
  /** Hard memory limit, MiB (`memory`; swap is off: `memory_swap` equals it). @default 384 */
  readonly memoryLimitMiB?: number;
  /**
   * Memory the service needs to run well, MiB. The Docker provider 3.6.2 has no `memory_reservation` attribute, so
   * Docker is not told; tierform uses it to check that a host's services fit its droplet.
   * @default 192
   */
  readonly memoryReservationMiB?: number;
  /** CPU share, in CPUs (`cpus`). @default 0.3 */
  readonly cpus?: number;
  /** Rotate the json-file log at this size, MiB. @default 10 */
  readonly logMaxSizeMiB?: number;
  /** Rotated log files kept. @default 3 */
  readonly logMaxFiles?: number;
}

export interface DockerServiceProps extends ContainerLimitsProps {
  /** Container name (with `-<i>` per replica when there are several). */
  readonly name: string;
  readonly image: ContainerImage;
  /** Identical containers. @default 1 */
  readonly replicas?: number;
  /** Overrides the image's command. @default - the image's */
  readonly command?: string[];
  /** Non-secret environment. Keys that look secret with literal values are refused. @default - none */
  readonly environment?: Record<string, string>;
  /** Secrets as files in the container. @default - none */
  readonly secretFiles?: SecretFile[];
  /** Rendered configuration files. @default - none */
  readonly files?: ConfigFile[];
  /** Repository files uploaded as they are. @default - none */
  readonly sourceFiles?: SourceFile[];
  /** Networks; the first is the container's network mode. */
  readonly networks: ServiceNetwork[];
  /** @default - none */
  readonly volumes?: VolumeMount[];
  /** Ports published on the Docker host. Database ports are refused. @default - none */
  readonly publishedPorts?: PublishedPort[];
  /** @default - the image's own (often none) */
  readonly healthCheck?: HealthCheck;
  /** @default RestartPolicy.unlessStopped() (RestartPolicy.never() when runOnce) */
  readonly restart?: RestartPolicy;
  /** `user[:group]` of the first process. @default - the image's */
  readonly user?: string;
  /**
   * A one-shot job (migrations): Terraform waits for it to exit (`attach`) and records its exit code; services
   * listing it in `requireSuccessOf` are created only after it exited 0.
   * @default false
   */
  readonly runOnce?: boolean;
  /** Terraform waits until every container reports healthy (`wait`; needs `healthCheck`). @default false */
  readonly waitUntilHealthy?: boolean;
  /** @default 120 */
  readonly waitTimeoutSeconds?: number;
  /** Seconds Docker waits for a clean stop before killing, on destroy. @default 10 */
  readonly stopGraceSeconds?: number;
  /** Created after these services' containers. @default - none */
  readonly dependsOn?: DockerService[];
  /** One-shot services that must have exited 0 before these containers are created (a precondition). @default - none */
  readonly requireSuccessOf?: DockerService[];
}

/**
 * One service of a Docker host: `replicas` identical `docker_container`s of one image, with limits, a restart
 * policy, a rotated json-file log, a health check and the networks and volumes you give it.
 *
 *   new DockerService(this, 'Web', { name: 'recipe-web', image, replicas: 3, networks: [{ network: frontend }] });
 *
 * Changing the image replaces exactly this service's containers (their `image` is the image's id). Memory and the
 * restart policy change in place; everything else re-creates the containers (the provider forces it).
 */
export class DockerService extends Construct {
  public readonly containers: Container[] = [];
  public readonly containerNames: string[] = [];
  public readonly name: string;
  public readonly replicas: number;
  public readonly memoryLimitMiB: number;
  public readonly memoryReservationMiB: number;
  public readonly cpus: number;
  public readonly runOnce: boolean;
  public readonly publishedPorts: readonly PublishedPort[];
  public readonly image: BoundImage;

  constructor(scope: Construct, id: string, props: DockerServiceProps) {
    super(scope, id);
    props = requireProps(this, props, {
      name: "Pass the container's name, e.g. 'recipe-web'.",
      image: "Pass a ContainerImage, e.g. ContainerImage.registry('nginx:1.27.3').",
      networks: 'Pass the Docker networks the container joins, e.g. [{ network }].',
    });
    if (!isToken(props.name) && !NAME.test(props.name)) {
      throw propError(this, 'name', 'is not a valid container name', props.name, Messages.containerName);
    }
    this.name = props.name;
    this.replicas = checkInteger(this, 'replicas', props.replicas ?? 1, 1, 20, {
      why: "tierform creates one container per replica at synth (Terraform 'count' is not supported).",
    });
    this.runOnce = props.runOnce ?? false;
    const limits = resolveLimits(this, props);
    this.memoryLimitMiB = limits.memoryLimitMiB;
    this.memoryReservationMiB = limits.memoryReservationMiB;
    this.cpus = limits.cpus;
    if (props.networks.length === 0) {
      throw propError(this, 'networks', 'must name at least one network', [], 'Pass the networks the container joins, e.g. [{ network: backend }].');
    }
    this.publishedPorts = this.checkPorts(props);
    if (this.runOnce && this.replicas > 1) {
      throw propError(
        this,
        'replicas',
        'must be 1 for a one-shot job',
        this.replicas,
        'Run a migration once: one container, before the replicas of the app.',
      );
    }
    if (props.waitUntilHealthy && !props.healthCheck) {
      throw propError(this, 'waitUntilHealthy', 'needs a health check', true, "Pass 'healthCheck', or drop 'waitUntilHealthy'.");
    }
    for (const s of props.requireSuccessOf ?? []) {
      if (!s.runOnce)
        throw propError(this, 'requireSuccessOf', 'names a service that is not one-shot', s.name, "List services created with 'runOnce: true' only.");
    }

    this.image = props.image.bind(this, 'image');
    const env = this.environment(props.environment ?? {});
    const uploads = this.uploads(props);
    const health = props.healthCheck ? healthcheck(this, props.healthCheck) : undefined;
    const restart = props.restart ?? (this.runOnce ? RestartPolicy.never() : RestartPolicy.unlessStopped());
    const dependsOn = [...(props.dependsOn ?? []), ...(props.requireSuccessOf ?? [])].flatMap((s) => s.containers);
    const preconditions = (props.requireSuccessOf ?? []).flatMap((s) =>
      s.containers.map((c) => ({
        condition: `\${${c.terraformResourceType}.${c.friendlyUniqueId}.exit_code == 0}`,
        errorMessage: `${s.name} (one-shot) must exit 0 before ${props.name} starts: see docker logs ${s.containerNames[0]}.`,
      })),
    );
    const networks = props.networks;
    for (const n of networks) {
      if (n.addresses && !isToken(n.addresses) && n.addresses.length !== this.replicas) {
        throw propError(
          this,
          'networks.addresses',
          `must list one address per replica (${this.replicas})`,
          n.addresses,
          'Give as many addresses as replicas.',
        );
      }
    }

    for (let i = 0; i < this.replicas; i++) {
      const containerName = this.replicas > 1 ? `${props.name}-${i}` : props.name;
      const config: ContainerConfig = {
        name: containerName,
        image: this.image.imageId,
        command: props.command,
        env: env.length > 0 ? env : undefined,
        user: props.user,
        restart: restart.policy,
        maxRetryCount: restart.maxRetries,
        memory: this.memoryLimitMiB,
        memorySwap: this.memoryLimitMiB,
        cpus: formatCpus(this.cpus),
        logDriver: 'json-file',
        logOpts: { 'max-size': `${limits.logMaxSizeMiB}m`, 'max-file': `${limits.logMaxFiles}` },
        // No network_mode: the provider creates the container on Docker's default bridge, disconnects it, then connects
        // each `networks_advanced` entry with its IPAM settings. With network_mode set to the first network, that
        // network is joined at create time and the later connect (with the fixed ipv4_address) is a no-op, so the
        // fixed address was never applied (found by the lab).
        networksAdvanced: networks.map((n) => ({
          name: n.network.resource.name,
          aliases: n.aliases && n.aliases.length > 0 ? n.aliases : undefined,
          ipv4Address: n.addresses?.[i],
        })),
        volumes: props.volumes?.map((v) => ({
          volumeName: v.volume?.resource.name,
          hostPath: v.hostPath,
          containerPath: v.containerPath,
          readOnly: v.readOnly ?? false,
        })),
        ports:
          this.publishedPorts.length > 0
            ? this.publishedPorts.map((p) => ({ internal: p.internal, external: p.external, protocol: 'tcp' }))
            : undefined,
        healthcheck: health?.block,
        // The provider neither re-creates nor updates a container whose health check changed; labels force it.
        labels: [{ label: 'tierform.service', value: props.name }, ...(health ? [{ label: 'tierform.healthcheck', value: health.hash }] : [])],
        upload: uploads.length > 0 ? uploads : undefined,
        destroyGraceSeconds: checkInteger(this, 'stopGraceSeconds', props.stopGraceSeconds ?? 10, 1, 600, { tokens: 'allow' }),
        ...(this.runOnce ? { mustRun: false, attach: true } : {}),
        ...(props.waitUntilHealthy
          ? { wait: true, waitTimeout: checkInteger(this, 'waitTimeoutSeconds', props.waitTimeoutSeconds ?? 120, 10, 3600, { tokens: 'allow' }) }
          : {}),
        dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
        lifecycle: preconditions.length > 0 ? { precondition: preconditions } : undefined,
      };
      this.containers.push(new Container(this, this.replicas > 1 ? `Container${i}` : 'Container', config));
      this.containerNames.push(containerName);
    }
  }

  private checkPorts(props: DockerServiceProps): PublishedPort[] {
    const ports = props.publishedPorts ?? [];
    if (ports.length > 0 && this.replicas > 1) {
      throw propError(
        this,
        'publishedPorts',
        'cannot be published by several replicas',
        ports.map((p) => p.external),
        'Publish from one container (a proxy) and reach the replicas over a network.',
      );
    }
    const seen = new Set<number>();
    for (const p of ports) {
      for (const [field, value] of [
        ['internal', p.internal],
        ['external', p.external],
      ] as const) {
        checkInteger(this, `publishedPorts.${field}`, value, 1, 65535, { tokens: 'allow' });
      }
      if (DATABASE_PORTS.includes(p.internal) || DATABASE_PORTS.includes(p.external)) {
        throw propError(this, 'publishedPorts', 'publishes a database port', `${p.external}:${p.internal}`, Messages.databasePortPublished);
      }
      if (seen.has(p.external)) throw propError(this, 'publishedPorts', 'publishes a host port twice', p.external, Messages.publishedPortClash);
      seen.add(p.external);
    }
    if (ports.length > 0 && props.networks.every((n) => n.network.internal)) {
      throw propError(
        this,
        'publishedPorts',
        'are published from internal networks only',
        ports.map((p) => p.external),
        'Docker publishes ports only on a non-internal network: add one (internal: false) to the networks.',
      );
    }
    return ports;
  }

  private environment(environment: Record<string, string>): string[] {
    const env: string[] = [];
    for (const [key, value] of Object.entries(environment).sort(([a], [b]) => a.localeCompare(b))) {
      if (!ENV_KEY.test(key))
        throw propError(this, 'environment', 'has an invalid variable name', key, 'Use letters, digits and _, not starting with a digit.');
      if (SECRET_KEY.test(key) && !key.endsWith('_FILE')) {
        if (!Token.isUnresolved(value))
          throw propError(this, `environment.${key}`, 'is a literal secret', '(redacted)', Messages.secretInEnvironment);
        Annotations.of(this).addWarning(
          `${this.node.path}: 'environment.${key}' puts a secret in the container's environment (visible to docker inspect and kept in Terraform state); prefer 'secretFiles' with a *_FILE variable.`,
        );
      }
      env.push(`${key}=${value}`);
    }
    return env;
  }

  private uploads(props: DockerServiceProps): NonNullable<ContainerConfig['upload']> & unknown[] {
    const seen = new Set<string>();
    const path = (field: string, p: string) => {
      if (!CONTAINER_PATH.test(p) || p.split('/').includes('..'))
        throw propError(this, field, 'is not an absolute file path', p, "Pass e.g. '/run/secrets/db-password'.");
      if (seen.has(p)) throw propError(this, field, 'writes a file twice', p, 'Each file path once.');
      seen.add(p);
      return p;
    };
    const mode = (field: string, m: string) => {
      if (!FILE_MODE.test(m)) throw propError(this, field, 'is not a file mode', m, "Pass e.g. '0400'.");
      return m;
    };
    const uploads: { file: string; content?: string; source?: string; sourceHash?: string; permissions: string }[] = [];
    for (const s of props.secretFiles ?? []) {
      const content = secretToken(this, `secretFiles[${s.path}].value`, s.value)!;
      uploads.push({ file: path('secretFiles.path', s.path), content, permissions: mode('secretFiles.mode', s.mode ?? '0400') });
    }
    for (const f of props.files ?? []) {
      // Literal `${`/`%{` in rendered text reach the container as written (Terraform would interpolate them).
      uploads.push({ file: path('files.path', f.path), content: escapeForTerraform(f.content), permissions: mode('files.mode', f.mode ?? '0444') });
    }
    for (const f of props.sourceFiles ?? []) {
      uploads.push({
        file: path('sourceFiles.path', f.path),
        source: f.source,
        sourceHash: f.sourceHash,
        permissions: mode('sourceFiles.mode', f.mode ?? '0444'),
      });
    }
    return uploads;
  }
}

interface ResolvedLimits {
  readonly memoryLimitMiB: number;
  readonly memoryReservationMiB: number;
  readonly cpus: number;
  readonly logMaxSizeMiB: number;
  readonly logMaxFiles: number;
}

/** Checks seed 000's limits: the reservation fits under the limit, a CPU share between 0.01 and 64. */
export function resolveLimits(
  scope: Construct,
  props: ContainerLimitsProps,
  defaults: { memoryLimitMiB?: number; memoryReservationMiB?: number; cpus?: number } = {},
): ResolvedLimits {
  const memoryLimitMiB = checkInteger(scope, 'memoryLimitMiB', props.memoryLimitMiB ?? defaults.memoryLimitMiB ?? 384, 6, 1_048_576, {
    tokens: 'allow',
  });
  const memoryReservationMiB = checkInteger(
    scope,
    'memoryReservationMiB',
    props.memoryReservationMiB ?? defaults.memoryReservationMiB ?? 192,
    0,
    1_048_576,
    { tokens: 'allow' },
  );
  if (memoryReservationMiB > memoryLimitMiB) {
    throw propError(
      scope,
      'memoryLimitMiB',
      `is below 'memoryReservationMiB' (${memoryReservationMiB})`,
      memoryLimitMiB,
      Messages.memoryBelowReservation,
    );
  }
  const cpus = props.cpus ?? defaults.cpus ?? 0.3;
  if (!isToken(cpus) && (typeof cpus !== 'number' || !(cpus >= 0.01 && cpus <= 64))) {
    throw propError(scope, 'cpus', 'must be a CPU share from 0.01 to 64', cpus, 'Pass e.g. 0.3 (30% of one CPU) or 1.5.');
  }
  return {
    memoryLimitMiB,
    memoryReservationMiB,
    cpus,
    logMaxSizeMiB: checkInteger(scope, 'logMaxSizeMiB', props.logMaxSizeMiB ?? 10, 1, 1024, { tokens: 'allow' }),
    logMaxFiles: checkInteger(scope, 'logMaxFiles', props.logMaxFiles ?? 3, 1, 100, { tokens: 'allow' }),
  };
}

function formatCpus(cpus: number): string {
  return isToken(cpus) ? `${cpus}` : `${Math.round(cpus * 100) / 100}`;
}

function healthcheck(scope: Construct, check: HealthCheck): { block: NonNullable<ContainerConfig['healthcheck']>; hash: string } {
  const t = check.timing;
  const interval = checkInteger(scope, 'healthCheck.intervalSeconds', t.intervalSeconds ?? 30, 1, 3600);
  if (interval < 5)
    throw propError(scope, 'healthCheck.intervalSeconds', 'checks more often than every 5 seconds', interval, Messages.healthInterval);
  const timeout = checkInteger(scope, 'healthCheck.timeoutSeconds', t.timeoutSeconds ?? 5, 1, 600);
  if (timeout > interval)
    throw propError(
      scope,
      'healthCheck.timeoutSeconds',
      `is longer than the interval (${interval} s)`,
      timeout,
      'A check must end before the next one starts.',
    );
  const block = {
    test: [...check.test],
    interval: `${interval}s`,
    timeout: `${timeout}s`,
    retries: checkInteger(scope, 'healthCheck.retries', t.retries ?? 3, 1, 100),
    startPeriod: `${checkInteger(scope, 'healthCheck.startPeriodSeconds', t.startPeriodSeconds ?? 30, 0, 3600)}s`,
  };
  if (check.test.length < 2 || check.test.slice(1).some((a) => typeof a !== 'string' || a === '')) {
    throw scopeError(scope, "'healthCheck' must run a command: pass a non-empty argv or script.");
  }
  const hash = createHash('sha256').update(JSON.stringify(block)).digest('hex').slice(0, 12);
  return { block, hash };
}
