import { HaproxyTlsProfile } from '../lib/render/haproxy';
import type { Secret } from '../lib/secrets';

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
  readonly dnsToken?: Secret;
  /** @default TlsProfile.intermediate() */
  readonly profile?: TlsProfile;
  /**
   * Strict-Transport-Security max-age, seconds, 0 to 63072000. 0 tells browsers to forget the policy (RFC 6797), the
   * way back out of HTTPS-only.
   * @default 63072000 (two years)
   */
  readonly hstsMaxAgeSeconds?: number;
  /** Content-Security-Policy on every response. @default - DEFAULT_CONTENT_SECURITY_POLICY: seed 000's sources, A+ in Mozilla's HTTP Observatory */
  readonly contentSecurityPolicy?: string;
  /** Let's Encrypt's staging CA (untrusted certificates, for trials). @default false */
  readonly staging?: boolean;
}
