/**
 * lib/checks/csp.ts must rate every policy as Mozilla's HTTP Observatory does: each policy of the corpus goes
 * through Mozilla's own CSP test (`@mdn/mdn-http-observatory`, via scripts/observatory.mjs) and through
 * rateCsp(), and the verdicts must be identical.
 */
import * as path from 'path';
import { rateCsp } from '../../../lib/checks';
import { DEFAULT_CONTENT_SECURITY_POLICY } from '../../../lib/render/haproxy';
import { run } from '../../helpers/tools';

const SEED_000 = "default-src 'self' data:; img-src 'self' data: blob:; font-src 'self' data:;";

const CORPUS: (string | null)[] = [
  null,
  SEED_000,
  DEFAULT_CONTENT_SECURITY_POLICY,
  "default-src 'none'",
  "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'",
  "default-src 'self'",
  "default-src 'self'; script-src 'self' 'unsafe-inline'",
  "default-src 'self'; script-src 'self' 'unsafe-eval'",
  "default-src 'self'; style-src 'self' 'unsafe-inline'",
  "default-src 'self'; style-src 'self' 'unsafe-eval'",
  "default-src 'self'; img-src http://cdn.example",
  "default-src 'self'; script-src http://cdn.example",
  "default-src 'self'; object-src *",
  "default-src 'self'; object-src https:",
  'default-src https:',
  'default-src *',
  "script-src 'self'",
  "img-src 'self'",
  "default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'",
  "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic' https: 'unsafe-inline'",
  "default-src 'self'; script-src 'self' 'strict-dynamic'",
  "default-src 'self'; script-src 'sha256-AbCd=' 'unsafe-inline'; style-src 'self'",
  "default-src 'self'; default-src 'none'",
  "default-src 'self'; report-uri /a; report-uri /b",
  "DEFAULT-SRC 'SELF'; SCRIPT-SRC 'SELF' 'UNSAFE-INLINE'",
  'x',
  "default-src 'self' data:",
  "default-src 'self'; script-src 'self' data:",
  "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'",
  "default-src 'self'; media-src ftp://files.example",
  "default-src 'self'; connect-src http://api.example",
  "default-src 'self'; style-src",
  "default-src 'none'; style-src 'unsafe-inline'",
  "upgrade-insecure-requests; default-src 'self'",
  "default-src 'self' https://cdn.example https://cdn.example/path",
];

describe("rateCsp agrees with Mozilla's HTTP Observatory", () => {
  const mozilla = JSON.parse(
    run(process.execPath, [path.join(__dirname, '..', '..', '..', 'scripts', 'observatory.mjs'), 'csp'], {
      input: JSON.stringify(CORPUS),
      timeout: 60_000,
    }).stdout,
  ) as { policy: string | null; result: string; pass: boolean; modifier: number }[];

  test('Mozilla rated the whole corpus', () => {
    expect(mozilla).toHaveLength(CORPUS.length);
    // Not vacuous: the corpus reaches most of the test's outcomes.
    expect(new Set(mozilla.map((m) => m.result)).size).toBeGreaterThanOrEqual(9);
  });

  test.each(CORPUS.map((p, i) => [i, p]))('policy %i: %s', (i, policy) => {
    const ours = rateCsp(policy ?? undefined);
    const theirs = mozilla[i as number];
    expect({ result: ours.expectation, pass: ours.pass, modifier: ours.modifier }).toEqual({
      result: theirs.result,
      pass: theirs.pass,
      modifier: theirs.modifier,
    });
  });

  test("seed 000's policy costs 20 points; tierform's default earns 5", () => {
    expect(rateCsp(SEED_000).modifier).toBe(-20);
    expect(rateCsp(DEFAULT_CONTENT_SECURITY_POLICY)).toEqual({ expectation: 'csp-implemented-with-no-unsafe', modifier: 5, pass: true });
  });
});
