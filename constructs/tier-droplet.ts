import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { IResolvable, IResolveContext, ITerraformDependable, TerraformResource, TerraformStack, Token } from 'cdktf';
import { dependable } from 'cdktf/lib/tfExpression';
import { Construct, IConstruct } from 'constructs';
import { SizeInfo } from '../lib/catalog/sizes';
import { Messages, TierformError, propError } from '../lib/errors';
import { RenderError } from '../lib/render/guards';
import { CloudConfig, FragmentSource, RenderCache } from '../lib/render/cloud-config';
import { baseFragment } from '../lib/fragments/base';
import { escapeForTerraform } from '../lib/terraform-text';
import { checkSize, checkSshKeys, checkTags, isToken, requireProps } from '../lib/validate';
import { AdminAccess } from './admin-access';
import type { Dns } from './dns';
import { RoleFirewall } from './role-firewall';
import type { IVpc } from './vpc';
import { attributeReference } from '../lib/reference';

/** Every tierform droplet runs this image; its package versions are what the renderers target. */
export const DROPLET_IMAGE = 'ubuntu-24-04-x64';

/** Props every role construct passes through to its droplets. */
export interface DropletOptions {
  /**
   * SSH keys installed for root: MD5 fingerprints or numeric ids of keys in your DigitalOcean account, or a token
   * list (e.g. a Terraform variable). Droplets never get a root password. Used at creation only (later changes are
   * ignored: see the README's "Adding or rotating an admin SSH key").
   * @default - the stack's AdminAccess `sshKeys` (an error when there is none)
   */
  readonly sshKeys?: string[];
  /**
   * Networks allowed to SSH into the droplets (CIDR), or a token list. Networks covering the whole internet are
   * refused unless `allowSshFromAnywhere` gives a reason.
   * @default - the stack's AdminAccess `adminCidrs`; with none, no SSH (use the DigitalOcean console)
   */
  readonly adminCidrs?: string[];
  /** Accept SSH from anywhere, with the reason written down. @default - refused */
  readonly allowSshFromAnywhere?: { readonly reason: string };
  /**
   * Droplet size slug. Resizing later is in place (values that follow the size are computed on the droplet).
   * @default - the role's default: 's-1vcpu-1gb' for web tiers and load balancers, 's-1vcpu-2gb' for app tiers,
   *   databases, single servers and monitoring
   */
  readonly size?: string;
  /** Weekly DigitalOcean backups (+20% of the droplet price). @default false */
  readonly backups?: boolean;
  /** Give the droplet a public IPv6 address as well. @default false */
  readonly ipv6?: boolean;
  /** Extra tags, added to the role's tag. @default - none */
  readonly tags?: string[];
  /**
   * The zone where the role's droplets get internal names (`<name>.internal.<zone>`), by which peers find them at
   * run time (load balancers, web servers, apps, replicas, Prometheus).
   * @default - the stack's Dns zone (the only one in the stack, created before the name is first needed)
   */
  readonly dns?: Dns;
}

export interface TierDropletProps extends DropletOptions {
  /** Droplet name, which is also its hostname. */
  readonly name: string;
  readonly vpc: IVpc;
  /** The role the droplet belongs to: it carries the role's tag, so the role's firewall applies. */
  readonly role: RoleFirewall;
  /** Block storage volumes attached at creation (so they exist at first boot). @default - none */
  readonly volumeIds?: string[];
  /** Used when `size` is not given. @default 's-1vcpu-1gb' */
  readonly defaultSize?: string;
}

/** A droplet of a role as other constructs see it: its name, its VPC address, and room for more cloud-config. */
export interface IRoleDroplet extends IConstruct {
  /** Droplet name (= hostname). */
  readonly name: string;
  /** The VPC address (a reference, known after apply). */
  readonly privateIpv4: string;
  /** Adds packages, files and boot commands (a function is evaluated at synth). */
  addFragment(fragment: FragmentSource): this;
}

