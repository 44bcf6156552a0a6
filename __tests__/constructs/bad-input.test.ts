/**
 * `throws if …` for the mistakes of issue 9, each asserting the whole message: construct path, the prop as the user
 * wrote it, the value received and the fix. The mistakes themselves are built in __tests__/helpers/bad-input-cases.ts
 * (shared with the probe, which checks every case for the error type and path only).
 */
import { byName, expectTierformError } from '../helpers/bad-input-cases';

describe('constructs refuse bad input with one clear error', () => {
  test('throws if WebTier count is a Terraform variable', () => {
    expectTierformError(
      byName('WebTier count is a Terraform variable'),
      "test/Web: 'count' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform creates one droplet per unit at synth (Terraform 'count' is not supported). Pass a literal number, e.g. 2; to choose it per deployment, read it in your cdktf app, e.g. Number(process.env.WEB_COUNT). Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if AppTier count is a Terraform variable', () => {
    expectTierformError(
      byName('AppTier count is a Terraform variable'),
      "test/App: 'count' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform creates one droplet per unit at synth (Terraform 'count' is not supported). Pass a literal number, e.g. 2; to choose it per deployment, read it in your cdktf app, e.g. Number(process.env.WEB_COUNT). Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if PrimaryReplicaMysql replicas is a Terraform variable', () => {
    expectTierformError(
      byName('PrimaryReplicaMysql replicas is a Terraform variable'),
      "test/Db: 'replicas' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform creates one droplet per unit at synth (Terraform 'count' is not supported). Pass a literal number, e.g. 2; to choose it per deployment, read it in your cdktf app, e.g. Number(process.env.WEB_COUNT). Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if WebTier rateLimitBurst is a Terraform variable', () => {
    expectTierformError(
      byName('WebTier rateLimitBurst is a Terraform variable'),
      "test/Web: 'rateLimitBurst' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if WebTier workers is a Terraform variable', () => {
    expectTierformError(
      byName('WebTier workers is a Terraform variable'),
      "test/Web: 'workers' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if WebTier clientMaxBodySizeMiB is a Terraform variable', () => {
    expectTierformError(
      byName('WebTier clientMaxBodySizeMiB is a Terraform variable'),
      "test/Web: 'clientMaxBodySizeMiB' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if PrimaryReplicaMysql databaseName is a Terraform variable', () => {
    expectTierformError(
      byName('PrimaryReplicaMysql databaseName is a Terraform variable'),
      "test/Db: 'databaseName' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into the database setup script at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if PrimaryReplicaMysql maxConnections is a Terraform variable', () => {
    expectTierformError(
      byName('PrimaryReplicaMysql maxConnections is a Terraform variable'),
      "test/Db: 'maxConnections' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if HaproxyLoadBalancer checkIntervalSeconds is a Terraform variable', () => {
    expectTierformError(
      byName('HaproxyLoadBalancer checkIntervalSeconds is a Terraform variable'),
      "test/Lb: 'checkIntervalSeconds' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if HaproxyPair virtualRouterId is a Terraform variable', () => {
    expectTierformError(
      byName('HaproxyPair virtualRouterId is a Terraform variable'),
      "test/Pair: 'virtualRouterId' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if MonitoringAgent retentionDays is a Terraform variable', () => {
    expectTierformError(
      byName('MonitoringAgent retentionDays is a Terraform variable'),
      "test/Mon: 'retentionDays' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if MonitoringAgent scrapeIntervalSeconds is a Terraform variable', () => {
    expectTierformError(
      byName('MonitoringAgent scrapeIntervalSeconds is a Terraform variable'),
      "test/Mon: 'scrapeIntervalSeconds' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if MonitoringAgent http5xxAlertRatio is a Terraform variable', () => {
    expectTierformError(
      byName('MonitoringAgent http5xxAlertRatio is a Terraform variable'),
      "test/Mon: 'http5xxAlertRatio' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into Prometheus's alert rules at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if WebTier trustedProxyCidrs is a list variable', () => {
    expectTierformError(
      byName('WebTier trustedProxyCidrs is a list variable'),
      "test/Web: 'trustedProxyCidrs' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes the trusted networks into nginx.conf at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if WebTier serverNames is a list variable', () => {
    expectTierformError(
      byName('WebTier serverNames is a list variable'),
      "test/Web: 'serverNames' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes the names into nginx.conf at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if WebTier serverNames holds a variable', () => {
    expectTierformError(
      byName('WebTier serverNames holds a variable'),
      'test/Web: \'serverNames\' must be known at synth, and an entry is a token (a Terraform variable or reference, known only at apply), got ["www.site.example","(token)"]. tierform writes the names into nginx.conf at synth. Pass a literal value; a Terraform variable or reference cannot be used here.',
    );
  });
  test('throws if git URL is a Terraform variable', () => {
    expectTierformError(
      byName('git URL is a Terraform variable'),
      "test/Web: 'app.url' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into the app's setup script at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if https.email is a Terraform variable', () => {
    expectTierformError(
      byName('https.email is a Terraform variable'),
      "test/Lb: 'https.email' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into certbot's script at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if https.contentSecurityPolicy is a Terraform variable', () => {
    expectTierformError(
      byName('https.contentSecurityPolicy is a Terraform variable'),
      "test/Lb: 'https.contentSecurityPolicy' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into haproxy.cfg at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if role name is a Terraform variable', () => {
    expectTierformError(
      byName('role name is a Terraform variable'),
      "test/Web: 'name' must be known at synth, got a token (a Terraform variable or reference, known only at apply). It names the droplets, the tag and the firewall, and tierform writes it into configuration files at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if healthCheckHost is a Terraform variable', () => {
    expectTierformError(
      byName('healthCheckHost is a Terraform variable'),
      "test/Lb: 'healthCheckHost' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into haproxy.cfg at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if SingleServer appUser is a Terraform variable', () => {
    expectTierformError(
      byName('SingleServer appUser is a Terraform variable'),
      "test/Server: 'appUser' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform writes it into the database setup script at synth. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if AppTier port is a Terraform variable', () => {
    expectTierformError(
      byName('AppTier port is a Terraform variable'),
      "test/App: 'port' must be known at synth, got a token (a Terraform variable or reference, known only at apply). tierform checks it and writes it into the droplets’ configuration files at synth, where a value known only at apply cannot be checked. Pass a literal value; a Terraform variable or reference cannot be used here.",
    );
  });
  test('throws if https.email has a shell metacharacter', () => {
    expectTierformError(
      byName('https.email has a shell metacharacter'),
      "test/Lb: 'https.email' must be one word without whitespace, quotes, '#', '\\', '`', '$', ';', '&', '|', '<', '>', '(' or ')', got 'ops;reboot@site.example'. Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.",
    );
  });
  test('throws if https.email has a space', () => {
    expectTierformError(
      byName('https.email has a space'),
      "test/Lb: 'https.email' must be an e-mail address such as ops@foobar.com, got 'o ps@site.example'. Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.",
    );
  });
  test('throws if https.email has no domain', () => {
    expectTierformError(
      byName('https.email has no domain'),
      "test/Lb: 'https.email' must be an e-mail address such as ops@foobar.com, got 'ops@'. Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.",
    );
  });
  test('throws if CSP holds a newline', () => {
    expectTierformError(
      byName('CSP holds a newline'),
      "test/Lb: 'https.contentSecurityPolicy' must be non-empty printable text without '\"', '\\' or '$', got \"default-src 'self'\\nscript-src *\". Write it on one line of printable characters, without '\"', '\\' or '$'.",
    );
  });
  test('throws if CSP holds a dollar', () => {
    expectTierformError(
      byName('CSP holds a dollar'),
      "test/Lb: 'https.contentSecurityPolicy' must be non-empty printable text without '\"', '\\' or '$', got 'default-src 'self' $x'. Write it on one line of printable characters, without '\"', '\\' or '$'.",
    );
  });
  test('throws if CSP is empty', () => {
    expectTierformError(
      byName('CSP is empty'),
      "test/Lb: 'https.contentSecurityPolicy' must be non-empty printable text without '\"', '\\' or '$', got ''. Write it on one line of printable characters, without '\"', '\\' or '$'.",
    );
  });
  test('throws if CSP holds a backslash', () => {
    expectTierformError(
      byName('CSP holds a backslash'),
      "test/Lb: 'https.contentSecurityPolicy' must be non-empty printable text without '\"', '\\' or '$', got 'default-src 'self' \\'. Write it on one line of printable characters, without '\"', '\\' or '$'.",
    );
  });
  test('throws if CSP holds a double quote', () => {
    expectTierformError(
      byName('CSP holds a double quote'),
      "test/Lb: 'https.contentSecurityPolicy' must be non-empty printable text without '\"', '\\' or '$', got 'default-src \"self\"'. Write it on one line of printable characters, without '\"', '\\' or '$'.",
    );
  });
  test('throws if hstsMaxAgeSeconds is negative', () => {
    expectTierformError(
      byName('hstsMaxAgeSeconds is negative'),
      "test/Lb: 'https.hstsMaxAgeSeconds' must be an integer from 0 to 63072000, got -1. Pass an integer from 0 to 63072000.",
    );
  });
  test('throws if hstsMaxAgeSeconds is NaN', () => {
    expectTierformError(
      byName('hstsMaxAgeSeconds is NaN'),
      "test/Lb: 'https.hstsMaxAgeSeconds' must be an integer from 0 to 63072000, got NaN. Pass an integer from 0 to 63072000.",
    );
  });
  test('throws if hstsMaxAgeSeconds is above two years', () => {
    expectTierformError(
      byName('hstsMaxAgeSeconds is above two years'),
      "test/Lb: 'https.hstsMaxAgeSeconds' must be an integer from 0 to 63072000, got 1000000000000. Pass an integer from 0 to 63072000.",
    );
  });
  test('throws if https.domain is a URL', () => {
    expectTierformError(
      byName('https.domain is a URL'),
      "test/Lb: 'https.domain' is not a fully qualified domain name, got 'https://site.example'. Pass a fully qualified domain name such as 'foobar.com' (letters, digits and hyphens, labels separated by dots, no trailing dot, no scheme).",
    );
  });
  test('throws if serverNames is empty', () => {
    expectTierformError(
      byName('serverNames is empty'),
      "test/Web: 'serverNames' must list at least one server name, got []. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test("throws if serverNames holds ''", () => {
    expectTierformError(
      byName("serverNames holds ''"),
      "test/Web: 'serverNames' contains an invalid server name, got ''. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test("throws if serverNames holds '*.'", () => {
    expectTierformError(
      byName("serverNames holds '*.'"),
      "test/Web: 'serverNames' contains an invalid server name, got '*.'. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test('throws if serverNames holds a space', () => {
    expectTierformError(
      byName('serverNames holds a space'),
      "test/Web: 'serverNames' contains an invalid server name, got 'www.site.example foo'. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test('throws if serverNames holds an underscore', () => {
    expectTierformError(
      byName('serverNames holds an underscore'),
      "test/Web: 'serverNames' contains an invalid server name, got 'my_site.example'. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test('throws if serverNames label starts with a hyphen', () => {
    expectTierformError(
      byName('serverNames label starts with a hyphen'),
      "test/Web: 'serverNames' contains an invalid server name, got '-www.site.example'. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test('throws if serverNames holds a semicolon', () => {
    expectTierformError(
      byName('serverNames holds a semicolon'),
      "test/Web: 'serverNames' contains an invalid server name, got 'site.example;'. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test('throws if serverNames lists a name twice', () => {
    expectTierformError(
      byName('serverNames lists a name twice'),
      'test/Web: \'serverNames\' lists a name twice, got ["www.site.example","WWW.site.example"]. List each server name once (nginx warns about duplicates).',
    );
  });
  test('throws if serverNames wildcard in the middle', () => {
    expectTierformError(
      byName('serverNames wildcard in the middle'),
      "test/Web: 'serverNames' contains an invalid server name, got 'www.*.example'. Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
    );
  });
  test('throws if serverNames is a string, not a list', () => {
    expectTierformError(
      byName('serverNames is a string, not a list'),
      "test/Web: 'serverNames' must be a list, got 'www.site.example'. Pass an array of strings.",
    );
  });
  test("throws if backend health path has no leading '/'", () => {
    expectTierformError(
      byName("backend health path has no leading '/'"),
      "test/Web: 'healthCheckPath' is not an absolute URL path, got 'health'. Pass an absolute URL path such as '/health' (letters, digits and '.', '_', '~', '/', '-'; no spaces, control characters, query or escapes).",
    );
  });
  test('throws if backend health path holds a newline', () => {
    expectTierformError(
      byName('backend health path holds a newline'),
      "test/Web: 'healthCheckPath' is not an absolute URL path, got \"/he\\nalth\". Pass an absolute URL path such as '/health' (letters, digits and '.', '_', '~', '/', '-'; no spaces, control characters, query or escapes).",
    );
  });
  test('throws if backend health path holds a space', () => {
    expectTierformError(
      byName('backend health path holds a space'),
      "test/Web: 'healthCheckPath' is not an absolute URL path, got '/health check'. Pass an absolute URL path such as '/health' (letters, digits and '.', '_', '~', '/', '-'; no spaces, control characters, query or escapes).",
    );
  });
  test('throws if backend health path is empty', () => {
    expectTierformError(
      byName('backend health path is empty'),
      "test/Web: 'healthCheckPath' is not an absolute URL path, got ''. Pass an absolute URL path such as '/health' (letters, digits and '.', '_', '~', '/', '-'; no spaces, control characters, query or escapes).",
    );
  });
  test('throws if git URL ends in a backslash', () => {
    expectTierformError(
      byName('git URL ends in a backslash'),
      "test/Web: 'app.url' is not an https git URL, got 'https://github.com/you/app.git\\'. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test('throws if git URL is http://', () => {
    expectTierformError(
      byName('git URL is http://'),
      "test/Web: 'app.url' is not an https git URL, got 'http://github.com/you/app.git'. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test('throws if git URL holds a command substitution', () => {
    expectTierformError(
      byName('git URL holds a command substitution'),
      "test/Web: 'app.url' is not an https git URL, got 'https://github.com/you/$(id).git'. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test('throws if git URL holds a space', () => {
    expectTierformError(
      byName('git URL holds a space'),
      "test/Web: 'app.url' is not an https git URL, got 'https://github.com/you/my app.git'. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test('throws if git URL holds a double quote', () => {
    expectTierformError(
      byName('git URL holds a double quote'),
      "test/Web: 'app.url' is not an https git URL, got 'https://github.com/you/app\".git'. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test('throws if git URL is ssh', () => {
    expectTierformError(
      byName('git URL is ssh'),
      "test/Web: 'app.url' is not an https git URL, got 'git@github.com:you/app.git'. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test("throws if git ref climbs with '..'", () => {
    expectTierformError(byName("git ref climbs with '..'"), "test/Web: 'app.ref' is not a git ref, got 'v1..v2'. Pass a branch, tag or commit hash.");
  });
  test('throws if git ref starts with a dash', () => {
    expectTierformError(
      byName('git ref starts with a dash'),
      "test/Web: 'app.ref' is not a git ref, got '--upload-pack=x'. Pass a branch, tag or commit hash.",
    );
  });
  test('throws if wsgiApp has no callable', () => {
    expectTierformError(
      byName('wsgiApp has no callable'),
      "test/Web: 'app.wsgiApp' is not a WSGI callable, got 'app'. Pass 'module:callable' with Python identifiers, e.g. 'app:app' or 'myproject.wsgi:application'.",
    );
  });
  test('throws if requirementsFile climbs out of the repository', () => {
    expectTierformError(
      byName('requirementsFile climbs out of the repository'),
      "test/Web: 'app.requirementsFile' is not a relative file path, got '../etc/passwd'. Pass e.g. 'requirements.txt'.",
    );
  });
  test('throws if git URL missing (plain JavaScript)', () => {
    expectTierformError(
      byName('git URL missing (plain JavaScript)'),
      "test/Web: 'app.url' is not an https git URL, got undefined. Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
    );
  });
  test('throws if trustedProxyCidrs is 0.0.0.0/0', () => {
    expectTierformError(
      byName('trustedProxyCidrs is 0.0.0.0/0'),
      "test/Web: 'trustedProxyCidrs' trusts a network too wide to be your proxies, got '0.0.0.0/0'. List only the networks of your own proxies (the load balancer's VPC range is the default): each IPv4 entry /8 or narrower, IPv6 /32 or narrower. A wider range lets any client on it forge X-Forwarded-For and escape rate limiting.",
    );
  });
  test('throws if trustedProxyCidrs halves add up to everything', () => {
    expectTierformError(
      byName('trustedProxyCidrs halves add up to everything'),
      "test/Web: 'trustedProxyCidrs' trusts a network too wide to be your proxies, got '0.0.0.0/1'. List only the networks of your own proxies (the load balancer's VPC range is the default): each IPv4 entry /8 or narrower, IPv6 /32 or narrower. A wider range lets any client on it forge X-Forwarded-For and escape rate limiting.",
    );
  });
  test('throws if trustedProxyCidrs is ::/0', () => {
    expectTierformError(
      byName('trustedProxyCidrs is ::/0'),
      "test/Web: 'trustedProxyCidrs' trusts a network too wide to be your proxies, got '::/0'. List only the networks of your own proxies (the load balancer's VPC range is the default): each IPv4 entry /8 or narrower, IPv6 /32 or narrower. A wider range lets any client on it forge X-Forwarded-For and escape rate limiting.",
    );
  });
  test('throws if trustedProxyCidrs is a /4', () => {
    expectTierformError(
      byName('trustedProxyCidrs is a /4'),
      "test/Web: 'trustedProxyCidrs' trusts a network too wide to be your proxies, got '16.0.0.0/4'. List only the networks of your own proxies (the load balancer's VPC range is the default): each IPv4 entry /8 or narrower, IPv6 /32 or narrower. A wider range lets any client on it forge X-Forwarded-For and escape rate limiting.",
    );
  });
  test('throws if trustedProxyCidrs is not a CIDR', () => {
    expectTierformError(
      byName('trustedProxyCidrs is not a CIDR'),
      "test/Web: 'trustedProxyCidrs' is not a valid CIDR block, got '10.0.0.0/33'. Pass an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32.",
    );
  });
  test('throws if trustedProxyCidrs is a string', () => {
    expectTierformError(
      byName('trustedProxyCidrs is a string'),
      "test/Web: 'trustedProxyCidrs' must be a list, got '10.0.0.0/8'. Pass an array of strings.",
    );
  });
  test('throws if AppTier port is node_exporter’s', () => {
    expectTierformError(
      byName('AppTier port is node_exporter’s'),
      "test/App: 'port' collides with a port tierform uses, got 9100. tierform already uses that port on the same droplet (node_exporter). Pick another, e.g. 8000.",
    );
  });
  test('throws if AppTier port is mysqld_exporter’s', () => {
    expectTierformError(
      byName('AppTier port is mysqld_exporter’s'),
      "test/App: 'port' collides with a port tierform uses, got 9104. tierform already uses that port on the same droplet (mysqld_exporter). Pick another, e.g. 8000.",
    );
  });
  test('throws if AppTier port is the HAProxy stats port', () => {
    expectTierformError(
      byName('AppTier port is the HAProxy stats port'),
      "test/App: 'port' collides with a port tierform uses, got 8404. tierform already uses that port on the same droplet (the HAProxy stats and metrics listener). Pick another, e.g. 8000.",
    );
  });
  test('throws if AppTier port is privileged', () => {
    expectTierformError(
      byName('AppTier port is privileged'),
      "test/App: 'port' must be an integer from 1024 to 65535, got 80. Pass an integer from 1024 to 65535.",
    );
  });
  test('throws if AppTier port is above 65535', () => {
    expectTierformError(
      byName('AppTier port is above 65535'),
      "test/App: 'port' must be an integer from 1024 to 65535, got 70000. Pass an integer from 1024 to 65535.",
    );
  });
  test('throws if Dns target is IPv6', () => {
    expectTierformError(
      byName('Dns target is IPv6'),
      "test/Zone: 'targetIpv4' is an IPv6 address, and A records hold IPv4 addresses, got '2001:db8::1'. Pass an IPv4 address (A records); an IPv6 address needs an AAAA record, which Dns does not create: point it at the entry point's IPv4 address.",
    );
  });
  test('throws if Dns target is a host name', () => {
    expectTierformError(
      byName('Dns target is a host name'),
      "test/Zone: 'targetIpv4' is not an IPv4 address, got 'lb.site.example'. Pass an IPv4 address (A records); an IPv6 address needs an AAAA record, which Dns does not create: point it at the entry point's IPv4 address.",
    );
  });
  test('throws if Dns pointTo an invalid address', () => {
    expectTierformError(
      byName('Dns pointTo an invalid address'),
      "test/Zone: 'targetIpv4' is not an IPv4 address, got '10.0.0.300'. Pass an IPv4 address (A records); an IPv6 address needs an AAAA record, which Dns does not create: point it at the entry point's IPv4 address.",
    );
  });
  test('throws if Dns addRecord to IPv6', () => {
    expectTierformError(
      byName('Dns addRecord to IPv6'),
      "test/Zone: 'ipv4' is an IPv6 address, and A records hold IPv4 addresses, got '::1'. Pass an IPv4 address (A records); an IPv6 address needs an AAAA record, which Dns does not create: point it at the entry point's IPv4 address.",
    );
  });
  test('throws if Dns pointTo nothing (plain JavaScript)', () => {
    expectTierformError(
      byName('Dns pointTo nothing (plain JavaScript)'),
      "test/Zone: 'targetIpv4' is required by pointTo(), got undefined. Pass the entry point (a load balancer, pair or single server) or its IPv4 address.",
    );
  });
  test('throws if role tags hold a space', () => {
    expectTierformError(
      byName('role tags hold a space'),
      "test/Web: 'tags' contains an invalid DigitalOcean tag, got 'my tag'. DigitalOcean tags may contain letters, digits, colons, dashes and underscores, at most 255 characters.",
    );
  });
  test('throws if role tags hold a slash', () => {
    expectTierformError(
      byName('role tags hold a slash'),
      "test/Web: 'tags' contains an invalid DigitalOcean tag, got 'team/web'. DigitalOcean tags may contain letters, digits, colons, dashes and underscores, at most 255 characters.",
    );
  });
  test('throws if role tags hold an empty tag', () => {
    expectTierformError(
      byName('role tags hold an empty tag'),
      "test/Web: 'tags' contains an invalid DigitalOcean tag, got ''. DigitalOcean tags may contain letters, digits, colons, dashes and underscores, at most 255 characters.",
    );
  });
  test('throws if role name has an underscore', () => {
    expectTierformError(
      byName('role name has an underscore'),
      "test/Web: 'name' is not a valid name (max 40 characters), got 'site_web'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if role name ends in a hyphen', () => {
    expectTierformError(
      byName('role name ends in a hyphen'),
      "test/Web: 'name' is not a valid name (max 40 characters), got 'site-web-'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if role name is too long', () => {
    expectTierformError(
      byName('role name is too long'),
      "test/Web: 'name' is not a valid name (max 40 characters), got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if role name is upper case', () => {
    expectTierformError(
      byName('role name is upper case'),
      "test/Web: 'name' is not a valid name (max 40 characters), got 'Site-Web'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if Vpc name has a space', () => {
    expectTierformError(
      byName('Vpc name has a space'),
      "test/Vpc2: 'name' is not a valid name (max 40 characters), got 'my vpc'. Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).",
    );
  });
  test('throws if Vpc range is public', () => {
    expectTierformError(
      byName('Vpc range is public'),
      "test/Vpc2: 'ipRange' is not a usable DigitalOcean VPC range, got '8.8.8.0/24'. Pass a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) with a prefix from /16 to /24 that does not overlap DigitalOcean-reserved ranges.",
    );
  });
  test('throws if Vpc region is unknown', () => {
    expectTierformError(
      byName('Vpc region is unknown'),
      "test/Vpc2: 'region' is not a DigitalOcean region that accepts new droplets, got 'mars1'. Use a DigitalOcean region slug: nyc1, nyc3, sfo2, sfo3, tor1, atl1, ams3, lon1, fra1, blr1, sgp1, syd1.",
    );
  });
  test("throws if databaseName is 'mysql'", () => {
    expectTierformError(
      byName("databaseName is 'mysql'"),
      "test/Db: 'databaseName' names one of the server's own schemas, got 'mysql'. Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
    );
  });
  test("throws if databaseName is 'MySQL'", () => {
    expectTierformError(
      byName("databaseName is 'MySQL'"),
      "test/Db: 'databaseName' names one of the server's own schemas, got 'MySQL'. Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
    );
  });
  test("throws if databaseName is 'information_schema'", () => {
    expectTierformError(
      byName("databaseName is 'information_schema'"),
      "test/Db: 'databaseName' names one of the server's own schemas, got 'information_schema'. Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
    );
  });
  test("throws if databaseName is 'performance_schema'", () => {
    expectTierformError(
      byName("databaseName is 'performance_schema'"),
      "test/Db: 'databaseName' names one of the server's own schemas, got 'performance_schema'. Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
    );
  });
  test("throws if databaseName is 'sys'", () => {
    expectTierformError(
      byName("databaseName is 'sys'"),
      "test/Db: 'databaseName' names one of the server's own schemas, got 'sys'. Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
    );
  });
  test("throws if SingleServer databaseName is 'mysql'", () => {
    expectTierformError(
      byName("SingleServer databaseName is 'mysql'"),
      "test/Server: 'databaseName' names one of the server's own schemas, got 'mysql'. Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
    );
  });
  test("throws if appUser is 'root'", () => {
    expectTierformError(
      byName("appUser is 'root'"),
      "test/Db: 'appUser' names one of the server's own accounts, got 'root'. Pick an account name of your own such as 'app': the server's own accounts ('root', 'mysql.sys', 'mariadb.sys') must not be replaced by the app's.",
    );
  });
  test('throws if databaseName has a hyphen', () => {
    expectTierformError(
      byName('databaseName has a hyphen'),
      "test/Db: 'databaseName' is not a MySQL identifier (letters, digits, _; at most 64 characters), got 'my-app'. Pass e.g. 'app'.",
    );
  });
  test('throws if databaseName has a backquote', () => {
    expectTierformError(
      byName('databaseName has a backquote'),
      "test/Server: 'databaseName' is not a MySQL identifier (letters, digits, _; at most 32 characters), got 'app`; DROP'. Pass e.g. 'app'.",
    );
  });
  test('throws if adminCidrs is 0.0.0.0/0', () => {
    expectTierformError(
      byName('adminCidrs is 0.0.0.0/0'),
      "test/Web: 'adminCidrs' opens SSH to the whole internet, got '0.0.0.0/0'. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if adminCidrs halves add up to the IPv4 internet', () => {
    expectTierformError(
      byName('adminCidrs halves add up to the IPv4 internet'),
      "test/Web: 'adminCidrs' together open SSH to the whole internet, got [\"0.0.0.0/1\",\"128.0.0.0/1\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if adminCidrs is ::/0', () => {
    expectTierformError(
      byName('adminCidrs is ::/0'),
      "test/Web: 'adminCidrs' opens SSH to the whole internet, got '::/0'. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if adminCidrs halves add up to the IPv6 internet', () => {
    expectTierformError(
      byName('adminCidrs halves add up to the IPv6 internet'),
      "test/Web: 'adminCidrs' together open SSH to the whole internet, got [\"::/1\",\"8000::/1\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if adminCidrs covers every public IPv4 address', () => {
    expectTierformError(
      byName('adminCidrs covers every public IPv4 address'),
      'test/Web: \'adminCidrs\' together open SSH to the whole internet, got ["1.0.0.0/8","2.0.0.0/7","4.0.0.0/6","8.0.0.0/5","16.0.0.0/4","32.0.0.0/3","64.0.0.0/2","128.0.0.0/1"]. SSH open to the whole internet is refused: list your admin networks in \'adminCidrs\' (e.g. your office /32), or set \'allowSshFromAnywhere\' to { reason: \'...\' } to accept the risk explicitly.',
    );
  });
  test('throws if SSH from anywhere through connections.allowFrom', () => {
    expectTierformError(
      byName('SSH from anywhere through connections.allowFrom'),
      "test/Web: 'connections' would admit SSH (tcp/22) from the whole internet, got [\"0.0.0.0/0\",\"::/0\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if SSH from anywhere through Port.SSH on a load balancer', () => {
    expectTierformError(
      byName('SSH from anywhere through Port.SSH on a load balancer'),
      "test/Lb: 'connections' would admit SSH (tcp/22) from the whole internet, got [\"0.0.0.0/0\",\"::/0\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if SSH from two halves added one by one', () => {
    expectTierformError(
      byName('SSH from two halves added one by one'),
      "test/Web: 'connections' would admit SSH (tcp/22) from the whole internet, got [\"0.0.0.0/1\",\"128.0.0.0/1\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if every TCP port from anywhere', () => {
    expectTierformError(
      byName('every TCP port from anywhere'),
      "test/Web: 'connections' would admit SSH (tcp/22) from the whole internet, got [\"0.0.0.0/0\",\"::/0\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if a TCP range holding 22 from anywhere', () => {
    expectTierformError(
      byName('a TCP range holding 22 from anywhere'),
      "test/Web: 'connections' would admit SSH (tcp/22) from the whole internet, got [\"0.0.0.0/0\",\"::/0\"]. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test("throws if AdminAccess default is '0.0.0.0/0'", () => {
    expectTierformError(
      byName("AdminAccess default is '0.0.0.0/0'"),
      "test/Access: 'adminCidrs' opens SSH to the whole internet, got '0.0.0.0/0'. SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
    );
  });
  test('throws if allowSshFromAnywhere has an empty reason', () => {
    expectTierformError(
      byName('allowSshFromAnywhere has an empty reason'),
      "test/Web: 'allowSshFromAnywhere.reason' must explain the exception, got ''. Give a non-empty 'reason' so reviewers know why the exception is there.",
    );
  });
  test('throws if adminCidrs is a string', () => {
    expectTierformError(
      byName('adminCidrs is a string'),
      "test/Web: 'adminCidrs' must be a list of CIDR blocks, got '203.0.113.7/32'. Pass an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32.",
    );
  });
  test('throws if WebTier database in another VPC', () => {
    expectTierformError(
      byName('WebTier database in another VPC'),
      "test/Web: 'database' is test/Db, in VPC test/Vpc (region nyc3), and this construct is in VPC test/Vpc2 (region ams3). Put both in the same Vpc: they reach each other by VPC (private) addresses, which only route within one VPC and region.",
    );
  });
  test('throws if WebTier upstream in another VPC', () => {
    expectTierformError(
      byName('WebTier upstream in another VPC'),
      "test/Web: 'upstream' is test/App, in VPC test/Vpc (region nyc3), and this construct is in VPC test/Vpc2 (region ams3). Put both in the same Vpc: they reach each other by VPC (private) addresses, which only route within one VPC and region.",
    );
  });
  test('throws if AppTier database in another VPC', () => {
    expectTierformError(
      byName('AppTier database in another VPC'),
      "test/App: 'database' is test/Db, in VPC test/Vpc (region nyc3), and this construct is in VPC test/Vpc2 (region ams3). Put both in the same Vpc: they reach each other by VPC (private) addresses, which only route within one VPC and region.",
    );
  });
  test('throws if load balancer backend in another VPC', () => {
    expectTierformError(
      byName('load balancer backend in another VPC'),
      "test/Lb: 'backends' is test/Web, in VPC test/Vpc2 (region ams3), and this construct is in VPC test/Vpc (region nyc3). Put both in the same Vpc: they reach each other by VPC (private) addresses, which only route within one VPC and region.",
    );
  });
  test('throws if monitoring a role in another VPC', () => {
    expectTierformError(
      byName('monitoring a role in another VPC'),
      "test/Mon: 'roles' is test/Web, in VPC test/Vpc2 (region ams3), and this construct is in VPC test/Vpc (region nyc3). Put both in the same Vpc: they reach each other by VPC (private) addresses, which only route within one VPC and region.",
    );
  });
  test('throws if two roles with the same name', () => {
    expectTierformError(
      byName('two roles with the same name'),
      "test/App: 'name' 'site-web' is already used by test/Web: a role's name is its DigitalOcean tag, firewall and droplet-name prefix, so the two would share a tag and each other's firewall rules. Give each role its own name.",
    );
  });
  test("throws if a role is named like a database's primary name", () => {
    expectTierformError(
      byName("a role named like a database's primary name"),
      "test/App: 'name' 'site-db-primary' publishes its droplets as 'site-db-primary.internal.site.example', a name test/Db already publishes for its primary (writes): consumers would resolve both roles' droplets under it. Rename one of the two (its 'name').",
    );
  });
  test("throws if a database's read name is another role's name", () => {
    expectTierformError(
      byName("a database whose read name is another role's name"),
      "test/Db: 'name' 'site-db' publishes its replicas (reads) as 'site-db-read.internal.site.example', a name test/App already publishes for its droplets: consumers would resolve both roles' droplets under it. Rename one of the two (its 'name').",
    );
  });
  test('throws if two VPCs with overlapping ranges', () => {
    expectTierformError(
      byName('two VPCs with overlapping ranges'),
      "test/Vpc2: 'ipRange' overlaps the range 10.20.0.0/20 of test/Vpc, got '10.20.8.0/24'. DigitalOcean refuses overlapping VPC ranges in one account: give each VPC its own range (the stages use 10.20.0.0/20, 10.20.16.0/20, 10.20.32.0/20, 10.20.48.0/20).",
    );
  });
  test('throws if two VPCs in two stacks with overlapping ranges', () => {
    expectTierformError(
      byName('two VPCs in two stacks with overlapping ranges'),
      "other/Vpc: 'ipRange' overlaps the range 10.20.0.0/20 of test/Vpc (stack 'test'), got '10.20.0.0/16'. DigitalOcean refuses overlapping VPC ranges in one account: give each VPC its own range (the stages use 10.20.0.0/20, 10.20.16.0/20, 10.20.32.0/20, 10.20.48.0/20).",
    );
  });
  test('throws if two VPCs with the same name', () => {
    expectTierformError(
      byName('two VPCs with the same name'),
      "test/Vpc2: 'name' 'test-vpc' is already used by test/Vpc: VPC names are unique in a DigitalOcean account. Give each VPC its own name.",
    );
  });
  test('throws if one role watched by two MonitoringAgents', () => {
    expectTierformError(
      byName('one role watched by two MonitoringAgents'),
      "test/Mon2: test/Web is already watched by test/Mon: a role has one monitoring server (its exporters and firewall rules would be added twice). Watch it from one MonitoringAgent only: drop it from this one's 'roles' (or its watch() call), or from the other's.",
    );
  });
  test('throws if WebTier in one stack, database in another', () => {
    expectTierformError(
      byName('WebTier in one stack, database in another'),
      "other/Web: 'database' is test/Db, in stack 'test', and this construct is in stack 'other'. Create both in the same TerraformStack: the two are wired in both directions (firewall rules name each other’s tags, droplets wait for each other’s DNS records), which cdktf cross-stack references cannot order (it would be a dependency cycle between the stacks).",
    );
  });
  test('throws if load balancer in one stack, backend in another', () => {
    expectTierformError(
      byName('load balancer in one stack, backend in another'),
      "other/Lb: 'backends' is test/Web, in stack 'test', and this construct is in stack 'other'. Create both in the same TerraformStack: the two are wired in both directions (firewall rules name each other’s tags, droplets wait for each other’s DNS records), which cdktf cross-stack references cannot order (it would be a dependency cycle between the stacks).",
    );
  });
  test('throws if monitoring in one stack, role in another', () => {
    expectTierformError(
      byName('monitoring in one stack, role in another'),
      "other/Mon: 'roles' is test/Web, in stack 'test', and this construct is in stack 'other'. Create both in the same TerraformStack: the two are wired in both directions (firewall rules name each other’s tags, droplets wait for each other’s DNS records), which cdktf cross-stack references cannot order (it would be a dependency cycle between the stacks).",
    );
  });
  test('throws if load balancer backends with different health paths', () => {
    expectTierformError(
      byName('load balancer backends with different health paths'),
      "test/Lb: backends test/Web and test/Web2 have different health check paths ('/health' and '/ping'): one load balancer checks every backend on one path. Give them the same path, or use one load balancer per backend.",
    );
  });
  test('throws if WebTier with no props', () => {
    expectTierformError(
      byName('WebTier with no props'),
      "test/W: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if WebTier without vpc', () => {
    expectTierformError(
      byName('WebTier without vpc'),
      "test/W: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if AppTier with no props', () => {
    expectTierformError(
      byName('AppTier with no props'),
      "test/A: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if PrimaryReplicaMysql without name', () => {
    expectTierformError(
      byName('PrimaryReplicaMysql without name'),
      "test/D: 'name' is required, got undefined. Pass the role's name, e.g. 'shop-web' (it names the droplets, their tag and firewall).",
    );
  });
  test('throws if HaproxyLoadBalancer with no props', () => {
    expectTierformError(
      byName('HaproxyLoadBalancer with no props'),
      "test/L: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if HaproxyPair with no props', () => {
    expectTierformError(
      byName('HaproxyPair with no props'),
      "test/P: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if MonitoringAgent with no props', () => {
    expectTierformError(
      byName('MonitoringAgent with no props'),
      "test/M: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if SingleServer with no props', () => {
    expectTierformError(
      byName('SingleServer with no props'),
      "test/S: 'vpc' is required, got undefined. Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
    );
  });
  test('throws if Vpc with no props', () => {
    expectTierformError(byName('Vpc with no props'), "test/V: 'region' is required, got undefined. Pass a DigitalOcean region slug, e.g. 'nyc3'.");
  });
  test('throws if Vpc.fromId with no attributes', () => {
    expectTierformError(
      byName('Vpc.fromId with no attributes'),
      "test/V: 'id' is required, got undefined. Pass the id from `doctl vpcs list` or the control panel.",
    );
  });
  test('throws if Dns with no props', () => {
    expectTierformError(byName('Dns with no props'), "test/Z: 'domain' is required, got undefined. Pass the zone, e.g. 'foobar.com'.");
  });
  test('throws if AdminAccess with no props', () => {
    expectTierformError(
      byName('AdminAccess with no props'),
      "test/A: 'sshKeys' is required, got undefined. Droplets are created without passwords: pass at least one SSH key fingerprint (aa:bb:...:ff) or numeric key id from your DigitalOcean account (doctl compute ssh-key list).",
    );
  });
  test('throws if https without domain', () => {
    expectTierformError(
      byName('https without domain'),
      "test/Lb: 'https.domain' is required, got undefined. Pass the apex domain the certificate covers, e.g. 'foobar.com'.",
    );
  });
  test('throws if load balancer backends hold undefined', () => {
    expectTierformError(
      byName('load balancer backends hold undefined'),
      "test/Lb: 'backends' contains something that is not a web tier, got undefined. Pass WebTier constructs (or other IHttpBackend implementations).",
    );
  });
  test('throws if load balancer backends is one tier, not a list', () => {
    expectTierformError(
      byName('load balancer backends is one tier, not a list'),
      "test/Lb: 'backends' must be a list of web tiers, got WebTier test/W1. Pass e.g. [web], or call addBackend(web).",
    );
  });
  test('throws if monitoring roles hold undefined', () => {
    expectTierformError(
      byName('monitoring roles hold undefined'),
      "test/Mon: 'roles' contains something that is not a role, got undefined. Pass tierform roles (WebTier, AppTier, HaproxyLoadBalancer, HaproxyPair, PrimaryReplicaMysql, SingleServer).",
    );
  });
  test('throws if WebTier count is a string', () => {
    expectTierformError(
      byName('WebTier count is a string'),
      "test/Web: 'count' must be an integer from 1 to 1000, got '3'. Pass an integer from 1 to 1000.",
    );
  });
  test('throws if WebTier count is 2.5', () => {
    expectTierformError(
      byName('WebTier count is 2.5'),
      "test/Web: 'count' must be an integer from 1 to 1000, got 2.5. Pass an integer from 1 to 1000.",
    );
  });
  test('throws if WebTier count is NaN', () => {
    expectTierformError(
      byName('WebTier count is NaN'),
      "test/Web: 'count' must be an integer from 1 to 1000, got NaN. Pass an integer from 1 to 1000.",
    );
  });
  test('throws if WebTier count is 0', () => {
    expectTierformError(byName('WebTier count is 0'), "test/Web: 'count' must be an integer from 1 to 1000, got 0. Pass an integer from 1 to 1000.");
  });
  test('throws if PrimaryReplicaMysql replicas is -1', () => {
    expectTierformError(
      byName('PrimaryReplicaMysql replicas is -1'),
      "test/Db: 'replicas' must be an integer from 0 to 10, got -1. Pass an integer from 0 to 10.",
    );
  });
  test('throws if PrimaryReplicaMysql maxConnections is huge', () => {
    expectTierformError(
      byName('PrimaryReplicaMysql maxConnections is huge'),
      "test/Db: 'maxConnections' must be an integer from 10 to 10000, got 100000000000000000000. Pass an integer from 10 to 10000.",
    );
  });
  test('throws if WebTier size is unknown', () => {
    expectTierformError(
      byName('WebTier size is unknown'),
      "test/Web: 'size' is not a known droplet size slug, got 's-1vcpu-1GB'. Use a DigitalOcean droplet size slug, e.g. s-1vcpu-512mb-10gb, s-1vcpu-1gb, s-1vcpu-2gb, s-2vcpu-2gb, s-2vcpu-4gb, s-4vcpu-8gb (see lib/catalog/sizes.ts).",
    );
  });
  test('throws if WebTier sshKeys is empty', () => {
    expectTierformError(
      byName('WebTier sshKeys is empty'),
      "test/Web: 'sshKeys' must list at least one SSH key, got []. Droplets are created without passwords: pass at least one SSH key fingerprint (aa:bb:...:ff) or numeric key id from your DigitalOcean account (doctl compute ssh-key list).",
    );
  });
  test('throws if MonitoringAgent alertEmails holds a name', () => {
    expectTierformError(
      byName('MonitoringAgent alertEmails holds a name'),
      "test/Mon: 'alertEmails' contains something that is not an e-mail address, got 'Ops Team'. Pass e-mail addresses such as 'ops@foobar.com' (DigitalOcean only notifies addresses verified in your account).",
    );
  });
  test('throws if MonitoringAgent uptimeUrl has no scheme', () => {
    expectTierformError(
      byName('MonitoringAgent uptimeUrl has no scheme'),
      "test/Mon: 'uptimeUrl' is not an http:// or https:// URL, got 'www.site.example'. Pass the site's public URL with its scheme, e.g. 'https://www.foobar.com/' (DigitalOcean checks http and https URLs).",
    );
  });
  test('throws if HaproxyLoadBalancer maxConnections is 0', () => {
    expectTierformError(
      byName('HaproxyLoadBalancer maxConnections is 0'),
      "test/Lb: 'maxConnections' must be an integer from 1 to 1000000, got 0. Pass an integer from 1 to 1000000.",
    );
  });
  test('throws if healthCheckHost has a space', () => {
    expectTierformError(
      byName('healthCheckHost has a space'),
      "test/Lb: 'healthCheckHost' is not a host name, got 'www site'. Pass a fully qualified domain name such as 'foobar.com' (letters, digits and hyphens, labels separated by dots, no trailing dot, no scheme).",
    );
  });
  test('throws if HaproxyPair virtualRouterId is 256', () => {
    expectTierformError(
      byName('HaproxyPair virtualRouterId is 256'),
      "test/Pair: 'virtualRouterId' must be an integer from 1 to 255, got 256. Pass an integer from 1 to 255.",
    );
  });
});
