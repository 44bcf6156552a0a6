/**
 * A parser for the HCL native expression syntax that Terraform JSON strings hold: a JSON string value is a
 * template (`text ${expression} %{ if … }…%{ endif }`), and an expression may hold functions, operators,
 * conditionals, `for` expressions, tuples, objects, splats and quoted templates of its own.
 *
 * It exists so that reference scanning is exact: `base64encode(var.x)` refers to `var.x` only (not to a
 * `base64encode`), `[for c in var.cidrs : c]` does not refer to `c`, `"${var.a}"` nested in a string does refer to
 * `var.a`, and `$${HOME}` is escaped text. Pure: no cdktf import. Grammar: hashicorp/hcl `hclsyntax/spec.md`.
 * Heredocs (`<<EOT`) are refused with a clear error: Terraform JSON has no use for them.
 */

export class HclSyntaxError extends Error {}

/** One step of a traversal after its root: `.name`, `[0]` / `["key"]`. */
export type TraversalStep = { readonly kind: 'attr'; readonly name: string } | { readonly kind: 'index'; readonly key: string | number };

/** A reference as Terraform sees it: a root name and static steps, e.g. `digitalocean_droplet.web.ipv4_address`. */
export interface Traversal {
  readonly root: string;
  readonly steps: readonly TraversalStep[];
  /** `root.step[0]…`, e.g. `var.ssh_keys`, `digitalocean_droplet.web.ipv4_address`. */
  readonly text: string;
}

interface Node {
  /** The expression's source text (for messages). */
  readonly text: string;
  /** Offset of the expression in the parsed string. */
  readonly offset: number;
}

export type Expr =
  | (Node & { readonly kind: 'literal'; readonly value: string | number | boolean | null })
  | (Node & { readonly kind: 'template'; readonly parts: readonly TemplatePart[] })
  | (Node & { readonly kind: 'variable'; readonly name: string })
  | (Node & { readonly kind: 'getattr'; readonly target: Expr; readonly name: string })
  | (Node & { readonly kind: 'index'; readonly target: Expr; readonly key: Expr })
  | (Node & { readonly kind: 'splat'; readonly target: Expr; readonly each: Expr })
  /** The element a splat's trailing traversal applies to. */
  | (Node & { readonly kind: 'splat-item' })
  | (Node & { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly expandFinal: boolean })
  | (Node & { readonly kind: 'tuple'; readonly items: readonly Expr[] })
  | (Node & { readonly kind: 'object'; readonly items: readonly { readonly key: Expr; readonly value: Expr }[] })
  | (Node & {
      readonly kind: 'for';
      readonly keyVar?: string;
      readonly valueVar: string;
      readonly collection: Expr;
      readonly key?: Expr;
      readonly value: Expr;
      readonly condition?: Expr;
      readonly grouping: boolean;
    })
  | (Node & { readonly kind: 'conditional'; readonly condition: Expr; readonly then: Expr; readonly otherwise: Expr })
  | (Node & { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr })
  | (Node & { readonly kind: 'unary'; readonly op: string; readonly operand: Expr })
  | (Node & { readonly kind: 'parens'; readonly inner: Expr });

export type TemplatePart =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'interpolation'; readonly expr: Expr; readonly offset: number }
  | {
      readonly kind: 'if';
      readonly condition: Expr;
      readonly then: readonly TemplatePart[];
      readonly otherwise: readonly TemplatePart[];
      readonly offset: number;
    }
  | {
      readonly kind: 'for';
      readonly keyVar?: string;
      readonly valueVar: string;
      readonly collection: Expr;
      readonly body: readonly TemplatePart[];
      readonly offset: number;
    };

/** Parses a string of Terraform JSON as the template Terraform reads it (`$${` and `%%{` are escapes). */
export function parseTemplate(source: string): readonly TemplatePart[] {
  const p = new Parser(source);
  const parts = p.templateParts('eof');
  return parts;
}

