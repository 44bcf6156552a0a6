/**
 * Planning an apply to a running lab (pure: no root, nothing booted): what is created, replaced, destroyed or kept,
 * with identities kept and ForceNew / ignore_changes decided as Terraform does.
 */
import { Testing } from 'cdktf';
import { MysqlEngine } from '../../../constructs/mysql-engine';
import { formatApplySummary, formatPlannedApply, planApply } from '../../../lib/lab/apply';
import { LabPlan, planLab, servedRecords } from '../../../lib/lab/boot';
import { renderRecordsFile, renderResolvConf } from '../../../lib/lab/dns';
import { minimumTtl } from '../../../lib/lab/dns-server';
import { DROPLET_FORCE_NEW, ignoredChanges } from '../../../lib/lab/lab-diff';
import { Plan, TerraformJson, parseStack } from '../../../lib/plan/plan';
import { Stage1LoadBalanced, Stage3HighAvailability } from '../../../lib/stages';

const PROPS = { domain: 'foobar.com', engine: MysqlEngine.mariadb10_11() };
const S1 = 'stage1-load-balanced';

function stage1Json(webCount: number): TerraformJson {
  return JSON.parse(Testing.synth(new Stage1LoadBalanced(Testing.app(), S1, { ...PROPS, webCount }))) as TerraformJson;
}
const plan = (json: TerraformJson, name = S1): Plan => parseStack(JSON.parse(JSON.stringify(json)) as TerraformJson, name);
const droplets = (json: TerraformJson) => json.resource!.digitalocean_droplet as Record<string, Record<string, unknown>>;
const addressOf = (json: TerraformJson, name: string) =>
  `digitalocean_droplet.${Object.entries(droplets(json)).find(([, d]) => d.name === name)![0]}`;
const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name).sort();

