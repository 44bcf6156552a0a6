import { Vpc as DoVpc } from '@cdktf/provider-digitalocean/lib/vpc';
import { Construct } from 'constructs';
import * as ipaddr from 'ipaddr.js';
import { Messages, propError } from '../lib/errors';
import { checkName, checkRegion, isToken, parseCidr } from '../lib/validate';

export interface VpcProps {
  /** DigitalOcean region slug, e.g. 'nyc3'. Every droplet of the stage lives here. */
  readonly region: string;
  /** Name of the VPC (unique in the account). */
  readonly name: string;
  /**
   * Private range in CIDR notation, /16 to /24. VPC ranges may not overlap within an account, so give each
   * deployment its own.
   * @default '10.20.0.0/20'
   */
  readonly ipRange?: string;
}

/** Ranges DigitalOcean keeps for itself (DOKS, internal services). */
const RESERVED = ['10.244.0.0/16', '10.245.0.0/16', '10.246.0.0/24', '10.229.0.0/16'].map((c) => ipaddr.IPv4.parseCIDR(c));
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => ipaddr.IPv4.parseCIDR(c));

function overlaps(a: [ipaddr.IPv4, number], b: [ipaddr.IPv4, number]): boolean {
  const prefix = Math.min(a[1], b[1]);
  return a[0].match(b[0], prefix);
}

/** The private network every droplet of a stage joins; firewall rules between roles travel over it. */
export class Vpc extends Construct {
  public readonly resource: DoVpc;
  public readonly region: string;
  public readonly ipRange: string;
  /** The VPC's id (a reference). */
  public readonly id: string;

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    this.region = checkRegion(this, 'region', props.region);
    checkName(this, 'name', props.name);
    this.ipRange = props.ipRange ?? '10.20.0.0/20';
    if (!isToken(this.ipRange)) {
      const parsed = parseCidr(this.ipRange);
      const v4 = parsed && parsed[0].kind() === 'ipv4' ? (parsed as [ipaddr.IPv4, number]) : undefined;
      const ok =
        v4 !== undefined &&
        v4[1] >= 16 &&
        v4[1] <= 24 &&
        PRIVATE.some((p) => v4[0].match(p) && v4[1] >= p[1]) &&
        !RESERVED.some((r) => overlaps(v4, r));
      if (!ok) {
        throw propError(this, 'ipRange', 'is not a usable DigitalOcean VPC range', this.ipRange, Messages.vpcRange);
      }
    }
    this.resource = new DoVpc(this, 'Resource', {
      name: props.name,
      region: this.region,
      ipRange: this.ipRange,
      description: 'Managed by tierform',
    });
    this.id = this.resource.id;
  }
}
