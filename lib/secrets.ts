/**
 * Secrets (database passwords) never appear as literals in the plan. tierform takes them as sensitive
 * Terraform variables, supplied at deploy time (`TF_VAR_<name>` from your secret manager):
 * - the value is not in cdk.tf.json, and Terraform redacts it in plan output;
 * - the DigitalOcean provider stores user_data in state only as a hash;
 * - no extra provider (random_password would also store the generated value in state in clear).
 * On the droplet it lands base64-encoded (any character survives YAML and shell) in a 0600 root-only file.
 */
import { TerraformVariable, Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { Messages, propError } from './errors';
import { variableReference } from './reference';

/** Marks Secret instances, so one made by another copy of the library is recognised too. */
const SECRET = Symbol.for('tierform.Secret');

/**
 * A password or API token. It is only ever a value unknown until deploy — a sensitive Terraform variable, or a
 * reference you vouch for — so it never appears in `cdk.tf.json`. Props that take secrets take this type instead of
 * `string`:
 *
 *   const password = new TerraformVariable(this, 'db_password', { type: 'string', sensitive: true });
 *   new PrimaryReplicaMysql(this, 'Db', { ..., appPassword: Secret.fromVariable(password) });
 *
 * Omitting such a prop makes the construct create its own sensitive variable (set it as TF_VAR_<name> at deploy).
 */
export class Secret {
  /** A sensitive Terraform variable's value. Throws unless the variable is declared `sensitive: true`. */
  public static fromVariable(variable: TerraformVariable): Secret {
    if (variable.sensitive !== true) {
      throw new Error(
        `${variable.node.path}: a Secret needs a sensitive variable, got one without 'sensitive: true'. Declare it with { type: 'string', sensitive: true }: Terraform then redacts it in plans and logs.`,
      );
    }
    return new Secret(variableReference(variable));
  }

  /**
   * Any other value unknown until deploy (a reference to a sensitive attribute of another resource or stack). Throws
   * for a literal: it would be written into the plan and Terraform state.
   */
  public static fromToken(token: string): Secret {
    if (!Token.isUnresolved(token)) {
      throw new Error(
        'Secret.fromToken: got a literal (redacted). Secrets must not be literals in the plan: pass a TerraformVariable with sensitive: true to Secret.fromVariable, or omit the prop to get one.',
      );
    }
    return new Secret(token);
  }

  /** True for values made by `Secret.fromVariable`/`fromToken` (also across copies of the library). */
  public static isSecret(x: unknown): x is Secret {
    return x instanceof Secret || (typeof x === 'object' && x !== null && (x as { [SECRET]?: boolean })[SECRET] === true);
  }

  private constructor(
    /** The token (a Terraform reference), for constructs to place where the secret goes. */
    public readonly token: string,
  ) {
    Object.defineProperty(this, SECRET, { value: true });
  }

  /** Never the value: a secret printed by mistake shows this instead. */
  public toString(): string {
    return '(secret)';
  }
}

/** Characters allowed in passwords: safe inside SQL single quotes and shell without escaping. */
const PASSWORD_PATTERN = '^[-A-Za-z0-9_.~+=@#^*:,!?/]{16,128}$';

/** A password set narrower than the default one (e.g. for a consumer that cannot take `#` or `?`). */
export interface PasswordCharset {
  /** Terraform regex of the whole value, anchored, e.g. `^[-A-Za-z0-9_]{16,128}$` (no `"` or `\\`). */
  readonly pattern: string;
  /** The allowed characters in words, for the validation message. */
  readonly characters: string;
}

/**
 * A sensitive string variable whose value must be a 16..128 character password of safe characters (or of
 * `charset`, when given).
 */
export function passwordVariable(scope: Construct, id: string, description: string, charset?: PasswordCharset): TerraformVariable {
  const variable = new TerraformVariable(scope, id, { type: 'string', sensitive: true, nullable: false, description });
  const ref = `var.${variable.friendlyUniqueId}`;
  variable.addValidation({
    condition: `\${can(regex("${charset?.pattern ?? PASSWORD_PATTERN}", ${ref}))}`,
    errorMessage: `${id} must be 16 to 128 characters of ${charset?.characters ?? 'letters, digits and - _ . ~ + = @ # ^ * : , ! ? /'} (e.g. openssl rand -base64 24).`,
  });
  return variable;
}

/**
 * The token of a secret prop, or undefined when the prop is not given. Refuses anything but a `Secret` (a plain string
 * from JavaScript, a literal): the value is never printed.
 */
export function secretToken(scope: IConstruct, prop: string, value: Secret | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!Secret.isSecret(value)) {
    throw propError(
      scope,
      prop,
      typeof value === 'string' && !Token.isUnresolved(value) ? 'is a literal secret' : 'is not a Secret',
      '(redacted)',
      Messages.secretLiteral,
    );
  }
  return value.token;
}

/** A sensitive password variable (see `passwordVariable`) as a Secret. */
export function passwordSecret(scope: Construct, id: string, description: string, charset?: PasswordCharset): Secret {
  return Secret.fromVariable(passwordVariable(scope, id, description, charset));
}

/** A sensitive DigitalOcean token variable (see `digitalOceanTokenVariable`) as a Secret. */
export function digitalOceanTokenSecret(scope: Construct, id: string, description: string): Secret {
  return Secret.fromVariable(digitalOceanTokenVariable(scope, id, description));
}

/**
 * A sensitive variable holding a DigitalOcean API token (`dop_v1_` + 64 hex digits; `doo_v1_` for OAuth), for
 * things a droplet does through the API itself: DNS-01 challenges, moving a reserved IP. Give it a token
 * scoped to just that.
 */
export function digitalOceanTokenVariable(scope: Construct, id: string, description: string): TerraformVariable {
  const variable = new TerraformVariable(scope, id, { type: 'string', sensitive: true, nullable: false, description });
  variable.addValidation({
    condition: `\${can(regex("^do[op]_v1_[0-9a-f]{64}$", var.${variable.friendlyUniqueId}))}`,
    errorMessage: `${id} must be a DigitalOcean API token: dop_v1_ followed by 64 hex digits.`,
  });
  return variable;
}
