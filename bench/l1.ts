/**
 * The L1 side of `npm run bench:synth`: the same Terraform plan written with raw provider constructs only.
 *
 * Instead of hand-writing every string, `planL1Stack()` reads a stack synthesized by the library (cdk.tf.json)
 * and turns it, once and outside any timing, into a list of "statements": for each resource, the L1 class and
 * the camelCase config an author would type (`inbound_rule` → `inboundRule`, `source_addresses` →
 * `sourceAddresses`), references kept as raw `${...}` strings and user_data copied exactly as it appears in the
 * JSON (already Terraform-escaped, `$${`), so it synthesizes byte for byte the same. Variables, outputs and the
 * provider are rebuilt the same way. `buildL1Stack()` replays the statements into a fresh TerraformStack: that
 * is what gets timed.
 *
 * A later stage that uses a resource type not listed in L1_RESOURCES fails here with the type to add.
 */
import { Domain } from '@cdktf/provider-digitalocean/lib/domain';
import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { Firewall } from '@cdktf/provider-digitalocean/lib/firewall';
import { MonitorAlert } from '@cdktf/provider-digitalocean/lib/monitor-alert';
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { Record as DnsRecord } from '@cdktf/provider-digitalocean/lib/record';
import { ReservedIp } from '@cdktf/provider-digitalocean/lib/reserved-ip';
import { Tag } from '@cdktf/provider-digitalocean/lib/tag';
import { UptimeAlert } from '@cdktf/provider-digitalocean/lib/uptime-alert';
import { UptimeCheck } from '@cdktf/provider-digitalocean/lib/uptime-check';
import { Volume } from '@cdktf/provider-digitalocean/lib/volume';
import { Vpc } from '@cdktf/provider-digitalocean/lib/vpc';
import { TerraformElement, TerraformOutput, TerraformProvider, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';

/** Any generated L1 class: `new Droplet(scope, id, config)`. The config is built from JSON, hence `any`. */
type L1ResourceClass = new (scope: Construct, id: string, config: any) => TerraformResource;
type L1ProviderClass = new (scope: Construct, id: string, config: any) => TerraformProvider;

/** Terraform resource type → L1 class. Add a line here when a stage starts using a new resource type. */
export const L1_RESOURCES: Readonly<Record<string, L1ResourceClass>> = {
  digitalocean_domain: Domain,
  digitalocean_droplet: Droplet,
  digitalocean_firewall: Firewall,
  digitalocean_monitor_alert: MonitorAlert,
  digitalocean_record: DnsRecord,
  digitalocean_reserved_ip: ReservedIp,
  digitalocean_tag: Tag,
  digitalocean_uptime_alert: UptimeAlert,
  digitalocean_uptime_check: UptimeCheck,
  digitalocean_volume: Volume,
  digitalocean_vpc: Vpc,
};

export const L1_PROVIDERS: Readonly<Record<string, L1ProviderClass>> = {
  digitalocean: DigitaloceanProvider,
};

/**
 * Attributes whose value is a map with user-chosen keys (must not be camelCased), per resource type.
 * None of the types above has one yet.
 */
const MAP_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {};

/** Resource meta-arguments that are not part of the generated config: written back with addOverride. */
const RAW_META_ARGUMENTS = new Set(['depends_on', 'count', 'for_each', 'provider', 'provisioner', 'connection']);

export type TfJson = { [key: string]: any };

/** One step of the L1 program. */
type Statement = (stack: TerraformStack) => void;

export interface L1StackPlan {
  readonly stackId: string;
  readonly statements: readonly Statement[];
}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** snake_case keys → camelCase, recursively through nested blocks; '//' metadata dropped; `keepRaw` values copied. */
function toConfig(value: unknown, keepRaw: readonly string[] = []): any {
  if (Array.isArray(value)) return value.map((v) => toConfig(v));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '//') continue;
    out[camel(key)] = keepRaw.includes(key) ? v : toConfig(v);
  }
  return out;
}

