/**
 * The YAML tierform writes (cloud-config bodies, Prometheus files), byte for byte what the `yaml` package's
 * `stringify(value, { lineWidth: 0, ... })` writes, without building its document model first.
 *
 * Why: `yaml`'s `stringify` creates a node per value and runs its full emitter; it was the largest share of the
 * library's own synth time (bench/README.md). What we render is plain data: block maps with simple keys, block
 * sequences, strings, booleans and small integers. For those shapes this module follows `yaml` 2.8's rules
 * exactly (`stringify/stringifyString.js`: plain when `yaml` would read it back as the same string, else quoted;
 * multi-line strings as literal block scalars with `yaml`'s chomping and indentation indicators; `stringifyPair.js`
 * and `stringifyCollection.js` for the layout).
 *
 * Everything else (empty collections, `null`/`undefined`, non-integer numbers, empty or multi-line keys, control
 * characters, whitespace-only last lines of a multi-line string, an object used twice, which
 * `yaml` would write as an anchor and alias) is not handled here: `stringifyYaml` then calls `yaml` itself for the
 * whole document. So the output never depends on this module covering a case; only the speed does.
 * __tests__/lib/render/yaml-text.test.ts compares both on generated values and on every stage's documents.
 */
import { Document, stringify } from 'yaml';

/** The options tierform passes to `yaml`: no folding; literal block scalars; plain strings and keys where allowed. */
export interface YamlTextOptions {
  readonly lineWidth: 0;
  readonly blockQuote?: 'literal';
  readonly defaultStringType?: 'PLAIN';
  readonly defaultKeyType?: 'PLAIN';
}

/** `value` as YAML, identical to `yaml`'s `stringify(value, options)`. */
export function stringifyYaml(value: unknown, options: YamlTextOptions): string {
  const fast = emitYaml(value);
  return fast ?? stringify(value, options);
}

/**
 * The fast path alone: `value` as YAML, or undefined when it holds something this module leaves to `yaml`
 * (exported for the tests, which check it is taken for the documents tierform renders).
 */
