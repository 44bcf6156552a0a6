/**
 * Applies a stack's `docker_network`, `docker_volume`, `docker_image` and `docker_container` resources to the lab's
 * Docker Engines through the Engine API, as `terraform apply` with the kreuzwerker/docker provider would:
 *
 * - in dependency order (references between resources and `depends_on`); references are rendered with the runtime
 *   values of what was created before (`docker_image.x.image_id`, `docker_network.x.id`, …) and, for everything
 *   else, the stack's resolver (variables, droplet addresses, cross-stack outputs);
 * - each resource goes to the engine its provider configuration names (`host = "ssh://root@<address>"` → the lab
 *   droplet with that address; `unix:///var/run/docker.sock` → the caller's local engine): `target()` decides;
 * - attributes are mapped by mapping.ts (refusing anything it does not map);
 * - re-applying with the previous `DockerState` changes only what changed: a container whose ForceNew attributes
 *   changed (its image id included) is replaced, one whose restart policy or resources changed is updated in
 *   place, the others keep their ids; resources no longer in the plan are destroyed (containers first);
 * - the provider's lifecycle: `start`, `attach` (waits for the container to exit, `logs`), `must_run` (a container
 *   that exited right after its start fails the apply and is removed), `wait`/`wait_timeout` (healthy), `rm`,
 *   `destroy_grace_seconds`, `remove_volumes`, `keep_locally`.
 *
 * Images are the lab's stand-ins (images.ts): a plan image name is served by its lab image, re-tagged through a
 * one-line derived image labelled with the plan's reference, so that two names get two image ids as they would from a
 * registry (a changed tag re-creates its containers). A `build` block builds the user's context on the droplet's
 * engine, its `FROM` images served the same way.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Plan, PlanResource, ReferenceResolver } from '../../plan/plan';
import { renderTemplate, templateReferences } from '../../plan/template';
import { LabError } from '../netns';
import { EngineClient, EngineError } from './engine';
import { ensureImages, parseImageReference, substitutionFor } from './images';
import {
  Attributes,
  ContainerSpec,
  DockerMappingError,
  ImageSpec,
  containerSpec,
  imageSpec,
  networkSpec,
  stableHash,
  uploadTar,
  volumeSpec,
} from './mapping';

export const APPLIED_TYPES = ['docker_network', 'docker_volume', 'docker_image', 'docker_container'] as const;
type AppliedType = (typeof APPLIED_TYPES)[number];

/** Where a resource's provider points. */
export interface DockerTarget {
  readonly engine: EngineClient;
  /** For messages: the droplet's name, or 'local'. */
  readonly label: string;
}

/** One resource as the lab applied it. */
export interface AppliedResource {
  readonly address: string;
  readonly type: AppliedType;
  readonly target: string;
  /** The engine's id (container id, network id, image id, volume name). */
  readonly id: string;
  readonly name: string;
  /** Hash of the attributes that force a new resource. */
  readonly key: string;
  /** Containers: hash of the attributes updated in place. */
  readonly updateKey?: string;
  /** Containers: `must_run` (a stopped container is created again on the next apply). */
  readonly mustRun?: boolean;
  /** Values other resources reference (`<address>.<attribute>` → value). */
  readonly outputs: Readonly<Record<string, string>>;
  /** How to destroy it (containers: the provider's delete options; images: keep_locally). */
  readonly destroy: {
    readonly rm?: boolean;
    readonly graceSeconds?: number;
    readonly removeVolumes?: boolean;
    readonly attach?: boolean;
    readonly keepLocally?: boolean;
  };
}

export interface DockerState {
  readonly resources: Record<string, AppliedResource>;
}

export interface ApplyReport {
  readonly created: string[];
  readonly replaced: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly destroyed: string[];
  readonly state: DockerState;
}

export interface ApplyOptions {
  readonly plan: Plan;
  /** The stack directory (Terraform's working directory: relative paths of build contexts and uploads). */
  readonly planDir: string;
  /** The stack's resolver for everything that is not a docker resource's runtime value. */
  readonly resolve: ReferenceResolver;
  /** The engine a provider configuration's `host` (rendered; undefined: the provider's default) points at. */
  readonly target: (host: string | undefined, address: string) => DockerTarget;
  /** What the previous apply left. @default nothing: everything is created */
  readonly state?: DockerState;
  readonly log?: (line: string) => void;
  /** @default labCacheDir() */
  readonly cacheDir?: string;
}

