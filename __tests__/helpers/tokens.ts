/**
 * Terraform tokens in rendered text, for tests that feed a renderer's output to a real checker: a renderer given a
 * token (`${TfToken[TOKEN.n]}`, a value unknown until apply) writes it through, and the checker needs the value
 * Terraform would put there.
 */

/** A token as cdktf prints it before synthesis resolves it: `${TfToken[TOKEN.<index>]}`. */
const TOKEN = /\$\{TfToken\[TOKEN\.(\d+)\]\}/g;

/**
 * What Terraform does at apply: every token in `text` becomes `substitute` (a value, or a function of the token's
 * index, e.g. a droplet's private IP per index).
 */
export function resolveTokens(text: string, substitute: string | ((index: number) => string)): string {
  return text.replace(TOKEN, (_, n: string) => (typeof substitute === 'string' ? substitute : substitute(Number(n))));
}
