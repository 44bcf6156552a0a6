/**
 * What `cdktf deploy` of a new synth would do to what an old synth deployed, computed from the two plans' JSON the
 * way Terraform plans it: per stack, every resource created, updated in place, replaced (and the attribute that
 * forces it) or destroyed, with cascades (a replaced resource's computed attributes are unknown until apply, so a
 * dependent whose ForceNew attribute refers to one is replaced too), `lifecycle.ignore_changes` honoured, and the
 * resources whose loss hurts (data, public addresses) marked from the plan's own references.
 *
 * Which attributes force replacement comes from the provider's schema (`digitalocean-replacing-attributes.json`);
 * a resource type not listed there is "unknown": every changed attribute may force replacement. Pure: no cdktf.
 * Not modelled: provider-side CustomizeDiff and normalisation, computed attributes a provider recomputes on update,
 * `moved` blocks, `count`/`for_each` instance keys (a counted resource is one row).
 */
import REPLACING_JSON from './digitalocean-replacing-attributes.json';
import { planProblems } from './graph';
import { HclSyntaxError, Traversal, expressionReferences, parseExpression, parseTemplate, staticTraversal } from './hcl';
import { Plan, PlanError } from './plan';

/** Resource type → its top-level attributes that force replacement when they change. */
export type ReplacingAttributes = Readonly<Record<string, readonly string[]>>;

/** DigitalOcean provider 2.71.0's ForceNew attributes (from the provider's schema). */
export const DIGITALOCEAN_REPLACING_ATTRIBUTES: ReplacingAttributes = REPLACING_JSON.resources;
/** The provider version the table was read from. */
export const DIGITALOCEAN_REPLACING_VERSION: string = REPLACING_JSON.provider.version;

export type ResourceAction = 'create' | 'update' | 'replace' | 'delete' | 'no-op';

export interface AttributeChange {
  /** The top-level attribute, e.g. `user_data`, `inbound_rule`. */
  readonly attribute: string;
  /** Changing it forces replacement: ForceNew in the provider, or the resource type is unknown. */
  readonly forcesReplacement: boolean;
  /** What changes: `"nyc3" → "ams3"`, `line 57: - … + …`, `refers to digitalocean_vpc.main.id, which is replaced`. */
  readonly detail: string;
}

export interface ResourceImpact {
  /** `<type>.<logical id>`. */
  readonly address: string;
  readonly type: string;
  /** The resource's `name` attribute, when it has one (a droplet's hostname). */
  readonly name?: string;
  readonly action: ResourceAction;
  /** Update and replace: the attribute changes, those forcing replacement first. */
  readonly changes: readonly AttributeChange[];
  /** Changes `lifecycle.ignore_changes` suppresses: the existing resource keeps its old value. */
  readonly ignoredChanges: readonly AttributeChange[];
  /** The type is not in the provider table: every changed attribute was taken to force replacement. */
  readonly unknownType: boolean;
  /** `lifecycle.create_before_destroy`: a replacement creates the new one first. */
  readonly createBeforeDestroy: boolean;
  /** Why losing it hurts (data on it, a public address people use); empty for neither. */
  readonly critical: readonly string[];
}

export interface OutputImpact {
  readonly name: string;
  readonly action: 'create' | 'update' | 'delete';
  readonly detail?: string;
}

export interface ImpactCounts {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  /** No-op but for changes `ignore_changes` suppresses. */
  readonly ignored: number;
  readonly unchanged: number;
}

export interface StackImpact {
  readonly stack: string;
  /** `both`: compared; `added`: new stack, everything created; `removed`: no longer synthesized (nothing destroyed). */
  readonly status: 'both' | 'added' | 'removed';
  /** Every resource that changes or has ignored changes; unchanged ones are only counted. */
  readonly resources: readonly ResourceImpact[];
  readonly outputs: readonly OutputImpact[];
  readonly counts: ImpactCounts;
  /** Why Terraform would refuse the new plan (cycles, dangling references); empty if it would not. */
  readonly problems: readonly string[];
  readonly notes: readonly string[];
}

