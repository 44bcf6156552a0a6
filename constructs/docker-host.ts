import { DataResource, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { applyAdminAccess } from '../lib/admin-access';
import { edgeTlsFragment, dockerEngineFragment } from '../lib/roles/docker-host';
import { checkInteger, checkName } from '../lib/validate';
import { Connections, IConnectable, Peer } from './connections';
import { HttpsProps, resolveHttps } from './https';
import { Port } from './port';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import { Vpc } from './vpc';

export interface DockerHostProps extends DropletOptions {
  readonly vpc: Vpc;
  /** Droplet name and role tag, e.g. 'foobar-docker'. */
  readonly name: string;
  /**
   * A Let's Encrypt wildcard certificate (DNS-01) for `domain` and `*.domain`, kept in `/etc/tierform/tls` for the
   * edge container (`EdgeProxy` with `https`). Only `domain`, `email`, `dnsToken` and `staging` are used here; the
   * TLS profile and headers are the edge's.
   * @default - no certificate (the edge serves plain HTTP)
   */
  readonly https?: HttpsProps;
  /** Container log rotation: size, MiB. @default 10 */
  readonly logMaxSizeMb?: number;
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
export class DockerHost extends Construct implements IConnectable {
  public readonly droplet: TierDroplet;
  public readonly firewall: RoleFirewall;
  public readonly connections: Connections;
  public readonly roleName: string;
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
    super(scope, id);
    this.roleName = checkName(this, 'name', props.name);
    const https = props.https ? resolveHttps(this, props.https) : undefined;
    this.https = https !== undefined;
    this.firewall = new RoleFirewall(this, 'Firewall', { name: props.name });
    this.connections = this.firewall.connections;
    this.connections.allowFrom(Peer.anywhere(), Port.tcp(80), https ? 'public HTTP (redirects to HTTPS)' : 'public HTTP');
    if (https) this.connections.allowFrom(Peer.anywhere(), Port.tcp(443), 'public HTTPS');
    applyAdminAccess(this, this.connections, props);
    this.droplet = new TierDroplet(this, 'Droplet', { ...props, vpc: props.vpc, role: this.firewall, defaultSize: 's-1vcpu-2gb' });
    this.memoryMb = this.droplet.sizeInfo?.memoryMb;
    this.vcpus = this.droplet.sizeInfo?.vcpus;
    this.droplet.addRole(
      dockerEngineFragment({
        logMaxSizeMb: checkInteger(this, 'logMaxSizeMb', props.logMaxSizeMb ?? 10, 1, 1024),
        logMaxFiles: checkInteger(this, 'logMaxFiles', props.logMaxFiles ?? 3, 1, 100),
      }),
    );
    if (https) this.droplet.addRole(edgeTlsFragment(https.role));
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
    new TerraformOutput(this, 'PublicIpv4', { value: this.publicIpv4, description: `Public address of ${props.name}` });
    new TerraformOutput(this, 'DockerHostUri', { value: this.dockerHostUri, description: 'DOCKER_HOST for the apps stack (SSH to the Docker socket)' });
  }
}
