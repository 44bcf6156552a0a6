/**
 * The plan's `docker_*` resources as Docker Engine API requests, the way the kreuzwerker/docker provider 3.6.2
 * (what @cdktf/provider-docker 12.0.3 binds) makes them (its `resourceDockerContainerCreate`, `…NetworkCreate`,
 * `…VolumeCreate`). Pure: attributes in (already rendered: no `${…}` left), request bodies out.
 *
 * Every attribute the lab understands is mapped with the provider's documented meaning (units, defaults, what
 * forces a new container and what is updated in place); any other attribute is REFUSED with an error naming the
 * resource and the attribute, never ignored. The tables below are the whole contract and are unit-tested.
 */
import { createHash } from 'crypto';
import { LabError } from '../netns';

export class DockerMappingError extends LabError {}

/** A plan resource's attributes after rendering (JSON values). */
export type Attributes = Readonly<Record<string, unknown>>;

/** Terraform meta-arguments the lab handles itself (ordering, provider choice, lifecycle). */
const META = new Set(['depends_on', 'provider', 'lifecycle', 'count', 'for_each', 'connection', 'provisioner', 'timeouts']);

// ---------------------------------------------------------------------------------------------------------------
// value helpers

function fail(address: string, attribute: string, message: string): never {
  throw new DockerMappingError(`${address}: ${attribute}: ${message}`);
}

/** cdktf writes a block of MaxItems 1 as an object and a repeated block as a list: always a list here. */
export function blocks(address: string, attribute: string, v: unknown): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((b, i) => {
    if (b === null || typeof b !== 'object' || Array.isArray(b))
      fail(address, `${attribute}[${i}]`, `must be a block (object), got ${JSON.stringify(b)}`);
    return b as Record<string, unknown>;
  });
}

function str(address: string, attribute: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(address, attribute, `must be a string, got ${JSON.stringify(v)}`);
}

function num(address: string, attribute: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fail(address, attribute, `must be a number, got ${JSON.stringify(v)}`);
  return n;
}

function int(address: string, attribute: string, v: unknown): number | undefined {
  const n = num(address, attribute, v);
  if (n !== undefined && !Number.isInteger(n)) fail(address, attribute, `must be a whole number, got ${n}`);
  return n;
}

function bool(address: string, attribute: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return fail(address, attribute, `must be true or false, got ${JSON.stringify(v)}`);
}

function strList(address: string, attribute: string, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  let list = v;
  // A whole-list reference renders to its JSON text.
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      list = JSON.parse(v);
    } catch {
      list = v;
    }
  }
  if (!Array.isArray(list)) return fail(address, attribute, `must be a list of strings, got ${JSON.stringify(v)}`);
  return list.map((x, i) => str(address, `${attribute}[${i}]`, x) ?? fail(address, `${attribute}[${i}]`, 'must not be null'));
}

function strMap(address: string, attribute: string, v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return fail(address, attribute, `must be a map of strings, got ${JSON.stringify(v)}`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, str(address, `${attribute}.${k}`, x) ?? '']));
}

/** `labels` blocks ({label, value}) as a map. */
function labelMap(address: string, attribute: string, v: unknown): Record<string, string> | undefined {
  const list = blocks(address, attribute, v);
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  list.forEach((b, i) => {
    only(address, `${attribute}[${i}]`, b, ['label', 'value']);
    out[str(address, `${attribute}[${i}].label`, b.label) ?? fail(address, `${attribute}[${i}].label`, 'is required')] =
      str(address, `${attribute}[${i}].value`, b.value) ?? '';
  });
  return out;
}

/** Refuses keys of `obj` that are not in `known`. */
function only(address: string, where: string, obj: Attributes, known: readonly string[], why?: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key) || (where === '' && META.has(key))) continue;
    const attribute = where === '' ? key : `${where}.${key}`;
    throw new DockerMappingError(
      `${address}: attribute '${attribute}' is not supported by the tierform lab${why?.[key] ? `: ${why[key]}` : ''} (lib/lab/docker/mapping.ts maps: ${known.join(', ')})`,
    );
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("30s", "1m30s", "500ms", "0s") in nanoseconds, as `time.ParseDuration`. */
export function parseGoDuration(address: string, attribute: string, v: unknown): number {
  const s = str(address, attribute, v) ?? '0s';
  if (s === '0') return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  if (s.length === 0) fail(address, attribute, `'${s}' is not a duration (e.g. 30s, 1m30s, 500ms)`);
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return fail(address, attribute, `'${s}' is not a duration (e.g. 30s, 1m30s, 500ms)`);
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    i = re.lastIndex;
  }
  return Math.round(total);
}