function withLogicalId(element: TerraformElement, logicalId: string): void {
  element.overrideLogicalId(logicalId);
}

/** Reads a synthesized stack (outside the timing) and returns the statements that rebuild it with L1 classes. */
export function planL1Stack(stackId: string, json: TfJson): L1StackPlan {
  const statements: Statement[] = [];
  const supported = new Set(['//', 'terraform', 'provider', 'resource', 'variable', 'output']);
  for (const section of Object.keys(json)) {
    if (!supported.has(section)) {
      throw new Error(`bench/l1.ts: stack ${stackId} has a '${section}' section, which the L1 rebuild does not handle yet`);
    }
  }

  for (const [name, configs] of Object.entries<TfJson[]>(json.provider ?? {})) {
    const cls = L1_PROVIDERS[name];
    if (!cls) throw new Error(`bench/l1.ts: no L1 class for provider '${name}': add it to L1_PROVIDERS`);
    configs.forEach((raw, i) => {
      const config = toConfig(raw);
      statements.push((stack) => {
        new cls(stack, `provider_${name}_${i}`, config);
      });
    });
  }

  for (const [name, raw] of Object.entries<TfJson>(json.variable ?? {})) {
    const { default: defaultValue, ...rest } = raw;
    const config = { ...toConfig(rest), ...(defaultValue === undefined ? {} : { default: defaultValue }) };
    statements.push((stack) => withLogicalId(new TerraformVariable(stack, `variable_${name}`, config), name));
  }

  for (const [type, resources] of Object.entries<TfJson>(json.resource ?? {})) {
    const cls = L1_RESOURCES[type];
    if (!cls) throw new Error(`bench/l1.ts: no L1 class for resource type '${type}': add it to L1_RESOURCES`);
    for (const [logicalId, raw] of Object.entries<TfJson>(resources)) {
      const attributes: TfJson = {};
      const overrides: [string, unknown][] = [];
      for (const [key, v] of Object.entries(raw)) {
        if (RAW_META_ARGUMENTS.has(key)) overrides.push([key, v]);
        else attributes[key] = v;
      }
      const config = toConfig(attributes, MAP_ATTRIBUTES[type]);
      statements.push((stack) => {
        const resource = new cls(stack, `${type}_${logicalId}`, config);
        resource.overrideLogicalId(logicalId);
        for (const [key, v] of overrides) resource.addOverride(key, v);
      });
    }
  }

  for (const [name, raw] of Object.entries<TfJson>(json.output ?? {})) {
    const { value, ...rest } = raw;
    const config = { ...toConfig(rest), value };
    statements.push((stack) => withLogicalId(new TerraformOutput(stack, `output_${name}`, config), name));
  }

  return { stackId, statements };
}

/** Replays a plan: this is the "hand-written L1 program" that is timed. */
export function buildL1Stack(scope: Construct, plan: L1StackPlan): TerraformStack {
  const stack = new TerraformStack(scope, plan.stackId);
  for (const statement of plan.statements) statement(stack);
  return stack;
}

/** Removes every '//' (cdktf metadata) key, recursively. */
export function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== '//') out[key] = withoutMetadata(v);
  }
  return out;
}

/** First path where `a` and `b` differ (key order ignored), or undefined when they are deep-equal. */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    const show = (x: unknown) => {
      const s = JSON.stringify(x) ?? String(x);
      return s.length > 120 ? `${s.slice(0, 120)}…` : s;
    };
    return `${path}: ${show(a)} vs ${show(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const key of keys) {
    if (!(key in ao)) return `${path}.${key}: missing on the library side`;
    if (!(key in bo)) return `${path}.${key}: missing on the L1 side`;
    const d = firstDifference(ao[key], bo[key], `${path}.${key}`);
    if (d) return d;
  }
  return undefined;
}
