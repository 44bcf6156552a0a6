/**
 * Synth-time checks shared by the constructs and stages (the one module of validation helpers). Each throws a
 * TierformError naming the construct path, the prop as the user wrote it, the value received and the fix.
 *
 * Tokens (values unknown until apply: Terraform variables, references, `Fn` results) are never judged as if they
 * were literals. A helper either accepts a token, because the value only reaches a Terraform attribute, or refuses
 * it with a message saying why a literal is needed (counts, ports, names and anything written into a rendered
 * file): `checkInteger` refuses tokens unless `{ tokens: 'allow' }`, `checkLiteral` refuses them for strings and
 * lists. Stages validate their own props with these helpers before constructing, so a message names the stage's
 * prop (`webCount`) rather than the construct's (`count`).
 */
import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import * as ipaddr from 'ipaddr.js';
import { REGION_SLUGS, isKnownRegion } from './catalog/regions';
import { SIZE_SLUGS, SizeInfo, findSize } from './catalog/sizes';
import { Messages, TierformError, propError, scopeError } from './errors';
import { RenderError } from './render/guards';

export function isToken(value: unknown): boolean {
  return Token.isUnresolved(value);
}

/** How a helper treats a token: refuse it (the default, with `why` a literal is needed) or accept it unjudged. */
export interface TokenPolicy {
  /** 'refuse' (default): a literal is needed; 'allow': the value only reaches a Terraform attribute. */
  readonly tokens?: 'refuse' | 'allow';
  /** Why a literal is needed, for the message. @default Messages.renderedLiteral */
  readonly why?: string;
}

/** Throws when `value` is a token (or a list holding one): the library needs this prop as a literal. */
export function checkLiteral<T>(scope: IConstruct, prop: string, value: T, why: string = Messages.renderedLiteral): T {
  if (isToken(value)) {
    throw propError(scope, prop, 'must be known at synth', value, Messages.literalNeeded(why));
  }
  if (Array.isArray(value) && value.some((v) => isToken(v))) {
    const shown = value.map((v) => (isToken(v) ? '(token)' : v));
    throw propError(
      scope,
      prop,
      'must be known at synth, and an entry is a token (a Terraform variable or reference, known only at apply)',
      shown,
      Messages.literalNeeded(why),
    );
  }
  return value;
}

/**
 * The props object of a public construct or stage called from plain JavaScript (no type checker): throws naming the
 * first required prop that is missing, instead of a `Cannot read properties of undefined` deeper down. Returns the
 * props (an empty object when none were passed and none are required).
 */
export function requireProps<P>(scope: IConstruct, props: P | undefined, required: Readonly<Record<string, string>>, prefix = ''): P {
  const given = (props !== null && typeof props === 'object' ? props : {}) as Record<string, unknown>;
  for (const [prop, fix] of Object.entries(required)) {
    const value = given[prop];
    if (value === undefined || value === null) {
      throw propError(scope, `${prefix}${prop}`, 'is required', value, fix);
    }
  }
  return given as P;
}

