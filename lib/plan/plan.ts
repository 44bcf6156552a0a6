/**
 * Reads a synthesized plan (`cdktf.out/stacks/<stage>/cdk.tf.json`) back as typed views of its resources. Pure: no
 * cdktf; it only reads Terraform JSON. Used by tests (real checkers on rendered files) and by the lab (booting a
 * plan). Beside it: `cloud-config.ts` (a droplet's user_data as it boots) and `fake-resolver.ts` (made-up values
 * for every reference, for tests and the lab).
 *
 * Attribute values are returned raw: a string may be a Terraform template (`${digitalocean_tag.x.name}`) and a
 * list attribute may be a whole-value reference (`${var.admin_cidrs}`). Resolve them with a ReferenceResolver.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TemplateError, templateReferences } from './template';

export type { ReferenceResolver } from './template';

/** The Terraform JSON of one stack, as cdktf writes it. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, Record<string, unknown>>;
  readonly output?: Record<string, Record<string, unknown>>;
  readonly locals?: Record<string, unknown>;
  readonly provider?: Record<string, unknown>;
  readonly terraform?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** Any resource of the plan. */
export interface PlanResource {
  /** `<type>.<logicalId>`, as used in references. */
  readonly address: string;
  readonly type: string;
  /** The key of the resource in the JSON (cdktf's logical id, e.g. `Web_Droplet0_DF901BBE`). */
  readonly logicalId: string;
  /** The attributes as written in the JSON (snake_case), cdktf's `//` metadata removed. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A raw attribute holding a list: a literal list, or a whole-value reference such as `${var.ssh_keys}`. */
export type ListValue = readonly string[] | string;

export interface PlanDroplet extends PlanResource {
  /** The droplet's `name` attribute (its hostname), e.g. `foobar-s1-web-0`. */
  readonly name: string;
  readonly image: string;
  readonly size: string;
  readonly region: string;
  /** Tag names, usually references such as `${digitalocean_tag.x.name}`. */
  readonly tags: readonly string[];
  readonly vpcUuid?: string;
  readonly volumeIds: readonly string[];
  readonly sshKeys: ListValue;
  /** `user_data` exactly as in the plan: a Terraform template; undefined when the droplet has none. */
  readonly userDataTemplate?: string;
}

export interface FirewallRule {
  readonly protocol: string;
  readonly portRange?: string;
  /** Inbound: `source_addresses`; outbound: `destination_addresses`. */
  readonly addresses?: ListValue;
  /** Inbound: `source_tags`; outbound: `destination_tags`. */
  readonly tags?: ListValue;
  /** Inbound: `source_droplet_ids`; outbound: `destination_droplet_ids`. */
  readonly dropletIds?: ListValue;
  /** Inbound: `source_load_balancer_uids`; outbound: `destination_load_balancer_uids`. */
  readonly loadBalancerUids?: ListValue;
}

export interface PlanFirewall extends PlanResource {
  readonly name: string;
  readonly tags: ListValue;
  readonly dropletIds: ListValue;
  readonly inboundRules: readonly FirewallRule[];
  readonly outboundRules: readonly FirewallRule[];
}

export interface PlanTag extends PlanResource {
  readonly name: string;
}

export interface PlanRecord extends PlanResource {
  /** The domain, usually `${digitalocean_domain.x.name}`. */
  readonly domain: string;
  readonly type: string;
  /** `@` for the apex. */
  readonly name: string;
  readonly value: string;
  readonly ttl?: number;
}

export interface PlanVolume extends PlanResource {
  readonly name: string;
  readonly region: string;
  readonly sizeGigabytes: number;
  readonly initialFilesystemType?: string;
  readonly description?: string;
}

export interface PlanVpc extends PlanResource {
  readonly name: string;
  readonly region: string;
  /** Absent when DigitalOcean picks the range. */
  readonly ipRange?: string;
}

export interface PlanDomain extends PlanResource {
  readonly name: string;
}

export interface PlanVariable {
  readonly name: string;
  /** Terraform type expression, e.g. `string`, `list(string)`. */
  readonly type?: string;
  readonly description?: string;
  readonly sensitive: boolean;
  readonly nullable?: boolean;
  readonly default?: unknown;
}

export interface PlanOutput {
  readonly name: string;
  /** Raw: a template string, or a list/object of them. */
  readonly value: unknown;
  readonly description?: string;
  readonly sensitive: boolean;
}

/** One `${...}` reference and where it appears. */
export interface PlanReference {
  /** `<type>.<logicalId>` or `output.<name>`. */
  readonly source: string;
  /** Attribute path inside the source, e.g. `inbound_rule[0].source_tags[0]`. */
  readonly attribute: string;
  readonly reference: string;
}

/** A synthesized stack. */
export class Plan {
  /** @param json the parsed `cdk.tf.json` @param name the stack name, when known (the stack directory) */
  constructor(
    public readonly json: TerraformJson,
    public readonly name?: string,
  ) {}