/** The stack's docker resources the lab applies, refusing docker resource and data types it does not. */
export function dockerResources(plan: Plan): PlanResource[] {
  const all = plan.resources().filter((r) => r.type.startsWith('docker_'));
  const other = all.filter((r) => !(APPLIED_TYPES as readonly string[]).includes(r.type));
  if (other.length > 0) {
    throw new DockerMappingError(`${other.map((r) => r.address).join(', ')}: the tierform lab applies ${APPLIED_TYPES.join(', ')} only`);
  }
  const data = Object.keys(plan.json.data ?? {}).filter((t) => t.startsWith('docker_'));
  if (data.length > 0) throw new DockerMappingError(`data sources ${data.join(', ')}: not supported by the tierform lab`);
  for (const r of all) {
    for (const meta of ['count', 'for_each']) {
      if (r.attributes[meta] !== undefined) throw new DockerMappingError(`${r.address}: '${meta}' is not supported by the tierform lab`);
    }
    const lifecycle = r.attributes.lifecycle as Record<string, unknown> | undefined;
    for (const k of Object.keys(lifecycle ?? {})) {
      if (!['ignore_changes', 'prevent_destroy', 'precondition'].includes(k))
        throw new DockerMappingError(`${r.address}: lifecycle.${k} is not supported by the tierform lab`);
    }
  }
  return all;
}

/** Resource addresses in an order Terraform could create them (references and depends_on), plan order otherwise. */
export function dependencyOrder(resources: readonly PlanResource[]): string[] {
  const addresses = new Set(resources.map((r) => r.address));
  const deps = new Map<string, Set<string>>();
  for (const r of resources) {
    const d = new Set<string>();
    const walk = (v: unknown) => {
      if (typeof v === 'string') {
        for (const ref of templateReferences(v)) {
          const parts = ref.split('.');
          const a = `${parts[0]}.${parts[1]}`;
          if (addresses.has(a) && a !== r.address) d.add(a);
        }
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => k !== 'depends_on' && k !== 'lifecycle' && walk(x));
    };
    walk(r.attributes);
    for (const p of preconditions(r)) {
      for (const ref of conditionReferences(p.condition)) {
        const parts = ref.split('.');
        const a = `${parts[0]}.${parts[1]}`;
        if (addresses.has(a) && a !== r.address) d.add(a);
      }
    }
    for (const dep of (r.attributes.depends_on as string[] | undefined) ?? []) {
      const a = dep.replace(/^\$\{|\}$/g, '');
      if (addresses.has(a)) d.add(a);
    }
    deps.set(r.address, d);
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (a: string, chain: string[]) => {
    if (state.get(a) === 'done') return;
    if (state.get(a) === 'visiting') throw new DockerMappingError(`dependency cycle: ${[...chain, a].join(' → ')}`);
    state.set(a, 'visiting');
    for (const d of deps.get(a) ?? []) visit(d, [...chain, a]);
    state.set(a, 'done');
    order.push(a);
  };
  for (const r of resources) visit(r.address, []);
  return order;
}

/** A resource's `lifecycle.precondition` blocks. */
export function preconditions(r: PlanResource): { condition: string; errorMessage: string }[] {
  const lifecycle = r.attributes.lifecycle as Record<string, unknown> | undefined;
  const raw = lifecycle?.precondition;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return (list as Record<string, unknown>[]).map((p, i) => {
    if (typeof p.condition !== 'string') throw new DockerMappingError(`${r.address}: lifecycle.precondition[${i}].condition must be a string`);
    return { condition: p.condition, errorMessage: String(p.error_message ?? 'precondition failed') };
  });
}

const CONDITION = /^\$\{\s*([A-Za-z_][A-Za-z0-9_.[\]-]*)\s*(==|!=)\s*("(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?|true|false)\s*\}$/;

/** The references of a precondition the lab evaluates (`${<reference> == <literal>}` or `!=`). */
export function conditionReferences(condition: string): string[] {
  const m = CONDITION.exec(condition.trim());
  return m ? [m[1]] : [];
}

/**
 * Evaluates a precondition as Terraform would before creating the resource. The lab evaluates the comparisons
 * tierform's plans write (`${docker_container.x.exit_code == 0}`); any other expression is refused.
 */
export function evaluateCondition(address: string, condition: string, resolve: ReferenceResolver): boolean {
  const m = CONDITION.exec(condition.trim());
  if (!m)
    throw new DockerMappingError(
      `${address}: lifecycle.precondition '${condition}': the tierform lab evaluates '\${<reference> == <literal>}' and '!=' only`,
    );
  const left = resolve(m[1]);
  const literal = m[3].startsWith('"') ? (JSON.parse(m[3]) as string) : m[3];
  const equal = /^-?[0-9]/.test(literal) ? Number(left) === Number(literal) : left === literal;
  return m[2] === '==' ? equal : !equal;
}

/** Renders every string of an attribute tree (JSON values), references answered by `resolve`. */
export function renderAttributes(value: unknown, resolve: ReferenceResolver): unknown {
  if (typeof value === 'string') return renderTemplate(value, resolve);
  if (Array.isArray(value)) return value.map((v) => renderAttributes(v, resolve));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'depends_on' && k !== 'lifecycle' && k !== 'provider')
        .map(([k, v]) => [k, renderAttributes(v, resolve)]),
    );
  }
  return value;
}