/** Parses one expression in native syntax, e.g. a `depends_on` entry (`digitalocean_vpc.main`). */
export function parseExpression(source: string): Expr {
  const p = new Parser(source);
  const expr = p.expression();
  p.skipSpace();
  if (!p.atEnd()) p.fail(`unexpected '${source[p.pos]}' after the expression`);
  return expr;
}

/**
 * Every reference an expression or template makes, in source order, as Terraform counts them: the root of a
 * traversal that is not a `for` iteration variable (or a name in `bound`), with its static steps (up to the first
 * dynamic index or splat). Function names, object keys, literals and escaped `$${…}` are not references.
 */
export function expressionReferences(node: Expr | readonly TemplatePart[], bound: ReadonlySet<string> = new Set()): Traversal[] {
  const out: Traversal[] = [];
  if (Array.isArray(node)) walkParts(node as readonly TemplatePart[], bound, out);
  else walk(node as Expr, bound, out);
  return out;
}

/** The whole expression as a static traversal (`var.x`, `a.b[0].c`), or undefined if it is anything else. */
export function staticTraversal(expr: Expr): Traversal | undefined {
  const steps: TraversalStep[] = [];
  let e: Expr = expr;
  for (;;) {
    if (e.kind === 'getattr') {
      steps.unshift({ kind: 'attr', name: e.name });
      e = e.target;
    } else if (e.kind === 'index') {
      const key = literalKey(e.key);
      if (key === undefined) return undefined;
      steps.unshift({ kind: 'index', key });
      e = e.target;
    } else if (e.kind === 'variable') {
      return { root: e.name, steps, text: traversalText(e.name, steps) };
    } else {
      return undefined;
    }
  }
}

export function traversalText(root: string, steps: readonly TraversalStep[]): string {
  return (
    root + steps.map((s) => (s.kind === 'attr' ? `.${s.name}` : typeof s.key === 'number' ? `[${s.key}]` : `[${JSON.stringify(s.key)}]`)).join('')
  );
}

function literalKey(key: Expr): string | number | undefined {
  if (key.kind === 'literal' && (typeof key.value === 'number' || typeof key.value === 'string')) return key.value;
  if (key.kind === 'template' && key.parts.every((p) => p.kind === 'text')) return key.parts.map((p) => (p.kind === 'text' ? p.value : '')).join('');
  return undefined;
}

function walk(e: Expr, bound: ReadonlySet<string>, out: Traversal[]): void {
  const traversal = staticTraversal(e);
  if (traversal) {
    if (!bound.has(traversal.root)) out.push(traversal);
    return;
  }
  switch (e.kind) {
    case 'literal':
    case 'variable':
    case 'splat-item':
      return;
    case 'template':
      return walkParts(e.parts, bound, out);
    case 'getattr':
      return walk(e.target, bound, out);
    case 'index':
      walk(e.target, bound, out);
      return walk(e.key, bound, out);
    case 'splat':
      walk(e.target, bound, out);
      return walk(e.each, bound, out);
    case 'call':
      return e.args.forEach((a) => walk(a, bound, out));
    case 'tuple':
      return e.items.forEach((a) => walk(a, bound, out));
    case 'object':
      return e.items.forEach((item) => {
        walk(item.key, bound, out);
        walk(item.value, bound, out);
      });
    case 'for': {
      walk(e.collection, bound, out);
      const inner = withNames(bound, e.keyVar, e.valueVar);
      if (e.key) walk(e.key, inner, out);
      walk(e.value, inner, out);
      if (e.condition) walk(e.condition, inner, out);
      return;
    }
    case 'conditional':
      walk(e.condition, bound, out);
      walk(e.then, bound, out);
      return walk(e.otherwise, bound, out);
    case 'binary':
      walk(e.left, bound, out);
      return walk(e.right, bound, out);
    case 'unary':
      return walk(e.operand, bound, out);
    case 'parens':
      return walk(e.inner, bound, out);
  }
}

