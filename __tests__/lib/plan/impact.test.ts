import * as path from 'path';
import {
  EXIT,
  ImpactReport,
  ResourceImpact,
  StackImpact,
  compareOutdirs,
  compareStacks,
  firstDifferentLine,
  impactExitCode,
  jsonEqual,
} from '../../../lib/plan/impact';
import { formatImpact } from '../../../lib/plan/impact-report';
import { Plan, TerraformJson, parseStack } from '../../../lib/plan/plan';
import { MAIN_PROPS, StageNumber, synthStage, synthToOutdir } from '../../helpers/stage-plans';
import { makeTempDir, run } from '../../helpers/tools';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** A small stack: a VPC, a tag, a volume, a droplet using all three, a record naming its public address. */
function base(): Resources {
  return {
    digitalocean_vpc: { net: { name: 'net', region: 'nyc3', ip_range: '10.20.0.0/20' } },
    digitalocean_tag: { web: { name: 'web' } },
    digitalocean_volume: { data: { name: 'data', region: 'nyc3', size: 10 } },
    digitalocean_droplet: {
      web: {
        '//': { metadata: { path: 'x/web' } },
        name: 'web-0',
        image: 'ubuntu-24-04-x64',
        size: 's-1vcpu-1gb',
        region: 'nyc3',
        vpc_uuid: '${digitalocean_vpc.net.id}',
        tags: ['${digitalocean_tag.web.name}'],
        volume_ids: ['${digitalocean_volume.data.id}'],
        ssh_keys: ['1'],
        user_data: '#cloud-config\nruncmd:\n  - [echo, hello]\n',
      },
      other: { name: 'other', image: 'ubuntu-24-04-x64', size: 's-1vcpu-1gb', region: 'nyc3', ssh_keys: ['1'] },
    },
    digitalocean_domain: { site: { name: 'example.com' } },
    digitalocean_record: {
      www: { domain: '${digitalocean_domain.site.name}', type: 'A', name: 'www', value: '${digitalocean_droplet.web.ipv4_address}' },
      internal: {
        domain: '${digitalocean_domain.site.name}',
        type: 'A',
        name: 'other.internal',
        value: '${digitalocean_droplet.other.ipv4_address_private}',
      },
    },
  };
}

function stack(resources: Resources, extra: Partial<TerraformJson> = {}): Plan {
  return parseStack({ ...extra, resource: resources }, 'test');
}

/** `base()` changed by `edit`. */
function edited(edit: (r: Resources) => void, extra: Partial<TerraformJson> = {}): Plan {
  const r = base();
  edit(r);
  return stack(r, extra);
}

const rows = (s: StackImpact) => Object.fromEntries(s.resources.map((r) => [r.address, r]));
const actions = (s: StackImpact) => Object.fromEntries(s.resources.map((r) => [r.address, r.action]));
const single = (s: StackImpact): ImpactReport => ({
  stacks: [s],
  dangerous: s.resources
    .filter((r) => ['replace', 'delete'].includes(r.action) && r.critical.length > 0)
    .map((resource) => ({ stack: s.stack, resource })),
});