describe('planApply', () => {
  const two = stage1Json(2);
  const three = stage1Json(3);
  const running: LabPlan = planLab(plan(two));

  test('a third web droplet is created with a fresh identity; every other droplet keeps its own', () => {
    const { next, diff } = planApply(running, plan(three));
    expect(names(diff.droplets.created)).toEqual(['foobar-s1-web-2']);
    expect(diff.droplets.destroyed).toEqual([]);
    for (const d of running.droplets) {
      const after = next.droplets.find((x) => x.address === d.address)!;
      if (diff.droplets.replaced.some((r) => r.address === d.address)) continue;
      expect({ name: d.name, id: after.id, publicIp: after.publicIp, privateIp: after.privateIp }).toEqual({
        name: d.name,
        id: d.id,
        publicIp: d.publicIp,
        privateIp: d.privateIp,
      });
    }
    const web2 = next.droplets.find((d) => d.name === 'foobar-s1-web-2')!;
    expect(running.droplets.map((d) => d.publicIp)).not.toContain(web2.publicIp);
    expect(running.droplets.map((d) => d.id)).not.toContain(web2.id);
    // Secrets generated at boot are the ones the running droplets have: the new droplet gets the same.
    expect(next.variables).toEqual(running.variables);
  });

  test('a third web droplet replaces nothing: the load balancer finds its servers by name; only records are added', () => {
    const { next, diff } = planApply(running, plan(three));
    expect(diff.droplets.replaced).toEqual([]);
    expect(names(diff.droplets.unchanged)).toEqual([
      'foobar-s1-db-primary',
      'foobar-s1-db-replica-1',
      'foobar-s1-lb',
      'foobar-s1-web-0',
      'foobar-s1-web-1',
    ]);
    const web2 = next.droplets.find((d) => d.name === 'foobar-s1-web-2')!;
    expect(diff.records).toEqual({
      added: [expect.objectContaining({ name: 'foobar-s1-web.internal.foobar.com', address: web2.privateIp, ttl: 30 })],
      removed: [],
    });
    // Tag-based firewalls do not change: their members do (the lab reloads every droplet's ruleset).
    expect(diff.firewalls).toEqual({ added: [], removed: [], changed: [] });
    expect(formatPlannedApply(S1, diff)).toMatch(/1 to create \(foobar-s1-web-2\), 0 to REPLACE, 0 to destroy, 0 to update in place, 5 unchanged/);
  });

  test('a changed user_data replaces the droplet, loudly', () => {
    const json = JSON.parse(JSON.stringify(two)) as TerraformJson;
    const lb = Object.values(droplets(json)).find((d) => d.name === 'foobar-s1-lb')!;
    lb.user_data = `${String(lb.user_data)}\n# changed\n`;
    const { next, diff } = planApply(running, plan(json));
    expect(diff.droplets.replaced).toEqual([
      { address: addressOf(json, 'foobar-s1-lb'), name: 'foobar-s1-lb', attributes: ['user_data'], cause: 'changed' },
    ]);
    // Its replacement has a fresh address, so the site's records move to it.
    const lbAfter = next.droplets.find((d) => d.name === 'foobar-s1-lb')!;
    expect(lbAfter.publicIp).not.toBe(running.droplets.find((d) => d.name === 'foobar-s1-lb')!.publicIp);
    expect(
      diff.records.added
        .filter((r) => r.address === lbAfter.publicIp)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['foobar.com', 'www.foobar.com']);
    expect(formatPlannedApply(S1, diff)).toMatch(/!!! REPLACE foobar-s1-lb \(digitalocean_droplet\.\S+\): user_data changed in the plan/);
  });

  test('ignore_changes on user_data keeps the droplet and the user_data it booted with', () => {
    const json = JSON.parse(JSON.stringify(two)) as TerraformJson;
    const lb = Object.values(droplets(json)).find((d) => d.name === 'foobar-s1-lb')!;
    lb.user_data = `${String(lb.user_data)}\n# changed\n`;
    lb.lifecycle = { ignore_changes: ['ssh_keys', 'user_data'] };
    const { next, diff } = planApply(running, plan(json));
    expect(diff.droplets.replaced).toEqual([]);
    expect(diff.droplets.ignored).toEqual([{ address: addressOf(json, 'foobar-s1-lb'), name: 'foobar-s1-lb', attributes: ['user_data'] }]);
    expect(next.droplets.find((d) => d.name === 'foobar-s1-lb')!.userData).toBe(running.droplets.find((d) => d.name === 'foobar-s1-lb')!.userData);
    expect(formatPlannedApply(S1, diff)).toMatch(/foobar-s1-lb: user_data changed but lifecycle\.ignore_changes lists them: not applied/);
  });

  test('the plan ignores later ssh_keys changes (they would replace every droplet)', () => {
    const json = JSON.parse(JSON.stringify(two)) as TerraformJson;
    for (const d of Object.values(droplets(json))) d.ssh_keys = ['3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa'];
    const { diff } = planApply(running, plan(json));
    expect(diff.droplets.replaced).toEqual([]);
    expect(diff.droplets.ignored.map((i) => [i.name, i.attributes])).toEqual(running.droplets.map((d) => [d.name, ['ssh_keys']]));
  });

  test('a droplet whose user_data renders the address of a replaced droplet is replaced too (known after apply)', () => {
    // web-0 gets a new image; web-1 is edited to render web-0's private address in its user_data.
    const json = JSON.parse(JSON.stringify(two)) as TerraformJson;
    const web0 = addressOf(json, 'foobar-s1-web-0');
    const web1 = Object.values(droplets(json)).find((d) => d.name === 'foobar-s1-web-1')!;
    droplets(json)[web0.split('.')[1]].image = 'ubuntu-22-04-x64';
    web1.user_data = `${String(web1.user_data)}\n# peer \${${web0}.ipv4_address_private}\n`;
    const before = JSON.parse(JSON.stringify(two)) as TerraformJson;
    Object.values(droplets(before)).find((d) => d.name === 'foobar-s1-web-1')!.user_data = web1.user_data;
    const base = planLab(plan(before));
    const { next, diff } = planApply(base, plan(json));
    expect(diff.droplets.replaced.map((r) => [r.name, r.attributes, r.cause]).sort()).toEqual([
      ['foobar-s1-web-0', ['image'], 'changed'],
      ['foobar-s1-web-1', ['user_data'], 'depends'],
    ]);
    const newWeb0 = next.droplets.find((d) => d.name === 'foobar-s1-web-0')!;
    expect(next.droplets.find((d) => d.name === 'foobar-s1-web-1')!.userData).toContain(`# peer ${newWeb0.privateIp}`);
  });

  test('scaling back down destroys the third web droplet and keeps the others', () => {
    const grown = planApply(running, plan(three)).next;
    const { next, diff } = planApply(grown, plan(two));
    expect(names(diff.droplets.destroyed)).toEqual(['foobar-s1-web-2']);
    expect(diff.droplets.created).toEqual([]);
    for (const name of ['foobar-s1-db-primary', 'foobar-s1-web-0', 'foobar-s1-web-1']) {
      expect(next.droplets.find((d) => d.name === name)!.publicIp).toBe(running.droplets.find((d) => d.name === name)!.publicIp);
    }
  });

  test('the same plan again changes nothing', () => {
    const { diff } = planApply(running, plan(two));
    expect(diff.droplets.replaced).toEqual([]);
    expect(diff.droplets.created).toEqual([]);
    expect(diff.records).toEqual({ added: [], removed: [] });
    expect(diff.firewalls).toEqual({ added: [], removed: [], changed: [] });
  });

  test('a changed firewall rule is reported by firewall name; tags update in place', () => {
    const json = JSON.parse(JSON.stringify(two)) as TerraformJson;
    const fws = json.resource!.digitalocean_firewall as Record<string, { name: string; inbound_rule: { port_range?: string }[] }>;
    const db = Object.values(fws).find((f) => f.name === 'foobar-s1-db')!;
    db.inbound_rule.push({ ...db.inbound_rule[0], port_range: '33060' });
    const web0 = Object.values(droplets(json)).find((d) => d.name === 'foobar-s1-web-0')!;
    web0.tags = [...(web0.tags as string[]), 'canary'];
    const { diff } = planApply(running, plan(json));
    expect(diff.firewalls).toEqual({ added: [], removed: [], changed: ['foobar-s1-db'] });
    expect(diff.droplets.updated).toEqual([{ address: addressOf(json, 'foobar-s1-web-0'), name: 'foobar-s1-web-0', attributes: ['tags'] }]);
  });

  test('refuses what the lab cannot change while it runs, naming it and changing nothing', () => {
    const vpc = JSON.parse(JSON.stringify(two)) as TerraformJson;
    for (const v of Object.values(vpc.resource!.digitalocean_vpc as Record<string, { ip_range: string }>)) v.ip_range = '10.99.0.0/20';
    expect(() => planApply(running, plan(vpc))).toThrow(/VPC foobar-s1-vpc changes ip_range 10\.20\.16\.0\/20 → 10\.99\.0\.0\/20.*tear the lab down/);
    const renamed = JSON.parse(JSON.stringify(two)) as TerraformJson;
    Object.values(droplets(renamed)).find((d) => d.name === 'foobar-s1-web-1')!.name = 'foobar-s1-web-one';
    expect(() => planApply(running, plan(renamed))).toThrow(/renamed foobar-s1-web-1 → foobar-s1-web-one in place/);
    expect(() => planApply(running, plan(two, 'stage2-secured-monitored'))).toThrow(
      /the lab runs stage1-load-balanced; the plan is stage2-secured-monitored/,
    );
  });

  test('the summary of an apply counts every kind of change and names replacements loudly', () => {
    const json = JSON.parse(JSON.stringify(three)) as TerraformJson;
    droplets(json)[addressOf(json, 'foobar-s1-web-0').split('.')[1]].image = 'ubuntu-22-04-x64';
    const { diff } = planApply(running, plan(json));
    const text = formatApplySummary(S1, diff, ['foobar-s1-db-primary'], undefined, 7.25);
    expect(text).toMatch(/^applied to stage1-load-balanced in 7\.3 s: 1 created, 1 replaced, 0 destroyed, 0 updated in place, 4 unchanged droplets/);
    expect(text).toMatch(/!!! REPLACED foobar-s1-web-0: image/);
    expect(text).toMatch(/DNS: 2 records added, 1 removed/);
    expect(text).toMatch(/rulesets reloaded on 1 droplets \(foobar-s1-db-primary\)/);
  });
});

