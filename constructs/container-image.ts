import { Image } from '@cdktf/provider-docker/lib/image';
import { Annotations, TerraformAsset, AssetType, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { isToken } from '../lib/validate';

/** A bound image: the `docker_image` resource and what containers reference. */
export interface BoundImage {
  readonly resource: Image;
  /** `docker_image.<x>.image_id`: containers use it, so a new image replaces exactly their containers. */
  readonly imageId: string;
  /** The reference as written in the plan, e.g. 'postgres:16.4'. */
  readonly reference: string;
}

// name[:tag][@sha256:digest], lowercase repository path as Docker requires.
const REFERENCE =
  /^(?<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;
const IMAGE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * Where a container's image comes from: a registry reference pinned to a tag or digest, or a build of a directory
 * in your repository (its Dockerfile).
 *
 *   ContainerImage.registry('postgres:16.4')
 *   ContainerImage.fromDirectory(path.join(__dirname, 'app'), { name: 'recipe' })
 *
 * `latest` and untagged references are refused: the image a container runs would change under the plan (a
 * re-pull of the same name is invisible to Terraform), and two hosts would run different code. A tag with no digit
 * at all (`alpine`, `stable`, `lts`: a release channel, not a version) is accepted with a warning.
 */
export class ContainerImage {
  /** A registry image, e.g. 'postgres:16.4' or 'nginx@sha256:<64 hex>'. Refused: no tag, or the tag `latest`. */
  public static registry(reference: string): ContainerImage {
    return new ContainerImage({ kind: 'registry', reference });
  }

  /**
   * Built by the Docker host from `directory` (which holds the Dockerfile). The directory is copied into the stack's
   * output as a cdktf asset, so the plan points at a relative path, and the image is tagged `<name>:<content hash>`:
   * changing a file of the directory changes the tag, which rebuilds the image and replaces its containers.
   */
  public static fromDirectory(directory: string, options: { readonly name: string; readonly dockerfile?: string }): ContainerImage {
    return new ContainerImage({ kind: 'build', directory, name: options.name, dockerfile: options.dockerfile ?? 'Dockerfile' });
  }

  private readonly bound = new WeakMap<IConstruct, BoundImage>();

  private constructor(
    private readonly source:
      | { readonly kind: 'registry'; readonly reference: string }
      | { readonly kind: 'build'; readonly directory: string; readonly name: string; readonly dockerfile: string },
  ) {}

  /** A short description for messages and labels. */
  public get description(): string {
    return this.source.kind === 'registry' ? this.source.reference : `build of ${path.basename(this.source.directory)} (${this.source.name})`;
  }

  /** The repository name without tag, e.g. 'postgres' (for checks such as "is this a database image"). */
  public get repository(): string | undefined {
    if (this.source.kind === 'build') return this.source.name;
    if (isToken(this.source.reference)) return undefined;
    return REFERENCE.exec(this.source.reference)?.groups?.repo;
  }

  /** Checks the reference and returns the image's `docker_image`, created once per stack. */
  public bind(scope: Construct, prop: string): BoundImage {
    const stack = TerraformStack.of(scope);
    const existing = this.bound.get(stack);
    if (existing) return existing;
    const bound = this.source.kind === 'registry' ? this.bindRegistry(scope, prop, this.source.reference) : this.bindBuild(scope, prop, this.source);
    this.bound.set(stack, bound);
    return bound;
  }

  private bindRegistry(scope: Construct, prop: string, reference: string): BoundImage {
    if (!isToken(reference)) {
      const m = REFERENCE.exec(reference);
      if (!m) throw propError(scope, prop, 'is not an image reference', reference, Messages.imageReference);
      const { tag, digest } = m.groups!;
      if (!digest && (tag === undefined || tag === 'latest')) {
        throw propError(scope, prop, 'is not pinned to a version', reference, Messages.imageUnpinned);
      }
      if (!digest && tag !== undefined && !/[0-9]/.test(tag)) {
        Annotations.of(scope).addWarning(
          `${scope.node.path}: '${prop}' is '${reference}', whose tag '${tag}' names no version (a release channel follows new releases): pin a version tag or a digest so the plan shows when the image changes.`,
        );
      }
    }
    const resource = new Image(scope, 'Image', { name: reference });
    return { resource, imageId: resource.imageId, reference };
  }

  private bindBuild(scope: Construct, prop: string, source: { directory: string; name: string; dockerfile: string }): BoundImage {
    if (!IMAGE_NAME.test(source.name)) {
      throw propError(scope, `${prop}.name`, 'is not an image name', source.name, Messages.imageName);
    }
    const dockerfile = path.join(source.directory, source.dockerfile);
    if (!fs.existsSync(dockerfile)) {
      throw propError(
        scope,
        `${prop}.directory`,
        'has no Dockerfile',
        `${path.basename(source.directory)}/${source.dockerfile}`,
        Messages.imageDockerfile,
      );
    }
    const asset = new TerraformAsset(scope, 'BuildContext', { path: source.directory, type: AssetType.DIRECTORY });
    const reference = `${source.name}:${asset.assetHash.slice(0, 12).toLowerCase()}`;
    const resource = new Image(scope, 'Image', {
      name: reference,
      buildAttribute: { context: asset.path, dockerfile: source.dockerfile, tag: [reference] },
    });
    return { resource, imageId: resource.imageId, reference };
  }
}
