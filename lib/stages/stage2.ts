import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Dns } from '../../constructs/dns';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import { TlsProfile } from '../../constructs/https';
import { MonitoringAgent } from '../../constructs/monitoring-agent';
import type { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { restrictOutbound } from '../../constructs/role-firewall';
import type { WebTier } from '../../constructs/web-tier';
import {SecuredStageProps, databaseAndWebTier, dnsToken, exporterPassword, stageFoundation } from './common';

export interface Stage2Props extends SecuredStageProps {
  /** Web/app droplets behind the load balancer (`WebTier` `count`). @default 2 */
  readonly webCount?: number;
  /** Read replicas (`PrimaryReplicaMysql` `replicas`). @default 1 */
  readonly replicas?: number;
}

/**
 * Stage 2 — secured and monitored (seed 002 part 2, seed 004 phase 3): stage 1 behind three firewall layers
 * (public → load balancer on 80/443 only; load balancer → web on 80; web → database on 3306; exporters only
 * from the monitoring server; SSH only from admin networks; outbound limited to DNS, NTP, HTTP/HTTPS and the
 * flows between roles), HTTPS only at the load balancer (Let's Encrypt, HSTS and security headers), and a
 * Prometheus server with exporters on every droplet, alert rules, DigitalOcean alerts and an uptime check.
 * Weaknesses left: the load balancer and the MySQL primary are single points of failure; TLS ends at the load
 * balancer (VPC traffic is plain).
 */
export class Stage2SecuredMonitored extends TerraformStack {
  public readonly loadBalancer: HaproxyLoadBalancer;
  public readonly web: WebTier;
  public readonly database: PrimaryReplicaMysql;
  public readonly monitoring: MonitoringAgent;
  public readonly dns: Dns;

  constructor(scope: Construct, id: string, props: Stage2Props) {
    super(scope, id);
    const { inputs, vpc, dns } = stageFoundation(this, props, 's2', { ipRange: '10.20.32.0/20', dnsTtlSeconds: 300 });
    this.dns = dns;
    ({ database: this.database, web: this.web } = databaseAndWebTier(this, props, inputs, vpc));
    this.loadBalancer = new HaproxyLoadBalancer(this, 'LoadBalancer', {
      vpc,
      name: `${inputs.namePrefix}-lb`,
      size: props.lbSize,
      healthCheckHost: `www.${props.domain}`,
      backends: [this.web],
      https: { domain: props.domain, email: props.email, dnsToken: dnsToken(this), profile: props.tlsProfile ?? TlsProfile.intermediate() },
    });
    this.monitoring = new MonitoringAgent(this, 'Monitoring', {
      vpc,
      name: `${inputs.namePrefix}-mon`,
      roles: [this.loadBalancer, this.web, this.database],
      alertEmails: [props.email],
      uptimeUrl: `https://www.${props.domain}/`,
      exporterPassword: exporterPassword(this),
    });
    this.dns.pointTo(this.loadBalancer);
    this.dns.addCaaRecords({ iodefEmail: props.email });
    // The third firewall layer: every role may send only what it needs.
    restrictOutbound(this);
    new TerraformOutput(this, 'url', { value: `https://www.${props.domain}/`, description: 'The site' });
  }
}
