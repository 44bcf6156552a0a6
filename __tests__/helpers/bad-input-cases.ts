/**
 * Realistic mistakes a new user makes, across every construct and stage (issue 9). Each case builds a stack the
 * way a user would (plain JavaScript mistakes included: missing props, wrong types) and is then synthesized with
 * validations on. Used by the probe (__tests__/constructs/bad-input-probe.test.ts: every case must end in a
 * TierformError naming a construct path, never a crash or a plan) and by the `throws if …` tests, which assert the
 * whole message of most of them (__tests__/constructs/bad-input.test.ts).
 */
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { TierformError } from '../../lib/errors';
import { AdminAccess } from '../../constructs/admin-access';
import { DockerNetwork } from '../../constructs/docker-network';
import { DockerService } from '../../constructs/docker-service';
import { DockerVolume } from '../../constructs/docker-volume';
import { EdgeProxy } from '../../constructs/edge-proxy';
import { MysqlContainer } from '../../constructs/mysql-container';
import { PostgresContainer } from '../../constructs/postgres-container';
import { RedisContainer } from '../../constructs/redis-container';
import { RoleFirewall } from '../../constructs/role-firewall';
import { TierDroplet } from '../../constructs/tier-droplet';
import { WebApp } from '../../constructs/web-app';
import { DockerAppStack } from '../../lib/stacks/docker-app-stack';
import { DockerHostStack, DockerMultiAppStack } from '../../lib/stacks/docker-multi-app';
import { AppSource } from '../../constructs/app-source';
import { AppTier } from '../../constructs/app-tier';
import { Peer } from '../../constructs/connections';
import { Dns } from '../../constructs/dns';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import { HaproxyPair } from '../../constructs/haproxy-pair';
import { MonitoringAgent } from '../../constructs/monitoring-agent';
import { Port } from '../../constructs/port';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { SingleServer } from '../../constructs/single-server';
import { Vpc } from '../../constructs/vpc';
import { IHttpBackend, WebTier } from '../../constructs/web-tier';
import { Stage0SingleServer } from '../../lib/stages/stage0';
import { Stage1LoadBalanced } from '../../lib/stages/stage1';
import { Stage2SecuredMonitored } from '../../lib/stages/stage2';
import { Stage3HighAvailability } from '../../lib/stages/stage3';
import { SSH_KEYS } from './stacks';

type Any = any;

/** A fresh App with stack 'test': provider, VPC 'test-vpc' (nyc3, 10.20.0.0/20); the zone on first use. */
export class Fixture {
  public readonly app = Testing.app();
  public readonly stack = new TerraformStack(this.app, 'test');
  public readonly vpc: Vpc;
  private zone?: Dns;

  constructor() {
    new DigitaloceanProvider(this.stack, 'do', {});
    this.vpc = new Vpc(this.stack, 'Vpc', { region: 'nyc3', name: 'test-vpc', ipRange: '10.20.0.0/20' });
  }

  public dns(): Dns {
    this.zone ??= new Dns(this.stack, 'Dns', { domain: 'site.example' });
    return this.zone;
  }

  /** A second stack in the same App, with its own provider and VPC 'other-vpc' (10.30.0.0/20). */
  public otherStack(region = 'nyc3'): { stack: TerraformStack; vpc: Vpc; dns: Dns } {
    const stack = new TerraformStack(this.app, 'other');
    new DigitaloceanProvider(stack, 'do', {});
    const vpc = new Vpc(stack, 'Vpc', { region, name: 'other-vpc', ipRange: '10.30.0.0/20' });
    return { stack, vpc, dns: new Dns(stack, 'Dns', { domain: 'other.example' }) };
  }

  /** A second VPC in this stack ('test-vpc2', 10.40.0.0/20). */
  public otherVpc(region = 'ams3'): Vpc {
    return new Vpc(this.stack, 'Vpc2', { region, name: 'test-vpc2', ipRange: '10.40.0.0/20' });
  }

  public numberVar(id = 'n'): number {
    return new TerraformVariable(this.stack, id, { type: 'number' }).numberValue;
  }

  public stringVar(id = 's'): string {
    return new TerraformVariable(this.stack, id, { type: 'string' }).stringValue;
  }

  public listVar(id = 'l'): string[] {
    return new TerraformVariable(this.stack, id, { type: 'list(string)' }).listValue;
  }

