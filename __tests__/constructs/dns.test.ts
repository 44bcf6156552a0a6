import { Domain } from '@cdktf/provider-digitalocean/lib/domain';
import { Record as DnsRecord } from '@cdktf/provider-digitalocean/lib/record';
import { Testing } from 'cdktf';
import { Dns } from '../../constructs/dns';
import { resources, synthJson, testStack } from '../helpers/stacks';

describe('Dns', () => {
  test('creates the zone and A records for the apex and www', () => {
    const { stack } = testStack();
    new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.10' });
    const synth = Testing.synth(stack);
    expect(synth).toHaveResourceWithProperties(Domain, { name: 'foobar.com' });
    expect(synth).toHaveResourceWithProperties(DnsRecord, { type: 'A', name: '@', value: '203.0.113.10', ttl: 300 });
    expect(synth).toHaveResourceWithProperties(DnsRecord, { type: 'A', name: 'www', value: '203.0.113.10', ttl: 300 });
  });

  test('records reference the zone so Terraform creates it first', () => {
    const { stack } = testStack();
    new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.10' });
    for (const r of resources(synthJson(stack), 'digitalocean_record')) {
      expect(r.domain).toMatch(/^\$\{digitalocean_domain\.Dns_[0-9A-F]{8}\.name\}$/);
    }
  });

  test('uses an existing zone by name (Dns.fromZoneName) and honours the TTL', () => {
    const { stack } = testStack();
    Dns.fromZoneName(stack, 'Dns', 'foobar.com', { targetIpv4: '203.0.113.10', ttlSeconds: 60, recordNames: ['shop'] });
    const json = synthJson(stack);
    expect(resources(json, 'digitalocean_domain')).toHaveLength(0);
    expect(resources(json, 'digitalocean_record')).toEqual([expect.objectContaining({ domain: 'foobar.com', name: 'shop', ttl: 60 })]);
  });

  test('throws if the domain has no dot', () => {
    const { stack } = testStack();
    expect(() => new Dns(stack, 'Dns', { domain: 'localhost', targetIpv4: '203.0.113.10' })).toThrow(
      "test/Dns: 'domain' is not a fully qualified domain name, got 'localhost'. Pass a fully qualified domain name such as 'foobar.com'",
    );
  });

  test('throws if the domain carries a scheme', () => {
    const { stack } = testStack();
    expect(() => new Dns(stack, 'Dns', { domain: 'https://foobar.com', targetIpv4: '203.0.113.10' })).toThrow(
      /'domain' is not a fully qualified domain name, got 'https:\/\/foobar.com'/,
    );
  });

  test('throws if the TTL is below what DigitalOcean accepts', () => {
    const { stack } = testStack();
    expect(() => new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.10', ttlSeconds: 5 })).toThrow(
      "test/Dns: 'ttlSeconds' must be an integer from 30 to 86400, got 5. Pass an integer from 30 to 86400.",
    );
  });

  test('throws if a record name is invalid', () => {
    const { stack } = testStack();
    expect(() => new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.10', recordNames: ['bad name'] })).toThrow(
      "test/Dns: 'recordNames' contains an invalid record name, got 'bad name'. Use '@' for the apex or a relative name such as 'www'.",
    );
  });

  test('points the records later with pointTo(), and adds single records', () => {
    const { stack } = testStack();
    const dns = new Dns(stack, 'Dns', { domain: 'foobar.com' });
    dns.pointTo('203.0.113.20');
    dns.addRecord('LbPeer0', 'lb-0.internal', '10.20.0.5');
    expect(
      resources(synthJson(stack), 'digitalocean_record')
        .map((r) => `${r.name}=${r.value}`)
        .sort(),
    ).toEqual(['@=203.0.113.20', 'lb-0.internal=10.20.0.5', 'www=203.0.113.20']);
    expect(dns.fqdn('lb-0.internal')).toBe('lb-0.internal.foobar.com');
  });

  test('fails validation when nothing points the records anywhere', () => {
    const { stack } = testStack();
    new Dns(stack, 'Dns', { domain: 'foobar.com' });
    expect(() => Testing.synth(stack, true)).toThrow(/test\/Dns: Dns has no target: pass 'targetIpv4' or call pointTo\(ipv4\)/);
  });

  test('CAA: only Let\u2019s Encrypt may issue (fully qualified, as DigitalOcean wants), refusals reported to iodef', () => {
    const { stack } = testStack();
    const dns = new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.10' });
    dns.addCaaRecords({ iodefEmail: 'security@foobar.com' });
    const caa = resources(synthJson(stack), 'digitalocean_record').filter((r) => r.type === 'CAA');
    expect(caa.map((r) => `${r.name} ${r.flags} ${r.tag} ${r.value}`)).toEqual([
      '@ 0 issue letsencrypt.org.',
      '@ 0 issuewild letsencrypt.org.',
      '@ 0 iodef mailto:security@foobar.com',
    ]);
  });

  test('the entry point of a stage can be pointed at directly (IEntryPoint)', () => {
    const { stack } = testStack();
    const dns = new Dns(stack, 'Dns', { domain: 'foobar.com' });
    dns.pointTo({ entryIpv4: '203.0.113.30' });
    expect(resources(synthJson(stack), 'digitalocean_record').map((r) => r.value)).toEqual(['203.0.113.30', '203.0.113.30']);
  });

  test('throws if the records are pointed twice', () => {
    const { stack } = testStack();
    const dns = new Dns(stack, 'Dns', { domain: 'foobar.com', targetIpv4: '203.0.113.10' });
    expect(() => dns.pointTo('203.0.113.11')).toThrow("test/Dns: 'targetIpv4' is already set, got '203.0.113.11'. Call pointTo() once");
  });
});
