/**
 * Internal (not exported by index.ts): checks that two constructs wired together can reach each other. Roles talk
 * over VPC (private) addresses, found by internal DNS names, and are wired in both directions (firewall rules name
 * each other's tags; the consumer's droplets wait for the provider's records).
 */
import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { Messages, TierformError } from '../lib/errors';
import { isToken } from '../lib/validate';
import type { IVpc } from './vpc';

/** Anything that may know its VPC (RoleBase does). */
interface MaybeNetworked extends IConstruct {
  readonly network?: IVpc;
}

function describe(c: IConstruct): string {
  return `${c.node.path}`;
}

/**
 * Throws, naming `scope`, the prop (or method) the user wrote and both constructs, when `other` lives in another
 * TerraformStack (a cross-stack cycle) or another VPC (private addresses that do not route).
 */
export function checkWired(scope: IConstruct, prop: string, other: IConstruct): void {
  const mine = TerraformStack.of(scope);
  const theirs = TerraformStack.of(other);
  if (mine !== theirs) {
    throw new TierformError(
      `${scope.node.path}: '${prop}' is ${describe(other)}, in stack '${theirs.node.id}', and this construct is in stack '${mine.node.id}'. ${Messages.sameStack}`,
    );
  }
  const a = (scope as MaybeNetworked).network;
  const b = (other as MaybeNetworked).network;
  if (a === undefined || b === undefined || a === b) return;
  const sameId = !isToken(a.id) && !isToken(b.id) && a.id === b.id;
  if (sameId) return;
  const region = (v: IVpc) => (isToken(v.region) ? 'a region known at apply' : `region ${v.region}`);
  throw new TierformError(
    `${scope.node.path}: '${prop}' is ${describe(other)}, in VPC ${b.node.path} (${region(b)}), and this construct is in VPC ${a.node.path} (${region(a)}). ${Messages.sameNetwork}`,
  );
}
