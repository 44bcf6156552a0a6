import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { Balance } from '../../constructs/balance';
import { TlsProfile } from '../../constructs/https';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import { WebTier } from '../../constructs/web-tier';
import { SSH_KEYS, resources, synthJson, testStack, userData } from '../helpers/stacks';

type Files = { path: string; content: string }[];
const haproxyCfg = (text: string): string => (parse(text).write_files as Files).find((f) => f.path === '/etc/haproxy/haproxy.cfg')!.content;

describe('HaproxyLoadBalancer', () => {
  test('balances round robin over every web droplet with HTTP health checks', () => {
    const { stack, vpc } = testStack();
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', sshKeys: SSH_KEYS });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web], healthCheckHost: 'www.foobar.com' });
    const cfg = haproxyCfg(userData(synthJson(stack), 'site-lb'));
    expect(cfg).toContain('balance roundrobin');
    expect(cfg).toMatch(/option httpchk/);
    expect(cfg).toMatch(/uri \/health ver HTTP\/1\.1 hdr Host www\.foobar\.com/);
    expect(cfg).toMatch(/server site-web-0 \$\{digitalocean_droplet\.Web_Droplet0_[0-9A-F]{8}\.ipv4_address_private\}:80 check/);
    expect(cfg).toMatch(/server site-web-1 \$\{digitalocean_droplet\.Web_Droplet1_[0-9A-F]{8}\.ipv4_address_private\}:80 check/);
  });

  test('backends added after construction count', () => {
    const { stack, vpc } = testStack();
    const lb = new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS });
    lb.addBackend(new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS }));
    expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).toContain('server site-web-0 ');
  });

  test('supports leastconn and source balancing', () => {
    for (const [balance, text] of [[Balance.leastConnections(), 'balance leastconn'], [Balance.source(), 'balance source']] as const) {
      const { stack, vpc } = testStack();
      const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
      new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web], balance });
      expect(haproxyCfg(userData(synthJson(stack), 'site-lb'))).toContain(text);
    }
  });

  test('keeps stats on the VPC address only', () => {
    const { stack, vpc } = testStack();
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] });
    const text = userData(synthJson(stack), 'site-lb');
    // Terraform-escaped: HAProxy itself expands the variable from /etc/tierform/net.env
    expect(haproxyCfg(text)).toContain('bind "$${TIERFORM_PRIVATE_IP}:8404"');
  });

  test('the public may reach port 80 of the load balancer, and only the load balancer may reach the web tier', () => {
    const { stack, vpc } = testStack();
    const web = new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS });
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, backends: [web] });
    const firewalls = resources(synthJson(stack), 'digitalocean_firewall');
    const lbFw = firewalls.find((f) => f.name === 'site-lb');
    const webFw = firewalls.find((f) => f.name === 'site-web');
    expect(lbFw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '80', source_addresses: ['0.0.0.0/0', '::/0'] }]);
    expect(webFw.inbound_rule).toEqual([{ protocol: 'tcp', port_range: '80', source_tags: [expect.stringMatching(/Lb_Firewall_Tag/)] }]);
  });

  test('fails synth validation without backends', () => {
    const { stack, vpc } = testStack();
    new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS });
    expect(() => Testing.synth(stack, true)).toThrow(/test\/Lb: HaproxyLoadBalancer has no backends: call addBackend\(webTier\)/);
  });

  test('throws if the health check interval is zero', () => {
    const { stack, vpc } = testStack();
    expect(() => new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, checkIntervalSeconds: 0 })).toThrow(
      "test/Lb: 'checkIntervalSeconds' must be an integer from 1 to 300, got 0. Pass an integer from 1 to 300.",
    );
  });

  test('throws if the health check host is not a host name', () => {
    const { stack, vpc } = testStack();
    expect(() => new HaproxyLoadBalancer(stack, 'Lb', { vpc, name: 'site-lb', sshKeys: SSH_KEYS, healthCheckHost: 'foo bar' })).toThrow(
      "test/Lb: 'healthCheckHost' is not a host name, got 'foo bar'.",
    );
  });

  describe('with https', () => {
    function tlsStack(https: Record<string, unknown> = {}) {
      const { stack, vpc } = testStack();
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
      const ini = (parse(userData(json, 'site-lb')).write_files as { path: string; content: string; permissions: string }[]).find(
        (f) => f.path === '/etc/tierform/certbot-digitalocean.ini',
      )!;
      expect(ini.permissions).toBe('0600');
      expect(ini.content).toMatch(/dns_digitalocean_token = \$\{var\.Lb_DnsToken_[0-9A-F]{8}\}/);
    });

    test('modern is TLS 1.3 only', () => {
      expect(haproxyCfg(userData(synthJson(tlsStack({ profile: TlsProfile.modern() })), 'site-lb'))).toContain('ssl-min-ver TLSv1.3');
    });

    test('throws if the e-mail is not an address', () => {
      expect(() => tlsStack({ email: 'ops' })).toThrow("test/Lb: 'https.email' is not an e-mail address, got 'ops'.");
    });

    test('throws if the DNS token is a literal', () => {
      expect(() => tlsStack({ dnsToken: 'dop_v1_abc' })).toThrow("test/Lb: 'https.dnsToken' is a literal secret, got '(redacted)'.");
    });

    test('throws if the certificate domain is not a domain', () => {
      expect(() => tlsStack({ domain: 'foobar' })).toThrow("test/Lb: 'https.domain' is not a fully qualified domain name, got 'foobar'.");
    });
  });
});
