import { Construct } from 'constructs';
import { requireProps } from '../lib/validate';
import { propError } from '../lib/errors';
import { ContainerImage } from './container-image';
import { DockerNetwork } from './docker-network';
import { ContainerLimitsProps, DockerService, HealthCheck, resolveLimits } from './docker-service';
import { DockerVolume } from './docker-volume';

export interface RedisContainerProps extends ContainerLimitsProps {
  /** Container name, e.g. 'shop-redis'. */
  readonly name: string;
  /** An internal network. */
  readonly network: DockerNetwork;
  /** @default ContainerImage.registry('redis:7.4-alpine') */
  readonly image?: ContainerImage;
  /** @default true */
  readonly retainDataOnDestroy?: boolean;
}

/**
 * Redis for caching and counters: append-only persistence (`appendfsync everysec`) on a named volume, a memory
 * ceiling 25 % under the container limit (so Redis evicts, least recently used first, before the kernel kills it),
 * `redis-cli ping` every 10 s, on an internal network only. No password: only containers on that network reach it.
 */
export class RedisContainer extends Construct {
  public readonly host: string;
  public readonly port = 6379;
  public readonly network: DockerNetwork;
  public readonly service: DockerService;
  public readonly volume: DockerVolume;

  constructor(scope: Construct, id: string, props: RedisContainerProps) {
    super(scope, id);
    props = requireProps(this, props, {
      name: "Pass the container's name, e.g. 'recipe-cache'.",
      network: 'Pass an internal DockerNetwork (the cache stays off the public network).',
    });
    if (!props.network.internal) {
      throw propError(
        this,
        'network',
        'is not internal',
        props.network.name,
        'Redis has no password here: keep it on an internal network (internal: true).',
      );
    }
    const limits = resolveLimits(this, props, { memoryLimitMiB: 128, memoryReservationMiB: 64, cpus: 0.2 });
    this.host = props.name;
    this.network = props.network;
    this.volume = new DockerVolume(this, 'Data', { name: `${props.name}-data`, retainOnDestroy: props.retainDataOnDestroy });
    this.service = new DockerService(this, 'Service', {
      ...props,
      ...limits,
      image: props.image ?? ContainerImage.registry('redis:7.4-alpine'),
      command: [
        'redis-server',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory',
        `${Math.floor(limits.memoryLimitMiB * 0.75)}mb`,
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      networks: [{ network: props.network }],
      volumes: [{ volume: this.volume, containerPath: '/data' }],
      healthCheck: HealthCheck.command(['redis-cli', 'ping'], { intervalSeconds: 10, timeoutSeconds: 3, retries: 3, startPeriodSeconds: 10 }),
      waitUntilHealthy: true,
      stopGraceSeconds: 30,
    });
  }
}
