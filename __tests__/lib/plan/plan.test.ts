import * as fs from 'fs';
import * as path from 'path';
import { loadStack, loadStacks, parseStack } from '../../../lib/plan/plan';
import { parseCloudConfig, renderUserData } from '../../../lib/plan/cloud-config';
import { fakeResolver } from '../../../lib/plan/fake-resolver';
import { templateReferences } from '../../../lib/plan/template';
import { makeTempDir, writeFile } from '../../helpers/tools';
import { STAGES, STAGE_PLANS, fixture, stage1 } from './plan-fixtures';

describe('parseStack and the typed views', () => {
  it('reads droplets with their raw attributes', () => {
    // GIVEN
    const plan = parseStack(JSON.stringify(fixture()));
    // WHEN
    const droplets = plan.droplets();
    // THEN
    expect(droplets).toEqual([
      expect.objectContaining({
        address: 'digitalocean_droplet.web_0',
        logicalId: 'web_0',
        name: 'test-web-0',
        size: 's-1vcpu-1gb',
        region: 'nyc3',
        tags: ['${digitalocean_tag.web.name}'],
        vpcUuid: '${digitalocean_vpc.net.id}',
        volumeIds: [],
        userDataTemplate: expect.stringMatching(/^#cloud-config\n/),
      }),
      expect.objectContaining({
        name: 'test-db',
        volumeIds: ['${digitalocean_volume.data.id}'],
        sshKeys: '${var.ssh_keys}',
        userDataTemplate: undefined,
      }),
    ]);
  });

  it("drops cdktf's // metadata from attributes", () => {
    const plan = parseStack(fixture());
    expect(plan.droplet('test-web-0').attributes).not.toHaveProperty('//');
  });

  it('reads firewalls with inbound and outbound rules', () => {
    const [firewall] = parseStack(fixture()).firewalls();
    expect(firewall).toMatchObject({
      name: 'test-web',
      tags: ['${digitalocean_tag.web.name}'],
      inboundRules: [
        { protocol: 'tcp', portRange: '22', addresses: '${var.admin_cidrs}' },
        { protocol: 'tcp', portRange: '80', tags: ['${digitalocean_tag.web.name}'] },
      ],
      outboundRules: [{ protocol: 'icmp', addresses: ['0.0.0.0/0', '::/0'] }],
    });
  });

  it('reads tags, records, volumes, vpcs and domains', () => {
    const plan = parseStack(fixture());
    expect(plan.tags()).toEqual([expect.objectContaining({ address: 'digitalocean_tag.web', name: 'test-web' })]);
    expect(plan.records()).toEqual([expect.objectContaining({ domain: '${digitalocean_domain.site.name}', type: 'A', name: 'www', ttl: 300 })]);
    expect(plan.volumes()).toEqual([expect.objectContaining({ name: 'test-data', sizeGigabytes: 20, initialFilesystemType: 'ext4' })]);
    expect(plan.vpcs()).toEqual([expect.objectContaining({ name: 'test-vpc', ipRange: '10.20.16.0/20' })]);
    expect(plan.domains()).toEqual([expect.objectContaining({ name: 'example.com' })]);
  });

  it('reads variables and outputs', () => {
    const plan = parseStack(fixture());
    expect(plan.variables()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'db_password', type: 'string', sensitive: true }),
        expect.objectContaining({ name: 'admin_cidrs', type: 'list(string)', sensitive: false }),
      ]),
    );
    expect(plan.outputs()).toEqual([
      expect.objectContaining({ name: 'web_ip', description: 'Public address', sensitive: false }),
      expect.objectContaining({ name: 'all', value: ['${digitalocean_droplet.db.ipv4_address_private}'], sensitive: true }),
    ]);
  });

  it('lists every reference with where it is', () => {
    const refs = parseStack(fixture()).references();
    expect(refs).toEqual(
      expect.arrayContaining([
        { source: 'digitalocean_firewall.web', attribute: 'inbound_rule[0].source_addresses', reference: 'var.admin_cidrs' },
        { source: 'digitalocean_droplet.web_0', attribute: 'user_data', reference: 'digitalocean_droplet.db.ipv4_address_private' },
        { source: 'output.all', attribute: 'value[0]', reference: 'digitalocean_droplet.db.ipv4_address_private' },
      ]),
    );
    expect(refs.map((r) => r.reference)).not.toContain('HOME'); // $${HOME} is an escape, not a reference
  });

  it('reads a synthesized stage', () => {
    // GIVEN / WHEN
    const plan = stage1();
    // THEN
    expect(plan.droplets()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'foobar-s1-lb',
          size: 's-1vcpu-1gb',
          region: 'nyc3',
          tags: [expect.stringMatching(/^\$\{digitalocean_tag\.LoadBalancer_\w+\.name\}$/)],
          vpcUuid: expect.stringMatching(/^\$\{digitalocean_vpc\.\w+\.id\}$/),
        }),
      ]),
    );
    expect(plan.vpcs()).toEqual([expect.objectContaining({ ipRange: '10.20.16.0/20' })]);
  });

  it('throws if the JSON is not an object', () => {
    expect(() => parseStack('[]')).toThrow('a stack must be a JSON object');
  });

  it('throws naming a droplet that is not there', () => {
    expect(() => parseStack(fixture()).droplet('nope')).toThrow('no droplet named nope in the plan; droplets: test-web-0, test-db');
  });

  it('throws if a typed attribute has the wrong type', () => {
    const json = fixture();
    (json.resource!.digitalocean_volume.data as Record<string, unknown>).size = '20';
    expect(() => parseStack(json).volumes()).toThrow('digitalocean_volume.data: attribute size must be a number, got "20"');
  });
});

