import { Construct } from 'constructs';
import { propError } from '../lib/errors';
import { HaproxyTlsOptions, HaproxyTlsProfile } from '../lib/render/haproxy';
import { TLS_PEM_PATH, TlsRoleOptions } from '../lib/roles/tls';
import { checkSecret, digitalOceanTokenVariable } from '../lib/secrets';
import { checkDomain, checkInteger, isToken } from '../lib/validate';

/** Which TLS versions and ciphers the load balancer offers. */
export class TlsProfile {
  /** Mozilla intermediate: TLS 1.2 and 1.3, ECDHE with AEAD ciphers only. Every current client. */
  public static intermediate(): TlsProfile {
    return new TlsProfile('intermediate');
  }

  /** Mozilla modern: TLS 1.3 only (seed 000). Drops clients older than about 2018. */
  public static modern(): TlsProfile {
    return new TlsProfile('modern');
  }

  private constructor(public readonly name: HaproxyTlsProfile) {}
}

/** HTTPS at the load balancer: a Let's Encrypt certificate by DNS-01, HTTP answering 301 to HTTPS. */
export interface HttpsProps {
  /** Apex domain; the certificate covers it and `*.domain`. */
  readonly domain: string;
  /** Let's Encrypt account e-mail (expiry notices). */
  readonly email: string;
  /**
   * DigitalOcean API token with write access to DNS (for the `_acme-challenge` TXT records): a sensitive
   * variable's value. Literals are refused.
   * @default - a new sensitive variable `<path>_DnsToken`
   */
  readonly dnsToken?: string;
  /** @default TlsProfile.intermediate() */
  readonly profile?: TlsProfile;
  /** Strict-Transport-Security max-age, seconds. @default 63072000 (two years) */
  readonly hstsMaxAgeSeconds?: number;
  /** Content-Security-Policy on every response. @default - DEFAULT_CONTENT_SECURITY_POLICY: seed 000's sources, A+ in Mozilla's HTTP Observatory */
  readonly contentSecurityPolicy?: string;
  /** Let's Encrypt's staging CA (untrusted certificates, for trials). @default false */
  readonly staging?: boolean;
}

const EMAIL = /^[^@\s'"`$\\]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/** Checks the props and returns what the HAProxy renderer and the TLS role take. */
export function resolveHttps(scope: Construct, https: HttpsProps): { haproxy: HaproxyTlsOptions; role: TlsRoleOptions } {
  checkDomain(scope, 'https.domain', https.domain);
  if (!isToken(https.email) && !EMAIL.test(https.email)) {
    throw propError(scope, 'https.email', 'is not an e-mail address', https.email, "Pass the Let's Encrypt account address, e.g. 'ops@foobar.com'.");
  }
  checkSecret(scope, 'https.dnsToken', https.dnsToken);
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
      dnsToken: https.dnsToken ?? digitalOceanTokenVariable(scope, 'DnsToken', "DigitalOcean API token with DNS write access, for Let's Encrypt DNS-01 challenges").stringValue,
      staging: https.staging ?? false,
    },
  };
}
