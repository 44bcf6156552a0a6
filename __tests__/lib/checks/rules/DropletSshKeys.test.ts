import rule from '../../../../lib/checks/rules/DropletSshKeys';
import { COMPLIANT, NOT_APPLICABLE, droplet, nonCompliant, outcome, view } from '../fixtures';

describe('PR-DO1 DropletSshKeys (CKV_DIO_2, AVD-DIG-0004)', () => {
  test('Noncompliance 1: no ssh_keys attribute', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ ssh_keys: undefined }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/web-1 has no ssh_keys/));
  });

  test('Noncompliance 2: an empty list', () => {
    const v = view({ digitalocean_droplet: { d: droplet({ ssh_keys: [] }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(nonCompliant(/no ssh_keys/));
  });

  test('Compliance: fingerprints, or a variable known at deploy', () => {
    const v = view({ digitalocean_droplet: { d: droplet(), e: droplet({ ssh_keys: '${var.ssh_keys}' }) } });
    expect(outcome(rule, v, 'digitalocean_droplet.d')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_droplet.e')).toEqual(COMPLIANT);
  });

  test('Not applicable: other resources', () => {
    expect(outcome(rule, view({ digitalocean_tag: { t: { name: 't' } } }), 'digitalocean_tag.t')).toEqual(NOT_APPLICABLE);
  });
});