/** Applies the stack (see the file's comment). On error, the state reached so far is in `error.state`. */
export async function applyDocker(options: ApplyOptions): Promise<ApplyReport> {
  const log = options.log ?? (() => undefined);
  const resources = dockerResources(options.plan);
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const order = dependencyOrder(resources);
  const previous = options.state?.resources ?? {};
  const current: Record<string, AppliedResource> = {};
  const report = { created: [] as string[], replaced: [] as string[], updated: [] as string[], unchanged: [] as string[], destroyed: [] as string[] };
  const runtime: Record<string, string> = {};
  const resolve: ReferenceResolver = (ref) => {
    if (runtime[ref] !== undefined) return runtime[ref];
    if (ref === 'path.module' || ref === 'path.root' || ref === 'path.cwd') return options.planDir;
    const parts = ref.split('.');
    if (byAddress.has(`${parts[0]}.${parts[1]}`) && parts[0] !== 'var') {
      const r = byAddress.get(`${parts[0]}.${parts[1]}`)!;
      const literal = r.attributes[parts.slice(2).join('.')];
      if (parts.length === 3 && (typeof literal === 'string' || typeof literal === 'number' || typeof literal === 'boolean'))
        return renderTemplate(String(literal), resolve);
      throw new LabError(`${ref}: not known before ${r.address} is applied (is it in the right order?)`);
    }
    return options.resolve(ref);
  };
  const providers = providerHosts(options.plan);
  const targetOf = (r: PlanResource): DockerTarget => {
    const key = typeof r.attributes.provider === 'string' ? r.attributes.provider.replace(/^\$\{|\}$/g, '') : 'docker';
    if (!providers.has(key)) throw new DockerMappingError(`${r.address}: provider ${key} is not configured in the plan`);
    const raw = providers.get(key);
    return options.target(raw === undefined ? undefined : renderTemplate(raw, resolve), r.address);
  };
  const state = (): DockerState => ({ resources: { ...current } });
  const deferred: (() => Promise<void>)[] = [];

  try {
    // Containers that left the plan go first: their names may be taken again, their networks removed.
    const gone = Object.values(previous).filter((p) => !byAddress.has(p.address));
    for (const p of gone.filter((x) => x.type === 'docker_container')) {
      await destroyResource(p, options, targetOfApplied(p, options, resolve, providers));
      report.destroyed.push(p.address);
    }
    for (const address of order) {
      const r = byAddress.get(address)!;
      const before = previous[address];
      const target = targetOf(r);
      for (const p of preconditions(r)) {
        if (!evaluateCondition(r.address, p.condition, resolve))
          throw new LabError(`${r.address}: resource precondition failed: ${p.errorMessage} (${p.condition})`);
      }
      const attrs = renderAttributes(r.attributes, resolve) as Attributes;
      const ignore = new Set(
        ((r.attributes.lifecycle as { ignore_changes?: string[] } | undefined)?.ignore_changes ?? []).map((x) => x.replace(/^\$\{|\}$/g, '')),
      );
      const effective = before && ignore.size > 0 ? withIgnored(attrs, ignore, before) : attrs;
      let applied: AppliedResource;
      switch (r.type as AppliedType) {
        case 'docker_network':
          applied = await applyNetwork(r.address, effective, before, target, report);
          break;
        case 'docker_volume':
          applied = await applyVolume(r.address, effective, before, target, report);
          break;
        case 'docker_image':
          applied = await applyImage(r.address, imageSpec(r.address, effective), before, target, report, options, deferred);
          break;
        case 'docker_container':
          applied = await applyContainer(containerSpec(r.address, effective), before, target, report, options, log);
          break;
      }
      current[address] = applied;
      Object.assign(runtime, applied.outputs);
      log(`${address}: ${applied.id.slice(0, 19)} on ${target.label}`);
    }
    for (const fn of deferred) await fn();
    for (const p of gone.filter((x) => x.type !== 'docker_container').sort((a, b) => rank(b.type) - rank(a.type))) {
      await destroyResource(p, options, targetOfApplied(p, options, resolve, providers));
      report.destroyed.push(p.address);
    }
  } catch (e) {
    const err = e instanceof LabError ? e : new LabError((e as Error).message);
    (err as LabError & { state?: DockerState }).state = { resources: { ...previous, ...current } };
    throw err;
  }
  return { ...report, state: state() };
}