describe('compareStacks on hand-written plans', () => {
  it('set-typed attributes (firewall rules and their sources, droplet tags) are compared as sets: order is not a change', () => {
    const rule = (port: string, sources: string[]) => ({ protocol: 'tcp', port_range: port, source_addresses: sources });
    const withFirewall = (rules: object[], tags: string[]) =>
      edited((r) => {
        r.digitalocean_firewall = { fw: { name: 'fw', tags, inbound_rule: rules } };
      });
    const before = withFirewall([rule('80', ['0.0.0.0/0', '::/0']), rule('22', ['203.0.113.7/32'])], ['a', 'b']);
    const reordered = withFirewall([rule('22', ['203.0.113.7/32']), rule('80', ['::/0', '0.0.0.0/0'])], ['b', 'a']);
    expect(compareStacks(before, reordered).resources).toEqual([]);
    const changed = withFirewall([rule('22', ['203.0.113.8/32']), rule('80', ['0.0.0.0/0', '::/0'])], ['a', 'b']);
    expect(compareStacks(before, changed).resources.map((r) => [r.address, r.action])).toEqual([['digitalocean_firewall.fw', 'update']]);
  });

  it('reports nothing for identical plans, counting every resource unchanged', () => {
    const impact = compareStacks(stack(base()), stack(base()));
    expect(impact.resources).toEqual([]);
    expect(impact.counts).toEqual({ create: 0, update: 0, replace: 0, delete: 0, ignored: 0, unchanged: 8 });
  });

  it("ignores cdktf's // metadata and depends_on", () => {
    const after = edited((r) => {
      r.digitalocean_droplet.web['//'] = { metadata: { path: 'elsewhere' } };
      r.digitalocean_droplet.web.depends_on = ['digitalocean_tag.web'];
    });
    expect(compareStacks(stack(base()), after).resources).toEqual([]);
  });

  it('creates and destroys resources only in one plan', () => {
    const after = edited((r) => {
      delete r.digitalocean_droplet.other;
      delete r.digitalocean_record.internal;
      r.digitalocean_tag.db = { name: 'db' };
    });
    expect(actions(compareStacks(stack(base()), after))).toEqual({
      'digitalocean_droplet.other': 'delete',
      'digitalocean_record.internal': 'delete',
      'digitalocean_tag.db': 'create',
    });
  });

  it('updates in place when only attributes that are not ForceNew change', () => {
    const impact = compareStacks(
      stack(base()),
      edited((r) => (r.digitalocean_droplet.web.size = 's-2vcpu-4gb')),
    );
    expect(impact.resources).toEqual([
      expect.objectContaining({
        address: 'digitalocean_droplet.web',
        action: 'update',
        changes: [{ attribute: 'size', forcesReplacement: false, detail: '"s-1vcpu-1gb" → "s-2vcpu-4gb"' }],
      }),
    ]);
  });

  it('replaces on a ForceNew attribute, naming the first differing line of user_data', () => {
    const impact = compareStacks(
      stack(base()),
      edited((r) => (r.digitalocean_droplet.web.user_data = '#cloud-config\nruncmd:\n  - [echo, bye]\n')),
    );
    expect(rows(impact)['digitalocean_droplet.web']).toEqual(
      expect.objectContaining({
        action: 'replace',
        changes: [{ attribute: 'user_data', forcesReplacement: true, detail: 'line 3: - "  - [echo, hello]" + "  - [echo, bye]"' }],
      }),
    );
  });

  it('cascades a replacement: a ForceNew reference to a replaced resource replaces, another one updates', () => {
    // GIVEN the VPC's range changes (ForceNew)
    const impact = compareStacks(
      stack(base()),
      edited((r) => (r.digitalocean_vpc.net.ip_range = '10.30.0.0/20')),
    );
    // THEN the VPC is replaced, the droplet in it too (vpc_uuid is ForceNew), and the record naming its address is updated
    const r = rows(impact);
    expect(r['digitalocean_vpc.net']).toEqual(
      expect.objectContaining({ action: 'replace', changes: [expect.objectContaining({ attribute: 'ip_range', forcesReplacement: true })] }),
    );
    expect(r['digitalocean_droplet.web']).toEqual(
      expect.objectContaining({
        action: 'replace',
        changes: [{ attribute: 'vpc_uuid', forcesReplacement: true, detail: 'refers to digitalocean_vpc.net.id, which is replaced' }],
      }),
    );
    expect(r['digitalocean_record.www']).toEqual(
      expect.objectContaining({
        action: 'update',
        changes: [{ attribute: 'value', forcesReplacement: false, detail: 'refers to digitalocean_droplet.web.ipv4_address, which is replaced' }],
      }),
    );
    expect(Object.keys(r).sort()).toEqual(['digitalocean_droplet.web', 'digitalocean_record.www', 'digitalocean_vpc.net']);
  });

  it('passes a known new value on: a renamed tag is replaced, droplets naming it are updated, not replaced', () => {
    const impact = compareStacks(
      stack(base()),
      edited((r) => (r.digitalocean_tag.web.name = 'frontend')),
    );
    expect(actions(impact)).toEqual({ 'digitalocean_tag.web': 'replace', 'digitalocean_droplet.web': 'update' });
    expect(rows(impact)['digitalocean_droplet.web'].changes[0].detail).toBe(
      'refers to digitalocean_tag.web.name, which changes ("web" → "frontend")',
    );
  });

  it('honours ignore_changes, reporting the ignored change', () => {
    // GIVEN the key list changes, and the droplet ignores ssh_keys
    const after = edited((r) => {
      r.digitalocean_droplet.web.ssh_keys = ['1', '2'];
      r.digitalocean_droplet.web.lifecycle = { ignore_changes: ['ssh_keys'] };
    });
    // WHEN
    const impact = compareStacks(stack(base()), after);
    // THEN
    expect(impact.resources).toEqual([
      expect.objectContaining({
        address: 'digitalocean_droplet.web',
        action: 'no-op',
        changes: [],
        ignoredChanges: [{ attribute: 'ssh_keys', forcesReplacement: true, detail: '["1"] → ["1","2"]' }],
      }),
    ]);
    expect(impact.counts).toEqual(expect.objectContaining({ ignored: 1, replace: 0 }));
  });

  it('honours ignore_changes on a nested path only for that path', () => {
    const before = edited((r) => (r.digitalocean_droplet.web.tags = ['a', 'b']));
    const after = (second: string, first = 'a') =>
      edited((r) => {
        r.digitalocean_droplet.web.tags = [first, second];
        r.digitalocean_droplet.web.lifecycle = { ignore_changes: ['tags[1]'] };
      });
    expect(rows(compareStacks(before, after('c')))['digitalocean_droplet.web'].action).toBe('no-op');
    expect(rows(compareStacks(before, after('c', 'z')))['digitalocean_droplet.web'].action).toBe('update');
  });

  it('ignore_changes = all ignores every attribute', () => {
    const after = edited((r) => {
      r.digitalocean_droplet.web.image = 'debian-12-x64';
      r.digitalocean_droplet.web.lifecycle = { ignore_changes: 'all' };
    });
    expect(rows(compareStacks(stack(base()), after))['digitalocean_droplet.web']).toEqual(
      expect.objectContaining({ action: 'no-op', ignoredChanges: [expect.objectContaining({ attribute: 'image' })] }),
    );
  });

  it('replaces what replace_triggered_by names when that is updated', () => {
    const after = edited((r) => {
      r.digitalocean_droplet.other.lifecycle = { replace_triggered_by: ['digitalocean_droplet.web'] };
      r.digitalocean_droplet.web.size = 's-2vcpu-4gb';
    });
    expect(rows(compareStacks(stack(base()), after))['digitalocean_droplet.other']).toEqual(
      expect.objectContaining({
        action: 'replace',
        changes: [
          {
            attribute: 'lifecycle.replace_triggered_by',
            forcesReplacement: true,
            detail: 'replace_triggered_by digitalocean_droplet.web, which is updated in place',
          },
        ],
      }),
    );
  });

  it('treats every change of a type missing from the provider table as a possible replacement', () => {
    const before = stack({ ...base(), digitalocean_spaces_bucket: { b: { name: 'b', acl: 'private' } } });
    const after = stack({ ...base(), digitalocean_spaces_bucket: { b: { name: 'b', acl: 'public-read' } } });
    expect(rows(compareStacks(before, after))['digitalocean_spaces_bucket.b']).toEqual(
      expect.objectContaining({
        action: 'replace',
        unknownType: true,
        changes: [{ attribute: 'acl', forcesReplacement: true, detail: '"private" → "public-read" (unknown type: may force replacement)' }],
      }),
    );
  });

  it('marks stateful and entry-point resources from the plan, not from names', () => {
    // GIVEN a new region: everything regional is replaced
    const impact = compareStacks(
      stack(base()),
      edited((r) => {
        for (const t of ['digitalocean_vpc', 'digitalocean_volume', 'digitalocean_droplet']) for (const x of Object.values(r[t])) x.region = 'ams3';
      }),
    );
    // THEN
    const r = rows(impact);
    expect(r['digitalocean_volume.data'].critical).toEqual(['STATEFUL: a volume (re-created empty)']);
    expect(r['digitalocean_droplet.web'].critical).toEqual([
      'STATEFUL: volume digitalocean_volume.data is attached',
      'ENTRY POINT: its public address is DNS record digitalocean_record.www (www)',
    ]);
    expect(r['digitalocean_droplet.other'].critical).toEqual([]); // only its private address is in DNS
    expect(r['digitalocean_vpc.net'].critical).toEqual([]);
  });

  it('marks a droplet a reserved IP points at, and the reserved IP', () => {
    const withIp = (region: string) =>
      edited((r) => {
        r.digitalocean_droplet.other.region = region;
        r.digitalocean_reserved_ip = { vip: { region, droplet_id: '${digitalocean_droplet.other.id}' } };
      });
    const r = rows(compareStacks(withIp('nyc3'), withIp('ams3')));
    expect(r['digitalocean_droplet.other'].critical).toEqual(['ENTRY POINT: digitalocean_reserved_ip.vip points at it']);
    expect(r['digitalocean_reserved_ip.vip'].critical).toEqual(['ENTRY POINT: a reserved IP (a new one has another address)']);
  });

  it('reports outputs created, changed (also through a replaced resource) and removed', () => {
    const outputs = (extra: Record<string, unknown>) => ({ output: { ip: { value: '${digitalocean_droplet.web.ipv4_address}' }, ...extra } });
    const before = stack(base(), outputs({ old: { value: 'x' } }));
    const after = edited((r) => (r.digitalocean_droplet.web.image = 'debian-12-x64'), outputs({ fresh: { value: 'y' } }));
    expect(compareStacks(before, after).outputs).toEqual([
      { name: 'fresh', action: 'create' },
      { name: 'ip', action: 'update', detail: 'refers to digitalocean_droplet.web.ipv4_address, which is replaced' },
      { name: 'old', action: 'delete' },
    ]);
  });
});

