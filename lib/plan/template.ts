/**
 * Evaluates the small subset of Terraform's template language that tierform's plans use, the way Terraform
 * would at apply time: `$${` → `${`, `%%{` → `%{`, `${reference}` and `${fn(arg)}` for a few functions.
 * Used by tests (to feed a droplet's exact user_data to real checkers) and by the lab (to boot a plan).
 */

/** Returns the value of a reference such as `digitalocean_droplet.web_0.ipv4_address_private` or `var.x`. */
export type ReferenceResolver = (reference: string) => string;

const FUNCTIONS: Record<string, (arg: string) => string> = {
  base64encode: (s) => Buffer.from(s, 'utf8').toString('base64'),
  base64decode: (s) => Buffer.from(s, 'base64').toString('utf8'),
  tostring: (s) => s,
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
};

const REFERENCE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\]|\["[A-Za-z0-9_.-]*"\])+$/;
const CALL = /^([a-z0-9_]+)\((.*)\)$/s;

export class TemplateError extends Error {}

export function evaluateExpression(expression: string, resolve: ReferenceResolver): string {
  const expr = expression.trim();
  const call = CALL.exec(expr);
  if (call) {
    const fn = FUNCTIONS[call[1]];
    if (!fn) {
      throw new TemplateError(`unsupported Terraform function '${call[1]}' in \${${expr}}`);
    }
    return fn(evaluateExpression(call[2], resolve));
  }
  if (expr.startsWith('"') && expr.endsWith('"')) {
    return JSON.parse(expr) as string;
  }
  if (REFERENCE.test(expr)) {
    return resolve(expr);
  }
  throw new TemplateError(`unsupported Terraform expression \${${expr}}`);
}

/** Finds the `}` closing an interpolation that starts at `open` (just after `${`), skipping quoted strings. */
function closingBrace(text: string, open: number): number {
  let depth = 1;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  throw new TemplateError(`unterminated interpolation starting at offset ${open - 2}`);
}

export function renderTemplate(template: string, resolve: ReferenceResolver): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('$${', i)) {
      out += '${';
      i += 3;
    } else if (template.startsWith('%%{', i)) {
      out += '%{';
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = closingBrace(template, i + 2);
      out += evaluateExpression(template.slice(i + 2, end), resolve);
      i = end + 1;
    } else if (template.startsWith('%{', i)) {
      throw new TemplateError(`template directives (%{...}) are not supported, at offset ${i}`);
    } else {
      out += template[i];
      i++;
    }
  }
  return out;
}

/** Every reference a template interpolates, e.g. to check that a plan's user_data only uses known ones. */
export function templateReferences(template: string): string[] {
  const refs: string[] = [];
  renderTemplate(template, (ref) => {
    refs.push(ref);
    return '';
  });
  return refs;
}