export interface ImpactReport {
  readonly stacks: readonly StackImpact[];
  /** Stateful or entry-point resources that would be replaced or destroyed. */
  readonly dangerous: readonly { readonly stack: string; readonly resource: ResourceImpact }[];
}

export interface ImpactOptions {
  /** @default DIGITALOCEAN_REPLACING_ATTRIBUTES */
  readonly replacing?: ReplacingAttributes;
}

/** Exit status of `npm run impact`. */
export const EXIT = {
  ok: 0,
  usage: 1,
  /** A stateful or entry-point resource would be replaced or destroyed (and --allow-replace was not given). */
  dangerous: 2,
  /** Terraform would refuse a new plan (cycle, dangling reference): nothing would be deployed. */
  notCreatable: 3,
} as const;

/** Compares every stack of two synth outputs, matched by stack name. */
export function compareOutdirs(oldPlans: ReadonlyMap<string, Plan>, newPlans: ReadonlyMap<string, Plan>, options: ImpactOptions = {}): ImpactReport {
  const names = [...new Set([...oldPlans.keys(), ...newPlans.keys()])].sort();
  const stacks = names.map((name) => {
    const oldPlan = oldPlans.get(name);
    const newPlan = newPlans.get(name);
    if (oldPlan && newPlan) return compareStacks(oldPlan, newPlan, options, name);
    if (newPlan) return { ...compareStacks(emptyPlan(name), newPlan, options, name), status: 'added' as const };
    return removedStack(name, oldPlan!);
  });
  return { stacks, dangerous: dangerousOf(stacks) };
}

/** What deploying `newPlan` over what `oldPlan` deployed would do. */
export function compareStacks(
  oldPlan: Plan,
  newPlan: Plan,
  options: ImpactOptions = {},
  name = newPlan.name ?? oldPlan.name ?? 'stack',
): StackImpact {
  const comparison = new Comparison(oldPlan, newPlan, options.replacing ?? DIGITALOCEAN_REPLACING_ATTRIBUTES);
  const all = comparison.resources();
  const listed = all.filter((r) => r.action !== 'no-op' || r.ignoredChanges.length > 0);
  const count = (a: ResourceAction) => all.filter((r) => r.action === a).length;
  const ignored = all.filter((r) => r.action === 'no-op' && r.ignoredChanges.length > 0).length;
  return {
    stack: name,
    status: 'both',
    resources: listed,
    outputs: comparison.outputs(),
    counts: {
      create: count('create'),
      update: count('update'),
      replace: count('replace'),
      delete: count('delete'),
      ignored,
      unchanged: count('no-op') - ignored,
    },
    problems: problemsOf(newPlan),
    notes: providerNotes(newPlan, options),
  };
}

