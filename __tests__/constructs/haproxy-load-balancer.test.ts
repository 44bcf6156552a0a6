import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Balance } from '../../constructs/balance';
import { TlsProfile } from '../../constructs/https';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import { WebTier } from '../../constructs/web-tier';
import { SSH_KEYS, TEST_ZONE, resources, synthJson, testStack, userData, writeFilesOf } from '../helpers/stacks';

const haproxyCfg = (text: string): string => writeFilesOf(text).find((f) => f.path === '/etc/haproxy/haproxy.cfg')!.content;

describe('HaproxyLoadBalancer', () => {
  test('balances round robin over the web droplets it finds by DNS, with HTTP health checks', () => {
    // GIVEN
    const { stack, vpc } = testStack({ dns: true });
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS });
    // WHEN
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web], healthCheckHost: 'www.foobar.com' });
    // THEN the servers come from the web tier's internal name, never from addresses in user_data
    const json = synthJson(stack);
    const cfg = haproxyCfg(userData(json, 'site-lb'));
    expect(cfg).toContain('balance roundrobin');
    expect(cfg).toMatch(/option httpchk/);
    expect(cfg).toMatch(/uri \/health ver HTTP\/1\.1 hdr Host www\.foobar\.com/);
    expect(cfg).toContain(
      `server-template site-web 1-32 site-web.internal.${TEST_ZONE}:80 check resolvers tierform resolve-prefer ipv4 init-addr none`,
    );
    expect(cfg).toMatch(/^resolvers tierform\n {4}parse-resolv-conf$/m);
    expect(userData(json, 'site-lb')).not.toContain('digitalocean_droplet');
    // AND one A record per web droplet, which the load balancer waits for
    const records = resources(json, 'digitalocean_record').filter((r) => r.name === 'site-web.internal');
    expect(records.map((r) => r.value)).toEqual([
      expect.stringMatching(/Web_Droplet0_.*ipv4_address_private/),
      expect.stringMatching(/Web_Droplet1_.*ipv4_address_private/),
    ]);
    const lb = resources(json, 'digitalocean_droplet').find((d) => d.name === 'site-lb');
    expect(lb.depends_on).toEqual([
      expect.stringMatching(/^digitalocean_record\.Web_Droplet0_InternalName_/),
      expect.stringMatching(/^digitalocean_record\.Web_Droplet1_InternalName_/),
    ]);
  });

  test('user_data is never stale: a backend added after a synth is in the next synth', () => {
    const { stack, vpc } = testStack({ dns: true });
    const lb = new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS });
    lb.addBackend(new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS }));
    expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).not.toContain('site-web2');
    lb.addBackend(new WebTier(stack, 'Web2', { vpc, name: 'site-web2', count: 1, sshKeys: SSH_KEYS }));
    expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).toContain('server-template site-web2 1-32 ');
  });

  test('backends added after construction count', () => {
    const { stack, vpc } = testStack({ dns: true });
    const lb = new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS });
    lb.addBackend(new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS }));
    expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).toContain('server-template site-web 1-32 ');
  });

  test('scaling the web tier leaves the load balancer’s user_data as it was', () => {
    const lbUserData = (count: number): string => {
      const { stack, vpc } = testStack({ dns: true });
      const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count, sshKeys: SSH_KEYS });
      new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] });
      return userData(synthJson(stack), 'site-lb');
    };
    expect(lbUserData(3)).toEqual(lbUserData(2));
    expect(lbUserData(1)).toEqual(lbUserData(2));
  });

  test('maxServersPerBackend sets the slots', () => {
    const { stack, vpc } = testStack({ dns: true });
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web], maxServersPerBackend: 8 });
    expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).toContain('server-template site-web 1-8 ');
  });

  test('throws if a backend has more servers than slots', () => {
    const { stack, vpc } = testStack({ dns: true });
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 3, sshKeys: SSH_KEYS });
    expect(() => new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web], maxServersPerBackend: 2 })).toThrow(
      "test/Lb: 'maxServersPerBackend' is smaller than the 3 servers of test/Web, got 2. Raise 'maxServersPerBackend' to at least 3 (leave room to scale: the slots are fixed in the load balancer's user_data).",
    );
  });

  test('throws if two backends share a name (already when the second WebTier takes the name)', () => {
    const { stack, vpc } = testStack({ dns: true });
    new WebTier(stack, 'WebA', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    expect(() => new WebTier(stack, 'WebB', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS })).toThrow(
      "test/WebB: 'name' 'site-web' is already used by test/WebA: a role's name is its DigitalOcean tag, firewall and droplet-name prefix, so the two would share a tag and each other's firewall rules. Give each role its own name.",
    );
  });

  test('throws if the stack has no DNS zone for the backends’ names', () => {
    const { stack, vpc } = testStack();
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    expect(() => new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] })).toThrow(
      "test/Web: its droplets get internal DNS names, by which peers find them at run time, and stack 'test' has no Dns zone yet. Create the zone first (new Dns(stack, 'Dns', { domain: 'example.com' }), or Dns.fromZoneName(stack, 'Dns', 'example.com') when it already exists in your account), or pass 'dns'.",
    );
  });

  test('supports leastconn and source balancing', () => {
    for (const [balance, text] of [
      [Balance.leastConnections(), 'balance leastconn'],
      [Balance.source(), 'balance source'],
    ] as const) {
      const { stack, vpc } = testStack({ dns: true });
      const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
      new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web], balance });
      expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).toContain(text);
    }
  });

  test('keeps stats on the VPC address only', () => {
    const { stack, vpc } = testStack({ dns: true });
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] });
    const text = userData(synthJson(stack), 'site-lb');
    // Terraform-escaped: HAProxy itself expands the variable from /etc/tierform/net.env
    expect(haproxyCfg(text)).toContain('bind "$${TIERFORM_PRIVATE_IP}:8404"');
  });

  test('the public may reach port 80 of the load balancer, and only the load balancer may reach the web tier', () => {
    const { stack, vpc } = testStack({ dns: true });
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] });
    const firewalls = resources(synthJson(stack), 'digitalocean_firewall');
    const lbFw = firewalls.find((f) => f.name === 'site-lb');
    const webFw = firewalls.find((f) => f.name === 'site-web');
    expect(lbFw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] }]);
    expect(webFw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '80', source_tags: [expect.stringMatching(/Lb_Firewall_Tag/)] }]);
  });

  test('fails synth validation without backends', () => {
    const { stack, vpc } = testStack({ dns: true });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS });
    expect(() => Testing.synth(stack, true)).toThrow(/test\/Lb: HaproxyLoadBalancer has no backends: call addBackend\(webTier\)/);
  });

  test('throws if the health check interval is zero', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, checkIntervalSeconds: 0 })).toThrow(
      "test/Lb: 'checkIntervalSeconds' must be an integer from 1 to 300, got 0. Pass an integer from 1 to 300.",
    );
  });

  test('throws if the health check host is not a host name', () => {
    const { stack, vpc } = testStack({ dns: true });
    expect(() => new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, healthCheckHost: 'foo bar' })).toThrow(
      "test/Lb: 'healthCheckHost' is not a host name, got 'foo bar'.",
    );
  });

  describe('with https', () => {
    function tlsStack(https: Record<string, unknown> = {}) {
      const { stack, vpc } = testStack({ dns: true });
      const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
      new HaproxyLoadBalancer(stack, 'Lb', {
        vpc,
        name: 'site-lb',
        sshKeys: SSH_KEYS,
        backends: [web],
        https: { domain: 'foobar.com', email: 'ops@foobar.com', ...https },
      });
      return stack;
    }

    test('terminates TLS on 443 with the Let\u2019s Encrypt PEM and redirects HTTP', () => {
      const cfg = haproxyCfg(userData(synthJson(tlsStack()), 'site-lb'));
      expect(cfg).toMatch(/bind :443 ssl crt \/etc\/haproxy\/certs\/site\.pem/);
      expect(cfg).toContain('redirect scheme https code 301');
      expect(cfg).toContain('Strict-Transport-Security');
    });

    test('admits 443 from anywhere', () => {
      const fw = resources(synthJson(tlsStack()), 'digitalocean_firewall').find((f) => f.name === 'site-lb');
      expect(fw.inbound_rule).toContainEqual({ protocol: 'tcp', port_range: '443', source_addresses: ['0.0.0.0/0', '::/0'] });
    });

    test('puts a fallback certificate in place before HAProxy checks its config, and issues the real one after', () => {
      const commands = (parse(userData(synthJson(tlsStack()), 'site-lb')).runcmd as string[][]).map((c) => c.join(' '));
      const fallback = commands.indexOf('/usr/local/sbin/tierform-certbot-issue --fallback-only');
      const check = commands.findIndex((c) => c.includes('haproxy -c'));
      const issue = commands.indexOf('systemctl start --no-block tierform-certbot-issue.service');
      expect(fallback).toBeGreaterThanOrEqual(0);
      expect(fallback).toBeLessThan(check);
      expect(issue).toBeGreaterThan(check);
    });

    test('the DNS token is a sensitive variable written root-only', () => {
      const json = synthJson(tlsStack());
      const ini = writeFilesOf(userData(json, 'site-lb')).find((f) => f.path === '/etc/tierform/certbot-digitalocean.ini')!;
      expect(ini.permissions).toBe('0600');
      expect(ini.content).toMatch(/dns_digitalocean_token = \$\{var\.Lb_DnsToken_[0-9A-F]{8}\}/);
    });

    test('modern is TLS 1.3 only', () => {
      expect(haproxyCfg(userData(synthJson(tlsStack({ profile: TlsProfile.modern() })), 'site-lb'))).toContain('ssl-min-ver TLSv1.3');
    });

    test('throws if the e-mail is not an address', () => {
      expect(() => tlsStack({ email: 'ops' })).toThrow(
        "test/Lb: 'https.email' must be an e-mail address such as ops@foobar.com, got 'ops'. Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.",
      );
    });

    test('throws if the DNS token is a literal', () => {
      expect(() => tlsStack({ dnsToken: 'dop_v1_abc' })).toThrow("test/Lb: 'https.dnsToken' is a literal secret, got '(redacted)'.");
    });

    test('throws if the certificate domain is not a domain', () => {
      expect(() => tlsStack({ domain: 'foobar' })).toThrow("test/Lb: 'https.domain' is not a fully qualified domain name, got 'foobar'.");
    });
  });
});
