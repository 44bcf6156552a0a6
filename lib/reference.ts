/**
 * References to Terraform values (resource attributes, variables) as string tokens that resolve exactly as cdktf's
 * own do, without the stack trace cdktf records for each.
 *
 * Why: cdktf's reference token records a full stack trace when it is created (`Error.stackTraceLimit` set to
 * infinity, then formatted), and the library creates its references deep in construct constructors, where a trace is
 * long: that was the largest single cost of a stage's constructors (bench/README.md). The trace is only shown when
 * resolving the token fails, which a reference to an existing resource or variable does not.
 */
import { App, IResolvable, IResolveContext, TerraformResource, TerraformStack, TerraformVariable, Token } from 'cdktf';

/**
 * `resource.<attribute>`, as the provider classes' getters (cdktf's `getStringAttribute`) give it: `${type.name.attribute}`
 * in the resource's stack, and from another stack the remote-state output cdktf creates for it (registered on the
 * preparing pass). The address is fixed when the reference is made, as cdktf fixes it.
 */
export function attributeReference(resource: TerraformResource, attribute: string): string {
  const identifier = `${resource.terraformResourceType}.${resource.friendlyUniqueId}${resource.forEach ? '.*' : ''}.${attribute}`;
  return Token.asString(new Reference(identifier, TerraformStack.of(resource)));
}

/** A variable's value, as cdktf's `variable.stringValue` gives it: `${var.name}`. */
export function variableReference(variable: TerraformVariable): string {
  return Token.asString(new Reference(`var.${variable.friendlyUniqueId}`, TerraformStack.of(variable)));
}

/** cdktf's `Reference` (cdktf/lib/tfExpression, internal), without the creation stack. */
class Reference implements IResolvable {
  public readonly creationStack: string[] = [];
  /** The remote-state expression per stack that reads this reference from another stack. */
  private readonly crossStackIdentifier: Record<string, string> = {};

  constructor(
    private readonly identifier: string,
    private readonly originStack: TerraformStack,
  ) {}

  public resolve(context: IResolveContext): string {
    const resolutionStack = TerraformStack.of(context.scope);
    const stackName = resolutionStack.toString();
    const suppressBraces = context.suppressBraces;
    context.suppressBraces = true;
    if (context.preparing && this.originStack !== resolutionStack) {
      this.crossStackIdentifier[stackName] = App.of(this.originStack).crossStackReference(this.originStack, resolutionStack, this.identifier);
    }
    const identifier = this.crossStackIdentifier[stackName] ?? this.identifier;
    return suppressBraces ? identifier : `\${${identifier}}`;
  }

  public toString(): string {
    return Token.asString(this);
  }
}