/** 0, or EXIT.dangerous when a stateful/entry-point resource would be replaced or destroyed (unless allowed), or EXIT.notCreatable. */
export function impactExitCode(report: ImpactReport, options: { readonly allowReplace?: boolean } = {}): number {
  if (report.stacks.some((s) => s.problems.length > 0)) return EXIT.notCreatable;
  if (report.dangerous.length > 0 && !options.allowReplace) return EXIT.dangerous;
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------------------------
// the comparison

/** Meta-arguments: not attributes the provider sees. `depends_on` changes alone change nothing. */
const META_ARGUMENTS = new Set(['depends_on', 'lifecycle', 'provider', 'count', 'for_each', 'provisioner', 'connection']);

/** How a referenced value compares with what it was: equal, a new known value, or unknown until apply. */
type Status = 'same' | 'changed' | 'unknown';
interface ValueStatus {
  readonly status: Status;
  /** Why, for the report: `refers to X, which is replaced`. */
  readonly because?: string;
}
const SAME: ValueStatus = { status: 'same' };

type Attributes = Readonly<Record<string, unknown>>;

class Comparison {
  private readonly oldResources: ReadonlyMap<string, Attributes>;
  private readonly newResources: ReadonlyMap<string, Attributes>;
  private readonly actions = new Map<string, ResourceAction>();
  private readonly referenceCache = new Map<string, Traversal[]>();
  private readonly critical: ReadonlyMap<string, string[]>;

  constructor(
    private readonly oldPlan: Plan,
    private readonly newPlan: Plan,
    private readonly replacing: ReplacingAttributes,
  ) {
    this.oldResources = managedResources(oldPlan);
    this.newResources = managedResources(newPlan);
    this.critical = mergeReasons(criticalResources(oldPlan, this), criticalResources(newPlan, this));
    for (const address of this.newResources.keys()) this.actions.set(address, this.oldResources.has(address) ? 'no-op' : 'create');
    for (const address of this.oldResources.keys()) if (!this.newResources.has(address)) this.actions.set(address, 'delete');
    this.settle();
  }

  /** Actions only escalate (no-op → update → replace) as unknown values spread: iterate until nothing moves. */
  private settle(): void {
    const both = [...this.newResources.keys()].filter((a) => this.oldResources.has(a));
    for (let round = 0; round <= both.length + 1; round++) {
      let moved = false;
      for (const address of both) {
        const action = this.diff(address).action;
        if (action !== this.actions.get(address)) {
          this.actions.set(address, action);
          moved = true;
        }
      }
      if (!moved) return;
    }
    throw new PlanError('impact analysis did not settle: please report this plan');
  }

  public resources(): ResourceImpact[] {
    const addresses = [...new Set([...this.newResources.keys(), ...this.oldResources.keys()])].sort();
    return addresses.map((address) => {
      const attrs = this.newResources.get(address) ?? this.oldResources.get(address)!;
      const type = address.slice(0, address.indexOf('.'));
      const base = {
        address,
        type,
        name: typeof attrs.name === 'string' ? attrs.name : undefined,
        unknownType: !(type in this.replacing),
        createBeforeDestroy: objectOf(attrs.lifecycle).create_before_destroy === true,
        critical: this.critical.get(address) ?? [],
      };
      const action = this.actions.get(address)!;
      if (action === 'create' || action === 'delete') return { ...base, action, changes: [], ignoredChanges: [] };
      const { changes, ignoredChanges } = this.diff(address);
      return { ...base, action, changes, ignoredChanges };
    });
  }

  public outputs(): OutputImpact[] {
    const oldOutputs = objectOf(this.oldPlan.json.output);
    const newOutputs = objectOf(this.newPlan.json.output);
    const names = [...new Set([...Object.keys(oldOutputs), ...Object.keys(newOutputs)])].sort();
    return names.flatMap((name): OutputImpact[] => {
      if (!(name in oldOutputs)) return [{ name, action: 'create' }];
      if (!(name in newOutputs)) return [{ name, action: 'delete' }];
      const before = stripMetadata(objectOf(oldOutputs[name]).value);
      const after = stripMetadata(objectOf(newOutputs[name]).value);
      if (!jsonEqual(before, after)) return [{ name, action: 'update', detail: describeValueChange(before, after) }];
      const status = this.valueStatus(after, `output.${name}`);
      return status.status === 'same' ? [] : [{ name, action: 'update', detail: status.because }];
    });
  }

  /** The action for a resource in both plans, from its attribute changes under the current actions of the others. */
  private diff(address: string): { action: ResourceAction; changes: AttributeChange[]; ignoredChanges: AttributeChange[] } {
    const before = this.oldResources.get(address)!;
    const after = this.newResources.get(address)!;
    const type = address.slice(0, address.indexOf('.'));
    const forceNew = this.replacing[type];
    const ignore = ignoreRules(address, objectOf(after.lifecycle).ignore_changes);
    const changes: AttributeChange[] = [];
    const ignoredChanges: AttributeChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !k.startsWith('//') && !META_ARGUMENTS.has(k)).sort();
    for (const key of keys) {
      const forcesReplacement = forceNew === undefined || forceNew.includes(key);
      const detail = this.attributeChange(before[key], after[key], address, key);
      if (detail === undefined) continue;
      const change = {
        attribute: key,
        forcesReplacement,
        detail: forceNew === undefined ? `${detail} (unknown type: may force replacement)` : detail,
      };
      let kept: string | undefined = detail;
      if (ignore.all || ignore.whole.has(key)) kept = undefined;
      else if (ignore.nested.has(key)) kept = this.attributeChange(...withoutPaths(before[key], after[key], ignore.nested.get(key)), address);
      if (kept === undefined) ignoredChanges.push(change);
      else changes.push(kept === detail ? change : { ...change, detail: kept });
    }
    for (const trigger of this.replaceTriggers(address, after))
      changes.push({ attribute: 'lifecycle.replace_triggered_by', forcesReplacement: true, detail: trigger });
    changes.sort((a, b) => Number(b.forcesReplacement) - Number(a.forcesReplacement));
    const action: ResourceAction = changes.some((c) => c.forcesReplacement) ? 'replace' : changes.length > 0 ? 'update' : 'no-op';
    return { action, changes, ignoredChanges };
  }

  /** Why an attribute's value differs (textually, or through a reference that changes), or undefined. */
  private attributeChange(before: unknown, after: unknown, from: string, attribute?: string): string | undefined {
    const type = from.slice(0, from.indexOf('.'));
    const a = canonicalSets(type, attribute, stripMetadata(before));
    const b = canonicalSets(type, attribute, stripMetadata(after));
    if (!jsonEqual(a, b)) return describeValueChange(a, b);
    const status = this.valueStatus(b, from);
    return status.status === 'same' ? undefined : status.because;
  }

  /** `replace_triggered_by`: a whole resource triggers when it is updated or replaced; an attribute when its value changes. */
  private replaceTriggers(address: string, after: Attributes): string[] {
    const list = objectOf(after.lifecycle).replace_triggered_by;
    if (!Array.isArray(list)) return [];
    return list.flatMap((entry): string[] => {
      if (typeof entry !== 'string') return [];
      const ref = this.referencesIn(entry.includes('${') ? entry : `\${${entry}}`, address)[0];
      if (!ref) return [];
      const target = resourceAddress(ref);
      if (target && ref.steps.length === 1) {
        const action = this.actions.get(target);
        return action === 'update' || action === 'replace' ? [`replace_triggered_by ${ref.text}, which is ${pastTense(action)}`] : [];
      }
      const status = this.referenceStatus(ref, new Set());
      return status.status === 'same' ? [] : [`replace_triggered_by: ${status.because}`];
    });
  }

  /** The combined status of every reference inside a (new) value. */
  private valueStatus(value: unknown, from: string, visiting: Set<string> = new Set()): ValueStatus {
    let worst = SAME;
    for (const text of strings(value)) {
      for (const ref of this.referencesIn(text, from)) {
        const s = this.referenceStatus(ref, visiting);
        if (rank(s.status) > rank(worst.status)) worst = s;
        if (worst.status === 'unknown') return worst;
      }
    }
    return worst;
  }

  /** Is the value a reference names the same as before, a new known value, or unknown until apply? */
  public referenceStatus(ref: Traversal, visiting: Set<string>): ValueStatus {
    const names = ref.steps.map((s) => (s.kind === 'attr' ? s.name : undefined));
    switch (ref.root) {
      case 'var': {
        const before = objectOf(objectOf(this.oldPlan.json.variable)[names[0] ?? '']).default;
        const after = objectOf(objectOf(this.newPlan.json.variable)[names[0] ?? '']).default;
        return jsonEqual(before, after) ? SAME : { status: 'changed', because: `refers to ${ref.text}, whose default changes` };
      }
      case 'local': {
        const id = `local.${names[0]}`;
        if (visiting.has(id)) return SAME;
        const before = stripMetadata(locals(this.oldPlan)[names[0] ?? '']);
        const after = stripMetadata(locals(this.newPlan)[names[0] ?? '']);
        if (!jsonEqual(before, after)) return { status: 'changed', because: `refers to ${ref.text}, which changes` };
        const inner = this.valueStatus(after, id, new Set([...visiting, id]));
        return inner.status === 'same' ? SAME : { status: inner.status, because: `refers to ${ref.text}, which ${inner.because}` };
      }
      case 'data': {
        const id = `data.${names[0]}.${names[1]}`;
        const before = stripMetadata(objectOf(objectOf(this.oldPlan.json.data)[names[0] ?? ''])[names[1] ?? '']);
        const after = stripMetadata(objectOf(objectOf(this.newPlan.json.data)[names[0] ?? ''])[names[1] ?? '']);
        if (visiting.has(id)) return SAME;
        const changed = !jsonEqual(before, after) || this.valueStatus(after, id, new Set([...visiting, id])).status !== 'same';
        return changed ? { status: 'unknown', because: `refers to ${ref.text}, which is read again at apply` } : SAME;
      }
      case 'module': {
        const before = stripMetadata(objectOf(this.oldPlan.json.module)[names[0] ?? '']);
        const after = stripMetadata(objectOf(this.newPlan.json.module)[names[0] ?? '']);
        return jsonEqual(before, after) ? SAME : { status: 'unknown', because: `refers to ${ref.text}, whose module call changes` };
      }
      case 'count':
      case 'each':
      case 'self':
      case 'path':
      case 'terraform':
        return SAME;
      default:
        return this.resourceReferenceStatus(ref, visiting);
    }
  }

  private resourceReferenceStatus(ref: Traversal, visiting: Set<string>): ValueStatus {
    const address = resourceAddress(ref);
    if (!address) return SAME;
    const action = this.actions.get(address);
    if (action === undefined || action === 'delete') return { status: 'unknown', because: `refers to ${ref.text}, which is not in the plan` };
    const attribute = ref.steps[1]?.kind === 'attr' ? ref.steps[1].name : undefined;
    if (attribute === undefined) {
      // The whole object: any change to it changes the value.
      return action === 'no-op'
        ? SAME
        : { status: action === 'update' ? 'changed' : 'unknown', because: `refers to ${ref.text}, which is ${pastTense(action)}` };
    }
    const after = this.newResources.get(address)!;
    const configured = attribute !== 'id' && attribute in after;
    if (!configured) {
      // Computed by the provider: known from state unless the resource is new.
      return action === 'create' || action === 'replace'
        ? { status: 'unknown', because: `refers to ${ref.text}, which is ${pastTense(action)}` }
        : SAME;
    }
    if (action === 'create') return { status: 'changed', because: `refers to ${ref.text}, which is created` };
    const key = `${address}.${attribute}`;
    if (visiting.has(key)) return SAME;
    const before = stripMetadata(this.oldResources.get(address)![attribute]);
    const now = stripMetadata(after[attribute]);
    if (!jsonEqual(before, now)) return { status: 'changed', because: `refers to ${ref.text}, which changes (${describeValueChange(before, now)})` };
    const inner = this.valueStatus(now, address, new Set([...visiting, key]));
    return inner.status === 'same' ? SAME : { status: inner.status, because: `refers to ${ref.text}, which ${inner.because}` };
  }

  /** References in a template, memoised (user_data is parsed once, not once per round). */
  public referencesIn(text: string, from: string): Traversal[] {
    let refs = this.referenceCache.get(text);
    if (refs === undefined) {
      try {
        refs = expressionReferences(parseTemplate(text));
      } catch (e) {
        if (e instanceof HclSyntaxError) throw new PlanError(`${from}: ${e.message}`);
        throw e;
      }
      this.referenceCache.set(text, refs);
    }
    return refs;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// stateful and entry-point resources

/** Data lives on them, or people reach the site through them: derived from types and references, not names. */
function criticalResources(plan: Plan, comparison: Comparison): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (address: string, reason: string) => {
    const list = reasons.get(address) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(address, list);
  };
  const refs = (value: unknown, from: string) => strings(value).flatMap((s) => comparison.referencesIn(s, from));
  for (const [address, attrs] of managedResources(plan)) {
    const type = address.slice(0, address.indexOf('.'));
    switch (type) {
      case 'digitalocean_volume':
        add(address, 'STATEFUL: a volume (re-created empty)');
        break;
      case 'digitalocean_database_cluster':
        add(address, 'STATEFUL: a managed database cluster');
        break;
      case 'digitalocean_domain':
        add(address, 'ENTRY POINT: the DNS zone');
        break;
      case 'digitalocean_reserved_ip':
      case 'digitalocean_floating_ip':
        add(address, 'ENTRY POINT: a reserved IP (a new one has another address)');
        break;
      case 'digitalocean_loadbalancer':
        add(address, 'ENTRY POINT: a load balancer (a new one has another address)');
        break;
      default:
        break;
    }
    if (type === 'digitalocean_droplet') {
      for (const ref of refs(attrs.volume_ids, address)) {
        const volume = resourceAddress(ref);
        if (volume) add(address, `STATEFUL: volume ${volume} is attached`);
      }
    }
    if (type === 'digitalocean_volume_attachment') {
      const volume = refs(attrs.volume_id, address).map(resourceAddress).find(Boolean);
      for (const ref of refs(attrs.droplet_id, address)) {
        const droplet = resourceAddress(ref);
        if (droplet) add(droplet, `STATEFUL: volume ${volume ?? '(unknown)'} is attached by ${address}`);
      }
    }
    if (/^digitalocean_(reserved|floating)_ip(_assignment)?$/.test(type)) {
      for (const ref of refs(attrs.droplet_id, address)) {
        const droplet = resourceAddress(ref);
        if (droplet?.startsWith('digitalocean_droplet.')) add(droplet, `ENTRY POINT: ${address} points at it`);
      }
    }
    if (type === 'digitalocean_record') {
      for (const ref of refs(attrs.value, address)) {
        const target = resourceAddress(ref);
        const attribute = ref.steps[1]?.kind === 'attr' ? ref.steps[1].name : '';
        if (target?.startsWith('digitalocean_droplet.') && /^ipv[46]_address$/.test(attribute)) {
          add(target, `ENTRY POINT: its public address is DNS record ${address} (${typeof attrs.name === 'string' ? attrs.name : '?'})`);
        }
      }
    }
  }
  return reasons;
}

function mergeReasons(a: Map<string, string[]>, b: Map<string, string[]>): Map<string, string[]> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, [...new Set([...(out.get(k) ?? []), ...v])]);
  return out;
}

