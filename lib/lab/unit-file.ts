/**
 * systemd unit files as the lab's service manager reads them (see systemd.ts). Pure: text in, values out.
 *
 * What is parsed the way systemd does (systemd.syntax(7), systemd.service(5), systemd.exec(5)):
 * - `[Section]` headers, `Key=Value` lines, `#`/`;` comment lines, a trailing backslash joining the next line;
 * - drop-ins appended after the main file in order; an empty assignment (`ExecStart=`) resets a list;
 * - command lines: prefixes `-` (failure ignored), `@`, `:`, `+`, `!`, `!!`; words split on whitespace with
 *   single and double quotes and backslash escapes; `$VAR` alone in a word expands to the value split at
 *   whitespace, `${VAR}` expands in place to one word, `$$` is a dollar; specifiers `%%`, `%n`, `%N`, `%p`,
 *   `%i`, `%H`, `%t`;
 * - `EnvironmentFile=` files: `KEY=VALUE` lines, comments, single quotes (literal), double quotes (with
 *   backslash escapes), adjacent quoted segments joined, a trailing backslash continuing the line;
 * - `Environment=` assignments (quoted words of `KEY=VALUE`);
 * - time spans (`5s`, `100ms`, `2min`, `1h`, `infinity`, a bare number of seconds) and booleans.
 */

export class UnitFileError extends Error {}

/** One `Key=Value` of a section, in file order. */
export interface UnitEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
}

/** A unit with its drop-ins applied. */
export class UnitDefinition {
  constructor(
    /** Full name, e.g. `nginx.service`. */
    public readonly name: string,
    public readonly entries: readonly UnitEntry[],
    /** Where it was read from (main file first, then drop-ins). */
    public readonly sources: readonly string[],
  ) {}

  /** Every value of a list setting, after resets by empty assignments. */
  public values(section: string, key: string): string[] {
    let out: string[] = [];
    for (const e of this.entries) {
      if (e.section !== section || e.key !== key) continue;
      if (e.value === '') out = [];
      else out.push(e.value);
    }
    return out;
  }

  /** The last value of a setting (an empty assignment counts as unset). */
  public value(section: string, key: string): string | undefined {
    const all = this.values(section, key);
    return all.length === 0 ? undefined : all[all.length - 1];
  }

  /** Space-separated list settings (`Requires=a.service b.service`), flattened. */
  public words(section: string, key: string): string[] {
    return this.values(section, key).flatMap((v) => v.split(/\s+/).filter(Boolean));
  }

  public get description(): string {
    return this.value('Unit', 'Description') ?? this.name;
  }
}

/** Parses one unit file's text (`source` names it in errors). */
export function parseUnitText(text: string, source: string): UnitEntry[] {
  const entries: UnitEntry[] = [];
  const lines = text.split('\n');
  let section: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/\r$/, '');
    const lineNo = i + 1;
    // A trailing backslash joins the next line (comment lines in between are skipped, as systemd does).
    while (/\\$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i].replace(/\r$/, '');
      if (/^\s*[#;]/.test(next)) continue;
      line = `${line.slice(0, -1)} ${next}`;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new UnitFileError(`${source}:${lineNo}: expected Key=Value, got '${trimmed}'`);
    if (section === undefined) throw new UnitFileError(`${source}:${lineNo}: assignment outside of a section`);
    entries.push({ section, key: trimmed.slice(0, eq).trim(), value: trimmed.slice(eq + 1).trim() });
  }
  return entries;
}

/** A unit from its main file and its drop-ins (`[source, text]` pairs, drop-ins in the order systemd applies them). */
export function loadUnit(name: string, files: readonly (readonly [string, string])[]): UnitDefinition {
  const entries = files.flatMap(([source, text]) => parseUnitText(text, source));
  return new UnitDefinition(
    name,
    entries,
    files.map(([source]) => source),
  );
}

/** `nginx` → `nginx.service`; names with a known suffix stay. */
export function normalizeUnitName(name: string): string {
  return /\.(service|socket|target|timer|mount|path|slice|scope|device|swap|automount)$/.test(name) ? name : `${name}.service`;
}

// ---------------------------------------------------------------------------------------------------------------
// command lines

/** A parsed `Exec*=` line. */
export interface ExecCommand {
  /** `-`: a failing exit status is ignored. */
  readonly ignoreFailure: boolean;
  /** `+`, `!` or `!!`: runs with full privileges (not as `User=`). */
  readonly privileged: boolean;
  /** `:`: no environment variable expansion. */
  readonly noExpansion: boolean;
  /** `@`: the second word is argv[0]; the lab runs the first word and drops the second. */
  readonly argv0Given: boolean;
  /** Words as written (quotes removed, escapes resolved), before `$VAR` expansion. */
  readonly words: readonly Word[];
}

/** A word of a command line; `quoted` words never split on expansion. */
export interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

/** Parses an `ExecStart=` (etc.) value: prefixes, then words. */
export function parseExecLine(value: string): ExecCommand {
  let i = 0;
  let ignoreFailure = false;
  let privileged = false;
  let noExpansion = false;
  let argv0Given = false;
  for (; i < value.length; i++) {
    const c = value[i];
    if (c === '-') ignoreFailure = true;
    else if (c === '+' || c === '!') privileged = true;
    else if (c === ':') noExpansion = true;
    else if (c === '@') argv0Given = true;
    else break;
  }
  const words = splitWords(value.slice(i));
  if (words.length === 0) throw new UnitFileError(`empty command line '${value}'`);
  return { ignoreFailure, privileged, noExpansion, argv0Given, words };
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ', s: ' ' };

/** systemd's word splitting: whitespace separates, quotes group (and are removed), backslash escapes. */
export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  let current = '';
  let inWord = false;
  let quoted = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && i + 1 < text.length) current += ESCAPES[text[++i]] ?? text[i];
      else current += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push({ text: current, quoted });
      current = '';
      inWord = false;
      quoted = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") {
      quote = c;
      quoted = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += ESCAPES[text[++i]] ?? text[i];
    } else {
      current += c;
    }
  }
  if (quote) throw new UnitFileError(`unterminated quote in '${text}'`);
  if (inWord) words.push({ text: current, quoted });
  return words;
}