/** Destroys everything of `state` (containers first), as `terraform destroy`. */
export async function destroyDocker(state: DockerState, options: Pick<ApplyOptions, 'plan' | 'resolve' | 'target' | 'planDir'>): Promise<string[]> {
  const done: string[] = [];
  const providers = providerHosts(options.plan);
  const all = Object.values(state.resources).sort((a, b) => rank(b.type) - rank(a.type));
  for (const p of all) {
    await destroyResource(p, options, targetOfApplied(p, options, options.resolve, providers));
    done.push(p.address);
  }
  return done;
}

function rank(type: AppliedType): number {
  return { docker_image: 0, docker_network: 1, docker_volume: 1, docker_container: 2 }[type];
}

/** The provider blocks: `docker` (no alias) and `docker.<alias>` → their raw `host`. */
function providerHosts(plan: Plan): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const raw = (plan.json.provider as Record<string, unknown> | undefined)?.docker;
  const list = raw === undefined ? [{}] : Array.isArray(raw) ? raw : [raw];
  for (const p of list as Record<string, unknown>[]) {
    const key = typeof p.alias === 'string' ? `docker.${p.alias}` : 'docker';
    for (const k of Object.keys(p)) {
      if (!['alias', 'host', 'ssh_opts'].includes(k))
        throw new DockerMappingError(`provider ${key}: '${k}' is not supported by the tierform lab (it maps host and ssh_opts)`);
    }
    out.set(key, typeof p.host === 'string' ? p.host : undefined);
  }
  return out;
}

function targetOfApplied(
  p: AppliedResource,
  options: Pick<ApplyOptions, 'target'>,
  resolve: ReferenceResolver,
  providers: Map<string, string | undefined>,
): DockerTarget {
  // A resource that left the plan is destroyed on the engine it was applied to.
  for (const [, host] of providers) {
    try {
      const t = options.target(host === undefined ? undefined : renderTemplate(host, resolve), p.address);
      if (t.label === p.target) return t;
    } catch {
      // another provider
    }
  }
  throw new LabError(`${p.address}: its engine (${p.target}) is no longer configured in the plan`);
}

function withIgnored(attrs: Attributes, ignore: ReadonlySet<string>, before: AppliedResource): Attributes {
  // The previous values are not kept attribute by attribute: an ignored attribute keeps the resource's key.
  void before;
  return Object.fromEntries(Object.entries(attrs).filter(([k]) => !ignore.has(k)));
}

// ---------------------------------------------------------------------------------------------------------------
// networks and volumes

async function applyNetwork(
  address: string,
  a: Attributes,
  before: AppliedResource | undefined,
  target: DockerTarget,
  report: { created: string[]; replaced: string[]; unchanged: string[] },
): Promise<AppliedResource> {
  const spec = networkSpec(address, a);
  if (before && before.key === spec.key && (await exists(target.engine, `/networks/${before.id}`))) {
    report.unchanged.push(address);
    return before;
  }
  if (before) await removeNetwork(target.engine, before.id, address);
  const created = await target.engine.post<{ Id: string }>('/networks/create', { body: spec.body });
  (before ? report.replaced : report.created).push(address);
  return {
    address,
    type: 'docker_network',
    target: target.label,
    id: created.Id,
    name: spec.name,
    key: spec.key,
    outputs: { [`${address}.id`]: created.Id, [`${address}.name`]: spec.name },
    destroy: {},
  };
}

async function removeNetwork(engine: EngineClient, id: string, address: string): Promise<void> {
  try {
    await engine.delete(`/networks/${id}`);
  } catch (e) {
    if (e instanceof EngineError && e.statusCode === 404) return;
    throw new LabError(`${address}: removing network ${id}: ${(e as Error).message}`);
  }
}