function dangerousOf(stacks: readonly StackImpact[]): { stack: string; resource: ResourceImpact }[] {
  return stacks.flatMap((s) =>
    s.resources
      .filter((r) => (r.action === 'replace' || r.action === 'delete') && r.critical.length > 0)
      .map((resource) => ({ stack: s.stack, resource })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// ignore_changes

interface IgnoreRules {
  readonly all: boolean;
  /** Top-level attributes ignored whole. */
  readonly whole: ReadonlySet<string>;
  /** Top-level attribute → nested paths ignored inside it. */
  readonly nested: ReadonlyMap<string, Traversal[]>;
}

function ignoreRules(address: string, ignoreChanges: unknown): IgnoreRules {
  const whole = new Set<string>();
  const nested = new Map<string, Traversal[]>();
  if (ignoreChanges === 'all' || (Array.isArray(ignoreChanges) && ignoreChanges.includes('all'))) return { all: true, whole, nested };
  const entries = Array.isArray(ignoreChanges) ? ignoreChanges : ignoreChanges === undefined ? [] : [ignoreChanges];
  for (const entry of entries) {
    if (typeof entry !== 'string')
      throw new PlanError(`${address} lifecycle.ignore_changes: entries must be attribute names, got ${JSON.stringify(entry)}`);
    let path: Traversal | undefined;
    try {
      path = staticTraversal(parseExpression(entry.replace(/^\$\{(.*)\}$/s, '$1')));
    } catch (e) {
      if (!(e instanceof HclSyntaxError)) throw e;
    }
    if (!path) throw new PlanError(`${address} lifecycle.ignore_changes: '${entry}' is not an attribute path such as ssh_keys or tags[0]`);
    if (path.steps.length === 0) whole.add(path.root);
    else nested.set(path.root, [...(nested.get(path.root) ?? []), path]);
  }
  return { all: false, whole, nested };
}

/** Both values with the ignored nested paths removed. */
function withoutPaths(before: unknown, after: unknown, paths: readonly Traversal[] | undefined): [unknown, unknown] {
  if (!paths) return [before, after];
  const strip = (value: unknown) => paths.reduce((v, p) => removePath(v, p.steps), structuredClone(value));
  return [strip(before), strip(after)];
}

function removePath(value: unknown, steps: Traversal['steps']): unknown {
  if (steps.length === 0 || value === null || typeof value !== 'object') return value;
  const [first, ...rest] = steps;
  const key = first.kind === 'attr' ? first.name : first.key;
  const container = value as Record<string | number, unknown>;
  if (!(key in container)) return value;
  if (rest.length === 0) {
    if (Array.isArray(container)) container[key as number] = null;
    else delete container[key];
  } else container[key] = removePath(container[key], rest);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// describing changes

const SHORT = 100;

/** `"nyc3" → "ams3"`, or for multi-line text the first differing line: `line 57: - "…" + "…"`. */
export function describeValueChange(before: unknown, after: unknown): string {
  if (before === undefined) return `added: ${short(after)}`;
  if (after === undefined) return `removed (was ${short(before)})`;
  if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    return firstDifferentLine(before, after);
  }
  return `${short(before)} → ${short(after)}`;
}

/** The first line where two texts differ (1-based), quoted and cut: changed, added or removed. */
export function firstDifferentLine(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i >= a.length || a[i] === b[i + 1]) return `line ${i + 1} added: ${short(b[i])}`;
  if (i >= b.length || b[i] === a[i + 1]) return `line ${i + 1} removed: ${short(a[i])}`;
  return `line ${i + 1}: - ${short(a[i])} + ${short(b[i])}`;
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHORT ? `${text.slice(0, SHORT - 1)}…` : text;
}

function pastTense(action: ResourceAction): string {
  return { create: 'created', update: 'updated in place', replace: 'replaced', delete: 'destroyed', 'no-op': 'unchanged' }[action];
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function rank(s: Status): number {
  return s === 'same' ? 0 : s === 'changed' ? 1 : 2;
}

/** `type.name` of a reference to a managed resource, or undefined (var, local, data, ...). */
function resourceAddress(ref: Traversal): string | undefined {
  if (['var', 'local', 'data', 'module', 'count', 'each', 'self', 'path', 'terraform'].includes(ref.root)) return undefined;
  const first = ref.steps[0];
  return first?.kind === 'attr' ? `${ref.root}.${first.name}` : undefined;
}

function managedResources(plan: Plan): Map<string, Attributes> {
  const out = new Map<string, Attributes>();
  for (const [type, byName] of Object.entries(plan.json.resource ?? {})) {
    for (const [name, attrs] of Object.entries(byName)) out.set(`${type}.${name}`, stripMetadata(attrs) as Attributes);
  }
  return out;
}

/**
 * Structural equality of JSON values. Not util.isDeepStrictEqual: it compares prototypes, so the same JSON parsed
 * in another realm (a jest sandbox, structuredClone) would differ.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const ob = b as Record<string, unknown>;
  return (
    ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual((a as Record<string, unknown>)[k], ob[k]))
  );
}

/**
 * Attributes the DigitalOcean provider (2.71.0) declares as `schema.TypeSet`, by resource type: their order is not a
 * change (Terraform compares them as sets). Nested block attributes as `block.attribute`. Read from the provider's
 * schema: firewall (`droplet_ids`, `tags`, `inbound_rule`, `outbound_rule` and every address/id/tag list in a rule),
 * droplet (`tags`, `ssh_keys`, `volume_ids`).
 */
const SET_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  digitalocean_firewall: [
    'droplet_ids',
    'tags',
    'inbound_rule',
    'outbound_rule',
    ...['addresses', 'droplet_ids', 'load_balancer_uids', 'kubernetes_ids', 'tags'].flatMap((a) => [
      `inbound_rule.source_${a}`,
      `outbound_rule.destination_${a}`,
    ]),
  ],
  digitalocean_droplet: ['tags', 'ssh_keys', 'volume_ids'],
};

/** `value` with the set-typed parts of `attribute` sorted (by their JSON text), so that order is not a change. */
function canonicalSets(type: string, attribute: string | undefined, value: unknown): unknown {
  const sets = attribute === undefined ? undefined : SET_ATTRIBUTES[type];
  if (sets === undefined || !sets.includes(attribute!)) return value;
  const nested = sets.filter((s) => s.startsWith(`${attribute}.`)).map((s) => s.slice(attribute!.length + 1));
  if (!Array.isArray(value)) return value;
  const elements = value.map((element) => {
    if (nested.length === 0 || element === null || typeof element !== 'object' || Array.isArray(element)) return element;
    const block = { ...(element as Record<string, unknown>) };
    for (const key of nested) if (Array.isArray(block[key])) block[key] = [...(block[key] as unknown[])].sort(byJson);
    return block;
  });
  return elements.sort(byJson);
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** cdktf's `//` metadata removed at any depth. */
function stripMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith('//'))
        .map(([k, v]) => [k, stripMetadata(v)]),
    );
  }
  return value;
}

