import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AppTier } from '../../constructs/app-tier';
import { Balance } from '../../constructs/balance';
import { Dns } from '../../constructs/dns';
import { HaproxyPair } from '../../constructs/haproxy-pair';
import { TlsProfile } from '../../constructs/https';
import { MonitoringAgent } from '../../constructs/monitoring-agent';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { restrictOutbound } from '../../constructs/role-firewall';
import { WebTier } from '../../constructs/web-tier';
import { SecuredStageProps, databasePasswords, dnsToken, exporterPassword, failoverToken, stageFoundation } from './common';

export interface Stage3Props extends SecuredStageProps {
  /** Web (nginx) droplets (`WebTier` `count`). @default 2 */
  readonly webCount?: number;
  /** App (gunicorn) droplets (`AppTier` `count`). @default 2 */
  readonly appCount?: number;
  /** Read replicas (`PrimaryReplicaMysql` `replicas`). @default 2 */
  readonly replicas?: number;
  /** Size of the app droplets (`AppTier` `size`). @default 's-1vcpu-2gb' */
  readonly appSize?: string;
  /** How web servers spread requests over app servers; `Balance.source()` for in-memory sessions. @default Balance.roundRobin() */
  readonly appBalance?: Balance;
}

/**
 * Stage 3 — high availability and split tiers (seed 002 part 3, seed 004 phase 4): an HAProxy pair with
 * keepalived and a DigitalOcean reserved IP, web droplets (nginx: static files, proxy) separate from app
 * droplets (gunicorn), MySQL primary with read replicas, monitoring, and stage 2's three firewall layers.
 * Fixes from stage 2: the load balancer is no longer a single point of failure; web and app scale and deploy
 * independently. Weaknesses left: the MySQL primary (no automatic failover: promote a replica by hand); a
 * region outage (everything is in one region).
 */
export class Stage3HighAvailability extends TerraformStack {
  public readonly loadBalancers: HaproxyPair;
  public readonly web: WebTier;
  public readonly app: AppTier;
  public readonly database: PrimaryReplicaMysql;
  public readonly monitoring: MonitoringAgent;
  public readonly dns: Dns;

  constructor(scope: Construct, id: string, props: Stage3Props) {
    super(scope, id);
    const { inputs, vpc, dns } = stageFoundation(this, props, 's3', { ipRange: '10.20.48.0/20', dnsTtlSeconds: 60 });
    this.dns = dns;
    this.database = new PrimaryReplicaMysql(this, 'Database', {
      vpc,
      name: `${inputs.namePrefix}-db`,
      replicas: props.replicas ?? 2,
      size: props.dbSize,
      engine: props.engine,
      ...databasePasswords(this),
    });
    this.app = new AppTier(this, 'App', {
      vpc,
      name: `${inputs.namePrefix}-app`,
      count: props.appCount ?? 2,
      size: props.appSize,
      database: this.database,
    });
    this.web = new WebTier(this, 'Web', {
      vpc,
      name: `${inputs.namePrefix}-web`,
      count: props.webCount ?? 2,
      size: props.webSize ?? 's-1vcpu-1gb',
      upstream: this.app,
      upstreamBalance: props.appBalance,
      serverNames: [props.domain, `www.${props.domain}`],
    });
    this.loadBalancers = new HaproxyPair(this, 'LoadBalancers', {
      vpc,
      name: `${inputs.namePrefix}-lb`,
      size: props.lbSize,
      dns: this.dns,
      healthCheckHost: `www.${props.domain}`,
      backends: [this.web],
      https: { domain: props.domain, email: props.email, dnsToken: dnsToken(this), profile: props.tlsProfile ?? TlsProfile.intermediate() },
      apiToken: failoverToken(this),
    });
    this.dns.pointTo(this.loadBalancers);
    this.dns.addCaaRecords({ iodefEmail: props.email });
    this.monitoring = new MonitoringAgent(this, 'Monitoring', {
      vpc,
      name: `${inputs.namePrefix}-mon`,
      roles: [this.loadBalancers, this.web, this.app, this.database],
      alertEmails: [props.email],
      uptimeUrl: `https://www.${props.domain}/`,
      exporterPassword: exporterPassword(this),
    });
    restrictOutbound(this);
    new TerraformOutput(this, 'url', { value: `https://www.${props.domain}/`, description: 'The site' });
  }
}
