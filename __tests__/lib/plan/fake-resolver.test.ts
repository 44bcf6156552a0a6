import * as ipaddr from 'ipaddr.js';
import { PlanError, parseStack } from '../../../lib/plan/plan';
import { renderUserData } from '../../../lib/plan/cloud-config';
import { fakeResolver } from '../../../lib/plan/fake-resolver';
import { fixture, stage1 } from './plan-fixtures';

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
    [
      'digitalocean_droplet.gone.ipv4_address_private',
      'unknown reference digitalocean_droplet.gone.ipv4_address_private: no resource digitalocean_droplet.gone in the plan',
    ],
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
    (json.resource!.digitalocean_droplet.web_0 as Record<string, unknown>).user_data =
      '#cloud-config\nruncmd: [[ping, "${digitalocean_droplet.db_old.ipv4_address_private}"]]\n';
    const plan = parseStack(json);
    // WHEN / THEN
    expect(() => renderUserData(plan.droplet('test-web-0'), fakeResolver(plan))).toThrow('no resource digitalocean_droplet.db_old in the plan');
  });
});
