/**
 * Reads a synthesized plan (`cdktf.out/stacks/<stage>/cdk.tf.json`) back as typed views of its resources, and
 * turns a droplet's `user_data` into the exact text the droplet would boot with. Pure: no cdktf; it only
 * reads Terraform JSON. Used by tests (real checkers on rendered files) and by the lab (booting a plan).
 *
 * Attribute values are returned raw: a string may be a Terraform template (`${digitalocean_tag.x.name}`) and a
 * list attribute may be a whole-value reference (`${var.admin_cidrs}`). Resolve them with a ReferenceResolver.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import * as ipaddr from 'ipaddr.js';
import { isMap, isSeq, parseDocument } from 'yaml';
import { ReferenceResolver, TemplateError, renderTemplate, templateReferences } from './template';

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
      throw new PlanError(`no droplet named ${nameOrLogicalId} in the plan; droplets: ${this.droplets().map((d) => d.name).join(', ')}`);
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
// user_data

/** The droplet's user_data as Terraform renders it at apply, references answered by `resolve`. */
export function renderUserData(droplet: PlanDroplet, resolve: ReferenceResolver): string {
  if (droplet.userDataTemplate === undefined) {
    throw new PlanError(`${droplet.address} (${droplet.name}) has no user_data`);
  }
  return renderTemplate(droplet.userDataTemplate, resolve);
}

export interface WriteFile {
  readonly path: string;
  /** Decoded (`encoding: b64` / `gzip` undone). */
  readonly content: string;
  /** cloud-init's default is '0644'. */
  readonly permissions: string;
  /** cloud-init's default is 'root:root'. */
  readonly owner: string;
  /** Written after packages are installed (write-files-deferred). */
  readonly defer: boolean;
}

export interface CloudConfigDocument {
  readonly packages: string[];
  readonly writeFiles: WriteFile[];
  /** argv lists; a string entry (run by cloud-init through `sh -c`) becomes `['sh', '-c', entry]`. */
  readonly runcmd: string[][];
  /** The whole document. */
  readonly raw: Record<string, unknown>;
}

export class CloudConfigError extends Error {}

