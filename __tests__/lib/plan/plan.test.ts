import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import * as ipaddr from 'ipaddr.js';
import { MysqlEngine } from '../../../constructs/mysql-engine';
import {
  CloudConfigError,
  Plan,
  PlanError,
  TerraformJson,
  fakeResolver,
  loadStack,
  loadStacks,
  parseCloudConfig,
  parseStack,
  renderUserData,
} from '../../../lib/plan/plan';
import { templateReferences } from '../../../lib/plan/template';
import * as stages from '../../../lib/stages';
import { SecuredStageProps, Stage1LoadBalanced } from '../../../lib/stages';
import { makeTempDir, writeFile } from '../../helpers/tools';

const PROPS: SecuredStageProps = { domain: 'foobar.com', email: 'ops@foobar.com', sshKeys: ['123'], adminCidrs: ['203.0.113.7/32'] };

/** A small hand-written plan in cdktf's JSON shape. */
function fixture(): TerraformJson {
  return {
    variable: {
      db_password: { type: 'string', sensitive: true, nullable: false, description: 'Database password' },
      admin_cidrs: { type: 'list(string)', nullable: false },
      region_name: { type: 'string', default: 'ams3' },
    },
    resource: {
      digitalocean_vpc: { net: { name: 'test-vpc', region: 'nyc3', ip_range: '10.20.16.0/20' } },
      digitalocean_tag: { web: { name: 'test-web' } },
      digitalocean_volume: { data: { name: 'test-data', region: 'nyc3', size: 20, initial_filesystem_type: 'ext4' } },
      digitalocean_droplet: {
        web_0: {
          '//': { metadata: { path: 'test/web_0' } },
          name: 'test-web-0',
          image: 'ubuntu-24-04-x64',
          size: 's-1vcpu-1gb',
          region: 'nyc3',
          tags: ['${digitalocean_tag.web.name}'],
          vpc_uuid: '${digitalocean_vpc.net.id}',
          ssh_keys: ['123'],
          user_data: "#cloud-config\nruncmd:\n  - [echo, '${digitalocean_droplet.db.ipv4_address_private}', '$${HOME}']\n",
        },
        db: {
          name: 'test-db',
          image: 'ubuntu-24-04-x64',
          size: 's-1vcpu-2gb',
          region: 'nyc3',
          tags: [],
          vpc_uuid: '${digitalocean_vpc.net.id}',
          volume_ids: ['${digitalocean_volume.data.id}'],
          ssh_keys: '${var.ssh_keys}',
        },
      },
      digitalocean_firewall: {
        web: {
          name: 'test-web',
          tags: ['${digitalocean_tag.web.name}'],
          inbound_rule: [
            { protocol: 'tcp', port_range: '22', source_addresses: '${var.admin_cidrs}' },
            { protocol: 'tcp', port_range: '80', source_tags: ['${digitalocean_tag.web.name}'] },
          ],
          outbound_rule: [{ protocol: 'icmp', destination_addresses: ['0.0.0.0/0', '::/0'] }],
        },
      },
      digitalocean_domain: { site: { name: 'example.com' } },
      digitalocean_record: {
        www: { domain: '${digitalocean_domain.site.name}', type: 'A', name: 'www', value: '${digitalocean_droplet.web_0.ipv4_address}', ttl: 300 },
      },
    },
    output: {
      web_ip: { value: '${digitalocean_droplet.web_0.ipv4_address}', description: 'Public address' },
      all: { value: ['${digitalocean_droplet.db.ipv4_address_private}'], sensitive: true },
    },
  };
}

type StageClass = new (scope: Construct, id: string, props: SecuredStageProps) => TerraformStack;

const STAGES: Array<[string, StageClass]> = Object.entries(stages)
  .filter(([, value]) => typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof TerraformStack)
  .map(([name, value]) => [name, value as StageClass]);