/** A stable hash of a JSON value (object keys sorted; `sets` named keys' arrays sorted too). */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------------
// docker_network

export interface NetworkSpec {
  readonly name: string;
  /** POST /networks/create */
  readonly body: Record<string, unknown>;
  /** Every docker_network attribute forces a new network. */
  readonly key: string;
}

const NETWORK_ATTRIBUTES = [
  'name',
  'driver',
  'internal',
  'attachable',
  'ingress',
  'ipam_driver',
  'ipam_options',
  'ipam_config',
  'options',
  'labels',
  'check_duplicate',
];

export function networkSpec(address: string, a: Attributes): NetworkSpec {
  only(address, '', a, NETWORK_ATTRIBUTES, { ipv6: 'the lab has no IPv6' });
  const name = str(address, 'name', a.name) ?? fail(address, 'name', 'is required');
  const driver = str(address, 'driver', a.driver) ?? 'bridge';
  if (driver !== 'bridge') fail(address, 'driver', `'${driver}': the lab's engines run the bridge driver only (no swarm, no plugins)`);
  if (bool(address, 'ingress', a.ingress)) fail(address, 'ingress', 'ingress networks need swarm mode, which the lab does not run');
  const ipam = blocks(address, 'ipam_config', a.ipam_config).map((b, i) => {
    only(address, `ipam_config[${i}]`, b, ['subnet', 'gateway', 'ip_range', 'aux_address']);
    return {
      Subnet: str(address, `ipam_config[${i}].subnet`, b.subnet),
      Gateway: str(address, `ipam_config[${i}].gateway`, b.gateway),
      IPRange: str(address, `ipam_config[${i}].ip_range`, b.ip_range),
      AuxiliaryAddresses: strMap(address, `ipam_config[${i}].aux_address`, b.aux_address),
    };
  });
  const body: Record<string, unknown> = {
    Name: name,
    CheckDuplicate: bool(address, 'check_duplicate', a.check_duplicate) ?? false,
    Driver: driver,
    Internal: bool(address, 'internal', a.internal) ?? false,
    Attachable: bool(address, 'attachable', a.attachable) ?? false,
    Ingress: false,
    Options: strMap(address, 'options', a.options) ?? {},
    Labels: labelMap(address, 'labels', a.labels) ?? {},
    IPAM: {
      Driver: str(address, 'ipam_driver', a.ipam_driver) ?? 'default',
      Options: strMap(address, 'ipam_options', a.ipam_options) ?? {},
      Config: ipam,
    },
  };
  return { name, body, key: stableHash(body) };
}

// ---------------------------------------------------------------------------------------------------------------
// docker_volume

export interface VolumeSpec {
  readonly name: string;
  /** POST /volumes/create */
  readonly body: Record<string, unknown>;
  readonly key: string;
}

export function volumeSpec(address: string, a: Attributes): VolumeSpec {
  only(address, '', a, ['name', 'driver', 'driver_opts', 'labels']);
  const name = str(address, 'name', a.name);
  if (name === undefined)
    fail(address, 'name', 'is required by the lab (Docker would generate one; give the volume a name so containers can mount it)');
  const driver = str(address, 'driver', a.driver) ?? 'local';
  if (driver !== 'local') fail(address, 'driver', `'${driver}': the lab's engines have the local driver only`);
  const body = {
    Name: name,
    Driver: driver,
    DriverOpts: strMap(address, 'driver_opts', a.driver_opts) ?? {},
    Labels: labelMap(address, 'labels', a.labels) ?? {},
  };
  return { name, body, key: stableHash(body) };
}

// ---------------------------------------------------------------------------------------------------------------
// docker_image

export interface ImageBuildSpec {
  /** As written: relative paths are resolved by the caller (against the stack directory). */
  readonly context: string;
  readonly dockerfile: string;
  readonly buildArgs: Record<string, string>;
  readonly target?: string;
  readonly tags: string[];
  readonly labels: Record<string, string>;
  readonly noCache: boolean;
  readonly remove: boolean;
  readonly forceRemove: boolean;
}

