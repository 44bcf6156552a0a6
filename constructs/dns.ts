import { Domain } from '@cdktf/provider-digitalocean/lib/domain';
import { Record as DnsRecord } from '@cdktf/provider-digitalocean/lib/record';
import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { propError, scopeError } from '../lib/errors';
import { caaRecords } from '../lib/render/caa';
import { checkDomain, checkInteger, checkIpv4, isToken, requireProps } from '../lib/validate';
import { attributeReference } from '../lib/reference';

export interface DnsProps {
  /** The zone, e.g. 'foobar.com'. */
  readonly domain: string;
  /**
   * IPv4 address the records point to: the stage's entry point (a reference is fine).
   * @default - no records yet: call `pointTo(entryPoint)` once the entry point exists
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
   * Subdomain under which droplets' VPC addresses get names (`<role>.<internalSubdomain>.<domain>`), so that
   * load balancers, web servers, apps and Prometheus find their peers at run time instead of through addresses
   * written into user_data (which would replace them whenever a tier is scaled).
   * @default 'internal'
   */
  readonly internalSubdomain?: string;
  /**
   * TTL of the internal records, seconds: the longest a peer keeps using an address after a change.
   * @default 30 (DigitalOcean's minimum)
   */
  readonly internalTtlSeconds?: number;
}

/** Something the public reaches the site at: a load balancer's public IP, a pair's reserved IP, a single server. */
export interface IEntryPoint {
  /** The IPv4 address clients connect to (a reference). */
  readonly entryIpv4: string;
}

/** Internal: how `Dns.fromZoneName` marks a zone this stack must not create. */
interface DnsConstruction extends DnsProps {
  readonly existingZone?: boolean;
}

