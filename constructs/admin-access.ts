import { Annotations, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { checkCidr, checkReason, checkSshKeys, coversInternet, isToken, requireProps } from '../lib/validate';

/** SSH access to a role's droplets. Every field falls back to the stack's `AdminAccess`, when there is one. */
export interface AdminAccessProps {
  /**
   * SSH keys installed for root: MD5 fingerprints or numeric ids of keys in your DigitalOcean account, or a token
   * list (e.g. a Terraform variable). Droplets never get a root password. Only used at a droplet's creation: see
   * the README's "Adding or rotating an admin SSH key".
   * @default - the stack's AdminAccess `sshKeys` (required when there is none)
   */
  readonly sshKeys?: string[];
  /**
   * Networks allowed to SSH into the droplets (CIDR), e.g. your office's /32, or a token list (a Terraform
   * variable). Networks covering the whole internet ('0.0.0.0/0', '::/0') are refused unless `allowSshFromAnywhere`
   * gives a reason.
   * @default - the stack's AdminAccess `adminCidrs`; with none, no SSH at all (use the DigitalOcean console)
   */
  readonly adminCidrs?: string[];
  /**
   * Accept SSH from anywhere, with the reason written down.
   * @default - the stack's AdminAccess exception when `adminCidrs` comes from it too; otherwise refused
   */
  readonly allowSshFromAnywhere?: { readonly reason: string };
}

/** The stack-wide default: `sshKeys` is required here. */
export interface AdminAccessDefaults extends AdminAccessProps {
  readonly sshKeys: string[];
}

/** What a role applies after merging its props with the stack's default. */
export interface ResolvedAdminAccess {
  readonly sshKeys: string[];
  readonly adminCidrs: string[];
  readonly allowSshFromAnywhere?: { readonly reason: string };
}

/** Every AdminAccess of a stack, in creation order: looked up by every role, so kept instead of walking the tree. */
const ADMIN_ACCESS = new WeakMap<TerraformStack, AdminAccess[]>();

/**
 * The stack's default SSH access, so roles need not each repeat it (after aws-cdk's stack-wide defaults):
 *
 *   new AdminAccess(this, 'AdminAccess', { sshKeys: ['3b:16:…'], adminCidrs: ['203.0.113.7/32'] });
 *   new WebTier(this, 'Web', { vpc, name: 'shop-web' });   // gets those keys and that SSH rule
 *
 * A role's own `sshKeys`, `adminCidrs` or `allowSshFromAnywhere` replace the default field by field. One per stack.
 */
export class AdminAccess extends Construct {
  /** The stack's AdminAccess, if any. Throws when a stack has two. */
  public static of(scope: IConstruct): AdminAccess | undefined {
    const stack = TerraformStack.of(scope);
    const found = ADMIN_ACCESS.get(stack) ?? [];
    if (found.length > 1) {
      throw scopeError(
        found[1],
        `stack '${stack.node.id}' already has an AdminAccess (${found[0].node.path}): keep one per stack, and set per-role exceptions in the roles' props.`,
      );
    }
    return found[0];
  }

  public readonly sshKeys: string[];
  public readonly adminCidrs?: string[];
  public readonly allowSshFromAnywhere?: { readonly reason: string };

  constructor(scope: Construct, id: string, props: AdminAccessDefaults) {
    super(scope, id);
    props = requireProps(this, props, { sshKeys: Messages.sshKeysMissing });
    this.sshKeys = checkSshKeys(this, 'sshKeys', props.sshKeys);
    this.adminCidrs = props.adminCidrs;
    this.allowSshFromAnywhere = props.allowSshFromAnywhere;
    checkAdminCidrs(this, this.adminCidrs ?? [], this.allowSshFromAnywhere);
    const stack = TerraformStack.of(this);
    ADMIN_ACCESS.set(stack, [...(ADMIN_ACCESS.get(stack) ?? []), this]);
    AdminAccess.of(this);
  }
}

/**
 * The access a role applies: its props, field by field over the stack's AdminAccess. Throws, naming `scope`, when
 * there are no SSH keys at all, a CIDR is invalid, or the admin networks cover the whole internet without a reason.
 */
export function resolveAdminAccess(scope: IConstruct, props: AdminAccessProps): ResolvedAdminAccess {
  const defaults = AdminAccess.of(scope);
  if (props.sshKeys === undefined && defaults === undefined) {
    throw propError(
      scope,
      'sshKeys',
      'must list at least one SSH key',
      [],
      `${Messages.sshKeysMissing} Or create an AdminAccess in the stack for every role.`,
    );
  }
  const sshKeys = props.sshKeys !== undefined ? checkSshKeys(scope, 'sshKeys', props.sshKeys) : defaults!.sshKeys;
  const ownCidrs = props.adminCidrs !== undefined;
  const adminCidrs = props.adminCidrs ?? defaults?.adminCidrs ?? [];
  const allowSshFromAnywhere = props.allowSshFromAnywhere ?? (ownCidrs ? undefined : defaults?.allowSshFromAnywhere);
  checkAdminCidrs(scope, adminCidrs, allowSshFromAnywhere, props.allowSshFromAnywhere !== undefined);
  return { sshKeys, adminCidrs, allowSshFromAnywhere };
}

function checkAdminCidrs(scope: IConstruct, cidrs: string[], allow: { readonly reason: string } | undefined, warnIfUnused = true): void {
  checkReason(scope, 'allowSshFromAnywhere', allow);
  // A token list (a Terraform variable) is judged at plan time by the variable's own validation (stages add one).
  if (isToken(cidrs)) return;
  if (!Array.isArray(cidrs)) throw propError(scope, 'adminCidrs', 'must be a list of CIDR blocks', cidrs, Messages.cidrInvalid);
  for (const cidr of cidrs) checkCidr(scope, 'adminCidrs', cidr);
  // Judged by coverage: 0.0.0.0/1 + 128.0.0.0/1 opens SSH as widely as 0.0.0.0/0.
  const open = coversInternet(cidrs);
  if (open && !allow) {
    throw propError(
      scope,
      'adminCidrs',
      cidrs.length === 1 ? 'opens SSH to the whole internet' : 'together open SSH to the whole internet',
      cidrs.length === 1 ? cidrs[0] : cidrs,
      Messages.sshFromAnywhere,
    );
  }
  if (allow && warnIfUnused && !open) {
    Annotations.of(scope).addWarning(`'allowSshFromAnywhere' is ignored: 'adminCidrs' does not cover the whole internet.`);
  }
}
