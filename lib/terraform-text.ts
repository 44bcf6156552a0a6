/**
 * Turning rendered text into a Terraform JSON string.
 *
 * In Terraform JSON every string is a template: `${...}` interpolates and `%{...}` is a directive. Text we
 * render (shell scripts with `${VAR}`, HAProxy's `"${TIERFORM_PRIVATE_IP}"`) must reach the droplet as
 * written, so literal `${` becomes `$${` and `%{` becomes `%%{`. cdktf tokens embedded in the text
 * (`${TfToken[TOKEN.n]}`, e.g. another droplet's private IP) are left alone: cdktf turns them into real
 * references at synth. lib/plan/template.ts does the reverse, as Terraform would.
 */
/** A cdktf token text inside a string (global: use with replace or matchAll). */
export const TOKEN_MARKER = /\$\{TfToken\[[^\]]+\]\}/g;

function escapeLiteral(text: string): string {
  // Replacer functions: in a replacement *string*, `$$` would mean a single `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

export function escapeForTerraform(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(TOKEN_MARKER)) {
    out += escapeLiteral(text.slice(last, match.index)) + match[0];
    last = match.index! + match[0].length;
  }
  return out + escapeLiteral(text.slice(last));
}