describe('stage 3 reserved IP', () => {
  const S3 = 'stage3-high-availability';
  const json = JSON.parse(Testing.synth(new Stage3HighAvailability(Testing.app(), S3, { ...PROPS, email: 'ops@foobar.com' }))) as TerraformJson;
  const running = planLab(plan(json, S3));
  const ip = running.reservedIps[0].ip;
  const reserved = (j: TerraformJson) => Object.values(j.resource!.digitalocean_reserved_ip as Record<string, Record<string, unknown>>)[0];

  test('is created unassigned: keepalived claims it; an apply never moves it (no droplet_id, and ignore_changes lists it)', () => {
    expect(running.reservedIps).toEqual([{ ip, holder: undefined }]);
    expect(reserved(json).droplet_id).toBeUndefined();
    expect(planApply(running, plan(json, S3), new Map([[ip, 'foobar-s3-lb-1']])).diff.reservedIps.reassigned).toEqual([]);
    const unguarded = JSON.parse(JSON.stringify(json)) as TerraformJson;
    delete reserved(unguarded).lifecycle;
    expect(planApply(running, plan(unguarded, S3), new Map([[ip, 'foobar-s3-lb-1']])).diff.reservedIps.reassigned).toEqual([]);
  });

  test('a droplet_id without ignore_changes: Terraform assigns it back to the droplet the plan names', () => {
    const edited = JSON.parse(JSON.stringify(json)) as TerraformJson;
    delete reserved(edited).lifecycle;
    reserved(edited).droplet_id = `\${${addressOf(edited, 'foobar-s3-lb-0')}.id}`;
    const { diff } = planApply(running, plan(edited, S3), new Map([[ip, 'foobar-s3-lb-1']]));
    expect(diff.reservedIps.reassigned).toEqual([expect.objectContaining({ ip, from: 'foobar-s3-lb-1', to: 'foobar-s3-lb-0' })]);
  });
});

