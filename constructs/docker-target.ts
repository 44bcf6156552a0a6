import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Annotations } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { propError } from '../lib/errors';
import { isToken } from '../lib/validate';
import type { DockerHost } from './docker-host';
import { DockerService } from './docker-service';

/**
 * The stacks configured for each Docker Engine, per App (keyed by the App's root construct): host ports and memory are
 * the Engine's, whichever stack's containers use them. An Engine is a `DockerHost` droplet, or a local socket path.
 */
const ENGINES = new WeakMap<IConstruct, Map<DockerHost | string, Construct[]>>();

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
    const engines = ENGINES.get(scope.node.root) ?? new Map<DockerHost | string, Construct[]>();
    ENGINES.set(scope.node.root, engines);
    const key = this.droplet ?? this.host;
    const scopes = engines.get(key) ?? [];
    scopes.push(scope);
    engines.set(key, scopes);
    scope.node.addValidation({
      validate: () => [...this.capacityErrors(scope, scopes), ...this.firewallErrors(scope), ...this.portClashErrors(scope, scopes)],
    });
    return provider;
  }

  /** The Engine, as messages name it. */
  private get engineName(): string {
    return this.droplet ? `the Docker host ${this.droplet.node.path}` : `the Docker Engine at ${this.host}`;
  }

  /**
   * No two containers on one Engine may publish one host port, in one stack or in two stacks that target the same
   * Engine: Docker refuses the second at deploy ("port is already allocated"), after the first stack's apply.
   * Each clash is reported once, by the stack of the later service.
   */
  private portClashErrors(scope: Construct, scopes: readonly Construct[]): string[] {
    const owners = new Map<number, DockerService>();
    const errors: string[] = [];
    for (const s of scopes) {
      for (const service of servicesOf(s)) {
        for (const p of service.publishedPorts) {
          if (isToken(p.external)) continue;
          const owner = owners.get(p.external);
          if (owner === undefined) owners.set(p.external, service);
          else if (s === scope && owner !== service) {
            errors.push(
              `${service.node.path}: 'publishedPorts' publishes ${p.external} on ${this.engineName}, and ${owner.node.path} already publishes it there: Docker refuses a second container on one host port ("port is already allocated"). Publish another port, or serve both through one proxy (EdgeProxy routes by Host).`,
            );
          }
        }
      }
    }
    return errors;
  }

  /**
   * On a droplet, every port a container publishes must be one the host's Cloud Firewall admits from anywhere:
   * otherwise the service deploys and nobody can reach it. (A local Engine has no Cloud Firewall.)
   */
  private firewallErrors(scope: Construct): string[] {
    const host = this.droplet;
    if (!host) return [];
    const errors: string[] = [];
    for (const s of servicesOf(scope)) {
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
  private capacityErrors(scope: Construct, scopes: readonly Construct[]): string[] {
    if (this.memoryMb === undefined) return [];
    const errors: string[] = [];
    for (const s of servicesOf(scope)) {
      if (this.vcpus !== undefined && !isToken(s.cpus) && s.cpus > this.vcpus) {
        errors.push(`${s.node.path}: 'cpus' is ${s.cpus}, more than the Docker host's ${this.vcpus} vCPU. Pass at most ${this.vcpus}.`);
      }
    }
    // Memory is the Engine's: every stack on it counts, and the totals are reported once, by the first stack.
    if (scope !== scopes[0]) return errors;
    const services = scopes.flatMap(servicesOf).filter((c) => !c.runOnce);
    const whose = scopes.length > 1 ? `the containers of ${scopes.map((x) => x.node.path).join(' and ')} (one host)` : 'the containers';
    const reserved = services.reduce((sum, s) => sum + s.memoryReservationMiB * s.replicas, 0);
    const limited = services.reduce((sum, s) => sum + s.memoryLimitMiB * s.replicas, 0);
    const available = this.memoryMb - 512;
    if (reserved > available) {
      errors.push(
        `${scope.node.path}: ${whose} reserve ${reserved} MiB, more than the Docker host's ${this.memoryMb} MiB less 512 MiB for the system (${available} MiB). Choose a larger droplet size or lower memoryReservationMiB.`,
      );
    }
    if (limited > this.memoryMb) {
      Annotations.of(scope).addWarning(
        `${scope.node.path}: the memory limits of ${whose} add up to ${limited} MiB on a ${this.memoryMb} MiB host: under load the kernel may kill containers before their own limit.`,
      );
    }
    return errors;
  }
}

/** The Docker services of a stack. */
function servicesOf(scope: Construct): DockerService[] {
  return scope.node.findAll().filter((c): c is DockerService => c instanceof DockerService);
}