export interface SpecifierContext {
  readonly unitName: string;
  readonly hostname: string;
}

/** Replaces the specifiers the lab knows (`%%`, `%n`, `%N`, `%p`, `%i`, `%H`, `%t`); others stay as written. */
export function expandSpecifiers(text: string, ctx: SpecifierContext): string {
  const prefix = ctx.unitName.replace(/@.*$/, '').replace(/\.[a-z]+$/, '');
  const instance = /@([^.]*)\./.exec(ctx.unitName)?.[1] ?? '';
  const map: Record<string, string> = {
    '%': '%',
    n: ctx.unitName,
    N: ctx.unitName.replace(/\.[a-z]+$/, ''),
    p: prefix,
    i: instance,
    H: ctx.hostname,
    t: '/run',
  };
  return text.replace(/%(.)/g, (all, c: string) => map[c] ?? all);
}

/** The argv a command runs with: specifiers, then environment expansion as systemd does it. */
export function execArgv(command: ExecCommand, env: Readonly<Record<string, string>>, ctx: SpecifierContext): string[] {
  const out: string[] = [];
  for (const w of command.words) {
    const text = expandSpecifiers(w.text, ctx);
    if (command.noExpansion) {
      out.push(text);
      continue;
    }
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
    if (whole && !w.quoted) {
      // `$VAR` as a word of its own: the value split at whitespace (no word at all when empty).
      out.push(...(env[whole[1]] ?? '').split(/\s+/).filter(Boolean));
      continue;
    }
    out.push(
      text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all: string, name: string | undefined) =>
        name === undefined ? '$' : (env[name] ?? ''),
      ),
    );
  }
  if (command.argv0Given) out.splice(1, 1);
  if (out.length === 0) throw new UnitFileError(`command line expands to nothing: ${command.words.map((w) => w.text).join(' ')}`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// environment

/** `Environment=` values (each a list of quoted `KEY=VALUE` words), in order. */
export function parseEnvironmentAssignments(values: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of values) {
    for (const w of splitWords(v)) {
      const eq = w.text.indexOf('=');
      if (eq <= 0) throw new UnitFileError(`Environment=: '${w.text}' is not KEY=VALUE`);
      env[w.text.slice(0, eq)] = w.text.slice(eq + 1);
    }
  }
  return env;
}

/** An `EnvironmentFile=` file's variables. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/\r$/, '');
    while (/(^|[^\\])\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i];
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!m) continue; // systemd ignores lines it cannot parse (with a warning)
    env[m[1]] = envValue(m[2]);
  }
  return env;
}

function envValue(raw: string): string {
  let out = '';
  let trailingSpace = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end === -1) throw new UnitFileError(`unterminated single quote in environment value '${raw}'`);
      out += raw.slice(i + 1, end);
      i = end;
      trailingSpace = 0;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < raw.length && raw[j] !== '"'; j++) {
        if (raw[j] === '\\' && j + 1 < raw.length && '"\\`$'.includes(raw[j + 1])) j++;
        out += raw[j];
      }
      if (j >= raw.length) throw new UnitFileError(`unterminated double quote in environment value '${raw}'`);
      i = j;
      trailingSpace = 0;
    } else if (c === '\\' && i + 1 < raw.length) {
      out += raw[++i];
      trailingSpace = 0;
    } else {
      out += c;
      trailingSpace = /\s/.test(c) ? trailingSpace + 1 : 0;
    }
  }
  return trailingSpace > 0 ? out.slice(0, -trailingSpace) : out;
}

// ---------------------------------------------------------------------------------------------------------------
// values

/** A time span in milliseconds (`Infinity` for `infinity`); a bare number is seconds. */
export function parseTimespanMs(text: string): number {
  const t = text.trim();
  if (t === 'infinity') return Infinity;
  const units: Record<string, number> = {
    us: 0.001,
    usec: 0.001,
    ms: 1,
    msec: 1,
    s: 1000,
    sec: 1000,
    second: 1000,
    seconds: 1000,
    m: 60_000,
    min: 60_000,
    minute: 60_000,
    minutes: 60_000,
    h: 3_600_000,
    hr: 3_600_000,
    hour: 3_600_000,
    hours: 3_600_000,
  };
  let total = 0;
  const re = /([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)/g;
  let matched = '';
  for (let m = re.exec(t); m !== null && m[0] !== ''; m = re.exec(t)) {
    const factor = m[2] === '' ? 1000 : units[m[2]];
    if (factor === undefined) throw new UnitFileError(`'${text}' is not a time span`);
    total += Number(m[1]) * factor;
    matched += m[0];
  }
  if (matched.replace(/\s/g, '') !== t.replace(/\s/g, '') || t === '') throw new UnitFileError(`'${text}' is not a time span`);
  return total;
}

export function parseBoolean(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  const t = text.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(t)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(t)) return false;
  throw new UnitFileError(`'${text}' is not a boolean`);
}

/** Octal mode text (`0755`, `755`) → number. */
export function parseMode(text: string): number {
  if (!/^0?[0-7]{3,4}$/.test(text.trim())) throw new UnitFileError(`'${text}' is not an octal mode`);
  return parseInt(text.trim(), 8);
}
