/**
 * Container images are pinned (seed 003 #11: "update to latest stable base images" means a chosen version, not
 * `latest`): an untagged or `latest` image changes under you at the next pull, so two hosts run different code
 * and a rollback is impossible. A version tag or a digest (`@sha256:...`) is compliant. Judges docker_image and
 * docker_registry_image names, and containers whose image is a literal.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { parseImage } from './_workloads';

export default namedRule('PinnedImageTags', (element, stack): RuleResult => {
  let image: string | undefined;
  if (element.type === 'docker_image' || element.type === 'docker_registry_image') image = stack.imageName(element.attributes.name);
  else if (element.type === 'docker_container' && typeof element.attributes.image === 'string' && !/\$\{/.test(element.attributes.image))
    image = element.attributes.image;
  else return Compliance.NOT_APPLICABLE;
  if (image === undefined) return Compliance.NOT_APPLICABLE;
  const { tag, digest } = parseImage(image);
  if (digest) return Compliance.COMPLIANT;
  if (tag === undefined) return [`image ${image} has no tag (Docker pulls latest)`];
  if (tag === 'latest') return [`image ${image} is not pinned to a version`];
  return Compliance.COMPLIANT;
});