  public web(props: Any = {}, id = 'Web'): WebTier {
    this.dns();
    return new WebTier(this.stack, id, { vpc: this.vpc, name: 'site-web', count: 1, sshKeys: SSH_KEYS, ...props });
  }

  public db(props: Any = {}): PrimaryReplicaMysql {
    this.dns();
    return new PrimaryReplicaMysql(this.stack, 'Db', { vpc: this.vpc, name: 'site-db', replicas: 0, sshKeys: SSH_KEYS, ...props });
  }

  public appTier(props: Any = {}): AppTier {
    this.dns();
    return new AppTier(this.stack, 'App', { vpc: this.vpc, name: 'site-app', count: 1, sshKeys: SSH_KEYS, ...props });
  }

  public lb(props: Any = {}): HaproxyLoadBalancer {
    this.dns();
    return new HaproxyLoadBalancer(this.stack, 'Lb', {
      vpc: this.vpc,
      name: 'site-lb',
      sshKeys: SSH_KEYS,
      ...props,
      backends: 'backends' in props ? props.backends : [this.web()],
    });
  }

  public pair(props: Any = {}): HaproxyPair {
    this.dns();
    return new HaproxyPair(this.stack, 'Pair', {
      vpc: this.vpc,
      name: 'site-pair',
      sshKeys: SSH_KEYS,
      ...props,
      backends: 'backends' in props ? props.backends : [this.web()],
    });
  }

  public monitoring(props: Any = {}): MonitoringAgent {
    this.dns();
    return new MonitoringAgent(this.stack, 'Mon', {
      vpc: this.vpc,
      name: 'site-mon',
      sshKeys: SSH_KEYS,
      alertEmails: ['ops@site.example'],
      ...props,
      roles: 'roles' in props ? props.roles : [this.web()],
    });
  }

  public single(props: Any = {}): SingleServer {
    return new SingleServer(this.stack, 'Server', { vpc: this.vpc, name: 'site-www', sshKeys: SSH_KEYS, ...props });
  }

  public synth(): void {
    for (const stack of this.app.node.children) {
      if (stack instanceof TerraformStack) Testing.synth(stack, true);
    }
  }
}

/** A backend written by hand (IHttpBackend), e.g. from plain JavaScript, with its own health path. */
export function customBackend(f: Fixture, healthCheckPath: string): IHttpBackend {
  const web = f.web();
  return Object.assign(Object.create(Object.getPrototypeOf(web)), web, { healthCheckPath });
}

export interface BadInputCase {
  /** What the user got wrong, e.g. "WebTier count is a Terraform variable". */
  readonly name: string;
  /** Builds the mistake (construction may throw); the probe then synthesizes with validations. */
  readonly build: (f: Fixture) => void;
}

const STAGE = { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ['203.0.113.7/32'] };
const SECURED = { ...STAGE, email: 'ops@foobar.com' };
const stage0 = (f: Fixture, props: Any) => new Stage0SingleServer(f.app as App, 'Shop', props);
const stage1 = (f: Fixture, props: Any) => new Stage1LoadBalanced(f.app as App, 'Shop', props);
const stage2 = (f: Fixture, props: Any) => new Stage2SecuredMonitored(f.app as App, 'Shop', props);
const stage3 = (f: Fixture, props: Any) => new Stage3HighAvailability(f.app as App, 'Shop', props);
const git = (options: Any) => AppSource.git({ url: 'https://github.com/you/app.git', wsgiApp: 'app:app', ...options });
const https = (extra: Any = {}) => ({ https: { domain: 'site.example', email: 'ops@site.example', ...extra } });

