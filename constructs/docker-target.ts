import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { propError } from '../lib/errors';
import { isToken } from '../lib/validate';
import type { DockerHost } from './docker-host';
import { DockerService } from './docker-service';

/**
 * Which Docker Engine an apps stack manages: a tierform `DockerHost` droplet over SSH (from another stack: a cdktf
 * cross-stack reference), or the Docker on your machine (seed 001's "validate locally before deploying").
 */
export class DockerTarget {
  /**
   * The droplet's Docker over SSH as root (the provider runs `ssh ... docker system dial-stdio`; your SSH agent must
   * hold a key the droplet accepts, and your address must be in its `adminCidrs`). The host key is accepted on
   * first use and checked afterwards (`StrictHostKeyChecking=accept-new`).
   */
  public static droplet(host: DockerHost): DockerTarget {
    return new DockerTarget(
      host.dockerHostUri,
      ['-o', 'StrictHostKeyChecking=accept-new', '-o', 'ConnectTimeout=20', '-o', 'ServerAliveInterval=15'],
      host.memoryMb,
      host.vcpus,
      host.https,
      host,
    );
  }

  /** A local Docker Engine through its unix socket. */
  public static local(socketPath = '/var/run/docker.sock'): DockerTarget {
    return new DockerTarget(`unix://${socketPath}`, undefined, undefined, undefined, false, undefined);
  }

  private constructor(
    public readonly host: string,
    private readonly sshOpts: string[] | undefined,
    /** The host's memory, MiB, when known (capacity checks). */
    public readonly memoryMb: number | undefined,
    public readonly vcpus: number | undefined,
    /** The host keeps a TLS certificate for the edge. */
    public readonly https: boolean,
    /** The droplet, for its firewall (undefined for a local Engine). */
    private readonly droplet: DockerHost | undefined,
  ) {}

  /** True for a local Docker Engine (a unix socket on your machine), false for a droplet's. */
  public get isLocal(): boolean {
    return this.host.startsWith('unix://');
  }

  /** Where published ports answer: the droplet's public address (a cross-stack reference), or 'localhost'. */
  public get publicAddress(): string {
    return this.droplet?.publicIpv4 ?? 'localhost';
  }

  /** The stack's Docker provider. */
  public configure(scope: Construct): DockerProvider {
    if (!isToken(this.host) && !/^unix:\/\/\/[A-Za-z0-9._/-]+$/.test(this.host)) {
      throw propError(scope, 'target', 'is not a unix socket path', this.host, "Pass an absolute path such as '/var/run/docker.sock'.");
    }
    const provider = new DockerProvider(scope, 'docker', { host: this.host, sshOpts: this.sshOpts });
    scope.node.addValidation({ validate: () => [...this.capacityErrors(scope), ...this.firewallErrors(scope)] });
    return provider;
  }

  /**
   * On a droplet, every port a container publishes must be one the host's Cloud Firewall admits from anywhere:
   * otherwise the service deploys and nobody can reach it. (A local Engine has no Cloud Firewall.)
   */
  private firewallErrors(scope: Construct): string[] {
    const host = this.droplet;
    if (!host) return [];
    const services = scope.node.findAll().filter((c): c is DockerService => c instanceof DockerService);
    const errors: string[] = [];
    for (const s of services) {
      for (const p of s.publishedPorts) {
        if (isToken(p.external) || host.admitsFromAnywhere(p.external)) continue;
        errors.push(
          `${s.node.path}: 'publishedPorts' publishes ${p.external} on the Docker host ${host.node.path}, whose Cloud Firewall does not admit it (it admits ${host.publicPorts.join(', ')} from anywhere). Publish on one of those, or admit the port: host.connections.allowFrom(Peer.anywhere(), Port.tcp(${p.external})).`,
        );
      }
    }
    return errors;
  }

  /**
   * Whether the services of `scope` fit the droplet: their reservations (one-shot jobs excluded) within its memory
   * less 512 MiB for the system and dockerd, and no service granted more CPUs than the droplet has. Limits above the
   * memory are allowed (they are ceilings, not reservations) but warned about.
   */
  private capacityErrors(scope: Construct): string[] {
    if (this.memoryMb === undefined) return [];
    const services = scope.node.findAll().filter((c): c is DockerService => c instanceof DockerService && !c.runOnce);
    const errors: string[] = [];
    const reserved = services.reduce((sum, s) => sum + s.memoryReservationMiB * s.replicas, 0);
    const limited = services.reduce((sum, s) => sum + s.memoryLimitMiB * s.replicas, 0);
    const available = this.memoryMb - 512;
    if (reserved > available) {
      errors.push(
        `${scope.node.path}: the containers reserve ${reserved} MiB, more than the Docker host's ${this.memoryMb} MiB less 512 MiB for the system (${available} MiB). Choose a larger droplet size or lower memoryReservationMiB.`,
      );
    }
    if (limited > this.memoryMb) {
      Annotations.of(scope).addWarning(
        `${scope.node.path}: the containers' memory limits add up to ${limited} MiB on a ${this.memoryMb} MiB host: under load the kernel may kill containers before their own limit.`,
      );
    }
    for (const s of services) {
      if (this.vcpus !== undefined && !isToken(s.cpus) && s.cpus > this.vcpus) {
        errors.push(`${s.node.path}: 'cpus' is ${s.cpus}, more than the Docker host's ${this.vcpus} vCPU. Pass at most ${this.vcpus}.`);
      }
    }
    return errors;
  }
}
