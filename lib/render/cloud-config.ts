/**
 * A typed model of the `#cloud-config` a droplet boots with, rendered as the `yaml` package renders it (through
 * ./yaml-text.ts, which writes the same bytes faster). Pure: no cdktf. Values unknown until deploy arrive as opaque
 * strings and are copied verbatim.
 */
import { RenderError, refuse } from './guards';
import { YamlTextOptions, stringifyYaml } from './yaml-text';

export interface CloudConfigFile {
  /** Absolute path on the droplet. */
  readonly path: string;
  readonly content: string;
  /** Octal permissions, e.g. '0644'. */
  readonly permissions: string;
  /** @default 'root:root' */
  readonly owner?: string;
  /**
   * Write after packages are installed (cloud-init's write-files-deferred module). Needed for files a
   * package ships as a conffile (nginx.conf, haproxy.cfg): written earlier, dpkg would see a foreign
   * conffile at install time.
   * @default false
   */
  readonly defer?: boolean;
}

/** The parts of a droplet's cloud-config one role contributes; several roles merge onto one droplet. */
export interface CloudConfigFragment {
  readonly packages?: readonly string[];
  readonly files?: readonly CloudConfigFile[];
  /** Commands run once at first boot, in order, as argv lists (no shell). */
  readonly commands?: readonly (readonly string[])[];
}

export interface CloudConfigOptions {
  /** A comment under `#cloud-config` saying what the droplet is for. */
  readonly description: string;
  /** apt-get update before installing packages. @default true */
  readonly packageUpdate?: boolean;
  /** apt-get upgrade at first boot, so the droplet starts with current security fixes. @default true */
  readonly packageUpgrade?: boolean;
}

const PERMISSIONS = /^0[0-7]{3}$/;

/** How the body is written (the `yaml` package's options; ./yaml-text.ts writes the same bytes). */
export const CLOUD_CONFIG_YAML: YamlTextOptions = {
  lineWidth: 0, // never fold: a folded line could split a Terraform reference
  blockQuote: 'literal',
  defaultStringType: 'PLAIN',
  defaultKeyType: 'PLAIN',
};

/**
 * Rendered bodies keyed by their content: droplets whose fragments hold the same packages, files and commands (a
 * WebTier's N droplets, and every droplet on each of cdktf's resolve passes) run the YAML emitter once. The key is
 * the fragments' content itself (function fragments evaluated first), so a cached body is never stale: anything that
 * changes what would be rendered changes the key. One cache per synthesized stack (owned by the caller), bounded so it
 * cannot grow without limit.
 *
 * A key is the sequence of the values the rendering reads (see `contentKey`), held as a trie of Maps, one level per
 * value: a lookup hashes each value (V8 keeps a string's hash with the string, and a fragment built once hands the
 * same strings to every render) instead of serializing every file's content into one key string on each render.
 */
export class RenderCache {
  private root: TrieNode = new Map();
  private count = 0;
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(private readonly maxEntries = 256) {}

  /** A number unique to `object` within this cache (used for the transform function, which has no content). */
  public id(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(object, id);
    }
    return id;
  }

  public get(key: readonly unknown[]): string | undefined {
    let node: TrieNode | undefined = this.root;
    for (const part of key) {
      node = node.get(part) as TrieNode | undefined;
      if (node === undefined) return undefined;
    }
    return node.get(BODY) as string | undefined;
  }

  public set(key: readonly unknown[], body: string): void {
    if (this.count >= this.maxEntries) {
      this.root = new Map();
      this.count = 0;
    }
    let node = this.root;
    for (const part of key) {
      let next = node.get(part) as TrieNode | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(part, next);
      }
      node = next;
    }
    if (!node.has(BODY)) this.count++;
    node.set(BODY, body);
  }

  /** How many bodies are held (for tests). */
  public get size(): number {
    return this.count;
  }
}

/** A level of RenderCache's trie: the next key part → the next level; BODY → the rendered body. */
type TrieNode = Map<unknown, TrieNode | string>;
const BODY = Symbol('body');

/** Markers between the values of a key (symbols: no value of a fragment can be equal to one). */
const FRAGMENT = Symbol('fragment');
const PACKAGES = Symbol('packages');
const FILE = Symbol('file');
const COMMAND = Symbol('command');

/** A value as a key part: primitives as they are; anything else (not valid in a fragment) by its JSON. */
function part(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
}

/**
 * Everything of the fragments that the body's rendering reads, appended to `key` as a sequence of values with
 * markers: equal keys render equal bodies. Unknown properties are left out on purpose (the renderer ignores them too).
 */
function contentKey(key: unknown[], fragments: readonly CloudConfigFragment[]): unknown[] {
  for (const f of fragments) {
    key.push(FRAGMENT);
    if (f.packages) {
      key.push(PACKAGES);
      for (const pkg of f.packages) key.push(part(pkg));
    }
    for (const file of f.files ?? []) {
      key.push(FILE, part(file.path), part(file.owner ?? null), part(file.permissions), Boolean(file.defer), part(file.content));
    }
    for (const command of f.commands ?? []) {
      key.push(COMMAND);
      for (const arg of command) key.push(part(arg));
    }
  }
  return key;
}

const IDENTITY = (text: string): string => text;

/** A fragment, or a function producing one at render time (for roles whose content depends on later calls). */
export type FragmentSource = CloudConfigFragment | (() => CloudConfigFragment);