const RECORD_NAME_PART = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i;
const RECORD_NAME = /^(@|\*|(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*)$/i;

/** Every Dns construct of a stack, in creation order (looked up by every role: kept instead of walking the tree). */
const ZONES = new WeakMap<TerraformStack, Dns[]>();

/** DigitalOcean DNS: the zone and A records (apex and www by default) pointing at the entry point. */
export class Dns extends Construct {
  public readonly domainName: string;
  public readonly records: DnsRecord[] = [];
  public readonly resource?: Domain;
  public readonly recordNames: string[];
  /** The zone's name as given (a literal when the prop was one). */
  public readonly zone: string;
  /** Subdomain of the internal names, e.g. 'internal'. */
  public readonly internalSubdomain: string;
  private readonly ttl: number;
  private readonly internalTtl: number;
  private pointed = false;
  private internalRecords = 0;
  /** Internal names published so far: relative record name → who publishes it (path and what the name is). */
  private readonly internalNameOwners = new Map<string, { readonly path: string; readonly what: string }>();

  /**
   * A zone that already exists in your DigitalOcean account: records are added to it, the zone itself is referenced by
   * name and left alone on destroy.
   */
  public static fromZoneName(scope: Construct, id: string, domain: string, props: Omit<DnsProps, 'domain'> = {}): Dns {
    const construction: DnsConstruction = { ...props, domain, existingZone: true };
    return new Dns(scope, id, construction);
  }

  /**
   * The zone in which the droplets of `scope`'s stack get their internal names: `explicit` when given, else the one
   * Dns construct of the stack. Throws, naming `scope` and `prop`, when there is none or more than one.
   */
  public static forDiscovery(scope: IConstruct, explicit: Dns | undefined, prop = 'dns'): Dns {
    if (explicit !== undefined) return explicit;
    const stack = TerraformStack.of(scope);
    const zones = ZONES.get(stack) ?? [];
    if (zones.length === 1) return zones[0];
    if (zones.length === 0) {
      throw scopeError(
        scope,
        `its droplets get internal DNS names, by which peers find them at run time, and stack '${stack.node.id}' has no Dns zone yet. ` +
          `Create the zone first (new Dns(stack, 'Dns', { domain: 'example.com' }), or Dns.fromZoneName(stack, 'Dns', 'example.com') when it already exists in your account), or pass '${prop}'.`,
      );
    }
    throw scopeError(
      scope,
      `stack '${stack.node.id}' has ${zones.length} Dns zones (${zones.map((z) => z.node.path).join(', ')}): pass '${prop}' to say which one holds the internal names.`,
    );
  }

  constructor(scope: Construct, id: string, props: DnsProps) {
    super(scope, id);
    props = requireProps(this, props, { domain: "Pass the zone, e.g. 'foobar.com'." });
    const stack = TerraformStack.of(this);
    ZONES.set(stack, [...(ZONES.get(stack) ?? []), this]);
    checkDomain(this, 'domain', props.domain);
    this.zone = props.domain;
    this.ttl = checkInteger(this, 'ttlSeconds', props.ttlSeconds ?? 300, 30, 86400, { tokens: 'allow' });
    this.internalTtl = checkInteger(this, 'internalTtlSeconds', props.internalTtlSeconds ?? 30, 30, 86400, { tokens: 'allow' });
    this.internalSubdomain = props.internalSubdomain ?? 'internal';
    if (!isToken(this.internalSubdomain) && !RECORD_NAME_PART.test(this.internalSubdomain)) {
      throw propError(
        this,
        'internalSubdomain',
        'is not a relative DNS name',
        this.internalSubdomain,
        "Pass a name such as 'internal' or 'vpc.internal'.",
      );
    }
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
    if (!(props as DnsConstruction).existingZone) {
      this.resource = new Domain(this, 'Resource', { name: props.domain });
      this.domainName = attributeReference(this.resource, 'name');
    } else {
      this.domainName = props.domain;
    }
    if (props.targetIpv4 !== undefined) {
      this.pointTo(props.targetIpv4);
    }
    // A zone holding only internal names (droplets finding each other) is fine; one with nothing is a mistake.
    this.node.addValidation({
      validate: () =>
        this.pointed || this.internalRecords > 0 || this.records.length > 0
          ? []
          : [`${this.node.path}: Dns has no target: pass 'targetIpv4' or call pointTo(ipv4).`],
    });
  }

  /** Points the record names (apex and www by default) at the entry point, or an IPv4 address. Once. */
  public pointTo(target: IEntryPoint | string): void {
    if (target === undefined || target === null) {
      throw propError(
        this,
        'targetIpv4',
        'is required by pointTo()',
        target,
        'Pass the entry point (a load balancer, pair or single server) or its IPv4 address.',
      );
    }
    const ipv4 = checkIpv4(this, 'targetIpv4', typeof target === 'string' ? target : target.entryIpv4);
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
    checkIpv4(this, 'ipv4', ipv4);
    const record = new DnsRecord(this, id, { domain: this.domainName, type: 'A', name, value: ipv4, ttl: ttlSeconds });
    this.records.push(record);
    return record;
  }

  /** The relative record name of an internal name, e.g. 'foobar-web' → 'foobar-web.internal'. */
  public internalRecordName(name: string): string {
    return `${name}.${this.internalSubdomain}`;
  }

  /** The fully qualified internal name, e.g. 'foobar-web' → 'foobar-web.internal.foobar.com'. */
  public internalFqdn(name: string): string {
    return this.fqdn(this.internalRecordName(name));
  }

  /**
   * Reserves the internal name `name` for `owner`, whose `name` prop is `ownerName` (`what` says what the name stands for, e.g. 'its droplets').
   * Two publishers of one name would mix their droplets' addresses under it (a role named 'shop-db-primary' beside
   * a database 'shop-db' would receive its writes), so the second is refused, naming both.
   */
  public claimInternalName(owner: IConstruct, ownerName: string, name: string, what: string): void {
    const relative = this.internalRecordName(name);
    const previous = this.internalNameOwners.get(relative);
    if (previous !== undefined && previous.path !== owner.node.path) {
      throw scopeError(
        owner,
        `'name' '${ownerName}' publishes ${what} as '${this.fqdn(relative)}', a name ${previous.path} already publishes for ${previous.what}: consumers would resolve both roles' droplets under it. Rename one of the two (its 'name').`,
      );
    }
    this.internalNameOwners.set(relative, { path: owner.node.path, what });
  }

  /**
   * Adds an A record `<name>.<internalSubdomain>` → `ipv4` (a droplet's VPC address), created in `scope` (the droplet
   * it names), so that scaling a tier adds or removes records and never changes another droplet.
   */
  public addInternalRecord(scope: Construct, id: string, name: string, ipv4: string): DnsRecord {
    const relative = this.internalRecordName(name);
    if (!isToken(name) && !RECORD_NAME.test(relative)) {
      throw propError(scope, 'name', 'is an invalid record name', name, "Use lowercase letters, digits and hyphens, e.g. 'foobar-web'.");
    }
    this.internalRecords++;
    return new DnsRecord(scope, id, { domain: this.domainName, type: 'A', name: relative, value: ipv4, ttl: this.internalTtl });
  }

  /**
   * CAA records at the apex: only Let's Encrypt (the CA tierform's certbot uses) may issue for the zone and its
   * wildcards; refused requests are reported to `iodefEmail` when given.
   */
  public addCaaRecords(options: { readonly iodefEmail?: string } = {}): void {
    caaRecords({ domain: this.zone, iodefEmail: options.iodefEmail }).forEach((r, i) => {
      // DigitalOcean's API wants the issuer domain fully qualified (trailing dot); the iodef URL as it is.
      const value = r.tag === 'iodef' ? r.value : `${r.value}.`;
      this.records.push(
        new DnsRecord(this, `Caa${i}_${r.tag}`, { domain: this.domainName, type: 'CAA', name: r.name, flags: r.flags, tag: r.tag, value, ttl: 3600 }),
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
