/**
 * Reads a droplet's boot document back from a plan: its `user_data` rendered as Terraform would at apply, and the
 * `#cloud-config` parsed as cloud-init reads it (YAML 1.1, `write_files` decoded). Pure: no cdktf.
 */
import { gunzipSync } from 'zlib';
import { isMap, isSeq, parseDocument } from 'yaml';
import { PlanDroplet, PlanError } from './plan';
import { ReferenceResolver, renderTemplate } from './template';

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
    throw new CloudConfigError(
      `user_data must start with a '#cloud-config' line for cloud-init to read it as cloud-config, got '${firstLine.slice(0, 60)}'`,
    );
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