/**
 * A `depends_on` entry on a resource: what cdktf's `dependable(resource)` resolves to (the bare address,
 * `type.name`), without cdktf's `Dependable` token and the `resource.fqn` reference token it creates at synth (a
 * stack trace each). The address is read at synth, so a logical id overridden later still counts. From another
 * stack, it resolves as cdktf's token does.
 */
class DependsOnAddress implements IResolvable {
  public readonly creationStack: string[] = [];
  private readonly stack: TerraformStack;

  constructor(private readonly resource: TerraformResource) {
    this.stack = TerraformStack.of(resource);
  }

  public resolve(context: IResolveContext): string {
    if (TerraformStack.of(context.scope) === this.stack) {
      return `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}`;
    }
    context.suppressBraces = true;
    return this.resource.fqn;
  }
}

/**
 * One `depends_on` token per dependable, shared by every droplet that waits for it (a tier's droplets all wait for
 * the same DNS records).
 */
const DEPENDABLE_TOKENS = new WeakMap<ITerraformDependable, string>();

function dependableToken(d: ITerraformDependable): string {
  let token = DEPENDABLE_TOKENS.get(d);
  if (token === undefined) {
    token = d instanceof TerraformResource ? Token.asString(new DependsOnAddress(d)) : dependable(d);
    DEPENDABLE_TOKENS.set(d, token);
  }
  return token;
}

const RENDER_CACHE_ID = 'TierformRenderCache';

/**
 * Text where cdktf looks for a number token: its NUMBER_TOKEN_REGEX (cdktf/lib/tokens/private/encoding),
 * `[-|\d|.\+]+(e[-|\d|.|e|E|\+]+)`, matches exactly where one of its characters, an `e`, and another follow each
 * other; this form tests the same without the first pattern's backtracking over long runs of digits.
 */
const NUMBER_TOKEN_IN_TEXT = /[-|\d.+]e[-|\d.eE+]/;

/**
 * Whether cdktf's resolver could find a token in `value`: a string, list or map token marker, or text cdktf reads as
 * a number token. Generous on purpose (a value kept without need only costs a scan).
 */
function mayHoldToken(value: string): boolean {
  return value.includes('TfToken[') || NUMBER_TOKEN_IN_TEXT.test(value);
}

/** Renderer options (lib/render) and the construct prop they come from, for render-time errors. */
const RENDER_FIELD_PROPS: Readonly<Record<string, string>> = {
  'tls.contentSecurityPolicy': 'https.contentSecurityPolicy',
  'tls.hstsMaxAgeSeconds': 'https.hstsMaxAgeSeconds',
  email: 'https.email',
  domain: 'https.domain',
  serverNames: 'serverNames',
  'serverNames[]': 'serverNames',
  realIpFromCidrs: 'trustedProxyCidrs',
  'realIpFromCidrs[]': 'trustedProxyCidrs',
  healthCheckPath: 'healthCheckPath (of the backend)',
  healthCheckHost: 'healthCheckHost',
  'code.url': 'app.url',
  'code.ref': 'app.ref',
  'code.wsgiApp': 'app.wsgiApp',
  'code.requirementsFile': 'app.requirementsFile',
  database: 'databaseName',
  appUser: 'appUser',
};

/** One render cache per stack: droplets built from the same fragments share one rendered body. */
class StackRenderCache extends Construct {
  public static of(scope: IConstruct): RenderCache {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(RENDER_CACHE_ID) as StackRenderCache | undefined;
    return (existing ?? new StackRenderCache(stack, RENDER_CACHE_ID)).cache;
  }

  public readonly cache = new RenderCache();
}

