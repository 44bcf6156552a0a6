import rule from '../../../../lib/checks/rules/CspKeepsObservatoryAPlus';
import { COMPLIANT, NOT_APPLICABLE, cloudConfig, droplet, nonCompliant, outcome, view } from '../fixtures';
import { HEADERS, haproxyCfg } from './_tls';

const withCsp = (csp: string | undefined) =>
  view({
    digitalocean_droplet: {
      d: droplet({
        user_data: cloudConfig({
          write_files: [
            {
              path: '/etc/haproxy/haproxy.cfg',
              content: haproxyCfg({
                tls: true,
                headers: [
                  ...HEADERS.filter((h) => !/Content-Security-Policy/.test(h)),
                  ...(csp ? [`    http-after-response set-header Content-Security-Policy "${csp}"`] : []),
                ],
              }),
            },
          ],
        }),
      }),
    },
  });

describe('PR-HDR2 CspKeepsObservatoryAPlus', () => {
  test("Noncompliance 1: seed 000's policy (data: in default-src reaches script-src)", () => {
    expect(outcome(rule, withCsp("default-src 'self' data:; img-src 'self' data: blob:; font-src 'self' data:;"), 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/csp-implemented-with-unsafe-inline \(-20\)/),
    );
  });

  test("Noncompliance 2: 'unsafe-eval' in script-src", () => {
    expect(outcome(rule, withCsp("default-src 'self'; script-src 'self' 'unsafe-eval'"), 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/unsafe-eval \(-10\)/),
    );
  });

  test('Noncompliance 3: an http: image source on an HTTPS site', () => {
    expect(outcome(rule, withCsp("default-src 'self'; img-src 'self' http://cdn.example"), 'digitalocean_droplet.d')).toEqual(
      nonCompliant(/insecure-scheme-in-passive-content-only \(-10\)/),
    );
  });

  test("Compliance: tierform's default; 'unsafe-inline' in style-src only (0 points)", () => {
    expect(
      outcome(
        rule,
        withCsp(
          "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        ),
        'digitalocean_droplet.d',
      ),
    ).toEqual(COMPLIANT);
    expect(outcome(rule, withCsp("default-src 'self'; style-src 'self' 'unsafe-inline'"), 'digitalocean_droplet.d')).toEqual(COMPLIANT);
  });

  test('Not applicable: no CSP set (PR-HDR1 reports it)', () => {
    expect(outcome(rule, withCsp(undefined), 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
