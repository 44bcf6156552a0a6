import { Vpc as DoVpc } from '@cdktf/provider-digitalocean/lib/vpc';
import { Construct, IConstruct } from 'constructs';
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

/** A VPC droplets can join: one this stack creates (`new Vpc`) or one that exists already (`Vpc.fromId`). */
export interface IVpc extends IConstruct {
  /** The VPC's id (a reference, or a literal for an existing VPC). */
  readonly id: string;
  /** Its region: every droplet in it is created there. */
  readonly region: string;
  /** Its private range (CIDR): the source of the database accounts' host pattern and of trusted proxies. */
  readonly ipRange: string;
}

/** An existing VPC, for `Vpc.fromId`. */
export interface ExistingVpcAttributes {
  /** The VPC's id (UUID), e.g. from `doctl vpcs list`. */
  readonly id: string;
  /** Its region slug. */
  readonly region: string;
  /** Its range, as DigitalOcean shows it, e.g. '10.116.0.0/20'. */
  readonly ipRange: string;
}

class ImportedVpc extends Construct implements IVpc {
  public readonly id: string;
  public readonly region: string;
  public readonly ipRange: string;

  constructor(scope: Construct, id: string, attrs: ExistingVpcAttributes) {
    super(scope, id);
    this.id = attrs.id;
    this.region = checkRegion(this, 'region', attrs.region);
    this.ipRange = attrs.ipRange;
    if (!isToken(this.ipRange) && !parseCidr(this.ipRange)) {
      throw propError(this, 'ipRange', 'is not a valid CIDR block', this.ipRange, Messages.cidrInvalid);
    }
    if (!isToken(this.id) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(this.id)) {
      throw propError(this, 'id', 'is not a VPC id (a UUID)', this.id, 'Pass the id from `doctl vpcs list` or the control panel.');
    }
  }
}

/** Ranges DigitalOcean keeps for itself (DOKS, internal services). */
const RESERVED = ['10.244.0.0/16', '10.245.0.0/16', '10.246.0.0/24', '10.229.0.0/16'].map((c) => ipaddr.IPv4.parseCIDR(c));
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => ipaddr.IPv4.parseCIDR(c));

function overlaps(a: [ipaddr.IPv4, number], b: [ipaddr.IPv4, number]): boolean {
  const prefix = Math.min(a[1], b[1]);
  return a[0].match(b[0], prefix);
}

/** The private network every droplet of a stage joins; firewall rules between roles travel over it. */
export class Vpc extends Construct implements IVpc {
  /** A VPC that already exists in your account (not managed by this stack). */
  public static fromId(scope: Construct, id: string, attrs: ExistingVpcAttributes): IVpc {
    return new ImportedVpc(scope, id, attrs);
  }

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