/**
 * A fragment function that builds its fragment again only when its inputs change: `inputs()` runs on every render
 * and is compared, as JSON, with the previous call's. For fragments rendered at synth from state that may still
 * change (roles watched, backends added later): cdktf resolves user_data more than once, and droplets may share
 * the function, so the same files are not rendered again. `inputs` must return everything that can change; what
 * `build` closes over besides must be fixed.
 */
export function memoizedFragment<T>(inputs: () => T, build: (inputs: T) => CloudConfigFragment): () => CloudConfigFragment {
  let last: { readonly key: string; readonly fragment: CloudConfigFragment } | undefined;
  return () => {
    const value = inputs();
    const key = JSON.stringify(value);
    if (last === undefined || last.key !== key) last = { key, fragment: build(value) };
    return last.fragment;
  };
}

export class CloudConfig {
  private readonly sources: FragmentSource[] = [];
  private readonly cache: RenderCache;

  /** `cache` may be shared by the droplets of a stack (see RenderCache); each CloudConfig has its own otherwise. */
  constructor(
    private readonly options: CloudConfigOptions,
    cache?: RenderCache,
  ) {
    this.cache = cache ?? new RenderCache(8);
  }

  /** Adds a role's packages, files and commands. Functions are called at render time. */
  public add(fragment: FragmentSource): this {
    this.sources.push(fragment);
    return this;
  }

  /** Merges every fragment: packages deduplicated, files checked (absolute path, permissions, written once). */
  public compile(): { packages: string[]; files: CloudConfigFile[]; commands: string[][] } {
    return this.compileFragments(this.fragments());
  }

  /**
   * The values the fragments hold (paths, contents, commands, packages, the description) that pass `keep`,
   * unformatted and unchecked, one per line: for a caller that only needs to see which values occur, such as cdktf's
   * preparing resolve pass, which looks for cross-stack references and throws its output away (it passes a `keep`
   * that selects the values holding a token). Much cheaper than `render()`: no merging, no YAML.
   */
  public valuesText(keep: (value: string) => boolean = () => true): string {
    const values: string[] = [];
    const add = (value: string): void => {
      if (keep(value)) values.push(value);
    };
    add(this.options.description);
    for (const f of this.fragments()) {
      for (const pkg of f.packages ?? []) add(pkg);
      for (const file of f.files ?? []) {
        add(file.path);
        add(file.owner ?? '');
        add(file.permissions);
        add(file.content);
      }
      for (const command of f.commands ?? []) for (const arg of command) add(arg);
    }
    return values.join('\n');
  }

  /** Every fragment, functions evaluated now. */
  private fragments(): CloudConfigFragment[] {
    return this.sources.map((source) => (typeof source === 'function' ? source() : source));
  }

  private compileFragments(fragments: readonly CloudConfigFragment[]): { packages: string[]; files: CloudConfigFile[]; commands: string[][] } {
    const packages = new Set<string>();
    const files = new Map<string, CloudConfigFile>();
    const commands: string[][] = [];
    for (const fragment of fragments) {
      for (const pkg of fragment.packages ?? []) {
        packages.add(pkg);
      }
      for (const file of fragment.files ?? []) {
        if (!file.path.startsWith('/')) {
          refuse('files[].path', 'must be an absolute path', file.path);
        }
        if (!PERMISSIONS.test(file.permissions)) {
          refuse(`files[${file.path}].permissions`, "must be four octal digits starting with 0, like '0644'", file.permissions);
        }
        if (files.has(file.path)) {
          throw new RenderError(`files[${file.path}]`, `cloud-config file ${file.path} is written twice: two roles on one droplet claim it`);
        }
        files.set(file.path, file);
      }
      for (const command of fragment.commands ?? []) {
        commands.push([...command]);
      }
    }
    return { packages: [...packages], files: [...files.values()], commands };
  }

  /**
   * The whole document. `transform` (e.g. escaping for Terraform) must work line by line: it is applied to the
   * header and to the body separately, and its result for a shared body is cached with the body.
   */
  public render(transform: (text: string) => string = IDENTITY): string {
    const comment = this.options.description
      .split('\n')
      .map((line) => `# ${line}`.trimEnd())
      .join('\n');
    return transform(`#cloud-config\n${comment}\n`) + this.renderBody(transform);
  }

  private renderBody(transform: (text: string) => string): string {
    const fragments = this.fragments();
    const key = contentKey([this.cache.id(transform), this.options.packageUpdate ?? true, this.options.packageUpgrade ?? true], fragments);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const body = transform(this.renderBodyUncached(fragments));
    this.cache.set(key, body);
    return body;
  }

  private renderBodyUncached(fragments: readonly CloudConfigFragment[]): string {
    const { packages, files, commands } = this.compileFragments(fragments);
    const doc: Record<string, unknown> = {
      package_update: this.options.packageUpdate ?? true,
      package_upgrade: this.options.packageUpgrade ?? true,
      // Key-only SSH: DigitalOcean installs the account keys given to the droplet.
      ssh_pwauth: false,
    };
    if (packages.length > 0) {
      doc.packages = packages;
    }
    if (files.length > 0) {
      doc.write_files = files.map((f) => ({
        path: f.path,
        owner: f.owner ?? 'root:root',
        permissions: f.permissions,
        ...(f.defer ? { defer: true } : {}),
        content: f.content,
      }));
    }
    if (commands.length > 0) {
      doc.runcmd = commands;
    }
    return stringifyYaml(doc, CLOUD_CONFIG_YAML);
  }
}
