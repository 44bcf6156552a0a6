/** Internal (not exported by index.ts): checks `HttpsProps` and turns them into renderer and role options. */
import { Construct } from 'constructs';
import { propError } from '../lib/errors';
import { EMAIL } from '../lib/render/guards';
import { HaproxyTlsOptions } from '../lib/render/haproxy';
import { TLS_PEM_PATH, TlsRoleOptions } from '../lib/fragments/tls';
import { digitalOceanTokenSecret, secretToken } from '../lib/secrets';
import { checkDomain, checkInteger, isToken } from '../lib/validate';
import { HttpsProps, TlsProfile } from './https';


/** Checks the props and returns what the HAProxy renderer and the TLS role take. */
export function resolveHttps(scope: Construct, https: HttpsProps): { haproxy: HaproxyTlsOptions; role: TlsRoleOptions } {
  checkDomain(scope, 'https.domain', https.domain);
  if (!isToken(https.email) && !EMAIL.test(https.email)) {
    throw propError(scope, 'https.email', 'is not an e-mail address', https.email, "Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.");
  }
  const dnsToken = secretToken(scope, 'https.dnsToken', https.dnsToken);
  const hsts = checkInteger(scope, 'https.hstsMaxAgeSeconds', https.hstsMaxAgeSeconds ?? 63072000, 0, 63072000);
  if (https.contentSecurityPolicy !== undefined && !isToken(https.contentSecurityPolicy) && /["\n]/.test(https.contentSecurityPolicy)) {
    throw propError(scope, 'https.contentSecurityPolicy', 'contains a double quote or newline', https.contentSecurityPolicy, 'Write the policy on one line without double quotes.');
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
      dnsToken: dnsToken ?? digitalOceanTokenSecret(scope, 'DnsToken', "DigitalOcean API token with DNS write access, for Let's Encrypt DNS-01 challenges").token,
      staging: https.staging ?? false,
    },
  };
}
