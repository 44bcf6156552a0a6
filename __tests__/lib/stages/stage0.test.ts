import { Testing } from 'cdktf';
import { Stage0SingleServer } from '../../../lib/stages/stage0';
import {
  expectMachineIndependent,
  expectNoPublicDatabasePort,
  expectSecretsOnlyFromSensitiveVariables,
  expectNoDropletReferencesInUserData,
} from '../../helpers/invariants';
import { ADMIN, SSH_KEYS, resources } from '../../helpers/stacks';

function synth(props: Partial<ConstructorParameters<typeof Stage0SingleServer>[2]> = {}) {
  const stack = new Stage0SingleServer(Testing.app(), 'stage0', { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN, ...props });
  const text = Testing.synth(stack);
  return { stack, text, json: JSON.parse(text) };
}

describe('Stage 0: one server', () => {
  test('matches the snapshot of the whole plan', () => {
    const { text } = synth();
    expectMachineIndependent(text);
    expect(text).toMatchSnapshot();
  });

  test('is one droplet with a data volume in its own VPC', () => {
    const { json } = synth();
    expect(resources(json, 'digitalocean_droplet').map((d) => d.name)).toEqual(['foobar-s0-www']);
    expect(resources(json, 'digitalocean_volume').map((v) => v.name)).toEqual(['foobar-s0-www-data']);
    expect(resources(json, 'digitalocean_vpc')).toEqual([expect.objectContaining({ ip_range: '10.20.0.0/20', region: 'nyc3' })]);
  });

  test('points www and the apex at the server', () => {
    const { json } = synth();
    const records = resources(json, 'digitalocean_record');
    expect(records.map((r) => r.name).sort()).toEqual(['@', 'www']);
    for (const r of records) expect(r.value).toMatch(/^\$\{digitalocean_droplet\.Server_Droplet_[0-9A-F]{8}\.ipv4_address\}$/);
  });

  test('outputs the URL and addresses', () => {
    const { json } = synth();
    expect(json.output.url.value).toBe('http://www.foobar.com/');
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining([expect.stringMatching(/PublicIpv4/), expect.stringMatching(/PrivateIpv4/)]));
  });

  test('never exposes the database port, and keeps secrets out of the plan', () => {
    const { json } = synth();
    expectNoPublicDatabasePort(json);
    expectSecretsOnlyFromSensitiveVariables(json);
    expectNoDropletReferencesInUserData(json);
    expect(Object.keys(json.variable)).toEqual(['mysql_app_password']);
  });

  test('validates the whole tree', () => {
    const { stack } = synth();
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});
