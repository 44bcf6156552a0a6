/**
 * A synthesized stack as readiness rules see it: the Terraform JSON (every token resolved to `${...}` text), with
 * the cross-resource questions rules ask answered once: which firewalls cover a droplet, what a droplet runs,
 * which image a container uses, whether a variable is sensitive. Pure: no cdktf, so it judges a `cdk.tf.json`
 * written by any tool.
 */
import { HaproxySection, NginxDirective, looksLikeHaproxy, looksLikeNginx, parseHaproxy, parseNginx } from './config-text';
import { HostConfig, HostFile, literalText, readHostConfig } from './host-config';
import { PlanElement } from './rule';

/** The Terraform JSON of one stack (`cdk.tf.json`). */
export type StackJson = Readonly<Record<string, unknown>>;

/** `${...}` with nothing around it: a value known only at deploy. */
const WHOLE_REFERENCE = /^\$\{[^]*\}$/;
/** An unescaped interpolation anywhere (`$${` is Terraform's escape for a literal `${`). */
const INTERPOLATION = /(^|[^$])\$\{/;

/** True when `value` is (or contains) a Terraform interpolation rather than a literal. */
export function isUnknown(value: unknown): boolean {
  if (typeof value === 'string') return INTERPOLATION.test(value);
  if (Array.isArray(value)) return value.some(isUnknown);
  return false;
}

/** `type.name` of a reference `${type.name.attribute}` (or `${type.name}`), else undefined. */
export function referencedAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || !WHOLE_REFERENCE.test(value)) return undefined;
  const m = /^\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?:\.[A-Za-z0-9_.[\]-]+)?\}$/.exec(value);
  return m && m[1] !== 'var' && m[1] !== 'local' && m[1] !== 'data' ? `${m[1]}.${m[2]}` : undefined;
}

/** The variable name of `${var.x}`, else undefined. */
export function referencedVariable(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(value);
  return m ? m[1] : undefined;
}

/** Every variable named anywhere in a text (`var.x` inside `${...}`). */
export function variablesIn(text: string): string[] {
  return [...text.matchAll(/\$\{[^}]*?\bvar\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]);
}

/** Blocks appear as one object or a list of objects in Terraform JSON. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v));
}

export function stringList(value: unknown): string[] | undefined {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

export const ANYWHERE = ['0.0.0.0/0', '::/0'];

/** A firewall rule, normalised. `addresses` undefined when the list is a whole reference (unknown until deploy). */
export interface FirewallRuleView {
  readonly protocol: string;
  /** Inclusive range; icmp and `all` cover every port. */
  readonly ports: { readonly from: number; readonly to: number };
  readonly portRange: string;
  readonly addresses?: readonly string[];
  /** True when the address list is a whole reference (e.g. `${var.admin_cidrs}`): not judged here. */
  readonly addressesUnknown: boolean;
  /** Tag names (references to digitalocean_tag resolved to their names). */
  readonly tags: readonly string[];
  readonly dropletAddresses: readonly string[];
}

export interface FirewallView {
  readonly element: PlanElement;
  readonly name: string;
  /** Tag names the firewall applies to. */
  readonly tags: readonly string[];
  /** Droplets (`digitalocean_droplet.x`) named in `droplet_ids`. */
  readonly droplets: readonly string[];
  /** True when `tags` or `droplet_ids` is a whole reference: who it covers is unknown until deploy. */
  readonly targetsUnknown: boolean;
  readonly inbound: readonly FirewallRuleView[];
  readonly outbound: readonly FirewallRuleView[];
}

export interface DropletView {
  readonly element: PlanElement;
  readonly name: string;
  readonly image: string;
  /** Tag names. */
  readonly tags: readonly string[];
  readonly config: HostConfig;
  readonly nginx: readonly { file: HostFile; tree: readonly NginxDirective[] }[];
  readonly haproxy: readonly { file: HostFile; sections: readonly HaproxySection[] }[];
}

