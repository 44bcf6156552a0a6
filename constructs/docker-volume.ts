import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Construct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { isToken, requireProps } from '../lib/validate';

export interface DockerVolumeProps {
  /** Volume name on the Docker host, e.g. 'recipe-db-data'. */
  readonly name: string;
  /**
   * Refuse `terraform destroy` of the volume (and so of the data in it): destroying the apps stack then fails
   * until you remove the volume from the plan on purpose.
   * @default true
   */
  readonly retainOnDestroy?: boolean;
}

/** A named volume (`docker_volume`, local driver): data that outlives its containers. */
export class DockerVolume extends Construct {
  public readonly resource: Volume;
  public readonly name: string;

  constructor(scope: Construct, id: string, props: DockerVolumeProps) {
    super(scope, id);
    props = requireProps(this, props, { name: "Pass the volume's name, e.g. 'recipe-data'." });
    if (!isToken(props.name) && !/^[a-z][a-z0-9-]{0,62}$/.test(props.name)) {
      throw propError(this, 'name', 'is not a valid volume name', props.name, Messages.containerName);
    }
    this.name = props.name;
    this.resource = new Volume(this, 'Resource', {
      name: props.name,
      driver: 'local',
      lifecycle: { preventDestroy: props.retainOnDestroy ?? true },
    });
  }
}
