import { Vpc as DoVpc } from '@cdktf/provider-digitalocean/lib/vpc';
import { TerraformStack, Testing } from 'cdktf';
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { AdminAccess } from '../../constructs/admin-access';
import { Vpc } from '../../constructs/vpc';
import { WebTier } from '../../constructs/web-tier';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'test');
}

describe('Vpc', () => {
  test('creates a VPC in the region with the given range', () => {
    const s = stack();
    new Vpc(s, 'Vpc', { region: 'fra1', name: 'site-vpc', ipRange: '10.30.0.0/20' });
    expect(Testing.synth(s)).toHaveResourceWithProperties(DoVpc, { name: 'site-vpc', region: 'fra1', ip_range: '10.30.0.0/20' });
  });

  test('defaults to a /20 private range', () => {
    const s = stack();
    new Vpc(s, 'Vpc', { region: 'nyc3', name: 'site-vpc' });
    expect(Testing.synth(s)).toHaveResourceWithProperties(DoVpc, { ip_range: '10.20.0.0/20' });
  });

  test('Vpc.fromId: droplets join an existing VPC, which this stack does not create', () => {
    const s = stack();
    new DigitaloceanProvider(s, 'do', {});
    const vpc = Vpc.fromId(s, 'Vpc', { id: '5a4981aa-9653-4bd1-bef5-d6bff52042e4', region: 'ams3', ipRange: '10.110.0.0/20' });
    new AdminAccess(s, 'Access', { sshKeys: ['12345'] });
    new WebTier(s, 'Web', { vpc, name: 'site-web', count: 1 });
    const json = JSON.parse(Testing.synth(s));
    expect(json.resource.digitalocean_vpc).toBeUndefined();
    expect(Object.values(json.resource.digitalocean_droplet as Record<string, { vpc_uuid: string; region: string }>)[0]).toEqual(
      expect.objectContaining({ vpc_uuid: '5a4981aa-9653-4bd1-bef5-d6bff52042e4', region: 'ams3' }),
    );
  });

  test('throws if an existing VPC id is not a UUID', () => {
    expect(() => Vpc.fromId(stack(), 'Vpc', { id: 'default', region: 'ams3', ipRange: '10.110.0.0/20' })).toThrow(
      "test/Vpc: 'id' is not a VPC id (a UUID), got 'default'. Pass the id from `doctl vpcs list` or the control panel.",
    );
  });

  test('throws if the region is unknown', () => {
    expect(() => new Vpc(stack(), 'Vpc', { region: 'mars1', name: 'v' })).toThrow(
      "test/Vpc: 'region' is not a DigitalOcean region that accepts new droplets, got 'mars1'. Use a DigitalOcean region slug: nyc1,",
    );
  });

  test('throws if the range is public', () => {
    expect(() => new Vpc(stack(), 'Vpc', { region: 'nyc3', name: 'v', ipRange: '8.8.0.0/16' })).toThrow(
      /test\/Vpc: 'ipRange' is not a usable DigitalOcean VPC range, got '8.8.0.0\/16'. Pass a private IPv4 range/,
    );
  });

  test('throws if the range overlaps a DigitalOcean-reserved range', () => {
    expect(() => new Vpc(stack(), 'Vpc', { region: 'nyc3', name: 'v', ipRange: '10.244.0.0/20' })).toThrow(
      /'ipRange' is not a usable DigitalOcean VPC range, got '10.244.0.0\/20'/,
    );
  });

  test('throws if the range is larger than /16', () => {
    expect(() => new Vpc(stack(), 'Vpc', { region: 'nyc3', name: 'v', ipRange: '10.0.0.0/8' })).toThrow(/prefix from \/16 to \/24/);
  });

  test('throws if the name is not a valid name', () => {
    expect(() => new Vpc(stack(), 'Vpc', { region: 'nyc3', name: 'My_VPC' })).toThrow(
      "test/Vpc: 'name' is not a valid name (max 40 characters), got 'My_VPC'. Use lowercase letters, digits and hyphens",
    );
  });
});
