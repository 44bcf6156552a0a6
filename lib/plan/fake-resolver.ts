/**
 * A made-up but consistent answer to every reference of a plan (addresses, ids, variables), for tests and the lab:
 * what Terraform would know after apply. Pure: no cdktf.
 */
import { createHash } from 'crypto';
import * as ipaddr from 'ipaddr.js';
import { Plan, PlanError, PlanResource, PlanVariable } from './plan';
import { ReferenceResolver, renderTemplate } from './template';

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
    throw new PlanError(
      `unknown reference ${reference}: ${resource.type} has no string attribute '${attribute}' in the plan and fakeResolver does not compute it`,
    );
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