/** Every string inside a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function locals(plan: Plan): Record<string, unknown> {
  const l = plan.json.locals;
  if (Array.isArray(l)) return Object.assign({}, ...l.map(objectOf));
  return objectOf(l);
}

function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function problemsOf(plan: Plan): string[] {
  try {
    return planProblems(plan);
  } catch (e) {
    if (e instanceof PlanError) return [`Error: ${e.message}`];
    throw e;
  }
}

function providerNotes(plan: Plan, options: ImpactOptions): string[] {
  if (options.replacing !== undefined) return [];
  const required = objectOf(objectOf(objectOf(plan.json.terraform).required_providers).digitalocean);
  const version = required.version;
  if (typeof version === 'string' && version !== DIGITALOCEAN_REPLACING_VERSION) {
    return [`the plan asks for DigitalOcean provider ${version}; which attributes force replacement was read from ${DIGITALOCEAN_REPLACING_VERSION}`];
  }
  return [];
}

function emptyPlan(name: string): Plan {
  return new Plan({}, name);
}

function removedStack(name: string, oldPlan: Plan): StackImpact {
  const count = managedResources(oldPlan).size;
  return {
    stack: name,
    status: 'removed',
    resources: [],
    outputs: [],
    counts: { create: 0, update: 0, replace: 0, delete: 0, ignored: 0, unchanged: count },
    problems: [],
    notes: [
      `no longer synthesized: cdktf deploy leaves its ${count} resources alone; \`cdktf destroy ${name}\` (with the old synth) would remove them`,
    ],
  };
}
