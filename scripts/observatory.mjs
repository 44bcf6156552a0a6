#!/usr/bin/env node
/**
 * Mozilla's HTTP Observatory (`@mdn/mdn-http-observatory`, the engine behind developer.mozilla.org/observatory),
 * run offline: no call to Mozilla's service, only to the host you name.
 *
 *   node scripts/observatory.mjs scan www.foobar.com     # Mozilla's scan(): http:// and https:// of the host,
 *                                                        # its redirects, robots.txt, a CORS preflight; prints
 *                                                        # {grade, score, tests: {name: {result, modifier, pass}}}
 *   echo '["default-src ..."]' | node scripts/observatory.mjs csp
 *                                                        # Mozilla's CSP test on each policy (sent over HTTPS)
 *
 * The scan trusts the CAs in NODE_EXTRA_CA_CERTS (the lab CA in the lab) on top of Node's; a certificate it cannot
 * verify costs the points Mozilla's grader takes for that. The tests run it inside the lab's client namespace,
 * where www.foobar.com is the lab's stage.
 *
 * Offline install: the package's postinstall downloads Chromium's HSTS preload list (and a CA bundle package
 * downloads intermediates); tierform's package.json denies those install scripts (`allowScripts`), so the first
 * run writes an empty preload list: a host on the real preload list would miss its +5 here, no lab host is on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve('@mdn/mdn-http-observatory/package.json'));
const preload = path.join(root, 'conf', 'hsts-preload.json');
if (!fs.existsSync(preload)) fs.writeFileSync(preload, '{}\n');

const url = (p) => new URL(`file://${path.join(root, p)}`).href;
const [mode, arg] = process.argv.slice(2);

if (mode === 'scan' && arg) {
  const { scan } = await import(url('src/scanner/index.js'));
  try {
    const result = await scan(arg);
    const tests = Object.fromEntries(
      Object.values(result.tests).map((t) => [
        t.constructor.name === 'Object' ? t.name : t.constructor.name,
        { result: t.result, modifier: t.scoreModifier, pass: t.pass },
      ]),
    );
    console.log(
      JSON.stringify({
        grade: result.scan.grade,
        score: result.scan.score,
        statusCode: result.scan.statusCode,
        tests,
        responseHeaders: result.scan.responseHeaders,
      }),
    );
  } catch (e) {
    console.log(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
    process.exit(1);
  }
} else if (mode === 'csp') {
  const { contentSecurityPolicyTest } = await import(url('src/analyzer/tests/csp.js'));
  const { Requests } = await import(url('src/types.js'));
  const { SCORE_TABLE } = await import(url('src/grader/charts.js'));
  const policies = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = policies.map((policy) => {
    const requests = new Requests('www.example.test');
    const headers = policy === null ? {} : { 'content-security-policy': policy };
    // axios headers: enumerable header names, plus get() (the test reads Report-Only through it).
    Object.defineProperty(headers, 'get', { enumerable: false, value: (name) => headers[name.toLowerCase()] ?? null });
    requests.responses.auto = { status: 200, headers, httpEquiv: new Map(), verified: true };
    requests.session = { url: new URL('https://www.example.test/') };
    const r = contentSecurityPolicyTest(requests);
    return { policy, result: r.result, pass: r.pass, modifier: SCORE_TABLE.get(r.result)?.modifier ?? 0 };
  });
  console.log(JSON.stringify(out));
} else {
  console.error('usage: observatory.mjs scan <host> | csp < policies.json');
  process.exit(2);
}