export function emitYaml(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  try {
    return `${new Emitter().map(value, '')}\n`;
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

/** Thrown inside the emitter when a value needs `yaml` itself; never escapes `emitYaml`. */
const UNSUPPORTED = new Error('not handled by the fast YAML path');

// ---- yaml 2.8's scalar rules (stringifyString.js), for block context ---------------------------------------------

/** Strings that cannot be plain (indicator first, `: `, ` #`, leading/trailing space, ...): yaml quotes them. */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Control characters and lone surrogates: yaml writes a double-quoted string with YAML escapes. */
const FORCE_DOUBLE_QUOTED = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** The same characters, any surrogate included: a faster scan (no `u` flag) deciding whether the exact one is needed. */
const MAYBE_DOUBLE_QUOTED = /[\x00-\x08\x0b-\x1f\x7f-\x9f\uD800-\uDFFF]/;

function forcesDoubleQuotes(value: string): boolean {
  return MAYBE_DOUBLE_QUOTED.test(value) && FORCE_DOUBLE_QUOTED.test(value);
}
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** A block scalar cannot end in a whitespace-only line (yaml's test: /\n[\t ]+$/): yaml quotes the string instead. */
function endsInWhitespaceLine(value: string): boolean {
  let i = value.length - 1;
  while (i >= 0 && (value[i] === ' ' || value[i] === '\t')) i--;
  return i < value.length - 1 && i >= 0 && value[i] === '\n';
}
/** yaml's `blockEndNewlines`. */
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/** The tests of the schema's non-string scalar tags (null, bool, int, float): a plain string matching one is quoted. */
const OTHER_TYPE_TESTS: readonly RegExp[] = (() => {
  const schema = new Document().schema;
  const tests: RegExp[] = [];
  for (const tag of [...schema.tags, ...(schema.compat ?? [])]) {
    const test = (tag as { test?: unknown }).test;
    if (tag.default === true && tag.tag !== 'tag:yaml.org,2002:str' && test instanceof RegExp) tests.push(test);
  }
  return tests;
})();

/**
 * A one-line string, as a value or an implicit key, whose node indentation (yaml's ctx.indent) is `indent`: a key
 * of the top-level map has '  ', a value at least that.
 */
function singleLine(value: string, indent: string, implicitKey: boolean): string {
  if (forcesDoubleQuotes(value)) throw UNSUPPORTED;
  if (NOT_PLAIN.test(value)) return quoted(value);
  if (DOCUMENT_MARKER.test(value)) {
    // yaml: a top-level block scalar would need its indentation forced; a key of the top-level map is quoted.
    if (indent === '') throw UNSUPPORTED;
    if (implicitKey && indent === '  ') return quoted(value);
  }
  if (OTHER_TYPE_TESTS.some((t) => t.test(value))) return quoted(value);
  return value;
}

/**
 * yaml's `quotedString` for a one-line string without control characters: single quotes when it holds `"` and no
 * `'`, else double quotes, whose escapes are then exactly JSON's.
 */
function quoted(value: string): string {
  return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
}

/** yaml's `blockString` with `literal` chosen, for a multi-line string whose scalar indentation is `indent` (non-empty). */
function literalBlock(text: string, indent: string): string {
  if (forcesDoubleQuotes(text) || endsInWhitespaceLine(text)) throw UNSUPPORTED;
  let value = text;
  // Chomping, from the whitespace at the end.
  let endStart = value.length;
  while (endStart > 0) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
    endStart--;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  const chomp = endNlPos === -1 ? '-' : value === end || endNlPos !== end.length - 1 ? '+' : '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  // Indentation indicator, from the whitespace at the start.
  let startWithSpace = false;
  let startEnd = 0;
  let startNlPos = -1;
  for (; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// ---- layout (stringifyPair.js, stringifyCollection.js with indentSeq) ---------------------------------------------

class Emitter {
  /** Objects and arrays already written: yaml would write a second occurrence as an alias. */
  private readonly seen = new Set<object>();

  /** A block map whose pairs sit at `indent` (yaml's ctx.indent of the map). */
  public map(value: Record<string, unknown>, indent: string): string {
    this.enter(value);
    const keys = Object.keys(value);
    if (keys.length === 0) throw UNSUPPORTED;
    const inner = `${indent}  `;
    let out = '';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === '' || key.includes('\n')) throw UNSUPPORTED;
      const keyText = singleLine(key, inner, true);
      if (keyText.length > 1024) throw UNSUPPORTED; // yaml would write an explicit key
      const item = value[key];
      const text = this.node(item, inner);
      const line = typeof item === 'object' ? `${keyText}:\n${inner}${text}` : `${keyText}: ${text}`;
      out += i === 0 ? line : `\n${indent}${line}`;
    }
    return out;
  }

  /** A block sequence whose items sit at `indent`. */
  private seq(value: readonly unknown[], indent: string): string {
    this.enter(value);
    if (value.length === 0) throw UNSUPPORTED;
    const inner = `${indent}  `;
    let out = '';
    for (let i = 0; i < value.length; i++) {
      const line = `- ${this.node(value[i], inner)}`;
      out += i === 0 ? line : `\n${indent}${line}`;
    }
    return out;
  }

  private node(value: unknown, indent: string): string {
    switch (typeof value) {
      case 'string':
        return value.includes('\n') ? literalBlock(value, indent) : singleLine(value, indent, false);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw UNSUPPORTED;
        return String(value);
      case 'object':
        if (Array.isArray(value)) return this.seq(value, indent);
        if (isPlainObject(value)) return this.map(value, indent);
        throw UNSUPPORTED;
      default:
        throw UNSUPPORTED;
    }
  }

  private enter(value: object): void {
    if (this.seen.has(value)) throw UNSUPPORTED;
    this.seen.add(value);
  }
}
