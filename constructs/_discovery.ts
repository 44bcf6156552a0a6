/**
 * Internal (not exported by index.ts): runtime discovery through internal DNS names.
 *
 * A droplet's user_data is ForceNew, so it must never hold another droplet's address or a count of other
 * droplets: scaling one tier would replace its neighbours. Instead every role publishes A records for its
 * droplets' VPC addresses under `<name>.<internal>.<zone>` (one record per droplet, all with the same name), and
 * consumers resolve that name at run time (HAProxy `resolvers`, nginx's upstream watcher, Prometheus
 * `dns_sd_configs`, the app's and the replicas' MySQL clients). Scaling then adds or removes a droplet and its
 * records, and nothing else. See docs/decisions.md, "Runtime discovery".
 */
import { ITerraformDependable } from 'cdktf';
import { IConstruct } from 'constructs';
import { Dns } from './dns';
import type { TierDroplet } from './tier-droplet';

/** A name peers resolve at run time, and the records behind it. */
export interface InternalName {
  /** Fully qualified, e.g. 'foobar-s1-web.internal.foobar.com'. */
  readonly fqdn: string;
  /**
   * The A records behind the name. Consumers' droplets depend on them, so the records exist before a consumer
   * boots (a name looked up before it exists would be cached as nonexistent by resolvers).
   */
  readonly records: readonly ITerraformDependable[];
}

/** A construct whose droplets peers find by an internal DNS name. */
export interface IDiscoverable extends IConstruct {
  /** The name under which every droplet of the role is published (created on first use). */
  internalName(): InternalName;
}

/**
 * Publishes `droplets` under `<name>.<internal>.<zone>` for `owner`: one A record per droplet, created in the
 * droplet's own scope with id `recordId` (so adding a droplet adds exactly its records). A name another construct
 * already publishes in the zone is refused (`Dns.claimInternalName`); `what` names the droplets in that message.
 */
export function publishName(
  zone: Dns,
  owner: IConstruct & { readonly roleName: string },
  what: string,
  name: string,
  droplets: readonly TierDroplet[],
  recordId: string,
): InternalName {
  zone.claimInternalName(owner, owner.roleName, name, what);
  const records = droplets.map((d) => zone.addInternalRecord(d, recordId, name, d.privateIpv4));
  return { fqdn: zone.internalFqdn(name), records };
}

/** Makes `consumers` wait for the records of `names`: ordering only (depends_on), nothing enters user_data. */
export function waitForNames(consumers: readonly TierDroplet[], ...names: readonly InternalName[]): void {
  for (const consumer of consumers) {
    for (const name of names) consumer.dependOn(name.records);
  }
}

/** Memoizes a role's internal name; the zone is looked up on first use (`Dns.forDiscovery`). */
export class LazyInternalName {
  private value?: InternalName;

  constructor(
    private readonly owner: IConstruct,
    private readonly explicitZone: Dns | undefined,
    private readonly publish: (zone: Dns) => InternalName,
  ) {}

  public get(): InternalName {
    this.value ??= this.publish(Dns.forDiscovery(this.owner, this.explicitZone));
    return this.value;
  }
}
