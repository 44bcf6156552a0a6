/**
 * Terraform's dependency graph of one synthesized stack, built from its JSON the way Terraform builds it: nodes
 * for resources, data sources, input variables, locals, outputs, provider configurations and module calls; an edge
 * for every reference in any attribute at any depth (user_data, nested blocks, `count`/`for_each`, `lifecycle`'s
 * `replace_triggered_by` and conditions, `provisioner`/`connection`), every `depends_on` entry and each resource's
 * provider. Then the two checks `terraform validate` makes on that graph: no cycle (`Error: Cycle: a, b`), and
 * every reference resolvable (`Reference to undeclared resource`, ...).
 *
 * Not modelled: attribute names against the provider schema (`Unsupported attribute`), destroy-time edges of
 * `create_before_destroy` replacements, modules' insides (a module call is one node). Pure: no cdktf import.
 */
import { Traversal, expressionReferences, parseExpression, parseTemplate, HclSyntaxError } from './hcl';
import { Plan, PlanError } from './plan';

export type GraphNodeKind = 'resource' | 'data' | 'variable' | 'local' | 'output' | 'provider' | 'module';

export interface GraphNode {
  /** Terraform's name for it: `digitalocean_droplet.web`, `data.x.y`, `var.x`, `local.x`, `output.x`, `module.x`, `provider["registry.terraform.io/digitalocean/digitalocean"]`. */
  readonly id: string;
  readonly kind: GraphNodeKind;
}

/** `from` needs `to` first: a reference, a `depends_on` entry or the provider of a resource. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Where in `from`: `user_data`, `inbound_rule[0].source_tags[0]`, `depends_on[0]`, `lifecycle.replace_triggered_by[0]`, `provider`. */
  readonly attribute: string;
  /** The reference as written, e.g. `digitalocean_droplet.web.ipv4_address_private`. */
  readonly reference: string;
}

/** A reference Terraform could not resolve: `terraform validate` fails on it. */
export interface DanglingReference {
  readonly from: string;
  readonly attribute: string;
  readonly reference: string;
  /** Terraform's summary, e.g. `Reference to undeclared resource`. */
  readonly summary: string;
  /** What is missing, e.g. `a managed resource "digitalocean_tag" "gone" has not been declared`. */
  readonly detail: string;
}

/** A strongly connected set of nodes: Terraform cannot order them. One node when it refers to itself. */
export interface Cycle {
  /** In reference order where possible: each node needs the next. */
  readonly nodes: readonly string[];
  /** The edges between the cycle's nodes: why each needs another. */
  readonly edges: readonly GraphEdge[];
}

export class PlanGraph {
  private readonly outgoing = new Map<string, GraphEdge[]>();
  private readonly incoming = new Map<string, GraphEdge[]>();

  constructor(
    public readonly nodes: ReadonlyMap<string, GraphNode>,
    public readonly edges: readonly GraphEdge[],
    public readonly dangling: readonly DanglingReference[],
  ) {
    for (const id of nodes.keys()) {
      this.outgoing.set(id, []);
      this.incoming.set(id, []);
    }
    for (const e of edges) {
      this.outgoing.get(e.from)!.push(e);
      this.incoming.get(e.to)!.push(e);
    }
  }

  /** The edges from `id`: what it needs. */
  public dependenciesOf(id: string): readonly GraphEdge[] {
    return this.outgoing.get(id) ?? [];
  }

  /** The edges to `id`: what needs it. */
  public dependentsOf(id: string): readonly GraphEdge[] {
    return this.incoming.get(id) ?? [];
  }

  public findCycles(): Cycle[] {
    return findCycles(this);
  }
}

/** The plan cannot be created: Terraform would stop at validate. The message lists every problem. */
export class PlanNotCreatableError extends PlanError {
  constructor(
    public readonly planName: string | undefined,
    public readonly cycles: readonly Cycle[],
    public readonly dangling: readonly DanglingReference[],
  ) {
    super(`${planName ?? 'the plan'} cannot be created: Terraform would refuse it.\n${describeProblems(cycles, dangling).join('\n')}`);
  }
}