export function checkInteger(
  scope: IConstruct,
  prop: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  policy: TokenPolicy = {},
): number {
  if (isToken(value)) {
    if (policy.tokens === 'allow') return value;
    checkLiteral(scope, prop, value, policy.why);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    const problem = max === Number.MAX_SAFE_INTEGER ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`;
    const fix = max === Number.MAX_SAFE_INTEGER ? Messages.countAtLeast(min) : Messages.integerRange(min, max);
    throw propError(scope, prop, problem, value, fix);
  }
  return value;
}

export function checkRegion(scope: IConstruct, prop: string, region: string): string {
  if (isToken(region)) return region;
  if (!isKnownRegion(region)) {
    throw propError(scope, prop, 'is not a DigitalOcean region that accepts new droplets', region, Messages.regionUnknown(REGION_SLUGS));
  }
  return region;
}

/** Returns the size's catalog entry, or undefined when the size is a token. */
export function checkSize(scope: IConstruct, prop: string, size: string): SizeInfo | undefined {
  if (isToken(size)) return undefined;
  const info = findSize(size);
  if (!info) {
    throw propError(scope, prop, 'is not a known droplet size slug', size, Messages.sizeUnknown(SIZE_SLUGS));
  }
  return info;
}

export function parseCidr(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  if (typeof cidr !== 'string' || !cidr.includes('/')) return undefined;
  // Pick the family first: ipaddr.parseCIDR tries IPv6, throws, then IPv4, and each throw captures a stack.
  const family = cidr.includes(':') ? ipaddr.IPv6 : ipaddr.IPv4;
  return family.isValidCIDR(cidr) ? family.parseCIDR(cidr) : undefined;
}

export function checkCidr(scope: IConstruct, prop: string, cidr: string): string {
  if (isToken(cidr)) return cidr;
  if (!parseCidr(cidr)) {
    throw propError(scope, prop, 'is not a valid CIDR block', cidr, Messages.cidrInvalid);
  }
  return cidr;
}

export function isAnywhere(cidr: string): boolean {
  const parsed = parseCidr(cidr);
  return parsed !== undefined && parsed[1] === 0;
}

const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i;
const KEY_ID = /^[0-9]+$/;

export function checkSshKeys(scope: IConstruct, prop: string, keys: readonly string[] | undefined): string[] {
  if (isToken(keys)) return keys as string[];
  if (!keys || keys.length === 0) {
    throw propError(scope, prop, 'must list at least one SSH key', keys ?? [], Messages.sshKeysMissing);
  }
  for (const key of keys) {
    if (!isToken(key) && !(FINGERPRINT.test(key) || KEY_ID.test(key))) {
      throw propError(scope, prop, 'contains something that is neither an SSH key fingerprint nor a key id', key, Messages.sshKeyFormat);
    }
  }
  return [...keys];
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function checkDomain(scope: IConstruct, prop: string, domain: string): string {
  if (isToken(domain)) return domain;
  const labels = typeof domain === 'string' ? domain.split('.') : [];
  const ok =
    typeof domain === 'string' &&
    domain.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    /[a-z]/i.test(labels[labels.length - 1]);
  if (!ok) {
    throw propError(scope, prop, 'is not a fully qualified domain name', domain, Messages.domainInvalid);
  }
  return domain;
}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Names that become parts of hostnames and tags. */
export function checkName(scope: IConstruct, prop: string, name: string): string {
  if (isToken(name)) return name;
  if (typeof name !== 'string' || !NAME.test(name) || name.endsWith('-')) {
    throw propError(scope, prop, 'is not a valid name (max 40 characters)', name, Messages.nameInvalid);
  }
  return name;
}

/** An exception to a secure default must carry a reason. */
export function checkReason(scope: IConstruct, prop: string, exception: { readonly reason: string } | undefined): void {
  if (exception !== undefined && (typeof exception.reason !== 'string' || exception.reason.trim() === '')) {
    throw propError(scope, `${prop}.reason`, 'must explain the exception', exception.reason, Messages.reasonRequired);
  }
}

// ---- names ---------------------------------------------------------------------------------------------------------

/**
 * DigitalOcean tags: letters, digits, colons, dashes and underscores, at most 255 characters
 * (https://docs.digitalocean.com/reference/dots/reference/tags/tags-create/ "Tags may contain letters, numbers,
 * colons, dashes, and underscores. There is a limit of 255 characters per tag"). Droplet names follow hostname
 * rules (https://docs.digitalocean.com/reference/ansible/reference/modules/droplet/), which `checkName` enforces
 * for the role names droplet names are built from.
 */
const TAG = /^[A-Za-z0-9:_-]{1,255}$/;

export function checkTags(scope: IConstruct, prop: string, tags: readonly string[] | undefined): readonly string[] | undefined {
  if (tags === undefined || isToken(tags)) return tags;
  if (!Array.isArray(tags)) throw propError(scope, prop, 'must be a list of tags', tags, Messages.tagInvalid);
  for (const tag of tags) {
    if (!isToken(tag) && (typeof tag !== 'string' || !TAG.test(tag))) {
      throw propError(scope, prop, 'contains an invalid DigitalOcean tag', tag, Messages.tagInvalid);
    }
  }
  return tags;
}

/** A literal list of strings (no list token, no token element), for props tierform renders into files. */
export function checkLiteralList(scope: IConstruct, prop: string, value: readonly string[], why?: string): readonly string[] {
  checkLiteral(scope, prop, value, why);
  if (!Array.isArray(value)) throw propError(scope, prop, 'must be a list', value, 'Pass an array of strings.');
  for (const v of value) {
    if (typeof v !== 'string') throw propError(scope, prop, 'must hold strings only', v, 'Pass an array of strings.');
  }
  return value;
}

const SERVER_NAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/**
 * nginx `server_name`s: a host name (dot-separated labels of letters, digits and hyphens, at most 253 characters), a
 * leading wildcard `*.foobar.com` (at least two labels after it), or `_` (any host). Never empty: `server_name ;`
 * stops nginx. Regular expressions and trailing wildcards are not offered.
 */
export function checkServerNames(scope: IConstruct, prop: string, names: readonly string[]): readonly string[] {
  checkLiteralList(scope, prop, names, 'tierform writes the names into nginx.conf at synth.');
  if (names.length === 0) {
    throw propError(scope, prop, 'must list at least one server name', names, Messages.serverName);
  }
  for (const name of names) {
    if (name === '_') continue;
    const host = name.startsWith('*.') ? name.slice(2) : name;
    const labels = host.split('.');
    const ok =
      host.length > 0 && host.length <= 253 && labels.every((l) => SERVER_NAME_LABEL.test(l)) && (!name.startsWith('*.') || labels.length >= 2);
    if (!ok) throw propError(scope, prop, 'contains an invalid server name', name, Messages.serverName);
  }
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) {
    throw propError(scope, prop, 'lists a name twice', names, 'List each server name once (nginx warns about duplicates).');
  }
  return names;
}

// ---- addresses -----------------------------------------------------------------------------------------------------

/** Ranges that are not public internet addresses: what "covers the whole internet" may leave out. */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];

function interval(cidr: string): { v6: boolean; start: bigint; end: bigint } | undefined {
  const parsed =
    parseCidr(cidr) ?? (typeof cidr === 'string' && ipaddr.isValid(cidr) ? parseCidr(`${cidr}/${cidr.includes(':') ? 128 : 32}`) : undefined);
  if (!parsed) return undefined;
  const [address, prefix] = parsed;
  const bits = address.kind() === 'ipv6' ? 128 : 32;
  const value = address.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  const size = 1n << BigInt(bits - prefix);
  const start = (value / size) * size;
  return { v6: bits === 128, start, end: start + size - 1n };
}

function covers(ranges: { start: bigint; end: bigint }[], target: { start: bigint; end: bigint }): boolean {
  let next = target.start;
  for (const r of [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
    if (r.start > next) break;
    if (r.end >= next) next = r.end + 1n;
    if (next > target.end) return true;
  }
  return next > target.end;
}

/**
 * True when the literal CIDRs among `cidrs`, together, reach every public address: every public IPv4 address
 * (0.0.0.0/0 without the private, loopback, link-local, documentation and multicast ranges) or every global unicast
 * IPv6 address (2000::/3). Judged by coverage, not by one literal: `0.0.0.0/1` + `128.0.0.0/1` covers it too.
 */
export function coversInternet(cidrs: readonly string[]): boolean {
  const parsed = cidrs
    .filter((c) => !isToken(c))
    .map(interval)
    .filter((i): i is NonNullable<typeof i> => i !== undefined);
  const v4 = parsed.filter((p) => !p.v6);
  const v6 = parsed.filter((p) => p.v6);
  return (v4.length > 0 && covers([...v4, ...NON_PUBLIC_V4_INTERVALS], ALL_V4)) || (v6.length > 0 && covers(v6, GLOBAL_V6));
}

// Constants of coversInternet, parsed once (they were parsed on every call: every SSH rule and admin CIDR list).
const NON_PUBLIC_V4_INTERVALS = NON_PUBLIC_V4.map((c) => interval(c)!);
const ALL_V4 = { start: 0n, end: (1n << 32n) - 1n };
const GLOBAL_V6 = interval('2000::/3')!;

/**
 * Proxies trusted for X-Forwarded-For: literal CIDRs (tierform writes them into nginx.conf), each IPv4 entry /8 or
 * narrower and IPv6 /32 or narrower, and not covering the internet together. A wider range would let clients forge
 * their address and escape per-client rate limiting.
 */
export function checkTrustedProxies(scope: IConstruct, prop: string, cidrs: readonly string[]): readonly string[] {
  checkLiteralList(scope, prop, cidrs, 'tierform writes the trusted networks into nginx.conf at synth.');
  for (const cidr of cidrs) {
    checkCidr(scope, prop, cidr);
    const [address, prefix] = parseCidr(cidr)!;
    if (prefix < (address.kind() === 'ipv6' ? 32 : 8)) {
      throw propError(scope, prop, 'trusts a network too wide to be your proxies', cidr, Messages.trustedProxy);
    }
  }
  if (coversInternet(cidrs)) {
    throw propError(scope, prop, 'trusts networks that together cover the whole internet', cidrs, Messages.trustedProxy);
  }
  return cidrs;
}

/** A literal IPv4 address (an A record's target); a token passes (a droplet's or reserved IP's address). */
export function checkIpv4(scope: IConstruct, prop: string, value: string): string {
  if (isToken(value)) return value;
  if (typeof value !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(value)) {
    const v6 = typeof value === 'string' && ipaddr.IPv6.isValid(value);
    throw propError(scope, prop, v6 ? 'is an IPv6 address, and A records hold IPv4 addresses' : 'is not an IPv4 address', value, Messages.ipv4Target);
  }
  return value;
}

/** A VPC range DigitalOcean accepts: private IPv4, /16 to /24, clear of the ranges DigitalOcean reserves. */
const VPC_RESERVED = ['10.244.0.0/16', '10.245.0.0/16', '10.246.0.0/24', '10.229.0.0/16'].map((c) => ipaddr.IPv4.parseCIDR(c));
const VPC_PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => ipaddr.IPv4.parseCIDR(c));

export function ipv4RangesOverlap(a: [ipaddr.IPv4, number], b: [ipaddr.IPv4, number]): boolean {
  return a[0].match(b[0], Math.min(a[1], b[1]));
}

export function checkVpcRange(scope: IConstruct, prop: string, range: string): string {
  if (isToken(range)) return range;
  const parsed = parseCidr(range);
  const v4 = parsed && parsed[0].kind() === 'ipv4' ? (parsed as [ipaddr.IPv4, number]) : undefined;
  const ok =
    v4 !== undefined &&
    v4[1] >= 16 &&
    v4[1] <= 24 &&
    VPC_PRIVATE.some((p) => v4[0].match(p) && v4[1] >= p[1]) &&
    !VPC_RESERVED.some((r) => ipv4RangesOverlap(v4, r));
  if (!ok) {
    throw propError(scope, prop, 'is not a usable DigitalOcean VPC range', range, Messages.vpcRange);
  }
  return range;
}

// ---- text rendered into files --------------------------------------------------------------------------------------

/**
 * Runs a renderer guard (lib/render/guards.ts) at construction, so the construct refuses exactly what the renderer
 * would, but under the user's prop name, with the construct path and the fix. Tokens are refused (`why`).
 */
export function checkWithGuard<T>(
  scope: IConstruct,
  prop: string,
  value: T,
  guard: (field: string, value: T) => unknown,
  fix: string,
  why?: string,
): T {
  checkLiteral(scope, prop, value, why);
  try {
    guard(prop, value);
  } catch (e) {
    if (e instanceof RenderError) {
      throw propError(scope, prop, e.requirement ?? 'is refused by the renderer', value, fix);
    }
    if (e instanceof TypeError) {
      throw propError(scope, prop, `has the wrong type (${typeof value})`, value, fix);
    }
    throw e;
  }
  return value;
}

/** An absolute URL path a health check requests: `/` then letters, digits and `.`, `_`, `~`, `/`, `-`. */
export function checkHttpPath(scope: IConstruct, prop: string, value: string): string {
  checkLiteral(scope, prop, value, 'tierform writes the path into the load balancer\u2019s configuration at synth.');
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~/-]*$/.test(value) || value.length > 1024) {
    throw propError(scope, prop, 'is not an absolute URL path', value, Messages.httpPath);
  }
  return value;
}

const MYSQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];
const RESERVED_ACCOUNTS = ['root', 'mysql', 'exporter', 'replicator', 'replicator2', 'mariadb', 'mysql_sys', 'mariadb_sys'];

/**
 * A MySQL database or account name tierform creates: a literal identifier (letters, digits, `_`, not starting with a
 * digit, at most `max` characters), never one of the server's own schemas or accounts (case-insensitive: the
 * app account would get privileges on the grant tables, and from there on everything).
 */
export function checkMysqlIdentifier(scope: IConstruct, prop: string, value: string, kind: 'database' | 'account', max: number): string {
  checkLiteral(scope, prop, value, 'tierform writes it into the database setup script at synth.');
  if (typeof value !== 'string' || !MYSQL_IDENTIFIER.test(value) || value.length > max) {
    throw propError(scope, prop, `is not a MySQL identifier (letters, digits, _; at most ${max} characters)`, value, "Pass e.g. 'app'.");
  }
  const reserved = kind === 'database' ? RESERVED_SCHEMAS : RESERVED_ACCOUNTS;
  if (reserved.includes(value.toLowerCase())) {
    throw propError(
      scope,
      prop,
      `names one of the server's own ${kind === 'database' ? 'schemas' : 'accounts'}`,
      value,
      kind === 'database' ? Messages.reservedDatabase : Messages.reservedUser,
    );
  }
  return value;
}

/** A port that no daemon tierform runs on the same droplet already listens on (`used`: port → what uses it). */
export function checkPortFree(scope: IConstruct, prop: string, port: number, used: Readonly<Record<number, string>>): number {
  if (isToken(port)) return port;
  const user = used[port];
  if (user !== undefined) {
    throw propError(scope, prop, 'collides with a port tierform uses', port, Messages.portReserved(user));
  }
  return port;
}

/** For messages that name two constructs. */
export function constructError(scope: IConstruct, message: string): TierformError {
  return scopeError(scope, message);
}