/** Every stage (lib/stages) with both engines, synthesized once. */
const STAGE_PLANS: Array<[string, Plan]> = STAGES.flatMap(([name, stageClass]) =>
  [MysqlEngine.mysql8_0(), MysqlEngine.mariadb10_11()].map(
    (engine) => [`${name} with ${engine.flavor}`, parseStack(Testing.synth(new stageClass(Testing.app(), 'stage', { ...PROPS, engine })))] as [string, Plan],
  ),
);

function stage1(): Plan {
  return parseStack(Testing.synth(new Stage1LoadBalanced(Testing.app(), 'stage1', PROPS)));
}

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
      expect.objectContaining({ name: 'test-db', volumeIds: ['${digitalocean_volume.data.id}'], sshKeys: '${var.ssh_keys}', userDataTemplate: undefined }),
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

describe('renderUserData', () => {
  it('renders references and undoes $${ escapes', () => {
    // GIVEN
    const plan = parseStack(fixture());
    // WHEN
    const text = renderUserData(plan.droplet('test-web-0'), fakeResolver(plan));
    // THEN
    expect(text).toContain("[echo, '10.20.16.3', '${HOME}']");
  });

  it('throws if the droplet has no user_data', () => {
    const plan = parseStack(fixture());
    expect(() => renderUserData(plan.droplet('test-db'), fakeResolver(plan))).toThrow('digitalocean_droplet.db (test-db) has no user_data');
  });
});

describe('parseCloudConfig', () => {
  it('reads packages, write_files and runcmd', () => {
    // GIVEN
    const text = [
      '#cloud-config',
      'packages: [nginx, [haproxy, 2.8.5]]',
      'write_files:',
      '  - path: /etc/a.conf',
      '    content: "a\\n"',
      '  - path: /etc/b.conf',
      '    permissions: "0600"',
      '    owner: app:app',
      '    defer: true',
      '    encoding: b64',
      `    content: ${Buffer.from('secret\n').toString('base64')}`,
      'runcmd:',
      '  - [systemctl, restart, nginx]',
      '  - echo hi > /tmp/x',
      '',
    ].join('\n');
    // WHEN
    const doc = parseCloudConfig(text);
    // THEN
    expect(doc).toMatchObject({
      packages: ['nginx', 'haproxy=2.8.5'],
      writeFiles: [
        { path: '/etc/a.conf', content: 'a\n', permissions: '0644', owner: 'root:root', defer: false },
        { path: '/etc/b.conf', content: 'secret\n', permissions: '0600', owner: 'app:app', defer: true },
      ],
      runcmd: [['systemctl', 'restart', 'nginx'], ['sh', '-c', 'echo hi > /tmp/x']],
      raw: { packages: expect.any(Array) },
    });
  });

  it('throws if the first line is not #cloud-config', () => {
    expect(() => parseCloudConfig('#!/bin/bash\necho hi\n')).toThrow("user_data must start with a '#cloud-config' line for cloud-init to read it as cloud-config, got '#!/bin/bash'");
  });

  it('throws on invalid YAML', () => {
    expect(() => parseCloudConfig('#cloud-config\npackages: [a\n')).toThrow(CloudConfigError);
  });

  it('throws on a duplicate key', () => {
    expect(() => parseCloudConfig('#cloud-config\nruncmd: []\nruncmd: []\n')).toThrow(/not valid YAML/);
  });

  it('throws if permissions are not a string', () => {
    expect(() => parseCloudConfig('#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 0644\n')).toThrow(
      'cloud-config write_files[0] (/x): permissions must be a string (quote it), got 420',
    );
  });
});

