import { Network } from '@cdktf/provider-docker/lib/network';
import { Construct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { isToken, parseCidr, requireProps } from '../lib/validate';

export interface DockerNetworkProps {
  /** Network name on the Docker host, e.g. 'recipe-backend'. */
  readonly name: string;
  /**
   * No route to or from outside the host (`docker network create --internal`): containers on it reach each other
   * and nothing else, and no port can be published from it.
   * @default true
   */
  readonly internal?: boolean;
  /**
   * IPv4 subnet (a private /16 to /28), needed when containers get fixed addresses on the network.
   * @default - chosen by Docker
   */
  readonly subnet?: string;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * A user-defined bridge network (`docker_network`). Internal by default: a network reaches the outside only when
 * you say so (the edge network the published ports live on).
 */
export class DockerNetwork extends Construct {
  public readonly resource: Network;
  public readonly name: string;
  public readonly internal: boolean;
  public readonly subnet?: string;

  constructor(scope: Construct, id: string, props: DockerNetworkProps) {
    super(scope, id);
    props = requireProps(this, props, { name: "Pass the network's name, e.g. 'backend'." });
    if (!isToken(props.name) && !NAME.test(props.name)) {
      throw propError(this, 'name', 'is not a valid network name', props.name, Messages.containerName);
    }
    if (props.subnet !== undefined && !isToken(props.subnet)) {
      const parsed = parseCidr(props.subnet);
      if (!parsed || parsed[0].kind() !== 'ipv4' || parsed[0].range() !== 'private' || parsed[1] < 16 || parsed[1] > 28) {
        throw propError(this, 'subnet', 'is not a private IPv4 subnet from /16 to /28', props.subnet, "Pass e.g. '172.30.1.0/24'.");
      }
    }
    this.name = props.name;
    this.internal = props.internal ?? true;
    this.subnet = props.subnet;
    this.resource = new Network(this, 'Resource', {
      name: props.name,
      driver: 'bridge',
      internal: this.internal,
      ipamConfig: props.subnet ? [{ subnet: props.subnet }] : undefined,
    });
  }
}