  /** Every resource, or every resource of one type, in the order of the JSON. */
  public resources(type?: string): PlanResource[] {
    const out: PlanResource[] = [];
    for (const [t, byId] of Object.entries(this.json.resource ?? {})) {
      if (type !== undefined && t !== type) continue;
      for (const [logicalId, attrs] of Object.entries(byId)) {
        out.push({ address: `${t}.${logicalId}`, type: t, logicalId, attributes: withoutMetadata(attrs) });
      }
    }
    return out;
  }

  /** The resource at `address` (`<type>.<logicalId>`), or throws naming it. */
  public resource(address: string): PlanResource {
    const found = this.resources().find((r) => r.address === address);
    if (!found) {
      throw new PlanError(`no resource ${address} in the plan${this.name ? ` ${this.name}` : ''}`);
    }
    return found;
  }

  public droplets(): PlanDroplet[] {
    return this.resources('digitalocean_droplet').map((r) => {
      const a = r.attributes;
      return {
        ...r,
        name: str(r, 'name'),
        image: str(r, 'image'),
        size: str(r, 'size'),
        region: str(r, 'region'),
        tags: strList(r, 'tags'),
        vpcUuid: optStr(r, 'vpc_uuid'),
        volumeIds: strList(r, 'volume_ids'),
        sshKeys: listValue(r, 'ssh_keys', a.ssh_keys) ?? [],
        userDataTemplate: optStr(r, 'user_data'),
      };
    });
  }

  /** The droplet whose `name` attribute or logical id is `nameOrLogicalId`, or throws naming it. */
  public droplet(nameOrLogicalId: string): PlanDroplet {
    const found = this.droplets().find((d) => d.name === nameOrLogicalId || d.logicalId === nameOrLogicalId);
    if (!found) {
      throw new PlanError(
        `no droplet named ${nameOrLogicalId} in the plan; droplets: ${this.droplets()
          .map((d) => d.name)
          .join(', ')}`,
      );
    }
    return found;
  }

  public firewalls(): PlanFirewall[] {
    return this.resources('digitalocean_firewall').map((r) => ({
      ...r,
      name: str(r, 'name'),
      tags: listValue(r, 'tags', r.attributes.tags) ?? [],
      dropletIds: listValue(r, 'droplet_ids', r.attributes.droplet_ids) ?? [],
      inboundRules: rules(r, 'inbound_rule', 'source'),
      outboundRules: rules(r, 'outbound_rule', 'destination'),
    }));
  }

  public tags(): PlanTag[] {
    return this.resources('digitalocean_tag').map((r) => ({ ...r, name: str(r, 'name') }));
  }

  public records(): PlanRecord[] {
    return this.resources('digitalocean_record').map((r) => ({
      ...r,
      domain: str(r, 'domain'),
      type: str(r, 'type'),
      name: str(r, 'name'),
      value: str(r, 'value'),
      ttl: optNum(r, 'ttl'),
    }));
  }

  public volumes(): PlanVolume[] {
    return this.resources('digitalocean_volume').map((r) => ({
      ...r,
      name: str(r, 'name'),
      region: str(r, 'region'),
      sizeGigabytes: num(r, 'size'),
      initialFilesystemType: optStr(r, 'initial_filesystem_type'),
      description: optStr(r, 'description'),
    }));
  }

  public vpcs(): PlanVpc[] {
    return this.resources('digitalocean_vpc').map((r) => ({
      ...r,
      name: str(r, 'name'),
      region: str(r, 'region'),
      ipRange: optStr(r, 'ip_range'),
    }));
  }

  public domains(): PlanDomain[] {
    return this.resources('digitalocean_domain').map((r) => ({ ...r, name: str(r, 'name') }));
  }

  public variables(): PlanVariable[] {
    return Object.entries(this.json.variable ?? {}).map(([name, v]) => ({
      name,
      type: typeof v.type === 'string' ? v.type : undefined,
      description: typeof v.description === 'string' ? v.description : undefined,
      sensitive: v.sensitive === true,
      nullable: typeof v.nullable === 'boolean' ? v.nullable : undefined,
      default: v.default,
    }));
  }

  public outputs(): PlanOutput[] {
    return Object.entries(this.json.output ?? {}).map(([name, o]) => ({
      name,
      value: o.value,
      description: typeof o.description === 'string' ? o.description : undefined,
      sensitive: o.sensitive === true,
    }));
  }