async function applyVolume(
  address: string,
  a: Attributes,
  before: AppliedResource | undefined,
  target: DockerTarget,
  report: { created: string[]; replaced: string[]; unchanged: string[] },
): Promise<AppliedResource> {
  const spec = volumeSpec(address, a);
  if (before && before.key === spec.key && (await exists(target.engine, `/volumes/${before.id}`))) {
    report.unchanged.push(address);
    return before;
  }
  if (before)
    await target.engine.delete(`/volumes/${before.id}`).catch((e: Error) => {
      if (!(e instanceof EngineError && e.statusCode === 404)) throw e;
    });
  const created = await target.engine.post<{ Name: string; Mountpoint: string }>('/volumes/create', { body: spec.body });
  (before ? report.replaced : report.created).push(address);
  return {
    address,
    type: 'docker_volume',
    target: target.label,
    id: created.Name,
    name: created.Name,
    key: spec.key,
    outputs: { [`${address}.id`]: created.Name, [`${address}.name`]: created.Name, [`${address}.mountpoint`]: created.Mountpoint },
    destroy: {},
  };
}

// ---------------------------------------------------------------------------------------------------------------
// images

async function applyImage(
  address: string,
  spec: ImageSpec,
  before: AppliedResource | undefined,
  target: DockerTarget,
  report: { created: string[]; replaced: string[]; unchanged: string[] },
  options: ApplyOptions,
  deferred: (() => Promise<void>)[],
): Promise<AppliedResource> {
  const contextHash = spec.build ? hashContext(resolveContext(spec.build.context, options.planDir)) : '';
  const key = stableHash({ spec: spec.key, contextHash });
  if (before && before.key === key && (await exists(target.engine, `/images/${before.id}/json`))) {
    report.unchanged.push(address);
    return before;
  }
  // The old image goes after its containers were replaced (Terraform destroys dependents first): at the end.
  if (before && !before.destroy.keepLocally) deferred.push(() => removeImage(target.engine, before.id, address, true));
  let id: string;
  if (spec.build) {
    const b = spec.build;
    const context = resolveContext(b.context, options.planDir);
    const dockerfile = path.resolve(context, b.dockerfile);
    if (!fs.existsSync(dockerfile)) throw new LabError(`${address}: build.dockerfile ${dockerfile} does not exist`);
    for (const base of dockerfileBaseImages(fs.readFileSync(dockerfile, 'utf8'), b.buildArgs))
      await serveImage(target.engine, base, address, options);
    const tar = contextTar(context, address);
    await target.engine.stream('POST', '/build', {
      tar,
      query: {
        t: spec.name,
        dockerfile: path.relative(context, dockerfile),
        buildargs: JSON.stringify(b.buildArgs),
        target: b.target,
        labels: JSON.stringify(b.labels),
        nocache: b.noCache,
        rm: b.remove,
        forcerm: b.forceRemove,
      },
      timeoutMs: 900_000,
    });
    for (const t of b.tags) await tag(target.engine, spec.name, t);
    id = (await target.engine.get<{ Id: string }>(`/images/${encodeURIComponent(spec.name)}/json`)).Id;
  } else {
    id = await serveImage(target.engine, spec.name, address, options);
  }
  (before ? report.replaced : report.created).push(address);
  const outputs: Record<string, string> = { [`${address}.id`]: `${id}${spec.name}`, [`${address}.image_id`]: id, [`${address}.name`]: spec.name };
  const ref = parseImageReference(spec.name);
  if (ref.digest) outputs[`${address}.repo_digest`] = `${ref.repository}@${ref.digest}`;
  return { address, type: 'docker_image', target: target.label, id, name: spec.name, key, outputs, destroy: { keepLocally: spec.keepLocally } };
}

/**
 * Makes `reference` (a plan image name) exist on the engine as the lab's stand-in, and returns its id: the lab image
 * is loaded from the cache when missing, then a derived image labelled with the reference is built and tagged
 * with it (one id per reference, as from a registry).
 */
export async function serveImage(
  engine: EngineClient,
  reference: string,
  address: string,
  options: Pick<ApplyOptions, 'cacheDir' | 'log'>,
): Promise<string> {
  const existing = await engine.get<{ Id: string }>(`/images/${encodeURIComponent(imageName(reference))}/json`).catch(() => undefined);
  if (existing) return existing.Id;
  const sub = substitutionFor(reference);
  if (!sub) {
    throw new LabError(
      `${address}: image '${reference}' has no stand-in in the lab (no registry is reachable): the lab serves ${[
        ...new Set((await import('./images')).LAB_IMAGE_SUBSTITUTIONS.map((s) => s.repository)),
      ].join(', ')} (lib/lab/docker/images.ts)`,
    );
  }
  const [cached] = await ensureImages([sub.labImage], { cacheDir: options.cacheDir, log: options.log });
  if (!(await exists(engine, `/images/${encodeURIComponent(cached.tag)}/json`))) {
    await engine.stream('POST', '/images/load', { file: cached.archive, query: { quiet: true }, timeoutMs: 600_000 });
  }
  const dockerfile = `FROM ${cached.tag}\nLABEL org.tierform.lab.reference=${JSON.stringify(reference)}\n`;
  await engine.stream('POST', '/build', {
    tar: uploadTar('Dockerfile', Buffer.from(dockerfile), 0o644),
    query: { t: imageName(reference), rm: true },
    timeoutMs: 120_000,
  });
  return (await engine.get<{ Id: string }>(`/images/${encodeURIComponent(imageName(reference))}/json`)).Id;
}