export interface StackViewOptions {
  /** "Today", for end-of-life dates. @default new Date() */
  readonly now?: Date;
}

/** The stack JSON with lookups rules share. Built once per stack. */
export class StackView {
  public readonly now: Date;
  private readonly byAddress = new Map<string, PlanElement>();
  private readonly list: PlanElement[] = [];
  private dropletCache = new Map<string, DropletView>();
  private firewallCache?: FirewallView[];

  constructor(
    public readonly json: StackJson,
    options: StackViewOptions = {},
  ) {
    this.now = options.now ?? new Date();
    const resource = (json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, byId] of Object.entries(resource)) {
      for (const [logicalId, attrs] of Object.entries(byId)) {
        this.add({ address: `${type}.${logicalId}`, type, logicalId, attributes: withoutMetadata(attrs), constructPath: metadataPath(attrs) });
      }
    }
    const variables = (json.variable ?? {}) as Record<string, Record<string, unknown>>;
    for (const [name, attrs] of Object.entries(variables)) {
      this.add({ address: `var.${name}`, type: 'variable', logicalId: name, attributes: withoutMetadata(attrs), constructPath: metadataPath(attrs) });
    }
  }

  /** Every resource and variable, in the order of the JSON. */
  public elements(): readonly PlanElement[] {
    return this.list;
  }

  public resources(type?: string): PlanElement[] {
    return this.list.filter((e) => e.type !== 'variable' && (type === undefined || e.type === type));
  }

  public element(address: string): PlanElement | undefined {
    return this.byAddress.get(address);
  }

  /** The variable `name`, if the stack declares it. */
  public variable(name: string): PlanElement | undefined {
    return this.byAddress.get(`var.${name}`);
  }

  /** A tag reference (`${digitalocean_tag.x.name}` / `.id`) or literal tag name → the tag's name. */
  public tagName(value: string): string {
    const address = referencedAddress(value);
    if (address?.startsWith('digitalocean_tag.')) {
      const name = this.byAddress.get(address)?.attributes.name;
      if (typeof name === 'string') return name;
    }
    return value;
  }

  public droplets(): DropletView[] {
    return this.resources('digitalocean_droplet').map((e) => this.droplet(e));
  }

  public droplet(element: PlanElement): DropletView {
    let view = this.dropletCache.get(element.address);
    if (!view) {
      const a = element.attributes;
      const config = readHostConfig(typeof a.user_data === 'string' ? a.user_data : undefined);
      const tags = stringList(a.tags) ?? [];
      view = {
        element,
        name: typeof a.name === 'string' ? a.name : element.logicalId,
        image: typeof a.image === 'string' ? a.image : '',
        tags: tags.map((t) => this.tagName(t)),
        config,
        nginx: config.files.filter((f) => looksLikeNginx(f.path, f.content)).map((file) => ({ file, tree: parseNginx(file.content) })),
        haproxy: config.files.filter((f) => looksLikeHaproxy(f.path, f.content)).map((file) => ({ file, sections: parseHaproxy(file.content) })),
      };
      this.dropletCache.set(element.address, view);
    }
    return view;
  }

  public firewalls(): FirewallView[] {
    this.firewallCache ??= this.resources('digitalocean_firewall').map((element) => {
      const a = element.attributes;
      const tags = stringList(a.tags);
      const ids = stringList(a.droplet_ids);
      return {
        element,
        name: typeof a.name === 'string' ? a.name : element.logicalId,
        tags: (tags ?? []).map((t) => this.tagName(t)),
        droplets: (ids ?? []).map((id) => referencedAddress(id)).filter((x): x is string => x !== undefined),
        targetsUnknown: (a.tags !== undefined && tags === undefined) || (a.droplet_ids !== undefined && ids === undefined),
        inbound: blocks(a.inbound_rule).map((r) => this.rule(r, 'source')),
        outbound: blocks(a.outbound_rule).map((r) => this.rule(r, 'destination')),
      };
    });
    return this.firewallCache;
  }

  /** Firewalls applying to the droplet (by one of its tags or its id). */
  public firewallsOf(droplet: DropletView): FirewallView[] {
    return this.firewalls().filter((f) => f.droplets.includes(droplet.element.address) || f.tags.some((t) => droplet.tags.includes(t)));
  }

  /**
   * tcp ports of the droplet open to the whole internet: from its firewalls' inbound rules, or every port when no
   * firewall covers it (a droplet without a Cloud Firewall accepts everything its daemons listen on).
   */
  public publicTcpPorts(droplet: DropletView): { all: boolean; ranges: { from: number; to: number }[] } {
    const firewalls = this.firewallsOf(droplet);
    if (firewalls.length === 0) return { all: true, ranges: [{ from: 1, to: 65535 }] };
    const ranges = firewalls.flatMap((f) => f.inbound.filter((r) => r.protocol === 'tcp' && isAnywhere(r.addresses)).map((r) => r.ports));
    return { all: false, ranges };
  }

  /** True when the droplet accepts tcp `port` from anywhere. */
  public isPublicTcpPort(droplet: DropletView, port: number): boolean {
    return this.publicTcpPorts(droplet).ranges.some((r) => r.from <= port && port <= r.to);
  }

  /** The image name of a container or service: a literal, or the `name` of the docker_image it references. */
  public imageName(value: unknown): string | undefined {
    if (typeof value !== 'string') return undefined;
    const address = referencedAddress(value);
    if (address) {
      const name = this.byAddress.get(address)?.attributes.name;
      return typeof name === 'string' && !isUnknown(name) ? name : undefined;
    }
    return isUnknown(value) ? undefined : value;
  }

  /** Text of a value as a rule reads it: interpolations left as `${...}`, escapes undone. */
  public text(value: unknown): string {
    return typeof value === 'string' ? literalText(value) : '';
  }

  private rule(r: Record<string, unknown>, side: 'source' | 'destination'): FirewallRuleView {
    const protocol = typeof r.protocol === 'string' ? r.protocol : 'tcp';
    const portRange = typeof r.port_range === 'string' ? r.port_range : protocol === 'icmp' ? '' : 'all';
    const raw = r[`${side}_addresses`];
    const addresses = stringList(raw);
    return {
      protocol,
      portRange,
      ports: parsePortRange(portRange),
      addresses,
      addressesUnknown: raw !== undefined && addresses === undefined,
      tags: (stringList(r[`${side}_tags`]) ?? []).map((t) => this.tagName(t)),
      dropletAddresses: (stringList(r[`${side}_droplet_ids`]) ?? []).map((d) => referencedAddress(d)).filter((x): x is string => x !== undefined),
    };
  }

  private add(e: PlanElement): void {
    this.byAddress.set(e.address, e);
    this.list.push(e);
  }
}

/** `80`, `8000-8100`, `all`, `1-65535`, '' (icmp) → an inclusive range. */
export function parsePortRange(range: string): { from: number; to: number } {
  if (range === '' || range === 'all' || range === '0') return { from: 1, to: 65535 };
  const m = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
  if (!m) return { from: 1, to: 65535 };
  return { from: Number(m[1]), to: Number(m[2] ?? m[1]) };
}

/** True when a literal address list includes the whole IPv4 or IPv6 internet. */
export function isAnywhere(addresses: readonly string[] | undefined): boolean {
  return (addresses ?? []).some((a) => ANYWHERE.includes(a.trim()) || /^0\.0\.0\.0\/0$|^::\/0$/.test(a.trim()));
}

function withoutMetadata(attrs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([k]) => k !== '//'));
}

function metadataPath(attrs: Record<string, unknown>): string | undefined {
  const meta = attrs['//'] as { metadata?: { path?: unknown } } | undefined;
  return typeof meta?.metadata?.path === 'string' ? meta.metadata.path : undefined;
}