/** Builds the dependency graph of `plan`. Throws a PlanError naming the attribute when an expression does not parse. */
export function buildGraph(plan: Plan): PlanGraph {
  const json = plan.json;
  const nodes = new Map<string, GraphNode>();
  const add = (id: string, kind: GraphNodeKind) => nodes.set(id, { id, kind });

  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const name of Object.keys(byName)) add(`${type}.${name}`, 'resource');
  for (const [type, byName] of Object.entries(json.data ?? {})) for (const name of Object.keys(byName)) add(`data.${type}.${name}`, 'data');
  for (const name of Object.keys(json.variable ?? {})) add(`var.${name}`, 'variable');
  for (const name of Object.keys(locals(plan))) add(`local.${name}`, 'local');
  for (const name of Object.keys(json.output ?? {})) add(`output.${name}`, 'output');
  for (const name of Object.keys(objectOf(json.module))) add(`module.${name}`, 'module');
  const providers = providerConfigs(plan);
  for (const p of providers) add(p.id, 'provider');

  const edges: GraphEdge[] = [];
  const dangling: DanglingReference[] = [];
  const scanner = new Scanner(plan, nodes, edges, dangling);

  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, attrs] of Object.entries(byName)) scanner.resourceBlock(`${type}.${name}`, type, objectOf(attrs));
  }
  for (const [type, byName] of Object.entries(json.data ?? {})) {
    for (const [name, attrs] of Object.entries(byName)) scanner.resourceBlock(`data.${type}.${name}`, type, objectOf(attrs));
  }
  for (const [name, v] of Object.entries(json.variable ?? {})) {
    const validations = objectOf(v).validation;
    scanner.value(`var.${name}`, 'validation', validations, { selfVariable: `var.${name}` });
  }
  for (const [name, value] of Object.entries(locals(plan))) scanner.value(`local.${name}`, '', value, {});
  for (const [name, o] of Object.entries(json.output ?? {})) {
    const { value, depends_on: dependsOn, precondition } = objectOf(o);
    scanner.value(`output.${name}`, 'value', value, {});
    scanner.value(`output.${name}`, 'precondition', precondition, {});
    scanner.traversalList(`output.${name}`, 'depends_on', dependsOn);
  }
  for (const [name, m] of Object.entries(objectOf(json.module))) scanner.moduleBlock(`module.${name}`, objectOf(m));
  for (const p of providers) {
    for (const [key, value] of Object.entries(p.attributes)) {
      if (key !== 'alias' && key !== 'version' && !key.startsWith('//')) scanner.value(p.id, key, value, {});
    }
  }
  return new PlanGraph(nodes, edges, dangling);
}

/** Every cycle (strongly connected component of more than one node, or a node referring to itself), Tarjan's algorithm. */
export function findCycles(graph: PlanGraph): Cycle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const successors = (id: string) => [...new Set(graph.dependenciesOf(id).map((e) => e.to))];

  for (const root of graph.nodes.keys()) {
    if (index.has(root)) continue;
    // Iterative depth-first search: a frame is a node and the successors it has yet to visit.
    const frames: { id: string; todo: string[] }[] = [];
    const visit = (id: string) => {
      index.set(id, next);
      low.set(id, next);
      next++;
      stack.push(id);
      onStack.add(id);
      frames.push({ id, todo: successors(id) });
    };
    visit(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const w = frame.todo.shift();
      if (w !== undefined) {
        if (!index.has(w)) visit(w);
        else if (onStack.has(w)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let w2: string;
        do {
          w2 = stack.pop()!;
          onStack.delete(w2);
          component.push(w2);
        } while (w2 !== frame.id);
        components.push(component);
      }
    }
  }

  const cycles: Cycle[] = [];
  for (const component of components) {
    const members = new Set(component);
    const edges = component.flatMap((id) => graph.dependenciesOf(id).filter((e) => members.has(e.to)));
    if (component.length === 1 && edges.length === 0) continue;
    cycles.push({ nodes: cycleOrder(component, edges), edges: sortEdges(edges) });
  }
  return cycles.sort((a, b) => a.nodes[0].localeCompare(b.nodes[0]));
}

/** Terraform's format: `Cycle: a, b`. */
export function formatCycle(cycle: Cycle): string {
  return `Cycle: ${cycle.nodes.join(', ')}`;
}

/** Every reason Terraform would refuse the plan (cycles, then dangling references), one message each; empty if none. */
export function planProblems(plan: Plan): string[] {
  const graph = buildGraph(plan);
  return describeProblems(graph.findCycles(), graph.dangling);
}

/** Throws a PlanNotCreatableError listing every cycle and dangling reference, if there is any. */
export function assertPlanCreatable(plan: Plan): void {
  const graph = buildGraph(plan);
  const cycles = graph.findCycles();
  if (cycles.length > 0 || graph.dangling.length > 0) throw new PlanNotCreatableError(plan.name, cycles, graph.dangling);
}