/** The name an image is tagged with on the engine: the reference without its digest (a tag cannot hold one). */
function imageName(reference: string): string {
  const ref = parseImageReference(reference);
  const repo = `${ref.registry ? `${ref.registry}/` : ''}${ref.repository}`;
  return `${repo}:${ref.tag ?? `lab-${(ref.digest ?? '').slice(7, 19)}`}`;
}

async function tag(engine: EngineClient, source: string, reference: string): Promise<void> {
  const i = reference.lastIndexOf(':');
  const [repo, t] = i > reference.lastIndexOf('/') ? [reference.slice(0, i), reference.slice(i + 1)] : [reference, 'latest'];
  await engine.post(`/images/${encodeURIComponent(source)}/tag`, { query: { repo, tag: t } });
}

/** Removes an image by name (its tag) or, with `byId`, by id (a replaced image whose name may now be the new one's). */
async function removeImage(engine: EngineClient, name: string, address: string, byId = false): Promise<void> {
  try {
    await engine.delete(`/images/${encodeURIComponent(byId ? name : imageName(name))}`, byId ? { query: { force: true } } : {});
  } catch (e) {
    if (e instanceof EngineError && e.statusCode === 404) return;
    throw new LabError(`${address}: removing image ${name}: ${(e as Error).message}`);
  }
}

function resolveContext(context: string, planDir: string): string {
  const dir = path.resolve(planDir, context.replace(/:[0-9a-f]{64}$/, ''));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new LabError(`build context ${dir} is not a directory`);
  return dir;
}

/** The images a Dockerfile's FROM lines name (stages and `scratch` excluded), build args substituted. */
export function dockerfileBaseImages(text: string, buildArgs: Readonly<Record<string, string>> = {}): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const out: string[] = [];
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  let seenFrom = false;
  for (const raw of lines) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/i.exec(line);
    if (arg && !seenFrom) {
      args[arg[1]] = buildArgs[arg[1]] ?? (arg[2] ?? '').replace(/^"(.*)"$/, '$1');
      continue;
    }
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    seenFrom = true;
    const image = from[1].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => args[n] ?? '');
    if (image !== 'scratch' && !stages.has(image.toLowerCase())) out.push(image);
    if (from[2]) stages.add(from[2].toLowerCase());
  }
  return [...new Set(out)];
}

/** The build context as a tar archive, `.dockerignore` patterns excluded (GNU tar's --exclude). */
function contextTar(dir: string, address: string): Buffer {
  const excludes: string[] = [];
  const ignore = path.join(dir, '.dockerignore');
  if (fs.existsSync(ignore)) {
    for (const line of fs
      .readFileSync(ignore, 'utf8')
      .split('\n')
      .map((l) => l.trim())) {
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('!')) throw new LabError(`${address}: .dockerignore exceptions ('${line}') are not supported by the tierform lab`);
      excludes.push(`--exclude=./${line.replace(/^\/+/, '').replace(/\/+$/, '')}`);
    }
  }
  const r = spawnSync('tar', ['--numeric-owner', '-C', dir, ...excludes, '-cf', '-', '.'], { maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new LabError(`${address}: tar of build context ${dir}: ${String(r.stderr)}`);
  return r.stdout;
}

/** The provider replaces an image when its build context's content changes: the same here. */
function hashContext(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(`${p}\n`).update(fs.readFileSync(path.join(dir, p)));
    }
  };
  walk('');
  return h.digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// containers

interface InspectedContainer {
  Id: string;
  Name: string;
  State: {
    Running: boolean;
    Status: string;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; Log?: { Output: string }[] };
  };
  NetworkSettings: { Networks: Record<string, { IPAddress: string; IPPrefixLen: number; Gateway: string; MacAddress: string }> };
  Config: { Hostname: string };
}

