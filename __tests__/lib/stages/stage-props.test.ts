/**
 * `throws if …` for the mistakes of issue 9, each asserting the whole message: construct path, the prop as the user
 * wrote it, the value received and the fix. The mistakes themselves are built in __tests__/helpers/bad-input-cases.ts
 * (shared with the probe, which checks every case for the error type and path only).
 */
import { byName, expectTierformError } from '../../helpers/bad-input-cases';

describe('stage props are checked under the names the user wrote', () => {
  test('throws if stage webCount is a Terraform variable', () => {
    expectTierformError(
      byName('stage webCount is a Terraform variable'),
      "Shop: 'webCount' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform creates one droplet per unit at synth (Terraform 'count' is not supported). Pass a literal number, e.g. 2; to choose it per deployment, read it in your cdktf app, e.g. Number(process.env.WEB_COUNT). Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if stage webCount is 0', () => {
    expectTierformError(byName('stage webCount is 0'), "Shop: 'webCount' must be an integer from 1 to 1000, got 0. Pass an integer from 1 to 1000.");
  });
  test('throws if stage namePrefix is upper case', () => {
    expectTierformError(
      byName('stage namePrefix is upper case'),
      "Shop: 'namePrefix' is not a valid name (max 40 characters), got 'Shop'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if stage vpcIpRange is public', () => {
    expectTierformError(
      byName('stage vpcIpRange is public'),
      "Shop: 'vpcIpRange' is not a usable DigitalOcean VPC range, got '8.8.8.0/24'. Pass a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) with a prefix from /16 to /24 that does not overlap DigitalOcean-reserved ranges.",
    );
  });
  test('throws if stage appCount is 0', () => {
    expectTierformError(byName('stage appCount is 0'), "Shop: 'appCount' must be an integer from 1 to 1000, got 0. Pass an integer from 1 to 1000.");
  });
  test('throws if stage replicas is 11', () => {
    expectTierformError(byName('stage replicas is 11'), "Shop: 'replicas' must be an integer from 0 to 10, got 11. Pass an integer from 0 to 10.");
  });
  test('throws if stage email is not an address', () => {
    expectTierformError(
      byName('stage email is not an address'),
      "Shop: 'email' must be an e-mail address such as ops@foobar.com, got 'ops'. Pass an address such as 'ops@foobar.com' (Let's Encrypt's account and the alerts' recipient).",
    );
  });
  test('throws if stage region is unknown', () => {
    expectTierformError(
      byName('stage region is unknown'),
      "Shop: 'region' is not a DigitalOcean region that accepts new droplets, got 'mars1'. Use a DigitalOcean region slug: nyc1, nyc3, sfo2, sfo3, tor1, atl1, ams3, lon1, fra1, blr1, sgp1, syd1.",
    );
  });
  test('throws if stage webSize is unknown', () => {
    expectTierformError(
      byName('stage webSize is unknown'),
      "Shop: 'webSize' is not a known droplet size slug, got 'huge'. Use a DigitalOcean droplet size slug, e.g. s-1vcpu-512mb-10gb, s-1vcpu-1gb, s-1vcpu-2gb, s-2vcpu-2gb, s-2vcpu-4gb, s-4vcpu-8gb (see lib/catalog/sizes.ts).",
    );
  });
  test('throws if stage namePrefix is too long', () => {
    expectTierformError(
      byName('stage namePrefix is too long'),
      "Shop: 'namePrefix' is too long (at most 36 characters: the stage appends '-web', '-app', '-mon', '-vpc'), got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if stage domain has no dot', () => {
    expectTierformError(
      byName('stage domain has no dot'),
      "Shop: 'domain' is not a fully qualified domain name, got 'foobar'. Pass a fully qualified domain name such as 'foobar.com' (letters, digits and hyphens, labels separated by dots, no trailing dot, no scheme).",
    );
  });
  test('throws if stage sshKeys holds a name', () => {
    expectTierformError(
      byName('stage sshKeys holds a name'),
      "Shop: 'sshKeys' contains something that is neither an SSH key fingerprint nor a key id, got 'my laptop'. Pass an MD5 fingerprint like 3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa or a numeric key id.",
    );
  });
  test('throws if stage adminCidrs is 0.0.0.0/0', () => {
    expectTierformError(
      byName('stage adminCidrs is 0.0.0.0/0'),
      "Shop/AdminAccess: 'adminCidrs' opens SSH to the whole internet, got '0.0.0.0/0'. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if stage webCount is a string', () => {
    expectTierformError(
      byName('stage webCount is a string'),
      "Shop: 'webCount' must be an integer from 1 to 1000, got '3'. Pass an integer from 1 to 1000.",
    );
  });
  test('throws if stage appSize is unknown', () => {
    expectTierformError(
      byName('stage appSize is unknown'),
      "Shop: 'appSize' is not a known droplet size slug, got 's-99vcpu'. Use a DigitalOcean droplet size slug, e.g. s-1vcpu-512mb-10gb, s-1vcpu-1gb, s-1vcpu-2gb, s-2vcpu-2gb, s-2vcpu-4gb, s-4vcpu-8gb (see lib/catalog/sizes.ts).",
    );
  });
  test('throws if Stage0SingleServer with {}', () => {
    expectTierformError(
      byName('Stage0SingleServer with {}'),
      "Shop: 'domain' is required, got undefined. Pass the site's domain, e.g. 'foobar.com'.",
    );
  });
  test('throws if Stage0SingleServer with no props', () => {
    expectTierformError(
      byName('Stage0SingleServer with no props'),
      "Shop: 'domain' is required, got undefined. Pass the site's domain, e.g. 'foobar.com'.",
    );
  });
  test('throws if Stage2SecuredMonitored without email', () => {
    expectTierformError(
      byName('Stage2SecuredMonitored without email'),
      "Shop: 'email' is required, got undefined. Pass the address for Let's Encrypt and the alerts, e.g. 'ops@foobar.com'.",
    );
  });
  test('throws if Stage3HighAvailability with no props', () => {
    expectTierformError(
      byName('Stage3HighAvailability with no props'),
      "Shop: 'domain' is required, got undefined. Pass the site's domain, e.g. 'foobar.com'.",
    );
  });
});