describe('compareOutdirs and the exit status', () => {
  it('matches stacks by name and reports stacks added and removed', () => {
    const report = compareOutdirs(
      new Map([
        ['kept', stack(base())],
        ['gone', stack(base())],
      ]),
      new Map([
        ['kept', stack(base())],
        ['new', stack(base())],
      ]),
    );
    expect(report.stacks.map((s) => [s.stack, s.status, s.counts.create, s.resources.length])).toEqual([
      ['gone', 'removed', 0, 0],
      ['kept', 'both', 0, 0],
      ['new', 'added', 8, 8],
    ]);
    expect(report.stacks[0].notes[0]).toMatch(/no longer synthesized: cdktf deploy leaves its 8 resources alone/);
  });

  it('exits 2 when a stateful or entry-point resource is replaced or destroyed, 0 with allowReplace', () => {
    const report = single(
      compareStacks(
        stack(base()),
        edited((r) => (r.digitalocean_droplet.web.image = 'debian-12-x64')),
      ),
    );
    expect(impactExitCode(report)).toBe(EXIT.dangerous);
    expect(impactExitCode(report, { allowReplace: true })).toBe(EXIT.ok);
  });

  it('exits 0 when only ordinary resources are replaced', () => {
    const report = single(
      compareStacks(
        stack(base()),
        edited((r) => (r.digitalocean_droplet.other.image = 'debian-12-x64')),
      ),
    );
    expect(report.stacks[0].counts.replace).toBe(1);
    expect(impactExitCode(report)).toBe(EXIT.ok);
  });

  it('exits 3 when Terraform would refuse the new plan', () => {
    const report = single(
      compareStacks(
        stack(base()),
        edited((r) => (r.digitalocean_droplet.other.user_data = '${digitalocean_droplet.other.id}')),
      ),
    );
    expect(report.stacks[0].problems).toEqual([expect.stringMatching(/^Error: Cycle: digitalocean_droplet\.other/)]);
    expect(impactExitCode(report, { allowReplace: true })).toBe(EXIT.notCreatable);
  });
});