async function applyContainer(
  spec: ContainerSpec,
  before: AppliedResource | undefined,
  target: DockerTarget,
  report: { created: string[]; replaced: string[]; updated: string[]; unchanged: string[] },
  options: ApplyOptions,
  log: (line: string) => void,
): Promise<AppliedResource> {
  if (before) {
    const live = await target.engine.get<InspectedContainer>(`/containers/${before.id}/json`).catch(() => undefined);
    // The provider's refresh: a container that is gone, or stopped while it must run, is created again.
    const refreshOk = live !== undefined && (live.State.Running || !mustRunOf(before));
    if (refreshOk && before.key === spec.forceNewKey) {
      if (before.updateKey !== spec.updateKey) {
        await target.engine.post(`/containers/${before.id}/update`, { body: spec.update });
        report.updated.push(spec.address);
        return {
          ...before,
          updateKey: spec.updateKey,
          mustRun: spec.mustRun,
          destroy: destroyOptions(spec),
          outputs: { ...before.outputs, ...containerOutputs(spec.address, live!) },
        };
      }
      report.unchanged.push(spec.address);
      return { ...before, mustRun: spec.mustRun, outputs: { ...before.outputs, ...containerOutputs(spec.address, live!) } };
    }
    if (live) await destroyContainer(target.engine, before.id, before.destroy);
  }
  // The provider's findImage: an image name that is not on the engine is pulled (here: served by the lab).
  if (!/^sha256:[0-9a-f]{64}$/.test(spec.image) && !(await exists(target.engine, `/images/${encodeURIComponent(spec.image)}/json`))) {
    await serveImage(target.engine, spec.image, spec.address, options);
  }
  const created = await target.engine.post<{ Id: string }>('/containers/create', { query: { name: spec.name }, body: spec.create });
  const id = created.Id;
  try {
    if (spec.networks.length > 0) {
      try {
        await target.engine.post('/networks/bridge/disconnect', { body: { Container: id, Force: false } });
      } catch (e) {
        if (!/is not connected to (the )?network bridge|No such network/i.test((e as Error).message)) throw e;
      }
      for (const n of spec.networks) {
        await target.engine.post(`/networks/${encodeURIComponent(n.name)}/connect`, {
          body: { Container: id, EndpointConfig: { Aliases: n.aliases, IPAMConfig: n.ipv4Address ? { IPv4Address: n.ipv4Address } : {} } },
        });
      }
    }
    for (const u of spec.uploads) {
      const content = u.content ?? fs.readFileSync(path.resolve(options.planDir, u.sourceFile!));
      await target.engine.request('PUT', `/containers/${id}/archive`, { query: { path: '/' }, tar: uploadTar(u.file, content, u.mode) });
    }
    const startedAt = Date.now();
    if (spec.start) await target.engine.post(`/containers/${id}/start`);
    let logs: string | undefined;
    if (spec.attach) {
      await target.engine.post(`/containers/${id}/wait`, { query: { condition: 'not-running' }, timeoutMs: 600_000 });
      if (spec.logs) logs = await target.engine.request('GET', `/containers/${id}/logs`, { query: { stdout: true, stderr: true } });
    }
    // The provider's read after create: running, or allowed not to run; exited right after its start is an error.
    const inspected = await readRunning(target.engine, id, spec, startedAt);
    if (spec.wait) await waitHealthy(target.engine, id, spec);
    log(`${spec.address}: container ${spec.name} ${inspected.State.Status}`);
    (before ? report.replaced : report.created).push(spec.address);
    const outputs = containerOutputs(spec.address, inspected);
    if (logs !== undefined) outputs[`${spec.address}.container_logs`] = logs;
    return {
      address: spec.address,
      type: 'docker_container',
      target: target.label,
      id,
      name: spec.name,
      key: spec.forceNewKey,
      updateKey: spec.updateKey,
      mustRun: spec.mustRun,
      outputs,
      destroy: destroyOptions(spec),
    };
  } catch (e) {
    if (!(e instanceof ContainerFailed)) throw e;
    await destroyContainer(target.engine, id, { removeVolumes: spec.removeVolumes }).catch(() => undefined);
    throw new LabError(e.message);
  }
}

class ContainerFailed extends LabError {}

function mustRunOf(p: AppliedResource): boolean {
  return p.mustRun !== false;
}

function destroyOptions(spec: ContainerSpec): AppliedResource['destroy'] {
  return { rm: spec.rm, graceSeconds: spec.destroyGraceSeconds, removeVolumes: spec.removeVolumes, attach: spec.attach };
}