export interface ImageSpec {
  readonly name: string;
  readonly keepLocally: boolean;
  readonly build?: ImageBuildSpec;
  /** ForceNew attributes (name, build, triggers, pull_triggers, platform). */
  readonly key: string;
}

const IMAGE_BUILD_ATTRIBUTES = [
  'context',
  'dockerfile',
  'build_args',
  'build_arg',
  'target',
  'tag',
  'label',
  'labels',
  'no_cache',
  'remove',
  'force_remove',
  'suppress_output',
];

export function imageSpec(address: string, a: Attributes): ImageSpec {
  only(address, '', a, ['name', 'keep_locally', 'force_remove', 'build', 'triggers', 'pull_triggers'], {
    platform: 'the lab runs linux/amd64 images only',
  });
  const name = str(address, 'name', a.name) ?? fail(address, 'name', 'is required');
  const b = blocks(address, 'build', a.build);
  let build: ImageBuildSpec | undefined;
  if (b.length > 0) {
    const x = b[0];
    only(address, 'build', x, IMAGE_BUILD_ATTRIBUTES, {
      remote_context: 'no remote context is reachable from the lab',
      auth_config: 'no registry is reachable from the lab',
      secrets: 'build secrets need BuildKit, which the lab does not run',
      builder: "the lab builds with the droplet engine's classic builder",
      platform: 'the lab runs linux/amd64 images only',
    });
    build = {
      context: str(address, 'build.context', x.context) ?? fail(address, 'build.context', 'is required'),
      dockerfile: str(address, 'build.dockerfile', x.dockerfile) ?? 'Dockerfile',
      buildArgs: { ...(strMap(address, 'build.build_arg', x.build_arg) ?? {}), ...(strMap(address, 'build.build_args', x.build_args) ?? {}) },
      target: str(address, 'build.target', x.target),
      tags: strList(address, 'build.tag', x.tag) ?? [],
      labels: { ...(strMap(address, 'build.label', x.label) ?? {}), ...(strMap(address, 'build.labels', x.labels) ?? {}) },
      noCache: bool(address, 'build.no_cache', x.no_cache) ?? false,
      remove: bool(address, 'build.remove', x.remove) ?? true,
      forceRemove: bool(address, 'build.force_remove', x.force_remove) ?? false,
    };
  }
  return {
    name,
    keepLocally: bool(address, 'keep_locally', a.keep_locally) ?? false,
    build,
    key: stableHash({ name, build: a.build, triggers: a.triggers, pull_triggers: a.pull_triggers }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// docker_container

export interface ContainerNetwork {
  readonly name: string;
  readonly aliases: string[];
  readonly ipv4Address?: string;
}

export interface ContainerUpload {
  readonly file: string;
  /** The bytes to write; a `source` is read by the caller (`sourceFile`). */
  readonly content?: Buffer;
  readonly sourceFile?: string;
  /** File mode: `permissions`, else 0744 with `executable`, else 0644. */
  readonly mode: number;
}

export interface ContainerSpec {
  readonly address: string;
  readonly name: string;
  /** The `image` attribute: an image id (`docker_image.x.image_id`) or a name. */
  readonly image: string;
  /** POST /containers/create?name=… (Config with HostConfig and NetworkingConfig). */
  readonly create: Record<string, unknown>;
  readonly networks: ContainerNetwork[];
  readonly uploads: ContainerUpload[];
  readonly start: boolean;
  readonly mustRun: boolean;
  readonly wait: boolean;
  readonly waitTimeoutSeconds: number;
  readonly attach: boolean;
  readonly logs: boolean;
  readonly rm: boolean;
  readonly destroyGraceSeconds?: number;
  readonly removeVolumes: boolean;
  /** POST /containers/{id}/update when only these changed (the provider's in-place update). */
  readonly update: Record<string, unknown>;
  /** Hash of every attribute that forces a new container. */
  readonly forceNewKey: string;
  /** Hash of `update`. */
  readonly updateKey: string;
}

/**
 * docker_container attributes the lab maps, and how a change applies: 'new' (ForceNew: the container is
 * replaced), 'update' (the provider's ContainerUpdate: restart policy and resources), 'none' (no effect on the
 * running container: how the provider creates, waits or destroys).
 */
export const CONTAINER_ATTRIBUTES: Readonly<Record<string, 'new' | 'update' | 'none'>> = {
  name: 'new',
  image: 'new',
  command: 'new',
  entrypoint: 'new',
  user: 'new',
  env: 'new',
  labels: 'new',
  working_dir: 'new',
  hostname: 'new',
  domainname: 'new',
  ports: 'new',
  publish_all_ports: 'new',
  network_mode: 'new',
  networks_advanced: 'new',
  volumes: 'new',
  mounts: 'new',
  tmpfs: 'new',
  upload: 'new',
  healthcheck: 'new',
  read_only: 'new',
  log_driver: 'new',
  log_opts: 'new',
  capabilities: 'new',
  security_opts: 'new',
  privileged: 'new',
  dns: 'new',
  dns_opts: 'new',
  dns_search: 'new',
  host: 'new',
  ulimit: 'new',
  sysctls: 'new',
  shm_size: 'new',
  group_add: 'new',
  ipc_mode: 'new',
  pid_mode: 'new',
  stop_signal: 'new',
  stop_timeout: 'new',
  tty: 'new',
  stdin_open: 'new',
  init: 'new',
  cpus: 'new',
  restart: 'update',
  max_retry_count: 'update',
  memory: 'update',
  memory_swap: 'update',
  cpu_shares: 'update',
  cpu_set: 'update',
  cpu_period: 'update',
  cpu_quota: 'update',
  start: 'none',
  must_run: 'none',
  wait: 'none',
  wait_timeout: 'none',
  attach: 'none',
  logs: 'none',
  rm: 'none',
  destroy_grace_seconds: 'none',
  remove_volumes: 'none',
  container_read_refresh_timeout_milliseconds: 'none',
};

const CONTAINER_REFUSED: Readonly<Record<string, string>> = {
  cgroup_parent: 'the lab puts every container under its own cgroup to find it at teardown (lib/lab/docker/engine.ts)',
  cgroupns_mode: "Docker Engine 20.10 (the lab's) has cgroup v1 only here",
  devices: 'no host devices are given to lab containers',
  gpus: 'no GPUs in the lab',
  runtime: 'the lab runs runc only',
  storage_opts: 'the overlay2 driver here takes no per-container options',
  userns_mode: "user namespace remapping is not enabled in the lab's engines",
  links: 'legacy links: use networks_advanced aliases',
};

const MB = 1024 * 1024;

/** The provider's create request for a docker_container, with what its lifecycle needs. */
export function containerSpec(address: string, a: Attributes): ContainerSpec {
  only(address, '', a, Object.keys(CONTAINER_ATTRIBUTES), CONTAINER_REFUSED);
  const name = str(address, 'name', a.name) ?? fail(address, 'name', 'is required');
  const image = str(address, 'image', a.image) ?? fail(address, 'image', 'is required');

  const command = strList(address, 'command', a.command);
  command?.forEach((c) => c === '' && fail(address, 'command', 'values for command may not be empty'));
  const config: Record<string, unknown> = {
    Image: image,
    Hostname: str(address, 'hostname', a.hostname) ?? '',
    Domainname: str(address, 'domainname', a.domainname) ?? '',
    Tty: bool(address, 'tty', a.tty) ?? false,
    OpenStdin: bool(address, 'stdin_open', a.stdin_open) ?? false,
  };
  const env = strList(address, 'env', a.env);
  if (env) {
    env.forEach((e, i) => (/^[^=]+=/.test(e) ? undefined : fail(address, `env[${i}]`, `'${e}' is not KEY=VALUE`)));
    config.Env = env;
  }
  if (command) config.Cmd = command;
  const entrypoint = strList(address, 'entrypoint', a.entrypoint);
  if (entrypoint) config.Entrypoint = entrypoint;
  const user = str(address, 'user', a.user);
  if (user) config.User = user;
  const workingDir = str(address, 'working_dir', a.working_dir);
  if (workingDir) config.WorkingDir = workingDir;
  const labels = labelMap(address, 'labels', a.labels);
  if (labels) config.Labels = labels;
  const stopSignal = str(address, 'stop_signal', a.stop_signal);
  if (stopSignal) config.StopSignal = stopSignal;
  const stopTimeout = int(address, 'stop_timeout', a.stop_timeout);
  if (stopTimeout !== undefined) config.StopTimeout = stopTimeout;

  // ports: exposed ports and bindings; no external port = a random one (>= 32768).
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  blocks(address, 'ports', a.ports).forEach((p, i) => {
    only(address, `ports[${i}]`, p, ['internal', 'external', 'ip', 'protocol']);
    const internal = int(address, `ports[${i}].internal`, p.internal) ?? fail(address, `ports[${i}].internal`, 'is required');
    const protocol = str(address, `ports[${i}].protocol`, p.protocol) ?? 'tcp';
    const external = int(address, `ports[${i}].external`, p.external);
    const key = `${internal}/${protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: str(address, `ports[${i}].ip`, p.ip) || '0.0.0.0',
      HostPort: external === undefined ? '' : String(external),
    });
  });
  if (Object.keys(exposed).length > 0) config.ExposedPorts = exposed;

  // volumes (the provider's volumeSetToDockerVolumes) and mounts
  const volumes: Record<string, object> = {};
  const binds: string[] = [];
  const volumesFrom: string[] = [];
  blocks(address, 'volumes', a.volumes).forEach((v, i) => {
    only(address, `volumes[${i}]`, v, ['container_path', 'host_path', 'volume_name', 'read_only', 'from_container']);
    const fromContainer = str(address, `volumes[${i}].from_container`, v.from_container) ?? '';
    const containerPath = str(address, `volumes[${i}].container_path`, v.container_path) ?? '';
    const source = str(address, `volumes[${i}].volume_name`, v.volume_name) || (str(address, `volumes[${i}].host_path`, v.host_path) ?? '');
    const readOnly = bool(address, `volumes[${i}].read_only`, v.read_only) ?? false;
    if (fromContainer === '' && containerPath === '') fail(address, `volumes[${i}]`, 'Volume entry without container path or source container');
    if (fromContainer !== '' && containerPath !== '') fail(address, `volumes[${i}]`, 'Both a container and a path specified in a volume entry');
    const hostPath = str(address, `volumes[${i}].host_path`, v.host_path);
    if (hostPath !== undefined && hostPath !== '' && !hostPath.startsWith('/'))
      fail(address, `volumes[${i}].host_path`, `'${hostPath}' must be an absolute path`);
    if (fromContainer !== '') volumesFrom.push(fromContainer);
    else if (source !== '') {
      volumes[containerPath] = {};
      binds.push(`${source}:${containerPath}:${readOnly ? 'ro' : 'rw'}`);
    } else volumes[containerPath] = {};
  });
  if (Object.keys(volumes).length > 0) config.Volumes = volumes;

  const mounts = blocks(address, 'mounts', a.mounts).map((m, i) => {
    const where = `mounts[${i}]`;
    only(address, where, m, ['target', 'source', 'type', 'read_only', 'bind_options', 'volume_options', 'tmpfs_options']);
    const type = str(address, `${where}.type`, m.type) ?? fail(address, `${where}.type`, 'is required');
    if (!['bind', 'volume', 'tmpfs'].includes(type)) fail(address, `${where}.type`, `'${type}' must be bind, volume or tmpfs`);
    const out: Record<string, unknown> = {
      Type: type,
      Target: str(address, `${where}.target`, m.target) ?? fail(address, `${where}.target`, 'is required'),
      Source: str(address, `${where}.source`, m.source) ?? '',
    };
    const ro = bool(address, `${where}.read_only`, m.read_only);
    if (ro !== undefined) out.ReadOnly = ro;
    const bo = blocks(address, `${where}.bind_options`, m.bind_options)[0];
    if (type === 'bind' && bo) {
      only(address, `${where}.bind_options`, bo, ['propagation']);
      out.BindOptions = { Propagation: str(address, `${where}.bind_options.propagation`, bo.propagation) };
    }
    const vo = blocks(address, `${where}.volume_options`, m.volume_options)[0];
    if (type === 'volume' && vo) {
      only(address, `${where}.volume_options`, vo, ['no_copy', 'labels', 'driver_name', 'driver_options'], {
        subpath: "needs Docker API 1.45; the lab's engine speaks 1.41",
      });
      const driverName = str(address, `${where}.volume_options.driver_name`, vo.driver_name);
      const driverOptions = strMap(address, `${where}.volume_options.driver_options`, vo.driver_options);
      out.VolumeOptions = {
        NoCopy: bool(address, `${where}.volume_options.no_copy`, vo.no_copy) ?? false,
        Labels: labelMap(address, `${where}.volume_options.labels`, vo.labels),
        DriverConfig: driverName !== undefined || driverOptions !== undefined ? { Name: driverName ?? '', Options: driverOptions } : undefined,
      };
    }
    const to = blocks(address, `${where}.tmpfs_options`, m.tmpfs_options)[0];
    if (type === 'tmpfs' && to) {
      only(address, `${where}.tmpfs_options`, to, ['size_bytes', 'mode']);
      out.TmpfsOptions = {
        SizeBytes: int(address, `${where}.tmpfs_options.size_bytes`, to.size_bytes),
        Mode: int(address, `${where}.tmpfs_options.mode`, to.mode),
      };
    }
    if (type === 'bind' && !String(out.Source).startsWith('/'))
      fail(address, `${where}.source`, `a bind mount's source must be an absolute path on the Docker host, got '${String(out.Source)}'`);
    return out;
  });

  // healthcheck: durations as Go durations, in nanoseconds
  const hc = blocks(address, 'healthcheck', a.healthcheck)[0];
  if (hc) {
    only(address, 'healthcheck', hc, ['test', 'interval', 'timeout', 'start_period', 'retries', 'start_interval']);
    const startInterval = parseGoDuration(address, 'healthcheck.start_interval', hc.start_interval);
    if (startInterval !== 0)
      fail(address, 'healthcheck.start_interval', "needs Docker API 1.44; the lab's Docker Engine 20.10 (API 1.41) would ignore it");
    config.Healthcheck = {
      Test: strList(address, 'healthcheck.test', hc.test) ?? fail(address, 'healthcheck.test', 'is required'),
      Interval: parseGoDuration(address, 'healthcheck.interval', hc.interval),
      Timeout: parseGoDuration(address, 'healthcheck.timeout', hc.timeout),
      StartPeriod: parseGoDuration(address, 'healthcheck.start_period', hc.start_period),
      Retries: int(address, 'healthcheck.retries', hc.retries) ?? 0,
    };
  }

  const restart = str(address, 'restart', a.restart) ?? 'no';
  if (!/^(no|on-failure|always|unless-stopped)$/.test(restart))
    fail(address, 'restart', `'${restart}' must be one of no, on-failure, always, unless-stopped`);
  const memory = int(address, 'memory', a.memory);
  if (memory !== undefined && memory < 0) fail(address, 'memory', `must be at least 0 (MB), got ${memory}`);
  const memorySwap = int(address, 'memory_swap', a.memory_swap);
  if (memorySwap !== undefined && memorySwap < -1) fail(address, 'memory_swap', `must be at least -1, got ${memorySwap}`);
  const cpuSet = str(address, 'cpu_set', a.cpu_set);
  if (cpuSet !== undefined && !/^\d+([,-]\d+)*$/.test(cpuSet)) fail(address, 'cpu_set', `'${cpuSet}' is not a CPU list such as 0-1`);
  const cpus = str(address, 'cpus', a.cpus);
  let nanoCpus: number | undefined;
  if (cpus !== undefined) {
    if (!/^[0-9]*\.?[0-9]+$/.test(cpus)) fail(address, 'cpus', `'${cpus}' is not a number of CPUs such as 0.5`);
    nanoCpus = Math.round(Number(cpus) * 1e9);
  }
  const resources: Record<string, unknown> = {
    CpuShares: int(address, 'cpu_shares', a.cpu_shares) ?? 0,
    Memory: (memory ?? 0) * MB,
    CpusetCpus: cpuSet ?? '',
  };
  if (memorySwap !== undefined) resources.MemorySwap = memorySwap > 0 ? memorySwap * MB : memorySwap;
  // `cpus` has precedence over cpu_period/cpu_quota (the provider's documentation).
  if (nanoCpus !== undefined) resources.NanoCpus = nanoCpus;
  else {
    const period = int(address, 'cpu_period', a.cpu_period);
    const quota = int(address, 'cpu_quota', a.cpu_quota);
    if (period !== undefined) resources.CpuPeriod = period;
    if (quota !== undefined) resources.CpuQuota = quota;
  }
  const restartPolicy = { Name: restart, MaximumRetryCount: int(address, 'max_retry_count', a.max_retry_count) ?? 0 };

  const hostConfig: Record<string, unknown> = {
    Privileged: bool(address, 'privileged', a.privileged) ?? false,
    PublishAllPorts: bool(address, 'publish_all_ports', a.publish_all_ports) ?? false,
    RestartPolicy: restartPolicy,
    Mounts: mounts,
    AutoRemove: bool(address, 'rm', a.rm) ?? false,
    ReadonlyRootfs: bool(address, 'read_only', a.read_only) ?? false,
    LogConfig: { Type: str(address, 'log_driver', a.log_driver) ?? '', Config: strMap(address, 'log_opts', a.log_opts) },
    Init: bool(address, 'init', a.init) ?? false,
    ...resources,
  };
  // Only when set (the provider's `if v, ok := d.GetOk("network_mode")`): unset, the engine creates the container on
  // its default network ("default", the bridge), which the provider leaves when it connects networks_advanced.
  const networkMode = str(address, 'network_mode', a.network_mode);
  if (networkMode) hostConfig.NetworkMode = networkMode;
  const tmpfs = strMap(address, 'tmpfs', a.tmpfs);
  if (tmpfs) hostConfig.Tmpfs = tmpfs;
  if (Object.keys(bindings).length > 0) hostConfig.PortBindings = bindings;
  const extraHosts = blocks(address, 'host', a.host).map((h, i) => {
    only(address, `host[${i}]`, h, ['host', 'ip']);
    return `${str(address, `host[${i}].host`, h.host)}:${str(address, `host[${i}].ip`, h.ip)}`;
  });
  if (extraHosts.length > 0) hostConfig.ExtraHosts = extraHosts;
  if (binds.length > 0) hostConfig.Binds = binds;
  if (volumesFrom.length > 0) hostConfig.VolumesFrom = volumesFrom;
  const ulimits = blocks(address, 'ulimit', a.ulimit).map((u, i) => {
    only(address, `ulimit[${i}]`, u, ['name', 'soft', 'hard']);
    return {
      Name: str(address, `ulimit[${i}].name`, u.name),
      Soft: int(address, `ulimit[${i}].soft`, u.soft),
      Hard: int(address, `ulimit[${i}].hard`, u.hard),
    };
  });
  if (ulimits.length > 0) hostConfig.Ulimits = ulimits;
  const caps = blocks(address, 'capabilities', a.capabilities)[0];
  if (caps) {
    only(address, 'capabilities', caps, ['add', 'drop']);
    hostConfig.CapAdd = strList(address, 'capabilities.add', caps.add) ?? [];
    hostConfig.CapDrop = strList(address, 'capabilities.drop', caps.drop) ?? [];
  }
  for (const [attr, field] of [
    ['dns', 'Dns'],
    ['dns_opts', 'DnsOptions'],
    ['dns_search', 'DnsSearch'],
    ['security_opts', 'SecurityOpt'],
    ['group_add', 'GroupAdd'],
  ] as const) {
    const v = strList(address, attr, a[attr]);
    if (v) hostConfig[field] = v;
  }
  const shm = int(address, 'shm_size', a.shm_size);
  if (shm !== undefined) hostConfig.ShmSize = shm * MB;
  const sysctls = strMap(address, 'sysctls', a.sysctls);
  if (sysctls) hostConfig.Sysctls = sysctls;
  const ipc = str(address, 'ipc_mode', a.ipc_mode);
  if (ipc) hostConfig.IpcMode = ipc;
  const pid = str(address, 'pid_mode', a.pid_mode);
  if (pid) hostConfig.PidMode = pid;

  const networks = blocks(address, 'networks_advanced', a.networks_advanced).map((n, i) => {
    only(address, `networks_advanced[${i}]`, n, ['name', 'aliases', 'ipv4_address'], { ipv6_address: 'the lab has no IPv6' });
    return {
      name: str(address, `networks_advanced[${i}].name`, n.name) ?? fail(address, `networks_advanced[${i}].name`, 'is required'),
      aliases: strList(address, `networks_advanced[${i}].aliases`, n.aliases) ?? [],
      ipv4Address: str(address, `networks_advanced[${i}].ipv4_address`, n.ipv4_address),
    };
  });

  const uploads = blocks(address, 'upload', a.upload).map((u, i) => {
    const where = `upload[${i}]`;
    only(address, where, u, ['file', 'content', 'content_base64', 'source', 'source_hash', 'executable', 'permissions']);
    const set = ['content', 'content_base64', 'source'].filter((k) => u[k] !== undefined && u[k] !== null && u[k] !== '');
    if (set.length === 0) fail(address, where, "error with upload content: one of 'content', 'content_base64', or 'source' must be set");
    if (set.length > 1) fail(address, where, "error with upload content: only one of 'content', 'content_base64', or 'source' can be set");
    const permissions = str(address, `${where}.permissions`, u.permissions);
    if (permissions !== undefined && !/^0[0-7]{3}$/.test(permissions))
      fail(address, `${where}.permissions`, `'${permissions}' must be an octal mode such as 0644`);
    const mode = permissions !== undefined ? parseInt(permissions, 8) : bool(address, `${where}.executable`, u.executable) ? 0o744 : 0o644;
    const file = str(address, `${where}.file`, u.file) ?? fail(address, `${where}.file`, 'is required');
    if (u.content_base64 !== undefined && u.content_base64 !== '') {
      const b64 = str(address, `${where}.content_base64`, u.content_base64)!;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) fail(address, `${where}.content_base64`, 'is not base64');
      return { file, content: Buffer.from(b64, 'base64'), mode };
    }
    if (u.source !== undefined && u.source !== '') return { file, sourceFile: str(address, `${where}.source`, u.source), mode };
    return { file, content: Buffer.from(str(address, `${where}.content`, u.content) ?? '', 'utf8'), mode };
  });

  const wait = bool(address, 'wait', a.wait) ?? false;
  const forceNew = Object.fromEntries(Object.entries(a).filter(([k]) => CONTAINER_ATTRIBUTES[k] === 'new'));
  const update = { RestartPolicy: restartPolicy, ...resources };
  return {
    address,
    name,
    image,
    create: { ...config, HostConfig: hostConfig, NetworkingConfig: {} },
    networks,
    uploads,
    start: bool(address, 'start', a.start) ?? true,
    mustRun: bool(address, 'must_run', a.must_run) ?? true,
    wait,
    waitTimeoutSeconds: int(address, 'wait_timeout', a.wait_timeout) ?? 60,
    attach: bool(address, 'attach', a.attach) ?? false,
    logs: bool(address, 'logs', a.logs) ?? false,
    rm: bool(address, 'rm', a.rm) ?? false,
    destroyGraceSeconds: int(address, 'destroy_grace_seconds', a.destroy_grace_seconds),
    removeVolumes: bool(address, 'remove_volumes', a.remove_volumes) ?? true,
    update,
    forceNewKey: stableHash(canonicalSets(forceNew)),
    updateKey: stableHash(update),
  };
}

/** Set-typed attributes (env, labels, dns, …, networks_advanced, volumes, mounts, upload) compared without order. */
function canonicalSets(attrs: Record<string, unknown>): Record<string, unknown> {
  const sets = new Set([
    'env',
    'labels',
    'dns',
    'dns_opts',
    'dns_search',
    'security_opts',
    'group_add',
    'networks_advanced',
    'volumes',
    'mounts',
    'upload',
    'host',
    'ulimit',
    'capabilities',
  ]);
  return Object.fromEntries(
    Object.entries(attrs).map(([k, v]) => {
      if (!sets.has(k) || !Array.isArray(v)) return [k, v];
      return [k, v.map((x) => stableJson(x)).sort()];
    }),
  );
}

/** The tar archive (one file, at its absolute path) the provider uploads with PUT /containers/{id}/archive?path=/. */
export function uploadTar(file: string, content: Buffer, mode: number): Buffer {
  const name = file.replace(/^\/+/, '');
  if (Buffer.byteLength(name) > 100) throw new DockerMappingError(`upload file path '${file}' is longer than 100 bytes (ustar)`);
  const header = Buffer.alloc(512, 0);
  const write = (s: string, offset: number, length: number) => header.write(s, offset, length, 'utf8');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  write(name, 0, 100);
  write(octal(mode, 8), 100, 8);
  write(octal(0, 8), 108, 8);
  write(octal(0, 8), 116, 8);
  write(octal(content.length, 12), 124, 12);
  write(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  write('        ', 148, 8);
  write('0', 156, 1);
  write('ustar\0', 257, 6);
  write('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]);
}