describe('loadStack and loadStacks', () => {
  it('reads cdk.tf.json and names the plan after its stack directory', () => {
    // GIVEN
    const tmp = makeTempDir('plan');
    try {
      writeFile(tmp.dir, 'stacks/stage9-test/cdk.tf.json', JSON.stringify(fixture()));
      fs.mkdirSync(path.join(tmp.dir, 'stacks', 'not-a-stack'));
      // WHEN
      const plan = loadStack(path.join(tmp.dir, 'stacks/stage9-test/cdk.tf.json'));
      const all = loadStacks(tmp.dir);
      // THEN
      expect(plan.name).toBe('stage9-test');
      expect(plan.droplets()).toHaveLength(2);
      expect([...all.keys()]).toEqual(['stage9-test']);
    } finally {
      tmp.cleanup();
    }
  });
});

describe.each(STAGE_PLANS)('%s', (_name, plan) => {
  it('has droplets, each with #cloud-config user_data', () => {
    expect(plan.droplets().length).toBeGreaterThan(0);
    for (const d of plan.droplets()) {
      expect({ droplet: d.name, firstLine: d.userDataTemplate?.split('\n', 1)[0] }).toEqual({ droplet: d.name, firstLine: '#cloud-config' });
    }
  });

  it('every reference in every user_data resolves (no dangling reference)', () => {
    // GIVEN
    const resolve = fakeResolver(plan);
    // WHEN
    const unresolved = plan.droplets().flatMap((d) =>
      templateReferences(d.userDataTemplate ?? '').flatMap((reference) => {
        try {
          resolve(reference);
          return [];
        } catch (e) {
          return [`${d.name}: ${(e as Error).message}`];
        }
      }),
    );
    // THEN
    expect(unresolved).toEqual([]);
  });

  it('every ${...} in every other attribute and output resolves', () => {
    // GIVEN
    const resolve = fakeResolver(plan);
    // WHEN
    const refs = plan.references().filter((r) => r.attribute !== 'user_data');
    const unresolved = refs.flatMap((r) => {
      try {
        resolve(r.reference);
        return [];
      } catch (e) {
        return [`${r.source} ${r.attribute}: ${(e as Error).message}`];
      }
    });
    // THEN
    expect(refs.length).toBeGreaterThan(0);
    expect(unresolved).toEqual([]);
  });

  it('renders every droplet to a parseable cloud-config with files', () => {
    const resolve = fakeResolver(plan);
    for (const d of plan.droplets()) {
      const doc = parseCloudConfig(renderUserData(d, resolve));
      expect({
        droplet: d.name,
        files: doc.writeFiles.length > 0,
        leftover: /\$\{[a-z_]+\.[A-Za-z0-9_]+\.[a-z_]+\}/.test(JSON.stringify(doc.raw)),
      }).toEqual({
        droplet: d.name,
        files: true,
        leftover: false,
      });
    }
  });
});

it('finds every stage in lib/stages', () => {
  expect(STAGES.map(([name]) => name)).toEqual(expect.arrayContaining(['Stage0SingleServer', 'Stage1LoadBalanced']));
});
