/**
 * Evaluates the small subset of Terraform's template language that tierform's plans use, the way Terraform
 * would at apply time: `$${` → `${`, `%%{` → `%{`, `${reference}`, `${"literal"}` and `${fn(arg)}` for a few
 * functions; strip markers (`${~ … ~}`) trim whitespace as Terraform does. Used by tests (to feed a droplet's
 * exact user_data to real checkers) and by the lab (to boot a plan).
 *
 * Parsing is `hcl.ts`'s (the full expression syntax), so `templateReferences` lists the references of ANY valid
 * template, even one `renderTemplate` cannot evaluate (directives, operators, other functions).
 */
import { Expr, HclSyntaxError, TemplatePart, expressionReferences, parseTemplate, staticTraversal } from './hcl';

/** Returns the value of a reference such as `digitalocean_droplet.web_0.ipv4_address_private` or `var.x`. */
export type ReferenceResolver = (reference: string) => string;

const FUNCTIONS: Record<string, (arg: string) => string> = {
  base64encode: (s) => Buffer.from(s, 'utf8').toString('base64'),
  base64decode: (s) => Buffer.from(s, 'base64').toString('utf8'),
  tostring: (s) => s,
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
};

export class TemplateError extends Error {}

/** Parses `template` (a Terraform JSON string), turning syntax errors into TemplateErrors. */
export function parseTerraformString(template: string): readonly TemplatePart[] {
  try {
    return parseTemplate(template);
  } catch (e) {
    if (e instanceof HclSyntaxError) throw new TemplateError(e.message);
    throw e;
  }
}

export function evaluateExpression(expr: Expr, resolve: ReferenceResolver): string {
  const traversal = staticTraversal(expr);
  if (traversal) return resolve(traversal.text);
  switch (expr.kind) {
    case 'call': {
      const fn = FUNCTIONS[expr.name];
      if (!fn) throw new TemplateError(`unsupported Terraform function '${expr.name}' in \${${expr.text}}`);
      if (expr.args.length !== 1 || expr.expandFinal) throw new TemplateError(`${expr.name}() takes one argument, in \${${expr.text}}`);
      return fn(evaluateExpression(expr.args[0], resolve));
    }
    case 'template':
      return evaluateParts(expr.parts, resolve);
    case 'parens':
      return evaluateExpression(expr.inner, resolve);
    case 'literal':
      if (typeof expr.value === 'string' || typeof expr.value === 'number' || typeof expr.value === 'boolean') return String(expr.value);
      break;
    default:
      break;
  }
  throw new TemplateError(`unsupported Terraform expression \${${expr.text}}`);
}

function evaluateParts(parts: readonly TemplatePart[], resolve: ReferenceResolver): string {
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') out += part.value;
    else if (part.kind === 'interpolation') out += evaluateExpression(part.expr, resolve);
    else throw new TemplateError(`template directives (%{...}) are not supported, at offset ${part.offset}`);
  }
  return out;
}

export function renderTemplate(template: string, resolve: ReferenceResolver): string {
  return evaluateParts(parseTerraformString(template), resolve);
}

/**
 * Every reference a template makes (e.g. `var.a`, `digitalocean_droplet.db.ipv4_address_private`), in order,
 * repeats included: function names, `for` variables, literals and escaped `$${…}` are not references.
 */
export function templateReferences(template: string): string[] {
  return expressionReferences(parseTerraformString(template)).map((t) => t.text);
}
