import rule from '../../../../lib/checks/rules/CurrentBaseImages';
import { COMPLIANT, NOT_APPLICABLE, container, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-IMG1 CurrentBaseImages', () => {
  test('Noncompliance 1: a droplet on Ubuntu 18.04', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ image: 'ubuntu-18-04-x64' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/ubuntu 18\.04 reached end of life on 2023-05-31/));
  });

  test("Noncompliance 2: seed 003's images: nginx:1.13-alpine, mariadb:10-focal", () => {
    const v = view({ docker_image: { nginx: { name: 'nginx:1.13-alpine' }, db: { name: 'mariadb:10-focal' } } });
    expect(outcome(rule, v, 'docker_image.nginx')).toEqual(nonCompliant(/nginx 1\.13 reached end of life/));
    expect(outcome(rule, v, 'docker_image.db')).toEqual(nonCompliant(/ubuntu focal reached end of life on 2025-05-31/));
  });

  test('Noncompliance 3: a container image literal python:3.8', () => {
    const v = view({ docker_container: { c: container({ image: 'python:3.8-slim' }) } });
    expect(outcome(rule, v, 'docker_container.c')).toEqual(nonCompliant(/python 3\.8 reached end of life/));
  });

  test('Compliance: Ubuntu 24.04, nginx:1.27-alpine, mariadb:11.4, python:3.12 (as of the fixture date)', () => {
    const v = view({
      digitalocean_droplet: { d: droplet() },
      docker_image: { a: { name: 'nginx:1.27-alpine' }, b: { name: 'mariadb:11.4' }, c: { name: 'python:3.12-alpine' } },
    });
    for (const a of ['digitalocean_droplet.d', 'docker_image.a', 'docker_image.b', 'docker_image.c']) expect(outcome(rule, v, a)).toEqual(COMPLIANT);
  });

  test('Not applicable: a snapshot image id, a token', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ image: '123456789' }), e: droplet({ image: '${var.image}' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
    expect(outcome(rule, v, 'digitalocean_droplet.e')).toEqual(NOT_APPLICABLE);
  });
});
