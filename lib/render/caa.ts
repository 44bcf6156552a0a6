/**
 * The CAA records (RFC 8659) that allow Let's Encrypt alone to issue certificates for a domain, wildcards
 * included, as plain data: the DNS construct turns them into its provider's records.
 *
 * Pure: plain values in, data out; no cdktf import, nothing provider-specific. (DigitalOcean's API wants an issuer
 * domain with a trailing dot, `letsencrypt.org.`: that belongs to the construct that writes the record.)
 */
import { dnsName, email } from './guards';

/** The CA the certbot renderer (lib/render/certbot.ts) obtains certificates from. */
export const LETS_ENCRYPT_CAA_DOMAIN = 'letsencrypt.org';

/** One CAA record, as RFC 8659 writes it. */
export interface CaaRecord {
  /** Record name relative to the zone: `@`, the apex (CAA applies to every name below it too). */
  readonly name: '@';
  readonly flags: 0;
  readonly tag: 'issue' | 'issuewild' | 'iodef';
  /** The property value, e.g. `letsencrypt.org` or `mailto:security@foobar.com`. */
  readonly value: string;
  /** Zone-file presentation of the record data, e.g. `0 issue "letsencrypt.org"`. */
  readonly text: string;
}

/** Options of `caaRecords`. */
export interface CaaOptions {
  /** The zone apex the records are for (checked only; the records are named `@`). May be a Terraform token text. */
  readonly domain: string;
  /**
   * Where CAs report refused requests (`iodef`), e.g. `security@foobar.com`. May be a Terraform token text.
   * @default - no iodef record
   */
  readonly iodefEmail?: string;
}

/** `issue` and `issuewild` for Let's Encrypt, and `iodef` when an address is given. */
export function caaRecords(o: CaaOptions): CaaRecord[] {
  dnsName('domain', o.domain);
  const records: CaaRecord[] = (['issue', 'issuewild'] as const).map((tag) => ({
    name: '@',
    flags: 0,
    tag,
    value: LETS_ENCRYPT_CAA_DOMAIN,
    text: `0 ${tag} "${LETS_ENCRYPT_CAA_DOMAIN}"`,
  }));
  if (o.iodefEmail !== undefined) {
    const url = `mailto:${email('iodefEmail', o.iodefEmail)}`;
    records.push({ name: '@', flags: 0, tag: 'iodef', value: url, text: `0 iodef "${url}"` });
  }
  return records;
}