function walkParts(parts: readonly TemplatePart[], bound: ReadonlySet<string>, out: Traversal[]): void {
  for (const part of parts) {
    if (part.kind === 'interpolation') walk(part.expr, bound, out);
    else if (part.kind === 'if') {
      walk(part.condition, bound, out);
      walkParts(part.then, bound, out);
      walkParts(part.otherwise, bound, out);
    } else if (part.kind === 'for') {
      walk(part.collection, bound, out);
      walkParts(part.body, withNames(bound, part.keyVar, part.valueVar), out);
    }
  }
}

function withNames(bound: ReadonlySet<string>, ...names: (string | undefined)[]): Set<string> {
  const s = new Set(bound);
  for (const n of names) if (n !== undefined) s.add(n);
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// the parser

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_-]/;
const KEYWORD_LITERALS: Record<string, boolean | null> = { true: true, false: false, null: null };
/** Template text that cannot start an interpolation, a directive, an escape or the end of a quoted string. */
const PLAIN_TEXT = /[^$%]+/y;
const PLAIN_QUOTED = /[^$%"\\\r\n]+/y;
/** Binary operators by precedence, lowest first (hclsyntax spec). */
const BINARY_LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>'], ['+', '-'], ['*', '/', '%']];

/** Where a template's text ends: end of input (a JSON string value) or a closing quote (a quoted template). */
type TemplateEnd = 'eof' | 'quote';

interface DirectiveToken {
  readonly word: 'if' | 'else' | 'endif' | 'for' | 'endfor';
  readonly offset: number;
  readonly condition?: Expr;
  readonly keyVar?: string;
  readonly valueVar?: string;
  readonly collection?: Expr;
  readonly stripBefore: boolean;
  readonly stripAfter: boolean;
}

class Parser {
  public pos = 0;
  constructor(private readonly src: string) {}

  public atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  public fail(message: string, at = this.pos): never {
    throw new HclSyntaxError(`${message} (at offset ${at} of ${quoteShort(this.src)})`);
  }

  // ---- templates

  /** Parses template parts until `end`; directives nest (`%{ if }…%{ endif }`). */
  public templateParts(end: TemplateEnd): TemplatePart[] {
    const { parts, closing } = this.templateUntil(end, [], false);
    if (closing) this.fail(`'%{ ${closing.word} }' without a matching opening directive`, closing.offset);
    return parts;
  }

  /**
   * Parses text and interpolations until `end` or a directive whose word is in `stopAt` (returned, not consumed
   * further). Strip markers (`~`) trim the neighbouring text's whitespace.
   */
  private templateUntil(end: TemplateEnd, stopAt: readonly string[], stripFirst: boolean): { parts: TemplatePart[]; closing?: DirectiveToken } {
    const parts: TemplatePart[] = [];
    let text = '';
    let stripNextText = stripFirst;
    const flushText = (stripTrailing: boolean) => {
      let t = text;
      if (stripNextText) t = t.replace(/^\s+/, '');
      if (stripTrailing) t = t.replace(/\s+$/, '');
      if (t !== '') parts.push({ kind: 'text', value: t });
      text = '';
      stripNextText = false;
    };
    while (!this.atEnd()) {
      const s = this.src;
      const i = this.pos;
      if (end === 'quote' && s[i] === '"') break;
      if (end === 'quote' && s[i] === '\\') {
        text += this.escape();
        continue;
      }
      if (end === 'quote' && (s[i] === '\n' || s[i] === '\r')) this.fail('a quoted string cannot span lines');
      if (s.startsWith('$${', i)) {
        text += '${';
        this.pos += 3;
      } else if (s.startsWith('%%{', i)) {
        text += '%{';
        this.pos += 3;
      } else if (s.startsWith('${', i)) {
        const start = i;
        this.pos += 2;
        const stripBefore = this.eat('~');
        flushText(stripBefore);
        const expr = this.interpolationBody(start);
        parts.push({ kind: 'interpolation', expr, offset: start });
        stripNextText = this.closeTemplateBrace(start);
      } else if (s.startsWith('%{', i)) {
        const directive = this.directive();
        flushText(directive.stripBefore);
        if (stopAt.includes(directive.word)) return { parts, closing: directive };
        if (directive.word === 'if') {
          const thenPart = this.templateUntil(end, ['else', 'endif'], directive.stripAfter);
          let otherwise: TemplatePart[] = [];
          let closing = thenPart.closing;
          if (closing?.word === 'else') {
            const elsePart = this.templateUntil(end, ['endif'], closing.stripAfter);
            otherwise = elsePart.parts;
            closing = elsePart.closing;
          }
          if (!closing) this.fail(`'%{ if }' has no matching '%{ endif }'`, directive.offset);
          parts.push({ kind: 'if', condition: directive.condition!, then: thenPart.parts, otherwise, offset: directive.offset });
          stripNextText = closing.stripAfter;
        } else if (directive.word === 'for') {
          const body = this.templateUntil(end, ['endfor'], directive.stripAfter);
          if (!body.closing) this.fail(`'%{ for }' has no matching '%{ endfor }'`, directive.offset);
          parts.push({
            kind: 'for',
            keyVar: directive.keyVar,
            valueVar: directive.valueVar!,
            collection: directive.collection!,
            body: body.parts,
            offset: directive.offset,
          });
          stripNextText = body.closing.stripAfter;
        } else {
          this.fail(`'%{ ${directive.word} }' without a matching opening directive`, directive.offset);
        }
      } else {
        // Plain text up to the next character that may start something: one slice, not one char at a time.
        const plain = end === 'quote' ? PLAIN_QUOTED : PLAIN_TEXT;
        plain.lastIndex = i + 1;
        const m = plain.exec(s);
        const stop = m ? i + 1 + m[0].length : i + 1;
        text += s.slice(i, stop);
        this.pos = stop;
      }
    }
    flushText(false);
    return { parts };
  }

  /** The expression of `${ … }` (after `${` and an optional `~`). */
  private interpolationBody(start: number): Expr {
    this.skipSpace();
    if (this.atEnd()) this.unterminated(start);
    return this.expressionOrUnterminated(start);
  }

  private expressionOrUnterminated(start: number): Expr {
    try {
      return this.expression();
    } catch (e) {
      if (e instanceof HclSyntaxError && this.atEnd()) this.unterminated(start);
      throw e;
    }
  }

  private unterminated(start: number): never {
    throw new HclSyntaxError(`unterminated interpolation starting at offset ${start} of ${quoteShort(this.src)}`);
  }

  /** Consumes `~}` or `}` closing an interpolation or directive; true when `~` asks to strip the next text. */
  private closeTemplateBrace(start: number): boolean {
    this.skipSpace();
    if (this.atEnd()) this.unterminated(start);
    const strip = this.eat('~');
    if (!this.eat('}')) this.fail(`expected '}' to close the interpolation starting at offset ${start}, got '${this.src[this.pos]}'`);
    return strip;
  }

  private directive(): DirectiveToken {
    const offset = this.pos;
    this.pos += 2;
    const stripBefore = this.eat('~');
    this.skipSpace();
    const word = this.identifier();
    if (word === 'if') {
      const condition = this.expressionOrUnterminated(offset);
      const stripAfter = this.closeTemplateBrace(offset);
      return { word, offset, condition, stripBefore, stripAfter };
    }
    if (word === 'for') {
      const { keyVar, valueVar } = this.forVariables();
      const collection = this.expressionOrUnterminated(offset);
      const stripAfter = this.closeTemplateBrace(offset);
      return { word, offset, keyVar, valueVar, collection, stripBefore, stripAfter };
    }
    if (word === 'else' || word === 'endif' || word === 'endfor') {
      const stripAfter = this.closeTemplateBrace(offset);
      return { word, offset, stripBefore, stripAfter };
    }
    return this.fail(`unknown template directive '%{ ${word} }'`, offset);
  }

  /** `k, v in` or `v in` of a `for`. */
  private forVariables(): { keyVar?: string; valueVar: string } {
    this.skipSpace();
    let keyVar: string | undefined;
    let valueVar = this.identifier();
    this.skipSpace();
    if (this.eat(',')) {
      this.skipSpace();
      keyVar = valueVar;
      valueVar = this.identifier();
      this.skipSpace();
    }
    if (this.identifierAhead() !== 'in') this.fail(`expected 'in' in a for expression`);
    this.identifier();
    return { keyVar, valueVar };
  }

  private escape(): string {
    const s = this.src;
    const c = s[this.pos + 1];
    this.pos += 2;
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (c in simple) return simple[c];
    if (c === 'u' || c === 'U') {
      const len = c === 'u' ? 4 : 8;
      const hex = s.slice(this.pos, this.pos + len);
      if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) this.fail(`invalid \\${c} escape`);
      this.pos += len;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    return this.fail(`invalid escape '\\${c ?? ''}' in a quoted string`, this.pos - 2);
  }

  // ---- expressions

  public expression(): Expr {
    const start = this.mark();
    const condition = this.binary(0);
    this.skipSpace();
    if (this.peek('?')) {
      this.pos++;
      const then = this.expression();
      this.skipSpace();
      if (!this.eat(':')) this.fail(`expected ':' in a conditional expression`);
      const otherwise = this.expression();
      return { kind: 'conditional', condition, then, otherwise, ...this.node(start) };
    }
    return condition;
  }

  private binary(level: number): Expr {
    if (level === BINARY_LEVELS.length) return this.unary();
    const start = this.mark();
    let left = this.binary(level + 1);
    for (;;) {
      this.skipSpace();
      const op = BINARY_LEVELS[level].find((o) => this.src.startsWith(o, this.pos) && !this.isLongerOperator(o));
      if (op === undefined) return left;
      this.pos += op.length;
      const right = this.binary(level + 1);
      left = { kind: 'binary', op, left, right, ...this.node(start) };
    }
  }

  /** `<` is not an operator at the start of `<=`; `=` alone is not `==`; `-` … */
  private isLongerOperator(op: string): boolean {
    const next = this.src[this.pos + op.length];
    if ((op === '<' || op === '>') && next === '=') return true;
    return false;
  }

  private unary(): Expr {
    this.skipSpace();
    const start = this.mark();
    const c = this.src[this.pos];
    if (c === '!' || c === '-') {
      this.pos++;
      const operand = this.unary();
      return { kind: 'unary', op: c, operand, ...this.node(start) };
    }
    return this.postfix(this.primary());
  }

  private postfix(target: Expr): Expr {
    const start = target.offset;
    let e = target;
    for (;;) {
      // No space skipping before '.' or '[' would be stricter than HCL, which allows it; HCL does allow spaces.
      const save = this.pos;
      this.skipSpace();
      if (this.src.startsWith('.*', this.pos)) {
        this.pos += 2;
        e = { kind: 'splat', target: e, each: this.splatSteps(true), ...this.nodeFrom(start) };
      } else if (this.src.startsWith('[*]', this.pos)) {
        this.pos += 3;
        e = { kind: 'splat', target: e, each: this.splatSteps(false), ...this.nodeFrom(start) };
      } else if (this.peek('.') && !this.src.startsWith('...', this.pos)) {
        this.pos++;
        this.skipSpace();
        if (/[0-9]/.test(this.src[this.pos] ?? '')) {
          const digits = this.match(/[0-9]+/y)!;
          this.pos += digits.length;
          e = {
            kind: 'index',
            target: e,
            key: { kind: 'literal', value: Number(digits), text: digits, offset: this.pos - digits.length },
            ...this.nodeFrom(start),
          };
        } else {
          e = { kind: 'getattr', target: e, name: this.identifier(), ...this.nodeFrom(start) };
        }
      } else if (this.peek('[')) {
        this.pos++;
        const key = this.expression();
        this.skipSpace();
        if (!this.eat(']')) this.fail(`expected ']' after an index`);
        e = { kind: 'index', target: e, key, ...this.nodeFrom(start) };
      } else {
        this.pos = save;
        return e;
      }
    }
  }

  /** The traversal after a splat, applied to each element: `.a.b` (attribute-only after `.*`) or `.a[0]`. */
  private splatSteps(attributesOnly: boolean): Expr {
    const start = this.mark();
    let e: Expr = { kind: 'splat-item', text: '', offset: start };
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (this.peek('.') && !this.src.startsWith('.*', this.pos) && !this.src.startsWith('...', this.pos)) {
        this.pos++;
        this.skipSpace();
        e = { kind: 'getattr', target: e, name: this.identifier(), ...this.node(start) };
      } else if (!attributesOnly && this.peek('[') && !this.src.startsWith('[*]', this.pos)) {
        this.pos++;
        const key = this.expression();
        this.skipSpace();
        if (!this.eat(']')) this.fail(`expected ']' after an index`);
        e = { kind: 'index', target: e, key, ...this.node(start) };
      } else {
        this.pos = save;
        return e;
      }
    }
  }

  private primary(): Expr {
    this.skipSpace();
    const start = this.mark();
    const c = this.src[this.pos];
    if (c === undefined) return this.fail('expected an expression, got the end of the text');
    if (/[0-9]/.test(c)) {
      const digits = this.match(/[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y)!;
      this.pos += digits.length;
      return { kind: 'literal', value: Number(digits), ...this.node(start) };
    }
    if (c === '"') {
      this.pos++;
      const parts = this.templateParts('quote');
      if (!this.eat('"')) this.fail('unterminated quoted string', start);
      return { kind: 'template', parts, ...this.node(start) };
    }
    if (this.src.startsWith('<<', this.pos)) return this.fail('heredoc templates are not supported in Terraform JSON strings');
    if (c === '(') {
      this.pos++;
      const inner = this.expression();
      this.skipSpace();
      if (!this.eat(')')) this.fail(`expected ')'`);
      return { kind: 'parens', inner, ...this.node(start) };
    }
    if (c === '[') return this.tupleOrFor(start);
    if (c === '{') return this.objectOrFor(start);
    if (IDENT_START.test(c)) {
      let name = this.identifier();
      // Provider-defined functions: provider::<name>::<function>(...)
      while (this.src.startsWith('::', this.pos)) {
        this.pos += 2;
        name += `::${this.identifier()}`;
      }
      const afterName = this.pos;
      this.skipSpace();
      if (this.peek('(')) return this.call(name, start);
      this.pos = afterName;
      if (name.includes('::')) this.fail(`expected '(' after the function name ${name}`);
      if (name in KEYWORD_LITERALS) return { kind: 'literal', value: KEYWORD_LITERALS[name], ...this.node(start) };
      return { kind: 'variable', name, ...this.node(start) };
    }
    return this.fail(`unexpected '${c}' where an expression should start`);
  }

  private call(name: string, start: number): Expr {
    this.pos++; // (
    const args: Expr[] = [];
    let expandFinal = false;
    for (;;) {
      this.skipSpace();
      if (this.eat(')')) break;
      if (expandFinal) this.fail(`'...' may only follow the last argument of ${name}()`);
      args.push(this.expression());
      this.skipSpace();
      if (this.src.startsWith('...', this.pos)) {
        this.pos += 3;
        expandFinal = true;
        this.skipSpace();
      }
      if (this.eat(',')) continue;
      if (this.eat(')')) break;
      this.fail(`expected ',' or ')' in the arguments of ${name}()`);
    }
    return { kind: 'call', name, args, expandFinal, ...this.node(start) };
  }

  private tupleOrFor(start: number): Expr {
    this.pos++; // [
    this.skipSpace();
    if (this.identifierAhead() === 'for' && this.forFollows()) return this.forExpr(start, ']');
    const items: Expr[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eat(']')) break;
      items.push(this.expression());
      this.skipSpace();
      if (this.eat(',')) continue;
      if (this.eat(']')) break;
      this.fail(`expected ',' or ']' in a tuple`);
    }
    return { kind: 'tuple', items, ...this.node(start) };
  }

  private objectOrFor(start: number): Expr {
    this.pos++; // {
    this.skipSpace();
    if (this.identifierAhead() === 'for' && this.forFollows()) return this.forExpr(start, '}');
    const items: { key: Expr; value: Expr }[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eat('}')) break;
      const key = this.objectKey();
      this.skipSpace();
      if (!(this.eat('=') || this.eat(':'))) this.fail(`expected '=' or ':' after an object key`);
      const value = this.expression();
      items.push({ key, value });
      this.skipSpace();
      this.eat(','); // commas or newlines separate items
    }
    return { kind: 'object', items, ...this.node(start) };
  }

  /** A bare identifier key is a literal string (HCL); anything else is an expression. */
  private objectKey(): Expr {
    const start = this.mark();
    const word = this.identifierAhead();
    if (word !== undefined) {
      const after = this.pos + word.length;
      const separator = /[ \t]*(==|=|:)/y;
      separator.lastIndex = after;
      const m = separator.exec(this.src);
      if (m && m[1] !== '==') {
        this.pos = after;
        return { kind: 'literal', value: word, ...this.node(start) };
      }
    }
    return this.expression();
  }

  /** `for` followed by an identifier: a for expression (a variable named `for` would be followed by `.`, `,` …). */
  private forFollows(): boolean {
    const re = /\s+[A-Za-z_]/y;
    re.lastIndex = this.pos + 3;
    return re.test(this.src);
  }

  private forExpr(start: number, close: ']' | '}'): Expr {
    this.identifier(); // for
    const { keyVar, valueVar } = this.forVariables();
    const collection = this.expression();
    this.skipSpace();
    if (!this.eat(':')) this.fail(`expected ':' after the collection of a for expression`);
    let key: Expr | undefined;
    let value = this.expression();
    this.skipSpace();
    if (close === '}') {
      if (!this.src.startsWith('=>', this.pos)) this.fail(`expected '=>' in an object for expression`);
      this.pos += 2;
      key = value;
      value = this.expression();
      this.skipSpace();
    }
    let grouping = false;
    if (this.src.startsWith('...', this.pos)) {
      this.pos += 3;
      grouping = true;
      this.skipSpace();
    }
    let condition: Expr | undefined;
    if (this.identifierAhead() === 'if') {
      this.identifier();
      condition = this.expression();
      this.skipSpace();
    }
    if (!this.eat(close)) this.fail(`expected '${close}' to close a for expression`);
    return { kind: 'for', keyVar, valueVar, collection, key, value, condition, grouping, ...this.node(start) };
  }

  // ---- lexical helpers

  public skipSpace(): void {
    const s = this.src;
    for (;;) {
      const c = s[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#' || s.startsWith('//', this.pos)) {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      } else if (s.startsWith('/*', this.pos)) {
        const end = s.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated /* comment');
        this.pos = end + 2;
      } else return;
    }
  }

  private identifierAhead(): string | undefined {
    if (!IDENT_START.test(this.src[this.pos] ?? '')) return undefined;
    let end = this.pos + 1;
    while (end < this.src.length && IDENT_PART.test(this.src[end])) end++;
    return this.src.slice(this.pos, end);
  }

  private identifier(): string {
    const word = this.identifierAhead();
    if (word === undefined) this.fail(`expected a name, got '${this.src[this.pos] ?? 'the end of the text'}'`);
    this.pos += word.length;
    return word;
  }

  /** The text a sticky regex matches at the current position (not consumed), or undefined. */
  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    return re.exec(this.src)?.[0];
  }

  private peek(c: string): boolean {
    return this.src[this.pos] === c;
  }

  private eat(c: string): boolean {
    if (this.src.startsWith(c, this.pos)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }

  private mark(): number {
    return this.pos;
  }

  private node(start: number): Node {
    return { text: this.src.slice(start, this.pos).trim(), offset: start };
  }

  private nodeFrom(start: number): Node {
    return this.node(start);
  }
}

function quoteShort(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}