function describeProblems(cycles: readonly Cycle[], dangling: readonly DanglingReference[]): string[] {
  return [
    ...cycles.map((c) =>
      [
        `Error: ${formatCycle(c)}${c.nodes.length === 1 ? ' (it refers to itself)' : ''}`,
        ...c.edges.map((e) => `  ${e.from} ${e.attribute} refers to ${e.reference}`),
      ].join('\n'),
    ),
    ...dangling.map((d) => `Error: ${d.summary}: ${d.from} ${d.attribute} refers to ${d.reference}; ${d.detail}`),
  ];
}

/** Starting at the smallest name, follow edges to the smallest unvisited member; the rest sorted after. */
function cycleOrder(component: readonly string[], edges: readonly GraphEdge[]): string[] {
  const sorted = [...component].sort();
  const order: string[] = [];
  let at: string | undefined = sorted[0];
  while (at !== undefined && !order.includes(at)) {
    order.push(at);
    const from: string = at;
    at = edges
      .filter((e) => e.from === from && !order.includes(e.to))
      .map((e) => e.to)
      .sort()[0];
  }
  return [...order, ...sorted.filter((id) => !order.includes(id))];
}

function sortEdges(edges: readonly GraphEdge[]): GraphEdge[] {
  return [...edges].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.attribute.localeCompare(b.attribute));
}

// ---------------------------------------------------------------------------------------------------------------
// scanning configuration

interface Context {
  /** The block has `count`: `count.index` is valid. */
  readonly count?: boolean;
  /** The block has `for_each`: `each.key`/`each.value` are valid. */
  readonly forEach?: boolean;
  /** Inside provisioner, connection or postcondition: `self` is valid. */
  readonly self?: boolean;
  /** Names bound by enclosing `dynamic` blocks (their iterators). */
  readonly bound?: ReadonlySet<string>;
  /** A variable's own validation may (must) refer to the variable: no edge. */
  readonly selfVariable?: string;
}

/** Roots that never name a graph node. */
const ALWAYS_VALID_ROOTS = new Set(['path', 'terraform']);

