import { TerraformOutput } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { scopeError } from '../lib/errors';
import { checkLiteral, checkName, checkTags, requireProps } from '../lib/validate';
import { ResolvedAdminAccess, resolveAdminAccess } from './admin-access';
import { Connections, IConnectable, Peer } from './connections';
import type { Dns } from './dns';
import { Port } from './port';
import { RoleFirewall } from './role-firewall';
import { DropletOptions, TierDroplet } from './tier-droplet';
import type { IVpc } from './vpc';
import { IDiscoverable, InternalName, LazyInternalName, publishName } from './_discovery';

/** What every role takes: where its droplets live, what they are called, and the droplet options. */
export interface RoleProps extends DropletOptions {
  /** The VPC (and so the region) of the role's droplets. */
  readonly vpc: IVpc;
  /**
   * The role's name: its DigitalOcean tag and Cloud Firewall, the prefix of its droplets' names and of its internal
   * DNS name, e.g. 'foobar-web' → droplets foobar-web-0, foobar-web-1, name foobar-web.internal.<zone>.
   */
  readonly name: string;
}

/** How a subclass creates one of its droplets. */
export interface RoleDropletOptions {
  /** Droplet name (= hostname). @default - the role's name */
  readonly name?: string;
  /** Size when the props give none. @default 's-1vcpu-1gb' */
  readonly defaultSize?: string;
  /** Volumes attached at creation. @default - none */
  readonly volumeIds?: string[];
}

/**
 * The base of every tierform role (after cdk8s-plus `AbstractPod` and aws-cdk's `*ServiceBase`): one DigitalOcean tag
 * and Cloud Firewall (`firewall`, `connections`), SSH from the admin networks only, droplets that carry the tag
 * (`addDroplet`), an internal DNS name peers find them by (`internalName()`), and outputs scoped to the role.
 * Subclasses add what runs on the droplets.
 */
export abstract class RoleBase extends Construct implements IConnectable, IDiscoverable {
  /** The role's name: tag, firewall, droplet-name prefix. */
  public readonly roleName: string;
  /** The role's tag and Cloud Firewall. */
  public readonly firewall: RoleFirewall;
  public readonly connections: Connections;
  /** The SSH access applied: keys, admin networks (props over the stack's AdminAccess). */
  public readonly access: ResolvedAdminAccess;
  protected readonly vpc: IVpc;
  private readonly props: RoleProps;
  private readonly all: TierDroplet[] = [];
  private readonly name: LazyInternalName;

  protected constructor(scope: Construct, id: string, props: RoleProps, options: { readonly defaultPort?: Port } = {}) {
    super(scope, id);
    props = requireProps(this, props, {
      vpc: "Pass the VPC the droplets join, e.g. new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'shop-vpc' }).",
      name: "Pass the role's name, e.g. 'shop-web' (it names the droplets, their tag and firewall).",
    });
    this.props = props;
    this.vpc = props.vpc;
    checkLiteral(
      this,
      'name',
      props.name,
      'It names the droplets, the tag and the firewall, and tierform writes it into configuration files at synth.',
    );
    this.roleName = checkName(this, 'name', props.name);
    checkTags(this, 'tags', props.tags);
    checkRoleNameUnique(this);
    this.access = resolveAdminAccess(this, props);
    this.firewall = new RoleFirewall(this, 'Firewall', {
      name: props.name,
      defaultPort: options.defaultPort,
      allowSshFromAnywhere: this.access.allowSshFromAnywhere,
    });
    this.connections = this.firewall.connections;
    if (this.access.adminCidrs.length > 0) {
      this.connections.allowFrom(Peer.cidrs(this.access.adminCidrs), Port.SSH, 'SSH from admin networks');
    }
    this.name = new LazyInternalName(this, props.dns, (zone: Dns) =>
      publishName(zone, this, 'its droplets', this.roleName, this.all, 'InternalName'),
    );
  }

  /** The VPC (and region) of the role's droplets. */
  public get network(): IVpc {
    return this.vpc;
  }

  /** Every droplet of the role, in creation order. */
  public get droplets(): readonly TierDroplet[] {
    return this.all;
  }

  /** `<name>.internal.<zone>`: one A record per droplet of the role (created on first use). */
  public internalName(): InternalName {
    return this.name.get();
  }

  /** Creates a droplet of this role: the role's tag, VPC, SSH keys and droplet options. */
  protected addDroplet(id: string, options: RoleDropletOptions = {}): TierDroplet {
    const droplet = new TierDroplet(this, id, {
      ...this.props,
      sshKeys: this.access.sshKeys,
      name: options.name ?? this.props.name,
      vpc: this.vpc,
      role: this.firewall,
      defaultSize: options.defaultSize,
      volumeIds: options.volumeIds,
    });
    this.all.push(droplet);
    return droplet;
  }

  /** An output scoped to the role (its id is unique under the role). */
  protected addOutput(id: string, value: unknown, description: string): TerraformOutput {
    return new TerraformOutput(this, id, { value, description });
  }
}

/**
 * Role names are DigitalOcean tags, firewall names and droplet-name prefixes, all account-wide: two roles with one
 * name in an App (one DigitalOcean account) would share a tag, so each would get the other's firewall rules.
 */
function checkRoleNameUnique(role: RoleBase): void {
  let roles = ROLES_BY_NAME.get(role.node.root);
  if (roles === undefined) {
    roles = new Map();
    ROLES_BY_NAME.set(role.node.root, roles);
  }
  const other = roles.get(role.roleName);
  if (other !== undefined && other !== role) {
    const where = TerraformStack.of(other) === TerraformStack.of(role) ? '' : ` (stack '${TerraformStack.of(other).node.id}')`;
    throw scopeError(
      role,
      `'name' ${JSON.stringify(role.roleName).replace(/"/g, "'")} is already used by ${other.node.path}${where}: a role's name is its DigitalOcean tag, firewall and droplet-name prefix, so the two would share a tag and each other's firewall rules. Give each role its own name.`,
    );
  }
  roles.set(role.roleName, role);
}

/** Every role of an app (keyed by the construct tree's root), by name: a lookup instead of a walk of the whole tree per role. */
const ROLES_BY_NAME = new WeakMap<IConstruct, Map<string, RoleBase>>();