/** A string token's marker, a `${` that opens an escape, or a `}` that closes one, as cdktf's tokenizer finds them. */
const TOKEN_OR_ESCAPE = /\$\{TfToken\[[a-zA-Z0-9:._-]+\]\}|\$\{(?!TfToken\[)|\}/g;

/**
 * `text` with each string token in it resolved, exactly as cdktf's resolver resolves a string holding tokens (its
 * `TokenString.split` and `mapTokens`): between a `${` that is no token and the next `}` (Terraform's own
 * interpolation syntax; in rendered text, the `${` of an escaped `$${`), a token resolves without its braces. The
 * rest of the text is left as it is, and cdktf then finds no token to split it on.
 *
 * Why: cdktf splits such a string into a fragment per `${`, `}` and token, restarting its regular expressions after
 * each, and joins the fragments pairwise at the front of an array: for a rendered cloud-config (20 KB of scripts, a
 * fragment per brace) that was most of the library's extra synth time on droplets (bench/README.md).
 */
function resolveStringTokens(text: string, context: IResolveContext): string {
  if (!text.includes('${TfToken[')) return text;
  const original = context.suppressBraces;
  const escapes = !context.ignoreEscapes;
  let inEscape = false;
  let out = '';
  let last = 0;
  for (const match of text.matchAll(TOKEN_OR_ESCAPE)) {
    const found = match[0];
    if (found === '}') {
      inEscape = false;
    } else if (found === '${') {
      inEscape = true;
    } else {
      out += text.slice(last, match.index);
      context.suppressBraces = escapes && inEscape ? true : original;
      out += String(context.resolve(found));
      last = match.index + found.length;
    }
  }
  context.suppressBraces = original;
  return out + text.slice(last);
}

/**
 * user_data, rendered at synth: a token as `Lazy.stringValue` would make, without the stack trace cdktf's `Lazy`
 * records when it is created (only shown when resolving fails; a render error names the droplet's path instead).
 */
class UserData implements IResolvable {
  public readonly creationStack: string[] = [];

  constructor(private readonly produce: (preparing: boolean) => string) {}

  public resolve(context: IResolveContext): string {
    return resolveStringTokens(this.produce(context.preparing), context);
  }

  public toString(): string {
    return Token.asString(this);
  }
}

/**
 * The droplet base used by every role: Ubuntu 24.04 in the stage's VPC and region, SSH keys required, the
 * role's tag, DigitalOcean's monitoring agent, and a cloud-config built from typed fragments. Roles add
 * fragments with `addFragment()`; user_data is rendered at synth, so fragments added later still count.
 */
export class TierDroplet extends Construct implements IRoleDroplet {
  public readonly resource: Droplet;
  public readonly cloudConfig: CloudConfig;
  /** Catalog entry of the size, or undefined when the size is a token. */
  public readonly sizeInfo: SizeInfo | undefined;
  public readonly size: string;
  public readonly backups: boolean;
  /** Droplet name (= hostname). */
  public readonly name: string;
  private readonly dependencies = new Set<ITerraformDependable>();

  constructor(scope: Construct, id: string, props: TierDropletProps) {
    super(scope, id);
    props = requireProps(this, props, {
      name: "Pass the droplet's name, e.g. 'shop-web-0'.",
      vpc: 'Pass the VPC the droplet joins.',
      role: "Pass the role's RoleFirewall (roles create droplets with addDroplet()).",
    });
    const sshKeys = props.sshKeys !== undefined ? checkSshKeys(this, 'sshKeys', props.sshKeys) : AdminAccess.of(this)?.sshKeys;
    if (sshKeys === undefined) {
      throw propError(this, 'sshKeys', 'must list at least one SSH key', [], `${Messages.sshKeysMissing} Or create an AdminAccess in the stack.`);
    }
    this.size = props.size ?? props.defaultSize ?? 's-1vcpu-1gb';
    this.sizeInfo = checkSize(this, 'size', this.size);
    if (!isToken(props.name) && !/^[a-z][a-z0-9-]{0,62}$/.test(props.name)) {
      throw propError(this, 'name', 'is not a valid hostname', props.name, Messages.nameInvalid);
    }
    checkTags(this, 'tags', props.tags);
    this.backups = props.backups ?? false;
    this.name = props.name;
    this.cloudConfig = new CloudConfig({ description: `tierform droplet ${props.name} (${this.node.path})` }, StackRenderCache.of(this));
    this.cloudConfig.add(baseFragment());
    this.resource = new Droplet(this, 'Resource', {
      name: props.name,
      image: DROPLET_IMAGE,
      region: props.vpc.region,
      size: this.size,
      vpcUuid: props.vpc.id,
      sshKeys,
      monitoring: true,
      backups: this.backups,
      ipv6: props.ipv6 ?? false,
      tags: [props.role.tagName, ...(props.tags ?? [])],
      volumeIds: props.volumeIds,
      gracefulShutdown: true,
      // ssh_keys is ForceNew: without this, adding or rotating an admin key would re-create every droplet, the
      // database primary included. New droplets get the new list; existing ones are changed by the rotation path
      // in the README ("Adding or rotating an SSH key"), and `npm run impact` lists the ignored change.
      lifecycle: { ignoreChanges: ['ssh_keys'] },
      // Rendered at synth (fragments added later count). cdktf resolves every value twice: a preparing pass, whose
      // output it discards (it only registers cross-stack references), then the final one. The preparing pass
      // gets the fragments' values that may hold a token, without YAML (the same tokens; text without one resolves
      // to itself), the final one the rendered document; the stack's render cache keys bodies by content, so
      // droplets with the same fragments run the YAML emitter once.
      // The resolvable itself, not its string form (`Token.asString`): cdktf resolves an IResolvable anywhere in a
      // resource's config (the generated binding types the attribute as a string only), and a string token would make
      // it split the ~20 KB text around the token and scan the joined result again on every pass (bench/README.md).
      userData: new UserData((preparing) => (preparing ? this.cloudConfig.valuesText(mayHoldToken) : this.renderUserData())) as unknown as string,
    });
  }

  private privateIpv4Token?: string;
  private publicIpv4Token?: string;

  /**
   * The VPC address (a reference, known after apply): `ipv4_address_private`, made once, on first use (droplets whose
   * address nobody names get no token), without the stack trace of the resource's getter (see lib/reference.ts).
   */
  public get privateIpv4(): string {
    return (this.privateIpv4Token ??= attributeReference(this.resource, 'ipv4_address_private'));
  }

  /** The public address (a reference, known after apply), read once, on first use, like `privateIpv4`. */
  public get publicIpv4(): string {
    return (this.publicIpv4Token ??= attributeReference(this.resource, 'ipv4_address'));
  }

  /**
   * The cloud-config, rendered at synth. The constructs check every prop before it reaches a renderer; a renderer's
   * guard that still refuses something is reported with this droplet's role path and the prop it most likely came
   * from, never as a bare renderer message about an internal field.
   */
  private renderUserData(): string {
    try {
      return this.cloudConfig.render(escapeForTerraform);
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      const role = this.node.scope ?? this;
      const prop = RENDER_FIELD_PROPS[e.field.replace(/\[\d+\]/g, '[]')];
      const which = prop ? `'${prop}' (the renderer's '${e.field}')` : `the renderer's '${e.field}'`;
      throw new TierformError(
        `${role.node.path}: ${which} cannot be written into droplet ${this.name}'s configuration: ${e.message}. Fix the prop${prop ? '' : ' that sets it'}; this check should have happened earlier, please report it.`,
      );
    }
  }

  /** Adds a role's packages, files and boot commands; pass a function to build them at synth time. */
  public addFragment(fragment: FragmentSource): this {
    this.cloudConfig.add(fragment);
    return this;
  }

  /**
   * Creates this droplet only after `dependables` exist (Terraform `depends_on`): ordering without putting anything
   * in user_data, e.g. a peer's DNS records that this droplet resolves at boot.
   */
  public dependOn(dependables: readonly ITerraformDependable[]): this {
    const added = [...new Set(dependables)].filter((d) => !this.dependencies.has(d));
    if (added.length === 0) return this;
    for (const d of added) this.dependencies.add(d);
    // As cdktf does for the `dependsOn` prop: a token that resolves to the bare address (`type.name`).
    this.resource.dependsOn = [...(this.resource.dependsOn ?? []), ...added.map(dependableToken)];
    return this;
  }
}
