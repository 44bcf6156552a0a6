import { Vpc as DoVpc } from '@cdktf/provider-digitalocean/lib/vpc';
import { Construct, IConstruct } from 'constructs';
import * as ipaddr from 'ipaddr.js';
import { TerraformStack } from 'cdktf';
import { Messages, propError, scopeError } from '../lib/errors';
import { checkName, checkRegion, checkVpcRange, ipv4RangesOverlap, isToken, parseCidr, requireProps } from '../lib/validate';
import { attributeReference } from '../lib/reference';

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
    attrs = requireProps(this, attrs, {
      id: 'Pass the id from `doctl vpcs list` or the control panel.',
      region: "Pass the VPC's region slug, e.g. 'nyc3'.",
      ipRange: "Pass the VPC's range as DigitalOcean shows it, e.g. '10.116.0.0/20'.",
    });
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

function literalV4(range: string): [ipaddr.IPv4, number] | undefined {
  if (isToken(range)) return undefined;
  const parsed = parseCidr(range);
  return parsed && parsed[0].kind() === 'ipv4' ? (parsed as [ipaddr.IPv4, number]) : undefined;
}

/**
 * DigitalOcean refuses a VPC whose range overlaps another VPC of the account, and VPC names are unique per account:
 * every VPC this App creates is checked against the others in the App (imported ones included), across stacks.
 */
function checkVpcUnique(vpc: Vpc, name: string): void {
  const mine = literalV4(vpc.ipRange);
  for (const other of vpc.node.root.node.findAll()) {
    if (other === vpc || !(other instanceof Vpc || other instanceof ImportedVpc)) continue;
    const where = TerraformStack.of(other) === TerraformStack.of(vpc) ? '' : ` (stack '${TerraformStack.of(other).node.id}')`;
    const theirs = literalV4(other.ipRange);
    if (mine && theirs && ipv4RangesOverlap(mine, theirs)) {
      throw propError(
        vpc,
        'ipRange',
        `overlaps the range ${other.ipRange} of ${other.node.path}${where}`,
        vpc.ipRange,
        'DigitalOcean refuses overlapping VPC ranges in one account: give each VPC its own range (the stages use 10.20.0.0/20, 10.20.16.0/20, 10.20.32.0/20, 10.20.48.0/20).',
      );
    }
    if (other instanceof Vpc && !isToken(name) && other.vpcName === name) {
      throw scopeError(
        vpc,
        `'name' '${name}' is already used by ${other.node.path}${where}: VPC names are unique in a DigitalOcean account. Give each VPC its own name.`,
      );
    }
  }
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
  /** The VPC's name as given. */
  public readonly vpcName: string;

  constructor(scope: Construct, id: string, props: VpcProps) {
    super(scope, id);
    props = requireProps(this, props, {
      region: "Pass a DigitalOcean region slug, e.g. 'nyc3'.",
      name: "Pass the VPC's name, e.g. 'shop-vpc' (unique in your account).",
    });
    this.region = checkRegion(this, 'region', props.region);
    this.vpcName = checkName(this, 'name', props.name);
    this.ipRange = checkVpcRange(this, 'ipRange', props.ipRange ?? '10.20.0.0/20');
    checkVpcUnique(this, props.name);
    this.resource = new DoVpc(this, 'Resource', {
      name: props.name,
      region: this.region,
      ipRange: this.ipRange,
      description: 'Managed by tierform',
    });
    this.id = attributeReference(this.resource, 'id');
  }
}
