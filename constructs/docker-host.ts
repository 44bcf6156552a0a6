import { DataResource } from 'cdktf';
import { Construct } from 'constructs';
import { edgeTlsFragment, dockerEngineFragment } from '../lib/fragments/docker-host';
import { checkInteger } from '../lib/validate';
import { Peer } from './connections';
import type { IEntryPoint } from './dns';
import { HttpsProps } from './https';
import { Port } from './port';
import { RoleBase, RoleProps } from './role-base';
import { TierDroplet } from './tier-droplet';
import { resolveHttps } from './_https-options';

export interface DockerHostProps extends RoleProps {
  /**
   * A Let's Encrypt wildcard certificate (DNS-01) for `domain` and `*.domain`, kept in `/etc/tierform/tls` for the
   * edge container (`EdgeProxy` with `https`). Only `domain`, `email`, `dnsToken` and `staging` are used here; the
   * TLS profile and headers are the edge's.
   * @default - no certificate (the edge serves plain HTTP)
   */
  readonly https?: HttpsProps;
  /** Container log rotation: size, MiB. @default 10 */
  readonly logMaxSizeMiB?: number;
  /** Container log rotation: files kept. @default 3 */
  readonly logMaxFiles?: number;
}

/**
 * A droplet running Docker Engine for containerized apps (seeds 000 and 001): Ubuntu 24.04's `docker.io` with log
 * rotation, live-restore and no TCP socket; a Cloud Firewall admitting 80 and 443 from anywhere and 22 from the
 * admin networks only (seed 000's UFW rules, applied before traffic reaches the droplet: Docker's published ports
 * bypass UFW's chains, so UFW on the host would give no protection there); fail2ban, SSH keys, VPC and the
 * monitoring agent as on every tierform droplet.
 *
 * Its user_data never depends on the apps: they are `docker_*` resources of another stack, reaching this droplet's
 * Docker over SSH at `dockerHostUri` once cloud-init has finished (`Ready`).
 */
export class DockerHost extends RoleBase implements IEntryPoint {
  public readonly droplet: TierDroplet;
  /** `ssh://root@<address>` — known once cloud-init finished on the droplet (use it for the Docker provider). */
  public readonly dockerHostUri: string;
  /** The public address (a reference). */
  public readonly publicIpv4: string;
  /** The droplet's memory, MiB, when its size is a literal (for capacity checks). */
  public readonly memoryMb?: number;
  public readonly vcpus?: number;
  /** True when the host keeps a certificate for the edge. */
  public readonly https: boolean;

  constructor(scope: Construct, id: string, props: DockerHostProps) {
    super(scope, id, props, { defaultPort: Port.HTTP });
    const https = props.https ? resolveHttps(this, props.https) : undefined;
    this.https = https !== undefined;
    this.connections.allowFrom(Peer.anywhere(), Port.HTTP, https ? 'public HTTP (redirects to HTTPS)' : 'public HTTP');
    if (https) this.connections.allowFrom(Peer.anywhere(), Port.HTTPS, 'public HTTPS');
    this.droplet = this.addDroplet('Droplet', { defaultSize: 's-1vcpu-2gb' });
    this.memoryMb = this.droplet.sizeInfo?.memoryMb;
    this.vcpus = this.droplet.sizeInfo?.vcpus;
    this.droplet.addFragment(
      dockerEngineFragment({
        logMaxSizeMb: checkInteger(this, 'logMaxSizeMiB', props.logMaxSizeMiB ?? 10, 1, 1024),
        logMaxFiles: checkInteger(this, 'logMaxFiles', props.logMaxFiles ?? 3, 1, 100),
      }),
    );
    if (https) this.droplet.addFragment(edgeTlsFragment(https.role));
    this.publicIpv4 = this.droplet.publicIpv4;

    // Docker is usable only once cloud-init has installed it: the address reaches the apps stack through this
    // resource, whose creation waits for `cloud-init status --wait` over SSH (your agent's key, as for the
    // Docker provider itself).
    const ready = new DataResource(this, 'Ready', {
      input: { address: this.publicIpv4 },
      provisioners: [
        {
          type: 'remote-exec',
          inline: ['cloud-init status --wait > /dev/null', 'docker info --format "{{.ServerVersion}}"'],
          connection: { type: 'ssh', user: 'root', host: this.publicIpv4, timeout: '15m' },
        },
      ],
    });
    this.dockerHostUri = `ssh://root@${ready.output.lookup('address')}:22`;
    this.addOutput('PublicIpv4', this.publicIpv4, `Public address of ${props.name}`);
    this.addOutput('DockerHostUri', this.dockerHostUri, 'DOCKER_HOST for the apps stack (SSH to the Docker socket)');
  }

  /**
   * True when the Cloud Firewall admits TCP `port` from anywhere: a container port published on this host is
   * reachable from the internet only then (`DockerTarget` checks every published port against it at synth).
   */
  public admitsFromAnywhere(port: number): boolean {
    return this.connections.flows.some((f) => f.direction === 'inbound' && f.peer === 'anywhere' && f.port.covers('tcp', port));
  }

  /** The TCP ports its Cloud Firewall admits from anywhere, e.g. ['tcp/80', 'tcp/443'] (for messages). */
  public get publicPorts(): string[] {
    return this.connections.flows.filter((f) => f.direction === 'inbound' && f.peer === 'anywhere').map((f) => f.port.toString());
  }

  /** The host's public address: what DNS points at. */
  public get entryIpv4(): string {
    return this.publicIpv4;
  }
}
