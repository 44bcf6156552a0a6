/**
 * How Mozilla's HTTP Observatory (`@mdn/mdn-http-observatory` 1.4, `src/analyzer/tests/csp.js`) rates one
 * Content-Security-Policy header sent over HTTPS, so the rule pack can warn at synth when a policy would cost
 * points. This is the decision only, for one policy; `__tests__/lib/checks/csp.test.ts` runs Mozilla's own
 * engine on a corpus of policies and requires the same verdict for every one. The site's grade itself is only
 * ever taken from Mozilla's engine (the lab's stage 2/3 tests).
 */

export type CspExpectation =
  | 'csp-implemented-with-no-unsafe-default-src-none'
  | 'csp-implemented-with-no-unsafe'
  | 'csp-implemented-with-unsafe-inline-in-style-src-only'
  | 'csp-implemented-with-insecure-scheme-in-passive-content-only'
  | 'csp-implemented-with-unsafe-eval'
  | 'csp-implemented-with-unsafe-inline'
  | 'csp-implemented-with-insecure-scheme'
  | 'csp-implemented-but-duplicate-directives'
  | 'csp-header-invalid'
  | 'csp-not-implemented';

/** The score modifier Mozilla's grader gives each result (`src/grader/charts.js` SCORE_TABLE). */
export const CSP_MODIFIERS: Readonly<Record<CspExpectation, number>> = {
  'csp-implemented-with-no-unsafe-default-src-none': 10,
  'csp-implemented-with-no-unsafe': 5,
  'csp-implemented-with-unsafe-inline-in-style-src-only': 0,
  'csp-implemented-with-insecure-scheme-in-passive-content-only': -10,
  'csp-implemented-with-unsafe-eval': -10,
  'csp-implemented-with-unsafe-inline': -20,
  'csp-implemented-with-insecure-scheme': -20,
  'csp-implemented-but-duplicate-directives': 0,
  'csp-header-invalid': -25,
  'csp-not-implemented': -25,
};

const DANGEROUSLY_BROAD = new Set(['ftp:', 'http:', 'https:', '*', 'http://*', 'http://*.*', 'https://*', 'https://*.*']);
const UNSAFE_INLINE = new Set(["'unsafe-inline'", 'data:']);
const BROAD_OR_INLINE = new Set([...DANGEROUSLY_BROAD, ...UNSAFE_INLINE]);
const PASSIVE = new Set(['img-src', 'media-src']);
const NONCES_HASHES = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"];
const ALLOWED_DUPLICATES = new Set(['report-uri', 'report-to']);
const SHORTEST_POLICY = 'img-src'.length - 1;

class InvalidPolicy extends Error {}

/** Mozilla's `parseCsp` for one policy: directive → sources (lower case); `'none'` for an empty source list. */
function parse(policy: string): { csp: Map<string, Set<string>>; duplicates: boolean } {
  const clean = policy.replace(/[\r\n]/g, '').trim();
  if (!clean || clean.length < SHORTEST_POLICY) throw new InvalidPolicy(policy);
  const csp = new Map<string, Set<string>>();
  let duplicates = false;
  const collator = new Intl.Collator('en').compare;
  for (const [name, ...values] of clean.split(';').map((e) => e.trim().split(/\s+/))) {
    if (!name) continue;
    const directive = name.toLowerCase();
    if (csp.has(directive)) {
      if (ALLOWED_DUPLICATES.has(directive)) {
        duplicates = true;
        continue;
      }
      throw new InvalidPolicy(`duplicate ${directive}`);
    }
    let sources = values.map((v) => v.trim().toLocaleLowerCase());
    if (sources.length === 0 && directive.endsWith('-src')) sources = ["'none'"];
    // A longer source starting with a shorter one of the same policy is superfluous (sorted order).
    const sorted = [...sources].sort(collator);
    const kept = sorted.filter((s, i) => i === 0 || !s.startsWith(sorted[i - 1]));
    csp.set(directive, new Set(kept.length > 0 ? kept : ["'none'"]));
  }
  return { csp, duplicates };
}

/** The Observatory's CSP result for `policy` sent over HTTPS (undefined: no CSP header). */
export function rateCsp(policy: string | undefined): { expectation: CspExpectation; modifier: number; pass: boolean } {
  const result = (expectation: CspExpectation, pass: boolean) => ({ expectation, modifier: CSP_MODIFIERS[expectation], pass });
  if (policy === undefined) return result('csp-not-implemented', false);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(policy);
  } catch (e) {
    if (e instanceof InvalidPolicy) return result('csp-header-invalid', false);
    throw e;
  }
  const { csp } = parsed;
  if (csp.size === 0) return result('csp-not-implemented', false);
  const get = (d: string) => csp.get(d);
  const objectSrc = new Set(get('object-src') ?? get('default-src') ?? ['*']);
  const scriptSrc = new Set(get('script-src') ?? get('default-src') ?? ['*']);
  const styleSrc = new Set(get('style-src') ?? get('default-src') ?? ['*']);
  let outcome: CspExpectation | undefined;
  const first = (e: CspExpectation) => {
    outcome ??= e;
  };
  for (const list of [scriptSrc, styleSrc]) {
    if ([...list].some((s) => NONCES_HASHES.some((n) => s.startsWith(n))) && list.has("'unsafe-inline'")) list.delete("'unsafe-inline'");
  }
  if ([...scriptSrc].some((s) => NONCES_HASHES.some((n) => s.startsWith(n))) && scriptSrc.has("'strict-dynamic'")) {
    for (const s of [...scriptSrc]) {
      if ([...DANGEROUSLY_BROAD].some((b) => s.startsWith(b)) || s === "'self'" || s === "'unsafe-inline'") scriptSrc.delete(s);
    }
  } else if (scriptSrc.has("'strict-dynamic'")) {
    first('csp-header-invalid');
  }
  const active = [...csp.entries()].filter(([d]) => !PASSIVE.has(d) && d !== 'script-src').flatMap(([, s]) => [...s]);
  active.push(...scriptSrc);
  const passive = [...PASSIVE].flatMap((d) => [...(get(d) ?? get('default-src') ?? [])]);
  if ([...scriptSrc].some((s) => BROAD_OR_INLINE.has(s)) || [...objectSrc].some((s) => DANGEROUSLY_BROAD.has(s)))
    first('csp-implemented-with-unsafe-inline');
  if (active.some((s) => s.startsWith('http:') || s.startsWith('ftp:'))) first('csp-implemented-with-insecure-scheme');
  if (scriptSrc.has("'unsafe-eval'") || styleSrc.has("'unsafe-eval'")) first('csp-implemented-with-unsafe-eval');
  if (passive.some((s) => s.startsWith('http:') || s.startsWith('ftp:'))) first('csp-implemented-with-insecure-scheme-in-passive-content-only');
  if ([...styleSrc].some((s) => BROAD_OR_INLINE.has(s))) first('csp-implemented-with-unsafe-inline-in-style-src-only');
  const defaultSrc = get('default-src');
  if (defaultSrc?.has("'none'") && defaultSrc.size === 1) first('csp-implemented-with-no-unsafe-default-src-none');
  else first('csp-implemented-with-no-unsafe');
  const expectation = outcome!;
  const pass = [
    'csp-implemented-with-no-unsafe',
    'csp-implemented-with-no-unsafe-default-src-none',
    'csp-implemented-with-unsafe-inline-in-style-src-only',
    'csp-implemented-with-insecure-scheme-in-passive-content-only',
  ].includes(expectation);
  if (pass && parsed.duplicates) return result('csp-implemented-but-duplicate-directives', true);
  return result(expectation, pass);
}
