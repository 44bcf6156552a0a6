import { Domain } from '@cdktf/provider-digitalocean/lib/domain';
import { Record as DnsRecord } from '@cdktf/provider-digitalocean/lib/record';
import { Construct } from 'constructs';
import { propError } from '../lib/errors';
import { checkDomain, checkInteger, isToken } from '../lib/validate';

export interface DnsProps {
  /** The zone, e.g. 'foobar.com'. */
  readonly domain: string;
  /**
   * IPv4 address the records point to: the stage's entry point (a reference is fine).
   * @default - no records yet: call `pointTo()` once the entry point exists
   */
  readonly targetIpv4?: string;
  /**
   * Record names to point at the target: '@' is the apex.
   * @default ['@', 'www']
   */
  readonly recordNames?: string[];
  /** TTL of the A records, in seconds (30..86400). @default 300 */
  readonly ttlSeconds?: number;
  /**
   * Create the domain in DigitalOcean DNS. Set false when the zone already exists in your account (it is then
   * referenced by name and left alone on destroy).
   * @default true
   */
  readonly createDomain?: boolean;
}

const RECORD_NAME = /^(@|\*|(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*)$/i;

/** DigitalOcean DNS: the zone and A records (apex and www by default) pointing at the entry point. */
export class Dns extends Construct {
  public readonly domainName: string;
  public readonly records: DnsRecord[] = [];
  public readonly resource?: Domain;
  public readonly recordNames: string[];
  /** The zone's name as given (a literal when the prop was one). */
  public readonly zone: string;
  private readonly ttl: number;
  private pointed = false;

  constructor(scope: Construct, id: string, props: DnsProps) {
    super(scope, id);
    checkDomain(this, 'domain', props.domain);
    this.zone = props.domain;
    this.ttl = checkInteger(this, 'ttlSeconds', props.ttlSeconds ?? 300, 30, 86400);
    this.recordNames = props.recordNames ?? ['@', 'www'];
    if (!isToken(this.recordNames)) {
      if (this.recordNames.length === 0) {
        throw propError(this, 'recordNames', 'must name at least one record', this.recordNames, "Pass e.g. ['@', 'www'].");
      }
      for (const name of this.recordNames) {
        if (!RECORD_NAME.test(name)) {
          throw propError(this, 'recordNames', 'contains an invalid record name', name, "Use '@' for the apex or a relative name such as 'www'.");
        }
      }
      if (new Set(this.recordNames).size !== this.recordNames.length) {
        throw propError(this, 'recordNames', 'contains duplicates', this.recordNames, 'List each record once.');
      }
    }
    if (props.createDomain ?? true) {
      this.resource = new Domain(this, 'Resource', { name: props.domain });
      this.domainName = this.resource.name;
    } else {
      this.domainName = props.domain;
    }
    if (props.targetIpv4 !== undefined) {
      this.pointTo(props.targetIpv4);
    }
    this.node.addValidation({
      validate: () => (this.pointed ? [] : [`${this.node.path}: Dns has no target: pass 'targetIpv4' or call pointTo(ipv4).`]),
    });
  }

  /** Points the record names (apex and www by default) at `ipv4`. Once. */
  public pointTo(ipv4: string): void {
    if (this.pointed) {
      throw propError(this, 'targetIpv4', 'is already set', ipv4, 'Call pointTo() once, or drop targetIpv4 from the props.');
    }
    this.pointed = true;
    for (const name of this.recordNames) {
      const logical = name === '@' ? 'Apex' : name === '*' ? 'Wildcard' : name.replace(/[^a-z0-9]/gi, '_');
      this.records.push(new DnsRecord(this, `A_${logical}`, { domain: this.domainName, type: 'A', name, value: ipv4, ttl: this.ttl }));
    }
  }

  /** Adds one A record `name` (relative to the zone) → `ipv4`, e.g. a droplet's VPC address under `internal`. */
  public addRecord(id: string, name: string, ipv4: string, ttlSeconds = this.ttl): DnsRecord {
    if (!isToken(name) && !RECORD_NAME.test(name)) {
      throw propError(this, 'name', 'is an invalid record name', name, "Use a relative name such as 'lb-0.internal'.");
    }
    const record = new DnsRecord(this, id, { domain: this.domainName, type: 'A', name, value: ipv4, ttl: ttlSeconds });
    this.records.push(record);
    return record;
  }

  /**
   * CAA records at the apex: which certificate authorities may issue for the zone (e.g. only Let's Encrypt),
   * from `renderCaaRecords()`.
   */
  public addCaaRecords(records: readonly { readonly tag: string; readonly digitaloceanValue: string }[]): void {
    records.forEach((r, i) => {
      this.records.push(
        new DnsRecord(this, `Caa${i}_${r.tag}`, { domain: this.domainName, type: 'CAA', name: '@', flags: 0, tag: r.tag, value: r.digitaloceanValue, ttl: 3600 }),
      );
    });
  }

  /** The fully qualified name of a relative record name. */
  public fqdn(name: string): string {
    return name === '@' ? this.zone : `${name}.${this.zone}`;
  }

  /** Fully qualified names the records answer for, e.g. ['foobar.com', 'www.foobar.com']. */
  public hostnames(domain: string): string[] {
    return this.recordNames.map((n) => (n === '@' ? domain : `${n}.${domain}`));
  }
}