/** Parses a rendered `#cloud-config` as cloud-init does (YAML 1.1); YAML errors and wrongly typed known keys throw. */
export function parseCloudConfig(text: string): CloudConfigDocument {
  const firstLine = text.split('\n', 1)[0].trimEnd();
  if (firstLine !== '#cloud-config') {
    throw new CloudConfigError(`user_data must start with a '#cloud-config' line for cloud-init to read it as cloud-config, got '${firstLine.slice(0, 60)}'`);
  }
  // YAML 1.1, as cloud-init's PyYAML reads it: `0644` is octal 420, `on`/`yes` are booleans.
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new CloudConfigError(`cloud-config is not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  if (!isMap(doc.contents)) {
    throw new CloudConfigError('cloud-config must be a YAML mapping of module keys');
  }
  const raw = doc.toJS() as Record<string, unknown>;
  return {
    packages: parsePackages(raw.packages),
    writeFiles: parseWriteFiles(raw.write_files),
    runcmd: parseRuncmd(raw.runcmd, isSeq(doc.get('runcmd'))),
    raw,
  };
}

function parsePackages(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CloudConfigError('cloud-config packages must be a list');
  return value.map((p, i) => {
    if (typeof p === 'string') return p;
    if (Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string')) return `${p[0]}=${p[1]}`;
    throw new CloudConfigError(`cloud-config packages[${i}] must be a name or [name, version], got ${JSON.stringify(p)}`);
  });
}

function parseWriteFiles(value: unknown): WriteFile[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CloudConfigError('cloud-config write_files must be a list');
  return value.map((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new CloudConfigError(`cloud-config write_files[${i}] must be a mapping`);
    }
    const e = entry as Record<string, unknown>;
    const where = `cloud-config write_files[${i}]${typeof e.path === 'string' ? ` (${e.path})` : ''}`;
    if (typeof e.path !== 'string' || e.path === '') throw new CloudConfigError(`${where}: path must be a non-empty string`);
    const content = e.content ?? '';
    if (typeof content !== 'string') throw new CloudConfigError(`${where}: content must be a string`);
    for (const key of ['permissions', 'owner', 'encoding'] as const) {
      if (e[key] !== undefined && typeof e[key] !== 'string') {
        throw new CloudConfigError(`${where}: ${key} must be a string (quote it), got ${JSON.stringify(e[key])}`);
      }
    }
    if (e.defer !== undefined && typeof e.defer !== 'boolean') throw new CloudConfigError(`${where}: defer must be a boolean`);
    return {
      path: e.path,
      content: decodeContent(content, (e.encoding as string | undefined) ?? 'text/plain', where),
      permissions: (e.permissions as string | undefined) ?? '0644',
      owner: (e.owner as string | undefined) ?? 'root:root',
      defer: e.defer === true,
    };
  });
}

/** cloud-init's encodings: b64/base64, gz/gzip, gz+b64 (and their variants), text/plain. */
function decodeContent(content: string, encoding: string, where: string): string {
  switch (encoding.toLowerCase()) {
    case 'text/plain':
      return content;
    case 'b64':
    case 'base64':
      return Buffer.from(content, 'base64').toString('utf8');
    case 'gz+b64':
    case 'gzip+base64':
    case 'gz+base64':
    case 'gzip+b64':
      return gunzipSync(Buffer.from(content, 'base64')).toString('utf8');
    default:
      throw new CloudConfigError(`${where}: unsupported encoding '${encoding}'`);
  }
}

function parseRuncmd(value: unknown, isList: boolean): string[][] {
  if (value === undefined) return [];
  if (!isList || !Array.isArray(value)) throw new CloudConfigError('cloud-config runcmd must be a list');
  return value.map((c, i) => {
    if (typeof c === 'string') return ['sh', '-c', c];
    if (Array.isArray(c) && c.every((x) => typeof x === 'string')) return c as string[];
    throw new CloudConfigError(`cloud-config runcmd[${i}] must be a string or a list of strings, got ${JSON.stringify(c)}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// fakeResolver

/** Values of `var.<name>` (list variables: a list), or of whole references such as `digitalocean_droplet.x.id`. */
export type ResolverOverrides = Readonly<Record<string, string | readonly string[]>>;

/** Public addresses come from TEST-NET-3 (RFC 5737), reserved for documentation and tests. */
const FAKE_PUBLIC_NETWORK = '203.0.113.0/24';
/** Private range of a droplet with no VPC (DigitalOcean's region default VPC), or of a VPC without ip_range. */
const FAKE_DEFAULT_VPC_RANGE = '10.10.0.0/20';
/** The first addresses of a VPC are never given to droplets (network and gateway). */
const FIRST_HOST_OFFSET = 2;
const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A deterministic ReferenceResolver for tests and the lab: what Terraform would know after apply, made up.
 * - droplets: `ipv4_address_private` → addresses of their VPC's `ip_range` in droplet order (from the 3rd
 *   address on), `ipv4_address` → 203.0.113.x, `id` → sequential numbers, `urn` → `do:droplet:<id>`;
 * - domains and tags: `id` → their name (as DigitalOcean does); volumes, VPCs, firewalls: `id` → a fixed UUID;
 * - reserved IPs: `ip_address` → 203.0.113.x after the droplets'; records: `fqdn`;
 * - any literal attribute of the resource (`name`, `ip_range`, `region`...) → its value, references resolved;
 * - `var.X` → overrides[X], else the default, else a generated valid value (sensitive/password: 24 characters of
 *   [A-Za-z0-9]; CIDR lists: 203.0.113.7/32); list variables resolve to their JSON text;
 * - overrides keyed by a whole reference win over everything.
 * Throws on anything else, naming the reference, so a dangling reference fails.
 */
export function fakeResolver(plan: Plan, overrides: ResolverOverrides = {}): ReferenceResolver {
  const resources = new Map(plan.resources().map((r) => [r.address, r]));
  const computed = computedAttributes(plan);
  const variables = new Map(plan.variables().map((v) => [v.name, v]));

  const resolve: ReferenceResolver = (reference) => {
    const override = overrides[reference];
    if (override !== undefined) return typeof override === 'string' ? override : JSON.stringify(override);
    const parts = reference.split('.');
    if (parts[0] === 'var' && parts.length === 2) {
      const variable = variables.get(parts[1]);
      if (!variable) throw new PlanError(`unknown reference ${reference}: the plan declares no variable '${parts[1]}'`);
      const value = overrides[parts[1]] ?? variable.default ?? fakeVariableValue(variable);
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    if (parts.length !== 3) {
      throw new PlanError(`unknown reference ${reference}: fakeResolver knows var.<name> and <type>.<name>.<attribute>`);
    }
    const address = `${parts[0]}.${parts[1]}`;
    const resource = resources.get(address);
    if (!resource) throw new PlanError(`unknown reference ${reference}: no resource ${address} in the plan`);
    const attribute = parts[2];
    const value = computed.get(address)?.[attribute];
    if (value !== undefined) return value;
    if (resource.type === 'digitalocean_record' && attribute === 'fqdn') {
      const domain = renderTemplate(String(resource.attributes.domain), resolve);
      const name = String(resource.attributes.name);
      return name === '@' ? domain : `${renderTemplate(name, resolve)}.${domain}`;
    }
    const literal = resource.attributes[attribute];
    if (typeof literal === 'string') return renderTemplate(literal, resolve);
    if (typeof literal === 'number' || typeof literal === 'boolean') return String(literal);
    throw new PlanError(`unknown reference ${reference}: ${resource.type} has no string attribute '${attribute}' in the plan and fakeResolver does not compute it`);
  };
  return resolve;
}

/** Attributes known only after apply, made up deterministically from the resource order. */
function computedAttributes(plan: Plan): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const publicIps = hostAddresses(FAKE_PUBLIC_NETWORK, 10);
  let uuid = 0;
  const nextUuid = () => `00000000-0000-4000-8000-${(++uuid).toString(16).padStart(12, '0')}`;
  const literal = (r: PlanResource, attribute: string) => {
    const v = r.attributes[attribute];
    return typeof v === 'string' ? v : undefined;
  };

  const vpcRanges = new Map<string, string>();
  for (const vpc of plan.resources('digitalocean_vpc')) {
    const id = nextUuid();
    const ipRange = literal(vpc, 'ip_range') ?? FAKE_DEFAULT_VPC_RANGE;
    if (!ipaddr.IPv4.isValidCIDR(ipRange)) {
      throw new PlanError(`${vpc.address}: ip_range '${ipRange}' is not an IPv4 CIDR fakeResolver can assign from`);
    }
    vpcRanges.set(vpc.address, ipRange);
    out.set(vpc.address, { id, urn: `do:vpc:${id}`, ip_range: ipRange });
  }

  const nextInVpc = new Map<string, (forAddress: string) => string>();
  plan.droplets().forEach((d, i) => {
    const vpcAddress = d.vpcUuid === undefined ? undefined : referencedAddress(d.vpcUuid, 'digitalocean_vpc', 'id');
    if (d.vpcUuid !== undefined && vpcAddress === undefined) {
      throw new PlanError(`${d.address}: vpc_uuid '${d.vpcUuid}' is not a reference to a digitalocean_vpc's id`);
    }
    const key = vpcAddress ?? '(default VPC)';
    if (!nextInVpc.has(key)) {
      const range = vpcAddress === undefined ? FAKE_DEFAULT_VPC_RANGE : vpcRanges.get(vpcAddress);
      if (range === undefined) throw new PlanError(`${d.address}: vpc_uuid references ${vpcAddress}, which is not in the plan`);
      const hosts = hostAddresses(range, FIRST_HOST_OFFSET);
      nextInVpc.set(key, (forAddress) => {
        const next = hosts.next();
        if (next.done) throw new PlanError(`VPC ${key} (${range}) has no address left for ${forAddress}`);
        return next.value;
      });
    }
    const id = String(100_000_001 + i);
    const publicIp = publicIps.next();
    if (publicIp.done) throw new PlanError(`${FAKE_PUBLIC_NETWORK} has no public address left for ${d.address}`);
    out.set(d.address, {
      id,
      urn: `do:droplet:${id}`,
      ipv4_address_private: nextInVpc.get(key)!(d.address),
      ipv4_address: publicIp.value,
      status: 'active',
    });
  });

  for (const type of ['digitalocean_reserved_ip', 'digitalocean_floating_ip']) {
    for (const r of plan.resources(type)) {
      const ip = publicIps.next();
      if (ip.done) throw new PlanError(`${FAKE_PUBLIC_NETWORK} has no public address left for ${r.address}`);
      out.set(r.address, { id: ip.value, ip_address: ip.value, urn: `do:reservedip:${ip.value}` });
    }
  }
  for (const t of plan.tags()) out.set(t.address, { id: t.name });
  for (const d of plan.domains()) out.set(d.address, { id: d.name, urn: `do:domain:${d.name}` });
  for (const v of plan.resources('digitalocean_volume')) {
    const id = nextUuid();
    out.set(v.address, { id, urn: `do:volume:${id}` });
  }
  plan.records().forEach((r, i) => out.set(r.address, { id: String(300_000_001 + i) }));
  for (const r of plan.resources()) {
    if (!out.has(r.address)) out.set(r.address, { id: nextUuid() });
  }
  return out;
}

/** IPv4 addresses of `cidr` from the `firstOffset`-th on, the broadcast address excluded. */
function* hostAddresses(cidr: string, firstOffset: number): Generator<string> {
  const [network, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const base = ipaddr.IPv4.networkAddressFromCIDR(cidr).octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  for (let offset = firstOffset; offset < size - 1; offset++) {
    const n = base + offset;
    const address = new ipaddr.IPv4([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    if (!address.match(network, bits)) return;
    yield address.toString();
  }
}

/** `<type>.<name>` when `value` is exactly `${<type>.<name>.<attribute>}`. */
function referencedAddress(value: string, type: string, attribute: string): string | undefined {
  const m = /^\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\}$/.exec(value);
  return m && m[1] === type && m[3] === attribute ? `${m[1]}.${m[2]}` : undefined;
}

function fakeVariableValue(v: PlanVariable): string | string[] {
  const type = (v.type ?? 'string').replace(/\s/g, '');
  const isList = /^(list|set)\(/.test(type);
  if (isList) {
    return /cidr/i.test(v.name) ? ['203.0.113.7/32'] : [`fake-${v.name}-0`];
  }
  if (type === 'number') return '1';
  if (type === 'bool') return 'true';
  if (type !== 'string' && type !== 'any') {
    throw new PlanError(`var.${v.name}: fakeResolver cannot make up a value of type ${v.type}; pass it in overrides`);
  }
  if (v.sensitive || /password|secret|token/i.test(v.name)) return fakePassword(v.name);
  if (/cidr/i.test(v.name)) return '203.0.113.7/32';
  return `fake-${v.name}`;
}

/** 24 characters of [A-Za-z0-9], the same for the same name. */
function fakePassword(seed: string): string {
  const bytes = createHash('sha256').update(`tierform-fake:${seed}`).digest();
  return [...bytes.subarray(0, 24)].map((b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join('');
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

function collectReferences(
  source: string,
  value: unknown,
  at: string,
  found: (attribute: string, reference: string) => void,
): void {
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
