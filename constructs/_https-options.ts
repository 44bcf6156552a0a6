/** Internal (not exported by index.ts): checks `HttpsProps` and turns them into renderer and role options. */
import { Construct } from 'constructs';
import { HaproxyTlsOptions } from '../lib/render/haproxy';
import { TLS_PEM_PATH, TlsRoleOptions } from '../lib/fragments/tls';
import { digitalOceanTokenSecret, secretToken } from '../lib/secrets';
import { checkDomain, checkInteger, checkLiteral, checkWithGuard, requireProps } from '../lib/validate';
import { email as emailGuard, headerValue, word } from '../lib/render/guards';
import { CERTBOT_SHELL_SPECIALS } from '../lib/render/certbot';
import { Messages } from '../lib/errors';
import { HttpsProps, TlsProfile } from './https';

/** Checks the props and returns what the HAProxy renderer and the TLS role take. */
export function resolveHttps(scope: Construct, https: HttpsProps): { haproxy: HaproxyTlsOptions; role: TlsRoleOptions } {
  https = requireProps(
    scope,
    https,
    {
      domain: "Pass the apex domain the certificate covers, e.g. 'foobar.com'.",
      email: "Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.",
    },
    'https.',
  );
  checkLiteral(scope, 'https.domain', https.domain, "tierform writes it into certbot's script at synth.");
  checkDomain(scope, 'https.domain', https.domain);
  const emailFix = "Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.";
  checkWithGuard(scope, 'https.email', https.email, emailGuard, emailFix, "tierform writes it into certbot's script at synth.");
  // certbot's script holds it as one shell word: what the certbot renderer refuses is refused here too.
  checkWithGuard(scope, 'https.email', https.email, (field, value) => word(field, value, CERTBOT_SHELL_SPECIALS), emailFix);
  const dnsToken = secretToken(scope, 'https.dnsToken', https.dnsToken);
  const hsts = checkInteger(scope, 'https.hstsMaxAgeSeconds', https.hstsMaxAgeSeconds ?? 63072000, 0, 63072000);
  if (https.contentSecurityPolicy !== undefined) {
    checkWithGuard(
      scope,
      'https.contentSecurityPolicy',
      https.contentSecurityPolicy,
      headerValue,
      Messages.headerText,
      'tierform writes it into haproxy.cfg at synth.',
    );
  }
  return {
    haproxy: {
      certificatePath: TLS_PEM_PATH,
      profile: (https.profile ?? TlsProfile.intermediate()).name,
      hstsMaxAgeSeconds: hsts,
      contentSecurityPolicy: https.contentSecurityPolicy,
    },
    role: {
      domain: https.domain,
      email: https.email,
      dnsToken:
        dnsToken ??
        digitalOceanTokenSecret(scope, 'DnsToken', "DigitalOcean API token with DNS write access, for Let's Encrypt DNS-01 challenges").token,
      staging: https.staging ?? false,
    },
  };
}
