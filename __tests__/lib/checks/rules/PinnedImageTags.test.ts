import rule from '../../../../lib/checks/rules/PinnedImageTags';
import { COMPLIANT, NOT_APPLICABLE, container, nonCompliant, outcome, view } from '../fixtures';

describe('PR-IMG2 PinnedImageTags', () => {
  test('Noncompliance 1: latest', () => {
    const v = view({ docker_image: { a: { name: 'nginx:latest' } } });
    expect(outcome(rule, v, 'docker_image.a')).toEqual(nonCompliant(/nginx:latest is not pinned/));
  });

  test('Noncompliance 2: no tag (a registry with a port is not a tag)', () => {
    const v = view({ docker_image: { a: { name: 'registry.example:5000/team/app' } }, docker_container: { c: container({ image: 'redis' }) } });
    expect(outcome(rule, v, 'docker_image.a')).toEqual(nonCompliant(/has no tag/));
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/redis has no tag/));
  });

  test('Compliance: a version tag, a digest', () => {
    const v = view({ docker_image: { a: { name: 'nginx:1.27-alpine' }, b: { name: 'app@sha256:0123456789abcdef' } } });
    expect(outcome(rule, v, 'docker_image.a')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'docker_image.b')).toEqual(COMPLIANT);
  });

  test('Not applicable: a container referencing a docker_image (judged there)', () => {
    const v = view({ docker_image: { app: { name: 'app:latest' } }, docker_container: { c: container() } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(NOT_APPLICABLE);
  });
});