  /**
   * Every `${...}` reference in resource attributes and outputs (user_data included), with where it is.
   * Variable blocks are not scanned (`graph.ts` covers every section, meta-arguments included).
   * Throws if a string is not valid Terraform template syntax.
   */
  public references(): PlanReference[] {
    const out: PlanReference[] = [];
    for (const r of this.resources()) {
      collectReferences(r.address, r.attributes, '', (attribute, reference) => out.push({ source: r.address, attribute, reference }));
    }
    for (const o of this.outputs()) {
      const source = `output.${o.name}`;
      collectReferences(source, o.value, 'value', (attribute, reference) => out.push({ source, attribute, reference }));
    }
    return out;
  }
}

export class PlanError extends Error {}

/** Parses a stack's Terraform JSON (text or already parsed). */
export function parseStack(json: string | TerraformJson, name?: string): Plan {
  const parsed: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PlanError('a stack must be a JSON object (the content of cdk.tf.json)');
  }
  return new Plan(parsed as TerraformJson, name);
}

/** Reads `cdk.tf.json`; the plan is named after its directory (the stack name). */
export function loadStack(file: string): Plan {
  return parseStack(fs.readFileSync(file, 'utf8'), path.basename(path.dirname(path.resolve(file))));
}

/** Every stack of a synth output directory (`cdktf.out`), by stack name, sorted by name. */
export function loadStacks(outdir = 'cdktf.out'): Map<string, Plan> {
  const stacksDir = path.join(outdir, 'stacks');
  const plans = new Map<string, Plan>();
  for (const name of fs.readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, name, 'cdk.tf.json');
    if (fs.existsSync(file)) plans.set(name, loadStack(file));
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function withoutMetadata(attrs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([k]) => !k.startsWith('//')));
}

function str(r: PlanResource, key: string): string {
  const v = optStr(r, key);
  if (v === undefined) throw new PlanError(`${r.address}: attribute ${key} is missing`);
  return v;
}

function optStr(r: PlanResource, key: string): string | undefined {
  const v = r.attributes[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new PlanError(`${r.address}: attribute ${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(r: PlanResource, key: string): number {
  const v = optNum(r, key);
  if (v === undefined) throw new PlanError(`${r.address}: attribute ${key} is missing`);
  return v;
}

function optNum(r: PlanResource, key: string): number | undefined {
  const v = r.attributes[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new PlanError(`${r.address}: attribute ${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function listValue(r: PlanResource, key: string, v: unknown): ListValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new PlanError(`${r.address}: ${key} must be a list of strings or a reference, got ${JSON.stringify(v)}`);
}

function strList(r: PlanResource, key: string): string[] {
  const v = listValue(r, key, r.attributes[key]);
  if (v === undefined) return [];
  if (typeof v === 'string') throw new PlanError(`${r.address}: ${key} is a whole-list reference (${v}); expected a literal list`);
  return [...v];
}

function rules(r: PlanResource, key: string, side: 'source' | 'destination'): FirewallRule[] {
  const v = r.attributes[key];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((rule: unknown, i) => {
    if (rule === null || typeof rule !== 'object') throw new PlanError(`${r.address}: ${key}[${i}] must be an object`);
    const o = rule as Record<string, unknown>;
    const where = `${key}[${i}]`;
    if (typeof o.protocol !== 'string') throw new PlanError(`${r.address}: ${where}.protocol is missing`);
    return {
      protocol: o.protocol,
      portRange: typeof o.port_range === 'string' ? o.port_range : undefined,
      addresses: listValue(r, `${where}.${side}_addresses`, o[`${side}_addresses`]),
      tags: listValue(r, `${where}.${side}_tags`, o[`${side}_tags`]),
      dropletIds: listValue(r, `${where}.${side}_droplet_ids`, o[`${side}_droplet_ids`]),
      loadBalancerUids: listValue(r, `${where}.${side}_load_balancer_uids`, o[`${side}_load_balancer_uids`]),
    };
  });
}

function collectReferences(source: string, value: unknown, at: string, found: (attribute: string, reference: string) => void): void {
  if (typeof value === 'string') {
    let refs: string[];
    try {
      refs = templateReferences(value);
    } catch (e) {
      if (e instanceof TemplateError) throw new PlanError(`${source} ${at}: ${e.message}`);
      throw e;
    }
    for (const ref of refs) found(at, ref);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collectReferences(source, v, `${at}[${i}]`, found));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!k.startsWith('//')) collectReferences(source, v, at ? `${at}.${k}` : k, found);
    }
  }
}
