/**
 * Secrets (database passwords) never appear as literals in the plan. tierform takes them as sensitive
 * Terraform variables, supplied at deploy time (`TF_VAR_<name>` from your secret manager):
 * - the value is not in cdk.tf.json, and Terraform redacts it in plan output;
 * - the DigitalOcean provider stores user_data in state only as a hash;
 * - no extra provider (random_password would also store the generated value in state in clear).
 * On the droplet it lands base64-encoded (any character survives YAML and shell) in a 0600 root-only file.
 */
import { TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { Messages, propError } from './errors';

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

/** Refuses a literal where a secret belongs: only tokens (variables, references) are accepted. */
export function checkSecret(scope: Construct, prop: string, value: string | undefined): void {
  if (value !== undefined && !Token.isUnresolved(value)) {
    throw propError(scope, prop, 'is a literal secret', '(redacted)', Messages.secretLiteral);
  }
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