class Scanner {
  /** `from|to|attribute|reference` of every edge so far: a reference repeated in one attribute is one edge. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly plan: Plan,
    private readonly nodes: Map<string, GraphNode>,
    private readonly edges: GraphEdge[],
    private readonly dangling: DanglingReference[],
  ) {}

  public resourceBlock(id: string, type: string, attrs: Record<string, unknown>): void {
    const ctx: Context = { count: attrs.count !== undefined, forEach: attrs.for_each !== undefined };
    for (const [key, value] of Object.entries(attrs)) {
      if (key.startsWith('//')) continue;
      switch (key) {
        case 'depends_on':
          this.traversalList(id, key, value);
          break;
        case 'provider':
          break; // below
        case 'lifecycle':
          this.lifecycle(id, objectOf(value), ctx);
          break;
        case 'provisioner':
        case 'connection':
          this.value(id, key, value, { ...ctx, self: true });
          break;
        case 'dynamic':
          this.dynamicBlocks(id, key, objectOf(value), ctx);
          break;
        default:
          this.value(id, key, value, ctx);
      }
    }
    this.providerEdge(id, type, attrs.provider);
  }

  public moduleBlock(id: string, attrs: Record<string, unknown>): void {
    const ctx: Context = { count: attrs.count !== undefined, forEach: attrs.for_each !== undefined };
    for (const [key, value] of Object.entries(attrs)) {
      if (key.startsWith('//') || key === 'source' || key === 'version') continue;
      if (key === 'depends_on') this.traversalList(id, key, value);
      else if (key === 'providers') {
        for (const [inner, ref] of Object.entries(objectOf(value))) this.providerReference(id, `providers.${inner}`, ref);
      } else this.value(id, key, value, ctx);
    }
  }

  /** Scans any JSON value: every string is a template. */
  public value(from: string, at: string, value: unknown, ctx: Context): void {
    if (typeof value === 'string') {
      let refs: Traversal[];
      try {
        refs = expressionReferences(parseTemplate(value), ctx.bound ?? new Set());
      } catch (e) {
        if (e instanceof HclSyntaxError) throw new PlanError(`${from} ${at}: ${e.message}`);
        throw e;
      }
      for (const ref of refs) this.reference(from, at, ref, ctx);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => this.value(from, `${at}[${i}]`, v, ctx));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (!k.startsWith('//')) this.value(from, at ? `${at}.${k}` : k, v, ctx);
      }
    }
  }

  /** `depends_on` and `replace_triggered_by`: strings holding one reference each, bare or as `${…}`. */
  public traversalList(from: string, at: string, value: unknown): void {
    if (value === undefined) return;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((entry, i) => {
      const where = `${at}[${i}]`;
      if (typeof entry !== 'string') throw new PlanError(`${from} ${where}: must be a string naming a resource, got ${JSON.stringify(entry)}`);
      for (const ref of this.parseReferenceString(from, where, entry)) this.reference(from, where, ref, {});
    });
  }

  private lifecycle(from: string, lifecycle: Record<string, unknown>, ctx: Context): void {
    for (const [key, value] of Object.entries(lifecycle)) {
      const at = `lifecycle.${key}`;
      if (key === 'replace_triggered_by') this.traversalList(from, at, value);
      else if (key === 'precondition') this.value(from, at, value, ctx);
      else if (key === 'postcondition') this.value(from, at, value, { ...ctx, self: true });
      // ignore_changes holds attribute names, create_before_destroy / prevent_destroy literals.
    }
  }

  /** `dynamic "<label>" { for_each, iterator, content }`: the iterator (default: the label) is bound in content. */
  private dynamicBlocks(from: string, at: string, blocks: Record<string, unknown>, ctx: Context): void {
    for (const [label, spec] of Object.entries(blocks)) {
      for (const [i, block] of (Array.isArray(spec) ? spec : [spec]).entries()) {
        const b = objectOf(block);
        const where = `${at}.${label}${Array.isArray(spec) ? `[${i}]` : ''}`;
        this.value(from, `${where}.for_each`, b.for_each, ctx);
        const iterator = typeof b.iterator === 'string' ? b.iterator : label;
        const inner: Context = { ...ctx, bound: new Set([...(ctx.bound ?? []), iterator]) };
        this.value(from, `${where}.labels`, b.labels, inner);
        const content = objectOf(b.content);
        for (const [key, value] of Object.entries(content)) {
          if (key === 'dynamic') this.dynamicBlocks(from, `${where}.content.dynamic`, objectOf(value), inner);
          else this.value(from, `${where}.content.${key}`, value, inner);
        }
      }
    }
  }

  private providerEdge(from: string, type: string, provider: unknown): void {
    if (provider !== undefined) {
      this.providerReference(from, 'provider', provider);
      return;
    }
    const localName = type.split('_')[0];
    const to = providerId(this.plan, localName);
    this.ensureImpliedProvider(to);
    this.edge({ from, to, attribute: 'provider', reference: `(default ${localName} provider)` });
  }

  private providerReference(from: string, at: string, ref: unknown): void {
    if (typeof ref !== 'string')
      throw new PlanError(`${from} ${at}: must name a provider configuration such as "digitalocean.other", got ${JSON.stringify(ref)}`);
    const text = ref.replace(/^\$\{\s*/, '').replace(/\s*\}$/, '');
    const [localName, alias, ...rest] = text.split('.');
    if (!localName || rest.length > 0)
      throw new PlanError(`${from} ${at}: '${ref}' is not a provider reference such as "digitalocean" or "digitalocean.other"`);
    const to = providerId(this.plan, localName, alias);
    if (!this.nodes.has(to)) {
      if (alias === undefined) this.ensureImpliedProvider(to);
      else {
        this.dangling.push({
          from,
          attribute: at,
          reference: text,
          summary: 'Reference to undeclared provider configuration',
          detail: `no provider "${localName}" block has alias = "${alias}"`,
        });
        return;
      }
    }
    this.edge({ from, to, attribute: at, reference: text });
  }

  private edge(e: GraphEdge): void {
    const key = `${e.from}|${e.to}|${e.attribute}|${e.reference}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.edges.push(e);
  }

  /** A provider without a block still has a (empty) configuration node, as in Terraform. */
  private ensureImpliedProvider(id: string): void {
    if (!this.nodes.has(id)) this.nodes.set(id, { id, kind: 'provider' });
  }

  private parseReferenceString(from: string, at: string, entry: string): Traversal[] {
    try {
      const refs = entry.includes('${') ? expressionReferences(parseTemplate(entry)) : expressionReferences(parseExpression(entry));
      if (refs.length !== 1) throw new PlanError(`${from} ${at}: '${entry}' must be exactly one reference to a resource, data source or module`);
      return refs;
    } catch (e) {
      if (e instanceof HclSyntaxError) throw new PlanError(`${from} ${at}: ${e.message}`);
      throw e;
    }
  }

  private reference(from: string, at: string, ref: Traversal, ctx: Context): void {
    const target = resolveTarget(ref, ctx);
    if (target.kind === 'invalid') {
      this.dangling.push({ from, attribute: at, reference: ref.text, summary: target.summary, detail: target.detail });
    } else if (target.kind === 'node' && target.id !== ctx.selfVariable) {
      if (this.nodes.has(target.id)) this.edge({ from, to: target.id, attribute: at, reference: ref.text });
      else this.dangling.push({ from, attribute: at, reference: ref.text, ...undeclared(target.id) });
    }
  }
}

/** What a reference names: a graph node, nothing (`path.module`, `count.index`), or a problem. */
type Target =
  | { readonly kind: 'node'; readonly id: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly summary: string; readonly detail: string };

function resolveTarget(ref: Traversal, ctx: Context): Target {
  const names = ref.steps.map((s) => (s.kind === 'attr' ? s.name : undefined));
  const none: Target = { kind: 'none' };
  const invalid = (detail: string, summary = 'Invalid reference'): Target => ({ kind: 'invalid', summary, detail });
  switch (ref.root) {
    case 'var':
    case 'local':
    case 'module':
      if (names[0] === undefined) return invalid(`'${ref.root}' must be followed by a name, as in ${ref.root}.example`);
      return { kind: 'node', id: `${ref.root}.${names[0]}` };
    case 'data':
      if (names[0] === undefined || names[1] === undefined)
        return invalid('a data source reference needs a type and a name, as in data.example_type.name');
      return { kind: 'node', id: `data.${names[0]}.${names[1]}` };
    case 'count':
      return ctx.count ? none : invalid('count.index is only valid in a block that sets count', 'Reference to "count" in non-counted context');
    case 'each':
      return ctx.forEach
        ? none
        : invalid('each.key and each.value are only valid in a block that sets for_each', 'Reference to "each" in context without for_each');
    case 'self':
      return ctx.self ? none : invalid("'self' is only valid in provisioner, connection and postcondition blocks");
    default:
      if (ALWAYS_VALID_ROOTS.has(ref.root)) return none;
      if (names[0] === undefined) {
        return invalid(
          `a reference to a resource type must be followed by the resource name, as in ${ref.root}.example (a literal \${ must be escaped as $\${)`,
        );
      }
      return { kind: 'node', id: `${ref.root}.${names[0]}` };
  }
}

function undeclared(id: string): { summary: string; detail: string } {
  const parts = id.split('.');
  switch (parts[0]) {
    case 'var':
      return { summary: 'Reference to undeclared input variable', detail: `an input variable with the name "${parts[1]}" has not been declared` };
    case 'local':
      return { summary: 'Reference to undeclared local value', detail: `a local value with the name "${parts[1]}" has not been declared` };
    case 'module':
      return { summary: 'Reference to undeclared module', detail: `no module call named "${parts[1]}" is declared` };
    case 'data':
      return { summary: 'Reference to undeclared resource', detail: `a data resource "${parts[1]}" "${parts[2]}" has not been declared` };
    default:
      return { summary: 'Reference to undeclared resource', detail: `a managed resource "${parts[0]}" "${parts[1]}" has not been declared` };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// plan sections

/** The plan's locals: cdktf writes one object; Terraform JSON also allows a list of objects. */
function locals(plan: Plan): Record<string, unknown> {
  const l = plan.json.locals;
  if (Array.isArray(l)) return Object.assign({}, ...l.map(objectOf));
  return objectOf(l);
}

interface ProviderConfig {
  readonly id: string;
  readonly attributes: Record<string, unknown>;
}

/** Every `provider` block: `{ digitalocean: [{}, { alias: 'other' }] }` or `{ digitalocean: {} }`. */
function providerConfigs(plan: Plan): ProviderConfig[] {
  const out: ProviderConfig[] = [];
  for (const [localName, configs] of Object.entries(objectOf(plan.json.provider))) {
    for (const config of Array.isArray(configs) ? configs : [configs]) {
      const attributes = objectOf(config);
      const alias = typeof attributes.alias === 'string' ? attributes.alias : undefined;
      out.push({ id: providerId(plan, localName, alias), attributes });
    }
  }
  return out;
}

/** Terraform's name of a provider configuration: `provider["registry.terraform.io/digitalocean/digitalocean"].alias`. */
function providerId(plan: Plan, localName: string, alias?: string): string {
  const required = objectOf(objectOf(plan.json.terraform).required_providers)[localName];
  const source = typeof required === 'string' ? undefined : objectOf(required).source;
  let address = typeof source === 'string' ? source : `hashicorp/${localName}`;
  if (address.split('/').length === 2) address = `registry.terraform.io/${address}`;
  return `provider[${JSON.stringify(address.toLowerCase())}]${alias === undefined ? '' : `.${alias}`}`;
}

function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