function containerOutputs(address: string, c: InspectedContainer): Record<string, string> {
  const out: Record<string, string> = {
    [`${address}.id`]: c.Id,
    [`${address}.name`]: c.Name.replace(/^\//, ''),
    [`${address}.hostname`]: c.Config.Hostname,
  };
  Object.entries(c.NetworkSettings.Networks ?? {}).forEach(([name, n], i) => {
    out[`${address}.network_data[${i}].network_name`] = name;
    out[`${address}.network_data[${i}].ip_address`] = n.IPAddress;
    out[`${address}.network_data[${i}].ip_prefix_length`] = String(n.IPPrefixLen);
    out[`${address}.network_data[${i}].gateway`] = n.Gateway;
    out[`${address}.network_data[${i}].mac_address`] = n.MacAddress;
  });
  if (!c.State.Running) out[`${address}.exit_code`] = String(c.State.ExitCode);
  return out;
}

async function readRunning(engine: EngineClient, id: string, spec: ContainerSpec, startedAt: number): Promise<InspectedContainer> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const c = await engine.get<InspectedContainer>(`/containers/${id}/json`);
    if (c.State.Running || !spec.mustRun || !spec.start) return { ...c };
    const finished = Date.parse(c.State.FinishedAt);
    if (Number.isFinite(finished) && finished >= startedAt - 1000) {
      const logs = await engine.request('GET', `/containers/${id}/logs`, { query: { stdout: true, stderr: true, tail: 20 } }).catch(() => '');
      throw new ContainerFailed(
        `${spec.address}: container ${spec.name} exited immediately (status ${c.State.ExitCode}; must_run is true):\n${printable(logs)}`,
      );
    }
    if (Date.now() > deadline) throw new ContainerFailed(`${spec.address}: container ${spec.name} failed to be in running state`);
    await sleep(100);
  }
}

async function waitHealthy(engine: EngineClient, id: string, spec: ContainerSpec): Promise<void> {
  const deadline = Date.now() + spec.waitTimeoutSeconds * 1000;
  for (;;) {
    const c = await engine.get<InspectedContainer>(`/containers/${id}/json`);
    const health = c.State.Health;
    if (!health)
      throw new ContainerFailed(`${spec.address}: wait is true but container ${spec.name} has no health check (the provider fails the same way)`);
    if (health.Status === 'healthy') return;
    if (Date.now() > deadline) {
      const last = health.Log?.[health.Log.length - 1]?.Output ?? '';
      throw new ContainerFailed(
        `${spec.address}: container ${spec.name} not healthy within wait_timeout ${spec.waitTimeoutSeconds} s (${health.Status}): ${printable(last)}`,
      );
    }
    await sleep(250);
  }
}

async function destroyContainer(engine: EngineClient, id: string, d: AppliedResource['destroy']): Promise<void> {
  if (d.rm) {
    // Removed by the engine when it exits; the provider forgets it. Force it here when still there.
  }
  try {
    if (!d.attach && d.graceSeconds !== undefined && d.graceSeconds > 0) {
      await engine.post(`/containers/${id}/stop`, { query: { t: d.graceSeconds }, timeoutMs: (d.graceSeconds + 30) * 1000 });
    }
    await engine.delete(`/containers/${id}`, { query: { v: d.removeVolumes ?? true, force: true } });
  } catch (e) {
    if (e instanceof EngineError && (e.statusCode === 404 || e.statusCode === 304)) return;
    if (e instanceof EngineError && /removal of container .* is already in progress/.test(e.message)) return;
    throw e;
  }
}

async function destroyResource(p: AppliedResource, _options: unknown, target: DockerTarget): Promise<void> {
  switch (p.type) {
    case 'docker_container':
      await destroyContainer(target.engine, p.id, p.destroy);
      break;
    case 'docker_network':
      await removeNetwork(target.engine, p.id, p.address);
      break;
    case 'docker_volume':
      await target.engine.delete(`/volumes/${p.id}`).catch((e: Error) => {
        if (!(e instanceof EngineError && e.statusCode === 404)) throw e;
      });
      break;
    case 'docker_image':
      if (!p.destroy.keepLocally) await removeImage(target.engine, p.name, p.address);
      break;
  }
}

async function exists(engine: EngineClient, p: string): Promise<boolean> {
  try {
    await engine.get(p);
    return true;
  } catch (e) {
    if (e instanceof EngineError && e.statusCode === 404) return false;
    throw e;
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
function printable(s: string): string {
  return s
    .replace(/[\x00-\x08\x0e-\x1f]/g, '')
    .trim()
    .split('\n')
    .slice(-20)
    .join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