describe('jsonEqual', () => {
  it('compares JSON structurally, whatever realm built it', () => {
    expect(jsonEqual(structuredClone({ a: [1, { b: 'x' }] }), { a: [1, { b: 'x' }] })).toBe(true);
    expect(jsonEqual({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});

describe('firstDifferentLine', () => {
  it.each([
    ['a\nb\nc', 'a\nB\nc', 'line 2: - "b" + "B"'],
    ['a\nc', 'a\nb\nc', 'line 2 added: "b"'],
    ['a\nb\nc', 'a\nc', 'line 2 removed: "b"'],
    ['a', 'a\nb', 'line 2 added: "b"'],
  ])('%j → %j', (before, after, expected) => {
    expect(firstDifferentLine(before, after)).toBe(expected);
  });
});

/** Real stages synthesized twice and compared. */
describe('compareStacks on synthesized stages', () => {
  const compare = (stage: StageNumber, before: object, after: object) =>
    compareStacks(synthStage(stage, { ...MAIN_PROPS, ...before }).plan, synthStage(stage, { ...MAIN_PROPS, ...after }).plan);
  const byAction = (impact: StackImpact, action: ResourceImpact['action']) =>
    impact.resources
      .filter((r) => r.action === action)
      .map((r) => r.address)
      .sort();

  it('stage 3: a new web size resizes the web droplets in place and changes nothing else', () => {
    const impact = compare(3, {}, { webSize: 's-2vcpu-4gb' });
    expect(impact.resources.map((r) => [r.name, r.action, r.changes])).toEqual(
      ['foobar-s3-web-0', 'foobar-s3-web-1'].map((name) => [
        name,
        'update',
        [{ attribute: 'size', forcesReplacement: false, detail: '"s-1vcpu-1gb" → "s-2vcpu-4gb"' }],
      ]),
    );
    expect(impact.outputs).toEqual([]);
  });

  it('stage 1: new web and database sizes resize those droplets in place (sizing is computed on the droplet)', () => {
    const impact = compare(1, {}, { webSize: 's-2vcpu-4gb', dbSize: 's-4vcpu-8gb' });
    expect(impact.resources.map((r) => [r.name, r.action, r.changes.map((c) => c.attribute)])).toEqual(
      ['foobar-s1-db-primary', 'foobar-s1-db-replica-1', 'foobar-s1-web-0', 'foobar-s1-web-1'].map((name) => [name, 'update', ['size']]),
    );
    expect(impactExitCode(single(impact))).toBe(EXIT.ok);
  });

  it('stage 1: a new region replaces every regional resource, cascading through vpc_uuid and user_data', () => {
    // WHEN
    const impact = compare(1, {}, { region: 'ams3' });
    // THEN the VPC, volumes and droplets are replaced because of region, and the DNS records follow
    const r = rows(impact);
    expect(byAction(impact, 'replace')).toEqual([
      'digitalocean_droplet.Database_Primary_EDE0B3D0',
      'digitalocean_droplet.Database_Replica1_ED560A1F',
      'digitalocean_droplet.LoadBalancer_Droplet_CDC390E7',
      'digitalocean_droplet.Web_Droplet0_DF901BBE',
      'digitalocean_droplet.Web_Droplet1_507374EA',
      'digitalocean_volume.Database_PrimaryVolume_9F2D2470',
      'digitalocean_volume.Database_Replica1Volume_4BC1A857',
      'digitalocean_vpc.Vpc_8378EB38',
    ]);
    for (const address of byAction(impact, 'replace')) {
      expect({ address, cause: r[address].changes[0] }).toEqual({
        address,
        cause: { attribute: 'region', forcesReplacement: true, detail: '"nyc3" → "ams3"' },
      });
    }
    expect(r['digitalocean_droplet.Web_Droplet0_DF901BBE'].changes).toEqual(
      expect.arrayContaining([
        { attribute: 'vpc_uuid', forcesReplacement: true, detail: 'refers to digitalocean_vpc.Vpc_8378EB38.id, which is replaced' },
      ]),
    );
    expect(byAction(impact, 'update')).toEqual([
      'digitalocean_record.Database_Primary_PrimaryName_512D0A37',
      'digitalocean_record.Database_Replica1_ReadName_2136923D',
      'digitalocean_record.Dns_A_Apex_D1CCE48C',
      'digitalocean_record.Dns_A_www_593515B4',
      'digitalocean_record.Web_Droplet0_InternalName_A2110160',
      'digitalocean_record.Web_Droplet1_InternalName_F99773B0',
    ]);
    expect(impactExitCode(single(impact))).toBe(EXIT.dangerous);
    expect(impactExitCode(single(impact), { allowReplace: true })).toBe(EXIT.ok);
  });

  it('stage 1: a new image (edited in the JSON) replaces the droplets because of image', () => {
    // GIVEN
    const before = synthStage(1).plan;
    const json = structuredClone(before.json) as TerraformJson;
    for (const d of Object.values(json.resource!.digitalocean_droplet)) d.image = 'ubuntu-25-04-x64';
    // WHEN
    const impact = compareStacks(before, parseStack(json, before.name));
    // THEN
    const droplets = impact.resources.filter((r) => r.type === 'digitalocean_droplet');
    expect(droplets).toHaveLength(5);
    for (const d of droplets)
      expect(d).toEqual(
        expect.objectContaining({
          action: 'replace',
          changes: expect.arrayContaining([{ attribute: 'image', forcesReplacement: true, detail: '"ubuntu-24-04-x64" → "ubuntu-25-04-x64"' }]),
        }),
      );
  });

  it('stage 1: a new SSH key list is an ignored change (droplets ignore ssh_keys); without the ignore it would replace every droplet', () => {
    // GIVEN keys given at synth, then one more key
    const keys = (sshKeys: string[]) => ({ sshKeys, adminCidrs: ['203.0.113.7/32'] });
    const before = synthStage(1, { ...MAIN_PROPS, ...keys(['1']) }).plan;
    const after = synthStage(1, { ...MAIN_PROPS, ...keys(['1', '2']) }).plan;
    // WHEN / THEN: nothing is replaced; every droplet reports the ignored change, and the report says so
    const ignoring = compareStacks(before, after);
    expect(ignoring.counts).toEqual(expect.objectContaining({ replace: 0, update: 0, ignored: 5 }));
    for (const d of ignoring.resources)
      expect(d.ignoredChanges).toEqual([{ attribute: 'ssh_keys', forcesReplacement: true, detail: '["1"] → ["1","2"]' }]);
    expect(formatImpact(single(ignoring))).toMatch(
      /ssh_keys ignored \(lifecycle.ignore_changes\), the existing resource keeps its old value: \["1"\] → \["1","2"\]/,
    );
    expect(impactExitCode(single(ignoring))).toBe(EXIT.ok);

    // GIVEN the same change without the ignore (edited out of the JSON)
    const strip = (plan: typeof before) => {
      const json = structuredClone(plan.json) as TerraformJson;
      for (const d of Object.values(json.resource!.digitalocean_droplet)) delete d.lifecycle;
      return parseStack(json, plan.name);
    };
    // WHEN / THEN: every droplet would be replaced because of ssh_keys — why the constructs ignore it
    const without = compareStacks(strip(before), strip(after));
    const droplets = without.resources.filter((r) => r.type === 'digitalocean_droplet');
    expect(droplets.map((d) => d.action)).toEqual(['replace', 'replace', 'replace', 'replace', 'replace']);
    for (const d of droplets) expect(d.changes).toContainEqual({ attribute: 'ssh_keys', forcesReplacement: true, detail: '["1"] → ["1","2"]' });
  });
});

describe('npm run impact (scripts/impact.ts)', () => {
  const root = path.resolve(__dirname, '../../..');
  const impact = (...args: string[]) =>
    run(process.execPath, [path.join(root, 'scripts/run-ts.js'), path.join(root, 'scripts/impact.ts'), ...args], { cwd: root });
  let tmp: ReturnType<typeof makeTempDir>;
  let oldOut: string;
  let newOut: string;

  beforeAll(() => {
    tmp = makeTempDir('impact');
    oldOut = path.join(tmp.dir, 'old');
    newOut = path.join(tmp.dir, 'new');
    synthToOutdir(oldOut, [0, 1]);
    synthToOutdir(newOut, [0, 1], { ...MAIN_PROPS, region: 'ams3' });
  });
  afterAll(() => tmp.cleanup());

  it('prints one section per stack and exits 2 when an entry point would be replaced', () => {
    const result = impact(oldOut, newOut);
    expect(result.status).toBe(EXIT.dangerous);
    expect(result.stdout).toMatch(
      /^stage0-single-server: 0 to create, 2 to update in place, 3 to replace, 0 to destroy, 0 with ignored changes, 3 unchanged$/m,
    );
    expect(result.stdout).toMatch(
      /^stage1-load-balanced: 0 to create, 6 to update in place, 8 to replace, 0 to destroy, 0 with ignored changes, 7 unchanged$/m,
    );
    expect(result.stdout).toMatch(
      /^ {2}-\/\+ digitalocean_vpc\.Vpc_8378EB38 {2}foobar-s1-vpc {2}replace\n {8}region forces replacement: "nyc3" → "ams3"$/m,
    );
    expect(result.stdout).toMatch(/!! STATEFUL: volume digitalocean_volume\.Database_PrimaryVolume_9F2D2470 is attached/);
    expect(result.stdout).toMatch(/Exit status 2: run again with --allow-replace once you accept this\.\n$/);
  });

  it('exits 0 with --allow-replace', () => {
    const result = impact(oldOut, newOut, '--allow-replace');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/Accepted with --allow-replace\./);
  });

  it('prints JSON with --json', () => {
    const result = impact('--json', oldOut, newOut);
    const report = JSON.parse(result.stdout);
    expect(result.status).toBe(EXIT.dangerous);
    expect(report.exitCode).toBe(EXIT.dangerous);
    expect(report.stacks.map((s: StackImpact) => [s.stack, s.counts.replace])).toEqual([
      ['stage0-single-server', 3],
      ['stage1-load-balanced', 8],
    ]);
  });

  it('exits 0 and lists nothing when comparing an outdir with itself', () => {
    const result = impact(oldOut, oldOut);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^stage1-load-balanced: 0 to create, 0 to update in place, 0 to replace, 0 to destroy, 0 with ignored changes, 21 unchanged$/m,
    );
  });

  it('exits 1 with the usage on bad arguments or a missing directory', () => {
    expect(impact(oldOut)).toEqual(expect.objectContaining({ status: EXIT.usage, stderr: expect.stringMatching(/^usage: npm run impact --/) }));
    expect(impact(oldOut, newOut, '--force')).toEqual(
      expect.objectContaining({ status: EXIT.usage, stderr: expect.stringMatching(/unknown option --force/) }),
    );
    expect(impact(oldOut, path.join(tmp.dir, 'nope'))).toEqual(
      expect.objectContaining({ status: EXIT.usage, stderr: expect.stringMatching(/nope does not exist/) }),
    );
  });
});