export const BAD_INPUT_CASES: readonly BadInputCase[] = [
  // ---- tokens where a literal is needed
  { name: 'WebTier count is a Terraform variable', build: (f) => f.web({ count: f.numberVar() }) },
  { name: 'AppTier count is a Terraform variable', build: (f) => f.appTier({ count: f.numberVar() }) },
  { name: 'PrimaryReplicaMysql replicas is a Terraform variable', build: (f) => f.db({ replicas: f.numberVar() }) },
  { name: 'WebTier rateLimitBurst is a Terraform variable', build: (f) => f.web({ rateLimitBurst: f.numberVar() }) },
  { name: 'WebTier workers is a Terraform variable', build: (f) => f.web({ workers: f.numberVar() }) },
  { name: 'WebTier clientMaxBodySizeMiB is a Terraform variable', build: (f) => f.web({ clientMaxBodySizeMiB: f.numberVar() }) },
  { name: 'PrimaryReplicaMysql databaseName is a Terraform variable', build: (f) => f.db({ databaseName: f.stringVar() }) },
  { name: 'PrimaryReplicaMysql maxConnections is a Terraform variable', build: (f) => f.db({ maxConnections: f.numberVar() }) },
  { name: 'HaproxyLoadBalancer checkIntervalSeconds is a Terraform variable', build: (f) => f.lb({ checkIntervalSeconds: f.numberVar() }) },
  { name: 'HaproxyPair virtualRouterId is a Terraform variable', build: (f) => f.pair({ virtualRouterId: f.numberVar() }) },
  { name: 'MonitoringAgent retentionDays is a Terraform variable', build: (f) => f.monitoring({ retentionDays: f.numberVar() }) },
  { name: 'MonitoringAgent scrapeIntervalSeconds is a Terraform variable', build: (f) => f.monitoring({ scrapeIntervalSeconds: f.numberVar() }) },
  { name: 'MonitoringAgent http5xxAlertRatio is a Terraform variable', build: (f) => f.monitoring({ http5xxAlertRatio: f.numberVar() }) },
  { name: 'WebTier trustedProxyCidrs is a list variable', build: (f) => f.web({ trustedProxyCidrs: f.listVar() }) },
  { name: 'WebTier serverNames is a list variable', build: (f) => f.web({ serverNames: f.listVar() }) },
  { name: 'WebTier serverNames holds a variable', build: (f) => f.web({ serverNames: ['www.site.example', f.stringVar()] }) },
  { name: 'git URL is a Terraform variable', build: (f) => f.web({ app: git({ url: f.stringVar() }) }) },
  { name: 'https.email is a Terraform variable', build: (f) => f.lb(https({ email: f.stringVar() })) },
  { name: 'https.contentSecurityPolicy is a Terraform variable', build: (f) => f.lb(https({ contentSecurityPolicy: f.stringVar() })) },
  { name: 'role name is a Terraform variable', build: (f) => f.web({ name: f.stringVar() }) },
  { name: 'healthCheckHost is a Terraform variable', build: (f) => f.lb({ healthCheckHost: f.stringVar() }) },
  { name: 'SingleServer appUser is a Terraform variable', build: (f) => f.single({ appUser: f.stringVar() }) },
  { name: 'AppTier port is a Terraform variable', build: (f) => f.appTier({ port: f.numberVar() }) },
  {
    name: 'stage webCount is a Terraform variable',
    build: (f) => stage1(f, { ...STAGE, webCount: new TerraformVariable(f.stack, 'wc', { type: 'number' }).numberValue }),
  },

  // ---- renderer rules, checked up front
  { name: 'https.email has a shell metacharacter', build: (f) => f.lb(https({ email: 'ops;reboot@site.example' })) },
  { name: 'https.email has a space', build: (f) => f.lb(https({ email: 'o ps@site.example' })) },
  { name: 'https.email has no domain', build: (f) => f.lb(https({ email: 'ops@' })) },
  { name: 'CSP holds a newline', build: (f) => f.lb(https({ contentSecurityPolicy: "default-src 'self'\nscript-src *" })) },
  { name: 'CSP holds a dollar', build: (f) => f.lb(https({ contentSecurityPolicy: "default-src 'self' $x" })) },
  { name: 'CSP is empty', build: (f) => f.lb(https({ contentSecurityPolicy: '' })) },
  { name: 'CSP holds a backslash', build: (f) => f.lb(https({ contentSecurityPolicy: "default-src 'self' \\" })) },
  { name: 'CSP holds a double quote', build: (f) => f.lb(https({ contentSecurityPolicy: 'default-src "self"' })) },
  { name: 'hstsMaxAgeSeconds is negative', build: (f) => f.lb(https({ hstsMaxAgeSeconds: -1 })) },
  { name: 'hstsMaxAgeSeconds is NaN', build: (f) => f.lb(https({ hstsMaxAgeSeconds: NaN })) },
  { name: 'hstsMaxAgeSeconds is above two years', build: (f) => f.lb(https({ hstsMaxAgeSeconds: 1e12 })) },
  { name: 'https.domain is a URL', build: (f) => f.lb(https({ domain: 'https://site.example' })) },
  { name: 'serverNames is empty', build: (f) => f.web({ serverNames: [] }) },
  { name: "serverNames holds ''", build: (f) => f.web({ serverNames: [''] }) },
  { name: "serverNames holds '*.'", build: (f) => f.web({ serverNames: ['*.'] }) },
  { name: 'serverNames holds a space', build: (f) => f.web({ serverNames: ['www.site.example foo'] }) },
  { name: 'serverNames holds an underscore', build: (f) => f.web({ serverNames: ['my_site.example'] }) },
  { name: 'serverNames label starts with a hyphen', build: (f) => f.web({ serverNames: ['-www.site.example'] }) },
  { name: 'serverNames holds a semicolon', build: (f) => f.web({ serverNames: ['site.example;'] }) },
  { name: 'serverNames lists a name twice', build: (f) => f.web({ serverNames: ['www.site.example', 'WWW.site.example'] }) },
  { name: 'serverNames wildcard in the middle', build: (f) => f.web({ serverNames: ['www.*.example'] }) },
  { name: 'serverNames is a string, not a list', build: (f) => f.web({ serverNames: 'www.site.example' }) },
  { name: "backend health path has no leading '/'", build: (f) => f.lb({ backends: [customBackend(f, 'health')] }) },
  { name: 'backend health path holds a newline', build: (f) => f.lb({ backends: [customBackend(f, '/he\nalth')] }) },
  { name: 'backend health path holds a space', build: (f) => f.lb({ backends: [customBackend(f, '/health check')] }) },
  { name: 'backend health path is empty', build: (f) => f.lb({ backends: [customBackend(f, '')] }) },
  { name: 'git URL ends in a backslash', build: (f) => f.web({ app: git({ url: 'https://github.com/you/app.git\\' }) }) },
  { name: 'git URL is http://', build: (f) => f.web({ app: git({ url: 'http://github.com/you/app.git' }) }) },
  { name: 'git URL holds a command substitution', build: (f) => f.web({ app: git({ url: 'https://github.com/you/$(id).git' }) }) },
  { name: 'git URL holds a space', build: (f) => f.web({ app: git({ url: 'https://github.com/you/my app.git' }) }) },
  { name: 'git URL holds a double quote', build: (f) => f.web({ app: git({ url: 'https://github.com/you/app".git' }) }) },
  { name: 'git URL is ssh', build: (f) => f.web({ app: git({ url: 'git@github.com:you/app.git' }) }) },
  { name: "git ref climbs with '..'", build: (f) => f.web({ app: git({ ref: 'v1..v2' }) }) },
  { name: 'git ref starts with a dash', build: (f) => f.web({ app: git({ ref: '--upload-pack=x' }) }) },
  { name: 'wsgiApp has no callable', build: (f) => f.web({ app: git({ wsgiApp: 'app' }) }) },
  { name: 'requirementsFile climbs out of the repository', build: (f) => f.web({ app: git({ requirementsFile: '../etc/passwd' }) }) },
  { name: 'git URL missing (plain JavaScript)', build: (f) => f.web({ app: AppSource.git({ wsgiApp: 'app:app' } as Any) }) },

  // ---- values that break or weaken daemons
  { name: 'trustedProxyCidrs is 0.0.0.0/0', build: (f) => f.web({ trustedProxyCidrs: ['0.0.0.0/0'] }) },
  { name: 'trustedProxyCidrs halves add up to everything', build: (f) => f.web({ trustedProxyCidrs: ['0.0.0.0/1', '128.0.0.0/1'] }) },
  { name: 'trustedProxyCidrs is ::/0', build: (f) => f.web({ trustedProxyCidrs: ['::/0'] }) },
  { name: 'trustedProxyCidrs is a /4', build: (f) => f.web({ trustedProxyCidrs: ['16.0.0.0/4'] }) },
  { name: 'trustedProxyCidrs is not a CIDR', build: (f) => f.web({ trustedProxyCidrs: ['10.0.0.0/33'] }) },
  { name: 'trustedProxyCidrs is a string', build: (f) => f.web({ trustedProxyCidrs: '10.0.0.0/8' }) },
  { name: 'AppTier port is node_exporter’s', build: (f) => f.appTier({ port: 9100 }) },
  { name: 'AppTier port is mysqld_exporter’s', build: (f) => f.appTier({ port: 9104 }) },
  { name: 'AppTier port is the HAProxy stats port', build: (f) => f.appTier({ port: 8404 }) },
  { name: 'AppTier port is privileged', build: (f) => f.appTier({ port: 80 }) },
  { name: 'AppTier port is above 65535', build: (f) => f.appTier({ port: 70000 }) },
  { name: 'Dns target is IPv6', build: (f) => new Dns(f.stack, 'Zone', { domain: 'site.example', targetIpv4: '2001:db8::1' }) },
  { name: 'Dns target is a host name', build: (f) => new Dns(f.stack, 'Zone', { domain: 'site.example', targetIpv4: 'lb.site.example' }) },
  { name: 'Dns pointTo an invalid address', build: (f) => new Dns(f.stack, 'Zone', { domain: 'site.example' }).pointTo('10.0.0.300') },
  { name: 'Dns addRecord to IPv6', build: (f) => new Dns(f.stack, 'Zone', { domain: 'site.example' }).addRecord('X', 'x', '::1') },
  { name: 'Dns pointTo nothing (plain JavaScript)', build: (f) => new Dns(f.stack, 'Zone', { domain: 'site.example' }).pointTo(undefined as Any) },
  { name: 'role tags hold a space', build: (f) => f.web({ tags: ['my tag'] }) },
  { name: 'role tags hold a slash', build: (f) => f.web({ tags: ['team/web'] }) },
  { name: 'role tags hold an empty tag', build: (f) => f.web({ tags: [''] }) },
  { name: 'role name has an underscore', build: (f) => f.web({ name: 'site_web' }) },
  { name: 'role name ends in a hyphen', build: (f) => f.web({ name: 'site-web-' }) },
  { name: 'role name is too long', build: (f) => f.web({ name: 'a'.repeat(41) }) },
  { name: 'role name is upper case', build: (f) => f.web({ name: 'Site-Web' }) },
  { name: 'Vpc name has a space', build: (f) => new Vpc(f.stack, 'Vpc2', { region: 'nyc3', name: 'my vpc', ipRange: '10.40.0.0/20' }) },
  { name: 'Vpc range is public', build: (f) => new Vpc(f.stack, 'Vpc2', { region: 'nyc3', name: 'vpc2', ipRange: '8.8.8.0/24' }) },
  { name: 'Vpc region is unknown', build: (f) => new Vpc(f.stack, 'Vpc2', { region: 'mars1', name: 'vpc2', ipRange: '10.40.0.0/20' }) },

  // ---- security
  { name: "databaseName is 'mysql'", build: (f) => f.db({ databaseName: 'mysql' }) },
  { name: "databaseName is 'MySQL'", build: (f) => f.db({ databaseName: 'MySQL' }) },
  { name: "databaseName is 'information_schema'", build: (f) => f.db({ databaseName: 'information_schema' }) },
  { name: "databaseName is 'performance_schema'", build: (f) => f.db({ databaseName: 'performance_schema' }) },
  { name: "databaseName is 'sys'", build: (f) => f.db({ databaseName: 'sys' }) },
  { name: "SingleServer databaseName is 'mysql'", build: (f) => f.single({ databaseName: 'mysql' }) },
  { name: "appUser is 'root'", build: (f) => f.db({ appUser: 'root' }) },
  { name: 'databaseName has a hyphen', build: (f) => f.db({ databaseName: 'my-app' }) },
  { name: 'databaseName has a backquote', build: (f) => f.single({ databaseName: 'app`; DROP' }) },
  { name: 'adminCidrs is 0.0.0.0/0', build: (f) => f.web({ adminCidrs: ['0.0.0.0/0'] }) },
  { name: 'adminCidrs halves add up to the IPv4 internet', build: (f) => f.web({ adminCidrs: ['0.0.0.0/1', '128.0.0.0/1'] }) },
  { name: 'adminCidrs is ::/0', build: (f) => f.web({ adminCidrs: ['::/0'] }) },
  { name: 'adminCidrs halves add up to the IPv6 internet', build: (f) => f.web({ adminCidrs: ['::/1', '8000::/1'] }) },
  {
    name: 'adminCidrs covers every public IPv4 address',
    build: (f) =>
      f.web({ adminCidrs: ['1.0.0.0/8', '2.0.0.0/7', '4.0.0.0/6', '8.0.0.0/5', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/2', '128.0.0.0/1'] }),
  },
  { name: 'SSH from anywhere through connections.allowFrom', build: (f) => f.web().connections.allowFrom(Peer.anywhere(), Port.tcp(22)) },
  { name: 'SSH from anywhere through Port.SSH on a load balancer', build: (f) => f.lb().connections.allowFrom(Peer.anywhere(), Port.SSH) },
  {
    name: 'SSH from two halves added one by one',
    build: (f) => {
      const w = f.web();
      w.connections.allowFrom(Peer.cidr('0.0.0.0/1'), Port.SSH);
      w.connections.allowFrom(Peer.cidr('128.0.0.0/1'), Port.SSH);
    },
  },
  { name: 'every TCP port from anywhere', build: (f) => f.web().connections.allowFrom(Peer.anywhere(), Port.allTcp()) },
  { name: 'a TCP range holding 22 from anywhere', build: (f) => f.web().connections.allowFrom(Peer.anywhere(), Port.tcpRange(20, 30)) },
  { name: "AdminAccess default is '0.0.0.0/0'", build: (f) => new AdminAccess(f.stack, 'Access', { sshKeys: SSH_KEYS, adminCidrs: ['0.0.0.0/0'] }) },
  { name: 'allowSshFromAnywhere has an empty reason', build: (f) => f.web({ adminCidrs: ['0.0.0.0/0'], allowSshFromAnywhere: { reason: '' } }) },
  { name: 'adminCidrs is a string', build: (f) => f.web({ adminCidrs: '203.0.113.7/32' }) },

  // ---- consistency across constructs
  {
    name: 'WebTier database in another VPC',
    build: (f) => {
      const db = f.db();
      f.web({ vpc: f.otherVpc(), database: db });
    },
  },
  {
    name: 'WebTier upstream in another VPC',
    build: (f) => {
      const app = f.appTier();
      f.web({ vpc: f.otherVpc(), upstream: app });
    },
  },
  {
    name: 'AppTier database in another VPC',
    build: (f) => {
      const db = f.db();
      f.appTier({ vpc: f.otherVpc(), database: db });
    },
  },
  {
    name: 'load balancer backend in another VPC',
    build: (f) => {
      const web = f.web({ vpc: f.otherVpc() });
      f.lb({ backends: [web] });
    },
  },
  {
    name: 'monitoring a role in another VPC',
    build: (f) => {
      const web = f.web({ vpc: f.otherVpc() });
      f.monitoring({ roles: [web] });
    },
  },
  {
    name: 'two roles with the same name',
    build: (f) => {
      f.web();
      f.appTier({ name: 'site-web' });
    },
  },
  {
    name: "a role named like a database's primary name",
    build: (f) => {
      const db = f.db();
      f.web({ upstream: f.appTier({ name: 'site-db-primary', database: db }) });
    },
  },
  {
    name: "a database whose read name is another role's name",
    build: (f) => {
      const app = f.appTier({ name: 'site-db-read' });
      f.web({ upstream: app });
      // The database comes second: its derived name is the one refused.
      new AppTier(f.stack, 'App2', { vpc: f.vpc, name: 'site-app2', count: 1, sshKeys: SSH_KEYS, database: f.db({ replicas: 1 }) });
    },
  },
  { name: 'two VPCs with overlapping ranges', build: (f) => new Vpc(f.stack, 'Vpc2', { region: 'nyc3', name: 'vpc2', ipRange: '10.20.8.0/24' }) },
  {
    name: 'two VPCs in two stacks with overlapping ranges',
    build: (f) => {
      const s = new TerraformStack(f.app, 'other');
      new Vpc(s, 'Vpc', { region: 'nyc3', name: 'vpc2', ipRange: '10.20.0.0/16' });
    },
  },
  { name: 'two VPCs with the same name', build: (f) => new Vpc(f.stack, 'Vpc2', { region: 'nyc3', name: 'test-vpc', ipRange: '10.40.0.0/20' }) },
  {
    name: 'one role watched by two MonitoringAgents',
    build: (f) => {
      const m = f.monitoring();
      new MonitoringAgent(f.stack, 'Mon2', {
        vpc: f.vpc,
        name: 'site-mon2',
        sshKeys: SSH_KEYS,
        alertEmails: ['ops@site.example'],
        roles: [m.watchedRoles[0]],
      });
    },
  },
  {
    name: 'WebTier in one stack, database in another',
    build: (f) => {
      const db = f.db();
      const o = f.otherStack();
      new WebTier(o.stack, 'Web', { vpc: o.vpc, name: 'o-web', count: 1, sshKeys: SSH_KEYS, database: db });
    },
  },
  {
    name: 'load balancer in one stack, backend in another',
    build: (f) => {
      const web = f.web();
      const o = f.otherStack();
      new HaproxyLoadBalancer(o.stack, 'Lb', { vpc: o.vpc, name: 'o-lb', sshKeys: SSH_KEYS, backends: [web] });
    },
  },
  {
    name: 'monitoring in one stack, role in another',
    build: (f) => {
      const web = f.web();
      const o = f.otherStack();
      new MonitoringAgent(o.stack, 'Mon', { vpc: o.vpc, name: 'o-mon', sshKeys: SSH_KEYS, alertEmails: ['ops@site.example'], roles: [web] });
    },
  },
  {
    name: 'load balancer backends with different health paths',
    build: (f) => {
      const a = f.web();
      const b = Object.assign(Object.create(Object.getPrototypeOf(a)), f.web({ name: 'site-web2' }, 'Web2'), { healthCheckPath: '/ping' });
      f.lb({ backends: [a, b] });
    },
  },

  // ---- stage props under the stage's names
  { name: 'stage webCount is 0', build: (f) => stage1(f, { ...STAGE, webCount: 0 }) },
  { name: 'stage namePrefix is upper case', build: (f) => stage1(f, { ...STAGE, namePrefix: 'Shop' }) },
  { name: 'stage vpcIpRange is public', build: (f) => stage1(f, { ...STAGE, vpcIpRange: '8.8.8.0/24' }) },
  { name: 'stage appCount is 0', build: (f) => stage3(f, { ...SECURED, appCount: 0 }) },
  { name: 'stage replicas is 11', build: (f) => stage1(f, { ...STAGE, replicas: 11 }) },
  { name: 'stage email is not an address', build: (f) => stage2(f, { ...SECURED, email: 'ops' }) },
  { name: 'stage region is unknown', build: (f) => stage0(f, { ...STAGE, region: 'mars1' }) },
  { name: 'stage webSize is unknown', build: (f) => stage1(f, { ...STAGE, webSize: 'huge' }) },
  { name: 'stage namePrefix is too long', build: (f) => stage1(f, { ...STAGE, namePrefix: 'a'.repeat(37) }) },
  { name: 'stage domain has no dot', build: (f) => stage0(f, { ...STAGE, domain: 'foobar' }) },
  { name: 'stage sshKeys holds a name', build: (f) => stage1(f, { ...STAGE, sshKeys: ['my laptop'] }) },
  { name: 'stage adminCidrs is 0.0.0.0/0', build: (f) => stage1(f, { ...STAGE, adminCidrs: ['0.0.0.0/0'] }) },
  { name: 'stage webCount is a string', build: (f) => stage1(f, { ...STAGE, webCount: '3' }) },
  { name: 'stage appSize is unknown', build: (f) => stage3(f, { ...SECURED, appSize: 's-99vcpu' }) },

  // ---- missing or mistyped props from plain JavaScript
  { name: 'Stage0SingleServer with {}', build: (f) => stage0(f, {}) },
  { name: 'Stage0SingleServer with no props', build: (f) => stage0(f, undefined) },
  { name: 'Stage2SecuredMonitored without email', build: (f) => stage2(f, STAGE) },
  { name: 'Stage3HighAvailability with no props', build: (f) => stage3(f, undefined) },
  { name: 'WebTier with no props', build: (f) => new WebTier(f.stack, 'W', undefined as Any) },
  { name: 'WebTier without vpc', build: (f) => new WebTier(f.stack, 'W', { name: 'w', sshKeys: SSH_KEYS } as Any) },
  { name: 'AppTier with no props', build: (f) => new AppTier(f.stack, 'A', undefined as Any) },
  { name: 'PrimaryReplicaMysql without name', build: (f) => new PrimaryReplicaMysql(f.stack, 'D', { vpc: f.vpc, sshKeys: SSH_KEYS } as Any) },
  { name: 'HaproxyLoadBalancer with no props', build: (f) => new HaproxyLoadBalancer(f.stack, 'L', undefined as Any) },
  { name: 'HaproxyPair with no props', build: (f) => new HaproxyPair(f.stack, 'P', undefined as Any) },
  { name: 'MonitoringAgent with no props', build: (f) => new MonitoringAgent(f.stack, 'M', undefined as Any) },
  { name: 'SingleServer with no props', build: (f) => new SingleServer(f.stack, 'S', undefined as Any) },
  { name: 'Vpc with no props', build: (f) => new Vpc(f.stack, 'V', undefined as Any) },
  { name: 'Vpc.fromId with no attributes', build: (f) => Vpc.fromId(f.stack, 'V', undefined as Any) },
  { name: 'Dns with no props', build: (f) => new Dns(f.stack, 'Z', undefined as Any) },
  { name: 'AdminAccess with no props', build: (f) => new AdminAccess(f.stack, 'A', undefined as Any) },
  { name: 'https without domain', build: (f) => f.lb({ https: { email: 'ops@site.example' } }) },
  { name: 'load balancer backends hold undefined', build: (f) => f.lb({ backends: [undefined] }) },
  { name: 'load balancer backends is one tier, not a list', build: (f) => f.lb({ backends: f.web({}, 'W1') }) },
  { name: 'monitoring roles hold undefined', build: (f) => f.monitoring({ roles: [undefined] }) },
  { name: 'WebTier count is a string', build: (f) => f.web({ count: '3' }) },
  { name: 'WebTier count is 2.5', build: (f) => f.web({ count: 2.5 }) },
  { name: 'WebTier count is NaN', build: (f) => f.web({ count: NaN }) },
  { name: 'WebTier count is 0', build: (f) => f.web({ count: 0 }) },
  { name: 'PrimaryReplicaMysql replicas is -1', build: (f) => f.db({ replicas: -1 }) },
  { name: 'PrimaryReplicaMysql maxConnections is huge', build: (f) => f.db({ maxConnections: 1e20 }) },
  { name: 'WebTier size is unknown', build: (f) => f.web({ size: 's-1vcpu-1GB' }) },
  { name: 'WebTier sshKeys is empty', build: (f) => f.web({ sshKeys: [] }) },
  { name: 'MonitoringAgent alertEmails holds a name', build: (f) => f.monitoring({ alertEmails: ['Ops Team'] }) },
  { name: 'MonitoringAgent uptimeUrl has no scheme', build: (f) => f.monitoring({ uptimeUrl: 'www.site.example' }) },
  { name: 'HaproxyLoadBalancer maxConnections is 0', build: (f) => f.lb({ maxConnections: 0 }) },
  { name: 'healthCheckHost has a space', build: (f) => f.lb({ healthCheckHost: 'www site' }) },
  { name: 'HaproxyPair virtualRouterId is 256', build: (f) => f.pair({ virtualRouterId: 256 }) },
  { name: 'RoleFirewall with no props', build: (f) => new RoleFirewall(f.stack, 'F', undefined as Any) },
  { name: 'TierDroplet with no props', build: (f) => new TierDroplet(f.stack, 'T', undefined as Any) },
  { name: 'DockerNetwork with no props', build: (f) => new DockerNetwork(f.stack, 'N', undefined as Any) },
  { name: 'DockerService with {}', build: (f) => new DockerService(f.stack, 'S', {} as Any) },
  { name: 'DockerVolume with no props', build: (f) => new DockerVolume(f.stack, 'V', undefined as Any) },
  { name: 'EdgeProxy with no props', build: (f) => new EdgeProxy(f.stack, 'E', undefined as Any) },
  { name: 'MysqlContainer with {}', build: (f) => new MysqlContainer(f.stack, 'M', {} as Any) },
  { name: 'PostgresContainer with {}', build: (f) => new PostgresContainer(f.stack, 'P', {} as Any) },
  { name: 'RedisContainer with {}', build: (f) => new RedisContainer(f.stack, 'R', {} as Any) },
  { name: 'WebApp with {}', build: (f) => new WebApp(f.stack, 'A', {} as Any) },
  { name: 'DockerAppStack with no props', build: (f) => new DockerAppStack(f.app, 'Docker', undefined as Any) },
  { name: 'DockerHostStack with {}', build: (f) => new DockerHostStack(f.app, 'Host', {} as Any) },
  { name: 'DockerMultiAppStack with {}', build: (f) => new DockerMultiAppStack(f.app, 'Apps', {} as Any) },
];

/** A case by name, as a function that builds it and synthesizes (throws if the name is unknown). */
export function byName(name: string): () => void {
  const c = BAD_INPUT_CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return () => {
    const f = new Fixture();
    c.build(f);
    f.synth();
  };
}

/** The whole message, and the library's error type (never a TypeError from deeper down). */
export function expectTierformError(run: () => void, message: string): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TierformError);
  expect((error as Error).message).toBe(message);
}
