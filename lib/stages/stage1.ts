import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Dns } from '../../constructs/dns';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import type { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import type { WebTier } from '../../constructs/web-tier';
import {StageProps, databaseAndWebTier, stageFoundation } from './common';

export interface Stage1Props extends StageProps {
  /** Web/app droplets behind the load balancer (`WebTier` `count`). @default 2 */
  readonly webCount?: number;
  /** Read replicas (`PrimaryReplicaMysql` `replicas`). @default 1 */
  readonly replicas?: number;
}

/**
 * Stage 1 — load balanced (seed 002 part 1, seed 004 phase 2): HAProxy (round robin, HTTP health checks) in
 * front of two nginx+gunicorn droplets; MySQL primary for writes and a replica for reads.
 * Fixes from stage 0: a web server can die or be redeployed without downtime; reads scale on the replica.
 * Weaknesses left: the load balancer and the primary are single points of failure; no HTTPS; no monitoring.
 */
export class Stage1LoadBalanced extends TerraformStack {
  public readonly loadBalancer: HaproxyLoadBalancer;
  public readonly web: WebTier;
  public readonly database: PrimaryReplicaMysql;
  public readonly dns: Dns;

  constructor(scope: Construct, id: string, props: Stage1Props) {
    super(scope, id);
    const { inputs, vpc, dns } = stageFoundation(this, props, 's1', { ipRange: '10.20.16.0/20', dnsTtlSeconds: 300 });
    this.dns = dns;
    ({ database: this.database, web: this.web } = databaseAndWebTier(this, props, inputs, vpc));
    this.loadBalancer = new HaproxyLoadBalancer(this, 'LoadBalancer', {
      vpc,
      name: `${inputs.namePrefix}-lb`,
      size: props.lbSize,
      healthCheckHost: `www.${props.domain}`,
      backends: [this.web],
    });
    this.dns.pointTo(this.loadBalancer);
    new TerraformOutput(this, 'url', { value: `http://www.${props.domain}/`, description: 'The site' });
  }
}