describe('ForceNew attributes', () => {
  test("are the DigitalOcean provider's (2.71.0) for droplets", () => {
    expect([...DROPLET_FORCE_NEW].sort()).toEqual(['droplet_agent', 'image', 'monitoring', 'region', 'ssh_keys', 'user_data', 'vpc_uuid']);
  });

  test('ignore_changes = all ignores every attribute', () => {
    expect(ignoredChanges({ lifecycle: { ignore_changes: 'all' } })).toBe('all');
    expect(ignoredChanges({})).toEqual([]);
  });
});

describe('the DNS server files', () => {
  test('one line per address and name, so that a name with several records answers them all', () => {
    const text = renderRecordsFile([
      { name: 'foobar-s1-web.internal.foobar.com', address: '10.20.16.6', ttl: 30 },
      { name: 'www.foobar.com', address: '203.0.113.12', ttl: 300 },
      { name: 'foobar-s1-web.internal.foobar.com', address: '10.20.16.5', ttl: 30 },
      { name: 'foobar-s1-web.internal.foobar.com', address: '10.20.16.5', ttl: 30 },
    ]);
    expect(text.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toEqual([
      '10.20.16.5\tfoobar-s1-web.internal.foobar.com',
      '10.20.16.6\tfoobar-s1-web.internal.foobar.com',
      '203.0.113.12\twww.foobar.com',
    ]);
    expect(() => renderRecordsFile([{ name: 'bad name', address: '10.0.0.1' }])).toThrow(/not a valid host name/);
  });

  test('every answer gets the smallest TTL of the records (DigitalOcean default 1800 without any)', () => {
    expect(
      minimumTtl([
        { name: 'a', address: '10.0.0.1', ttl: 300 },
        { name: 'b', address: '10.0.0.2', ttl: 30 },
        { name: 'c', address: '10.0.0.3' },
      ]),
    ).toBe(30);
    expect(minimumTtl([])).toBe(1800);
  });

  test('resolv.conf names the lab server, or 127.0.0.1 (nothing) without one', () => {
    expect(renderResolvConf(['198.51.100.53'])).toMatch(/^nameserver 198\.51\.100\.53$/m);
    expect(renderResolvConf()).toMatch(/^nameserver 127\.0\.0\.1$/m);
  });
});

describe('names served under a wildcard (LabBoot.addNames) across an apply', () => {
  const base: LabPlan = planLab(plan(stage1Json(2)));
  const wildcard = (address: string, resource = 'digitalocean_record.Wildcard') => ({ name: '*.apps.foobar.com', address, ttl: 60, resource });
  const withWildcards = (...wildcards: ReturnType<typeof wildcard>[]): LabPlan => ({ ...base, wildcards });

  test('a name added under a wildcard is served with its address, TTL and resource, after the plan’s own records', () => {
    const served = servedRecords(withWildcards(wildcard('203.0.113.7')), ['shop.apps.foobar.com']);
    expect(served.slice(0, base.records.length)).toEqual(base.records);
    expect(served.slice(base.records.length)).toEqual([
      { name: 'shop.apps.foobar.com', address: '203.0.113.7', ttl: 60, resource: 'digitalocean_record.Wildcard' },
    ]);
  });

  test('the next plan keeps the added names while its wildcard covers them, at the wildcard’s new address', () => {
    expect(servedRecords(withWildcards(wildcard('203.0.113.9')), ['shop.apps.foobar.com']).slice(base.records.length)).toEqual([
      { name: 'shop.apps.foobar.com', address: '203.0.113.9', ttl: 60, resource: 'digitalocean_record.Wildcard' },
    ]);
  });

  test('names go with their wildcard, and are never served for more than one label or over a record of the plan', () => {
    expect(servedRecords(withWildcards(), ['shop.apps.foobar.com'])).toEqual(base.records);
    expect(servedRecords(withWildcards(wildcard('203.0.113.7')), ['a.b.apps.foobar.com', 'apps.foobar.com'])).toEqual(base.records);
    const own = base.records[0];
    const covering = { ...wildcard('203.0.113.7'), name: `*.${own.name.split('.').slice(1).join('.')}` };
    expect(servedRecords(withWildcards(covering), [own.name])).toEqual(base.records);
  });

  test('a wildcard that leaves the plan is a removed record of the apply (the names under it stop being answered)', () => {
    const { diff } = planApply(withWildcards(wildcard('203.0.113.7')), plan(stage1Json(2)));
    expect(diff.records.removed).toEqual([wildcard('203.0.113.7')]);
  });
});
