/**
 * Just enough of nginx's and HAProxy's config syntax for rules to ask "is this directive set, and where": the
 * files themselves are checked by `nginx -t` / `haproxy -c` in the renderers' tests; here they are only read.
 */

/** One nginx directive: `name args...;` or a block `name args... { children }`. */
export interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly children?: readonly NginxDirective[];
}

/** Tokens of nginx config text: words (quotes removed), `{`, `}` and `;`; comments dropped. */
function nginxTokens(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push(c);
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let word = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        word += text[j];
        j++;
      }
      tokens.push(word);
      i = j + 1;
    } else {
      let j = i;
      // `${...}` (a Terraform reference left in the text) stays one word.
      while (j < text.length && !/[\s;{}#]/.test(text[j])) {
        if (text[j] === '$' && text[j + 1] === '{') {
          const end = text.indexOf('}', j);
          j = end < 0 ? text.length : end + 1;
        } else j++;
      }
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** Parses nginx config text into directives; unbalanced braces end the current block (lenient). */
export function parseNginx(text: string): NginxDirective[] {
  const tokens = nginxTokens(text);
  let pos = 0;
  const block = (): NginxDirective[] => {
    const out: NginxDirective[] = [];
    let words: string[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t === ';') {
        if (words.length > 0) out.push({ name: words[0], args: words.slice(1) });
        words = [];
      } else if (t === '{') {
        const children = block();
        out.push({ name: words[0] ?? '', args: words.slice(1), children });
        words = [];
      } else if (t === '}') {
        return out;
      } else {
        words.push(t);
      }
    }
    return out;
  };
  return block();
}

/** Every directive named `name` anywhere in the tree, with the chain of enclosing blocks. */
export function findNginx(
  tree: readonly NginxDirective[],
  name: string,
  parents: readonly NginxDirective[] = [],
): { directive: NginxDirective; parents: readonly NginxDirective[] }[] {
  const out: { directive: NginxDirective; parents: readonly NginxDirective[] }[] = [];
  for (const d of tree) {
    if (d.name === name) out.push({ directive: d, parents });
    if (d.children) out.push(...findNginx(d.children, name, [...parents, d]));
  }
  return out;
}

/** True when text looks like nginx config (a `server`, `http`, `upstream` or `location` block). */
export function looksLikeNginx(path: string, content: string): boolean {
  if (/^\/etc\/nginx\//.test(path)) return true;
  return (
    /(^|\n)\s*(server|http|upstream|location\s+\S+)\s*\{/.test(content) &&
    /;\s*(\n|$)/.test(content) &&
    !/^\s*(frontend|backend|listen)\s/m.test(content)
  );
}

/** One HAProxy section: `global`, `defaults`, `frontend x`, `backend x`, `listen x`, `resolvers x`, ... */
export interface HaproxySection {
  readonly kind: string;
  readonly name: string;
  /** Each line as words (quotes kept out), comments dropped. */
  readonly lines: readonly (readonly string[])[];
}

const HAPROXY_SECTIONS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'resolvers',
  'peers',
  'userlist',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
]);

function haproxyWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const w = m[1] ?? m[2] ?? m[3];
    if (m[3]?.startsWith('#')) break;
    words.push(w);
  }
  return words;
}

export function parseHaproxy(text: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  let current: { kind: string; name: string; lines: string[][] } | undefined;
  for (const raw of text.split('\n')) {
    const words = haproxyWords(raw);
    if (words.length === 0) continue;
    if (HAPROXY_SECTIONS.has(words[0]) && !/^\s/.test(raw)) {
      current = { kind: words[0], name: words[1] ?? '', lines: [] };
      sections.push(current);
    } else if (current) {
      current.lines.push(words);
    }
  }
  return sections;
}

export function looksLikeHaproxy(path: string, content: string): boolean {
  return /haproxy\.cfg$|^\/etc\/haproxy\//.test(path) || (/^(frontend|backend|listen)\s/m.test(content) && /^defaults\b/m.test(content));
}

/** A response header a proxy sets: nginx `add_header`, HAProxy `http-response|http-after-response set-header`. */
export interface HeaderSetting {
  readonly name: string;
  readonly value: string;
}

export function nginxHeaders(tree: readonly NginxDirective[]): HeaderSetting[] {
  return findNginx(tree, 'add_header').map(({ directive }) => ({ name: (directive.args[0] ?? '').toLowerCase(), value: directive.args[1] ?? '' }));
}

export function haproxyHeaders(sections: readonly HaproxySection[]): HeaderSetting[] {
  const out: HeaderSetting[] = [];
  for (const s of sections) {
    for (const l of s.lines) {
      if ((l[0] === 'http-response' || l[0] === 'http-after-response') && (l[1] === 'set-header' || l[1] === 'add-header') && l[2]) {
        out.push({ name: l[2].toLowerCase(), value: (l[3] ?? '').replace(/%%/g, '%') });
      }
    }
  }
  return out;
}