describe('fakeResolver', () => {
  it('gives droplets VPC addresses inside the ip_range, in droplet order', () => {
    // GIVEN
    const plan = stage1();
    const resolve = fakeResolver(plan);
    const range = ipaddr.IPv4.parseCIDR('10.20.16.0/20');
    // WHEN
    const addresses = plan.droplets().map((d) => resolve(`${d.address}.ipv4_address_private`));
    // THEN
    expect(addresses).toEqual(['10.20.16.2', '10.20.16.3', '10.20.16.4', '10.20.16.5', '10.20.16.6']);
    expect(addresses.every((a) => ipaddr.IPv4.parse(a).match(range))).toBe(true);
  });

  it('gives droplets distinct TEST-NET-3 public addresses and sequential ids', () => {
    const plan = stage1();
    const resolve = fakeResolver(plan);
    const publicIps = plan.droplets().map((d) => resolve(`${d.address}.ipv4_address`));
    const ids = plan.droplets().map((d) => Number(resolve(`${d.address}.id`)));
    expect(new Set(publicIps).size).toBe(publicIps.length);
    expect(publicIps.every((a) => ipaddr.IPv4.parse(a).match(ipaddr.IPv4.parseCIDR('203.0.113.0/24')))).toBe(true);
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
  });

  it('is deterministic', () => {
    const plan = stage1();
    const refs = plan.references().map((r) => r.reference);
    expect(refs.map(fakeResolver(plan))).toEqual(refs.map(fakeResolver(stage1())));
  });

  it("answers a tag's name, a record's fqdn and literal attributes", () => {
    const plan = parseStack(fixture());
    const resolve = fakeResolver(plan);
    expect(resolve('digitalocean_tag.web.name')).toBe('test-web');
    expect(resolve('digitalocean_tag.web.id')).toBe('test-web');
    expect(resolve('digitalocean_volume.data.name')).toBe('test-data');
    expect(resolve('digitalocean_domain.site.name')).toBe('example.com');
    expect(resolve('digitalocean_record.www.fqdn')).toBe('www.example.com');
    expect(resolve('digitalocean_vpc.net.ip_range')).toBe('10.20.16.0/20');
  });

  it('makes up valid variable values: 24-character passwords, CIDR lists, defaults', () => {
    const resolve = fakeResolver(parseStack(fixture()));
    expect(resolve('var.db_password')).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(JSON.parse(resolve('var.admin_cidrs'))).toEqual(['203.0.113.7/32']);
    expect(resolve('var.region_name')).toBe('ams3');
  });

  it('takes overrides by variable name or by whole reference', () => {
    const resolve = fakeResolver(parseStack(fixture()), {
      db_password: 'given-password',
      admin_cidrs: ['198.51.100.0/24'],
      'digitalocean_droplet.db.ipv4_address_private': '127.0.0.1',
    });
    expect(resolve('var.db_password')).toBe('given-password');
    expect(resolve('var.admin_cidrs')).toBe('["198.51.100.0/24"]');
    expect(resolve('digitalocean_droplet.db.ipv4_address_private')).toBe('127.0.0.1');
  });

  it.each([
    ['digitalocean_droplet.gone.ipv4_address_private', 'unknown reference digitalocean_droplet.gone.ipv4_address_private: no resource digitalocean_droplet.gone in the plan'],
    ['var.missing', "unknown reference var.missing: the plan declares no variable 'missing'"],
    ['digitalocean_droplet.web_0.bogus', "unknown reference digitalocean_droplet.web_0.bogus: digitalocean_droplet has no string attribute 'bogus'"],
    ['local.x.y.z', 'unknown reference local.x.y.z'],
  ])('throws on %s, naming it', (reference, message) => {
    const resolve = fakeResolver(parseStack(fixture()));
    expect(() => resolve(reference)).toThrow(PlanError);
    expect(() => resolve(reference)).toThrow(message);
  });

  it('makes a dangling reference in user_data fail the render', () => {
    // GIVEN a droplet whose user_data names a droplet the plan does not have
    const json = fixture();
    (json.resource!.digitalocean_droplet.web_0 as Record<string, unknown>).user_data = '#cloud-config\nruncmd: [[ping, "${digitalocean_droplet.db_old.ipv4_address_private}"]]\n';
    const plan = parseStack(json);
    // WHEN / THEN
    expect(() => renderUserData(plan.droplet('test-web-0'), fakeResolver(plan))).toThrow('no resource digitalocean_droplet.db_old in the plan');
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
      expect({ droplet: d.name, files: doc.writeFiles.length > 0, leftover: /\$\{[a-z_]+\.[A-Za-z0-9_]+\.[a-z_]+\}/.test(JSON.stringify(doc.raw)) }).toEqual({
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
