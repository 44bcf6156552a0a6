/**
 * The input guards every renderer shares, and the one error they throw.
 *
 * Renderers trust the construct layer to validate what a user passes (with the construct path, the prop and the
 * fix in the message, lib/errors.ts); the guards here only refuse what would corrupt the syntax of the file being
 * rendered or make a script do something else than it says. Each guard returns the value it accepted, so a call
 * sits where the value is used: `` `port ${port('listenPort', o.listenPort)}` ``.
 *
 * One wording for every message: `'<field>' <requirement>, got <value>` (the construct layer's wording, without
 * the construct path and the fix, which a renderer does not know). Secrets are never shown: `got (redacted)`.
 *
 * Terraform token texts (`${TfToken[TOKEN.3]}`, a value known only at apply, see lib/terraform-text.ts) are
 * inserted verbatim. Guards that accept them say so; the others refuse them like any other text.
 */
import * as ipaddr from 'ipaddr.js';
import { TOKEN_MARKER } from '../terraform-text';

/** A renderer's guard refused a value: `field` names the option (e.g. `jobs[0].name`), the message says why. */
export class RenderError extends Error {
  constructor(
    /** The option refused, as the renderer's options spell it (`stats.port`, `servers[1].address`). */
    public readonly field: string,
    message: string,
    /** What the value must be, without the field and the value (`must be a port ...`), when a guard refused it. */
    public readonly requirement?: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

/** A value as it appears in a message: strings as JSON (control characters visible), anything else as text. */
function shown(value: unknown): string {
  if (typeof value === 'string' || Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    return JSON.stringify(value);
  }
  return String(value);
}

/** Throws `'<field>' <requirement>, got <value>`. */
export function refuse(field: string, requirement: string, value: unknown): never {
  throw new RenderError(field, `'${field}' ${requirement}, got ${shown(value)}`, requirement);
}

/** Throws `'<field>' <requirement>, got (redacted)`: for passwords and tokens, whose value must not reach a log. */
export function refuseSecret(field: string, requirement: string): never {
  throw new RenderError(field, `'${field}' ${requirement}, got (redacted)`, requirement);
}

/** True when `value` holds a Terraform token text (its value is known only at apply). */
export function hasTokenText(value: string): boolean {
  return value.replace(TOKEN_MARKER, '') !== value;
}

/** `value` with its Terraform token texts removed: what a guard can judge at synth. */
function withoutTokenTexts(value: string): string {
  return value.replace(TOKEN_MARKER, '');
}

// ---- shell -------------------------------------------------------------------------------------------------------

/**
 * Any text as one single-quoted bash word, ESCAPING what it holds: a `'` is written `'\''` (close, an escaped
 * quote, reopen). For values known at synth (paths, names, JSON), which reach the script exactly as given.
 *
 * Not for Terraform token texts: their value replaces the token text at apply, after this escaping, so a quote in
 * it would still break the word. Use `shellWord` for those.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A value as one single-quoted bash word, REFUSING what would need escaping (empty, `'`, `\`, line breaks) instead of
 * escaping it. For values that may be Terraform token texts (a reserved IP, another droplet's DNS name): the
 * token text passes, and nothing is escaped that Terraform could not keep escaped.
 */
export function shellWord(field: string, value: string): string {
  if (value === '' || /['\n\r\\]/.test(value)) {
    refuse(field, 'must be non-empty without single quotes, backslashes or line breaks', value);
  }
  return `'${value}'`;
}

// ---- words and names ---------------------------------------------------------------------------------------------

/** Characters no word may hold: they end or quote a word, or start a comment, in every syntax we render. */
const WORD_BREAKERS = /[\s'"#\\]/;

/**
 * One word of a configuration file or script: non-empty, without whitespace, quotes, `#` or `\`, nor any of
 * `alsoRefused` (the file's own special characters, e.g. `'{}!'` in keepalived.conf). Terraform token texts pass
 * (they are judged without them).
 */
export function word(field: string, value: string, alsoRefused = ''): string {
  const judged = withoutTokenTexts(value);
  const extra = [...alsoRefused];
  if (value === '' || WORD_BREAKERS.test(judged) || extra.some((c) => judged.includes(c))) {
    const refused = ['whitespace', 'quotes', "'#'", "'\\'", ...extra.map((c) => `'${c}'`)];
    refuse(field, `must be one word without ${refused.slice(0, -1).join(', ')} or ${refused[refused.length - 1]}`, value);
  }
  return value;
}

/** A DNS name (letters, digits, `-` and `.`), or a Terraform token text (with or without such text around it). */
export function dnsName(field: string, value: string): string {
  if (value === '' || !/^[A-Za-z0-9.-]*$/.test(withoutTokenTexts(value))) {
    refuse(field, "must be a DNS name (letters, digits, '-' and '.')", value);
  }
  return value;
}

/**
 * An e-mail address: no whitespace, quotes, backquote, `$` or `\` before the `@` (it is placed in scripts and
 * records), a domain of letters, digits and `-` with at least one dot after it.
 */
export const EMAIL = /^[^@\s'"`$\\]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/** An e-mail address (`EMAIL`), or a Terraform token text. */
export function email(field: string, value: string): string {
  if (!hasTokenText(value) && !EMAIL.test(value)) {
    refuse(field, 'must be an e-mail address such as ops@foobar.com', value);
  }
  return value;
}

/** A systemd unit name with its type, e.g. `haproxy.service` or `network-online.target`. */
export function unitName(field: string, value: string): string {
  if (!/^[A-Za-z0-9@._-]+\.(service|target|socket|timer)$/.test(value)) {
    refuse(field, "must be a systemd unit name ending in '.service', '.target', '.socket' or '.timer'", value);
  }
  return value;
}

// ---- numbers -----------------------------------------------------------------------------------------------------

/** An integer from `min` to `max` (both included). */
export function integer(field: string, value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    refuse(field, max === Number.MAX_SAFE_INTEGER ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A TCP or UDP port: an integer from 1 to 65535. */
export function port(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > 65_535) {
    refuse(field, 'must be a port (an integer from 1 to 65535)', value);
  }
  return value;
}

/** A whole percentage from 1 to 100. */
export function percentage(field: string, value: number): number {
  return integer(field, value, 1, 100);
}

/** Bounds of `number`: `min`/`max` included, `above`/`below` excluded. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
}

/** A finite number within `bounds` (fractions allowed). */
export function number(field: string, value: number, bounds: NumberBounds): number {
  const { min, max, above, below } = bounds;
  const ok =
    Number.isFinite(value) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max) &&
    (above === undefined || value > above) &&
    (below === undefined || value < below);
  if (!ok) {
    const lower = min !== undefined ? `of at least ${min}` : above !== undefined ? `above ${above}` : undefined;
    const upper = max !== undefined ? `of at most ${max}` : below !== undefined ? `below ${below}` : undefined;
    const range = min !== undefined && max !== undefined ? `from ${min} to ${max}` : [lower, upper].filter((p) => p !== undefined).join(' and ');
    refuse(field, `must be a number ${range}`, value);
  }
  return value;
}

/** A finite number above 0 (fractions allowed). */
export function positive(field: string, value: number): number {
  return number(field, value, { above: 0 });
}

// ---- paths -------------------------------------------------------------------------------------------------------

/**
 * An absolute path of letters, digits, `.`, `_`, `-` between single `/`s (a directory may end in `/`): no spaces,
 * quotes or shell characters, no `.` or `..` component, so it can be placed unquoted in unit and config files.
 */
export function absPath(field: string, value: string): string {
  if (!/^(\/[A-Za-z0-9._-]+)+\/?$/.test(value) || value.split('/').some((part) => part === '.' || part === '..')) {
    refuse(field, "must be an absolute path of letters, digits, '.', '_' and '-' between single '/' (no '.' or '..' component)", value);
  }
  return value;
}

/** An absolute URL path: `/` then letters, digits and `.`, `_`, `~`, `/`, `-` (no query, no escapes). */
export function urlPath(field: string, value: string): string {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(value)) {
    refuse(field, "must be an absolute URL path of letters, digits and '.', '_', '~', '/', '-'", value);
  }
  return value;
}

// ---- addresses ---------------------------------------------------------------------------------------------------

/** An IPv4 or IPv6 address, or a network in CIDR notation. */
export function cidr(field: string, value: string): string {
  if (!ipaddr.isValidCIDR(value) && !ipaddr.isValid(value)) {
    refuse(field, 'must be an IP address or CIDR block', value);
  }
  return value;
}

/** A concrete IPv4 network in CIDR notation (dotted quad, e.g. `10.20.0.0/16`), parsed. */
export function ipv4Cidr(field: string, value: string): [ipaddr.IPv4, number] {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value) || !ipaddr.IPv4.isValidCIDR(value)) {
    refuse(field, 'must be an IPv4 CIDR block such as 10.20.0.0/16', value);
  }
  return ipaddr.IPv4.parseCIDR(value);
}

// ---- HTTP --------------------------------------------------------------------------------------------------------

/**
 * An HTTP header value placed inside double quotes in a config file (HAProxy, nginx): printable, non-empty; `"`,
 * `\`, `$` (HAProxy's environment expansion, nginx's variables) and control characters refused. Returned as it is:
 * a file with more special characters escapes them itself (HAProxy doubles `%`).
 */
export function headerValue(field: string, value: string): string {
  if (value.trim() === '' || /["\\$\x00-\x1f\x7f]/.test(value)) {
    refuse(field, "must be non-empty printable text without '\"', '\\' or '$'", value);
  }
  return value;
}
