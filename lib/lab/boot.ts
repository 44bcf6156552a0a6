/**
 * Boots a synthesized stage in the lab: reads `cdktf.out/stacks/<stage>/cdk.tf.json` (what `cdktf deploy` would
 * send — never the constructs), gives every droplet lab addresses, answers the plan's references with them, and
 * runs each droplet's user_data the way cloud-init would.
 *
 * Boot sequence (`bootStage`):
 *  1. plan → lab (`planLab`, pure): droplets in plan order get ids 100000001…, public addresses 203.0.113.10…,
 *     VPC addresses from their VPC's `ip_range` (from its 3rd address), anchor IPs 10.19.0.x; reserved IPs the
 *     next public addresses. A `fakeResolver` with overrides keyed by whole references (`digitalocean_droplet.
 *     X.ipv4_address_private`, ...) renders every droplet's user_data with these addresses; variables: passwords
 *     generated (24 random [A-Za-z0-9]), `*cidr*` lists = the lab client's /32, `ssh_keys` a placeholder (no SSH).
 *  2. prerequisites (`bootProblems`): root; the lab's tools; every Debian package the droplets install (minus the
 *     skipped ones) installed here; no MySQL 8.0 (the lab runs MariaDB: synthesize with
 *     TIERFORM_ENGINE=mariadb-10.11); every cloud-config key known. All problems are reported at once.
 *  3. the network (`LabNetwork`): namespaces, VPC bridges, public and anchor addresses, reserved IPs;
 *  4. Cloud Firewalls → nftables in every droplet namespace (`firewallsFromPlan` → `renderNftRuleset`), before
 *     anything runs (DigitalOcean applies them when the droplet is created);
 *  5. DNS: the lab's DNS server (dnsmasq, dns-server.ts) serving the plan's A records (CNAMEs flattened), named
 *     in every namespace's resolv.conf;
 *  6. the metadata service of every droplet (with its rendered user_data), the DigitalOcean API stand-in (accepting
 *     the plan's token variables; units get TIERFORM_DO_API) and the lab CA (Let's Encrypt's stand-in, trusted by
 *     the client; droplets' `certbot` is its shim);
 *  7. every droplet in parallel (as they boot on DigitalOcean): its mount namespace and filesystem, its shims
 *     (`systemctl`, `apt-get`), /run directories from tmpfiles.d, then its cloud-config (cloud-init.ts);
 *  8. the boot fails (and the lab is torn down) when any step failed, with each failure and its output.
 *
 * A booted lab takes changed plans (`LabBoot.apply`, apply.ts) through its control socket (control.ts).
 *
 * The lab's state for other processes (`npm run lab -- status`) is `<lab dir>/boot.json`, next to the
 * network's state.json; secrets (the generated passwords) are not written there.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Plan, loadStack } from '../plan/plan';
import { CloudConfigDocument, parseCloudConfig, renderUserData } from '../plan/cloud-config';
import { fakeResolver } from '../plan/fake-resolver';
import { ApplyOptions, ApplyResult, applyPlan } from './apply';
import { renderTemplate } from '../plan/template';
import { CloudInitStep, aptGet, aptInstallPackages, installedPackages, runCloudConfig, unsupportedCloudConfigKeys } from './cloud-init';
import { DoApiStandIn } from './do-api';
import { installsDocker, prepareDockerHost } from './docker/engine';
import { DropletHost, MountRecord, ShimRequest, ShimResponse } from './droplet-host';
import { startControl } from './control';
import { LabDns } from './dns-server';
import { LabCa } from './lab-ca';
import { hostAt } from './addresses';
import { LabAssignment, assign } from './assignment';
import { DEFAULT_RECORD_TTL, HostRecord } from './dns';
import { FirewallSpec, applyRuleset, firewallsFromPlan, renderNftRuleset } from './firewall';
import { LAB_TOOL_PACKAGES, SKIPPED_PACKAGES, UNSUPPORTED_PACKAGES } from './lab-units';
import { LabMetadata } from './metadata';
import { DEFAULT_PUBLIC_NETWORK, LabError, LabDropletSpec, LabNetwork, LabReservedIpSpec, LabVpcSpec } from './netns';
import { defaultLabRoot } from './host-tools';
import { TeardownReport, listLabs } from './teardown';
import { isRunning } from './processes';
import { UnitManager, UnitStatus } from './systemd';

// ---------------------------------------------------------------------------------------------------------------
// plan → lab

/** A droplet of the plan with its lab identity and the cloud-config it boots with. */
export interface PlannedDroplet {
  /** `digitalocean_droplet.<logical id>`. */
  readonly address: string;
  readonly name: string;
  readonly id: string;
  readonly publicIp: string;
  readonly vpc: string;
  readonly privateIp: string;
  readonly tags: readonly string[];
  readonly region: string;
  /** Names of the volumes attached (`volume_ids`). */
  readonly volumes: readonly string[];
  /** The rendered user_data, as the metadata service serves it. */
  readonly userData: string;
  /** Parsed; undefined for a droplet without user_data. */
  readonly cloudConfig?: CloudConfigDocument;
}

/** Everything the lab builds from a plan, decided before anything is created. */
export interface LabPlan {
  readonly stage: string;
  readonly plan: Plan;
  readonly resolve: (reference: string) => string;
  readonly vpcs: readonly LabVpcSpec[];
  readonly droplets: readonly PlannedDroplet[];
  readonly reservedIps: readonly LabReservedIpSpec[];
  readonly records: readonly HostRecord[];
  /**
   * Wildcard A records (`*.example.com`): a hosts file cannot hold them; names under them get their address when
   * something asks for them (`LabBoot.addNames`, e.g. the subdomains a Docker stack's edge serves).
   */
  readonly wildcards: readonly HostRecord[];
  readonly firewalls: readonly FirewallSpec[];
  /** Values given to the plan's variables (secrets included: keep out of files). */
  readonly variables: Readonly<Record<string, string | readonly string[]>>;
  /** Debian packages the droplets install that must be installed here (skipped ones excluded). */
  readonly packages: readonly string[];
  /** Packages the lab cannot provide (MySQL), with the reason. */
  readonly unsupportedPackages: readonly string[];
  readonly clientIp: string;
  /** The identity of every droplet and reserved IP, and the next fresh values (kept in boot.json). */
  readonly assignment: LabAssignment;
}

export interface PlanLabOptions {
  /** @default '203.0.113.2' (the lab's default client address) */
  readonly clientIp?: string;
  /** Values of variables (by name), instead of generated ones. */
  readonly variables?: Readonly<Record<string, string | readonly string[]>>;
  /** The identities handed out so far (a running lab's): droplets in it keep theirs, others get fresh ones. */
  readonly assignment?: LabAssignment;
}

/** Where droplet scripts honouring TIERFORM_LOG_FILE (the reserved-IP assign script) also log, in the droplet. */
export const LAB_SCRIPT_LOG = '/var/log/tierform-lab-scripts.log';
const DEFAULT_VPC_RANGE = '10.10.0.0/20';
const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Decides the lab's addresses and renders every droplet's user_data with them. Pure apart from random passwords. */
export function planLab(plan: Plan, options: PlanLabOptions = {}): LabPlan {
  const clientIp = options.clientIp ?? hostAt(DEFAULT_PUBLIC_NETWORK, 2);
  const overrides: Record<string, string | readonly string[]> = {};

  // Variables first: the VPC and droplet attributes may use them.
  const variables: Record<string, string | readonly string[]> = {};
  for (const v of plan.variables()) {
    const given = options.variables?.[v.name];
    if (given !== undefined) variables[v.name] = given;
    else if (v.default !== undefined) continue;
    else if (v.sensitive || /password|secret|token/i.test(v.name)) variables[v.name] = randomPassword();
    else if (/^(list|set)\(/.test((v.type ?? '').replace(/\s/g, ''))) {
      if (/cidr/i.test(v.name)) variables[v.name] = [`${clientIp}/32`];
      else if (/ssh_keys/i.test(v.name)) variables[v.name] = ['tierform-lab:no-ssh'];
    }
  }
  Object.assign(overrides, variables);
  const base = fakeResolver(plan, overrides);

  const vpcs: LabVpcSpec[] = [];
  const vpcByAddress = new Map<string, LabVpcSpec>();
  for (const v of plan.vpcs()) {
    const spec = {
      name: renderTemplate(v.name, base),
      ipRange: v.ipRange === undefined ? base(`${v.address}.ip_range`) : renderTemplate(v.ipRange, base),
    };
    vpcs.push(spec);
    vpcByAddress.set(v.address, spec);
  }
  const slots = plan.droplets().map((d) => {
    let vpc: LabVpcSpec | undefined;
    if (d.vpcUuid !== undefined) {
      const m = /^\$\{(digitalocean_vpc\.[A-Za-z0-9_-]+)\.id\}$/.exec(d.vpcUuid);
      vpc = m ? vpcByAddress.get(m[1]) : undefined;
      if (!vpc) throw new LabError(`${d.address}: vpc_uuid '${d.vpcUuid}' does not reference a VPC of the plan`);
    } else {
      // DigitalOcean puts a droplet without vpc_uuid in the region's default VPC.
      vpc = vpcs.find((v) => v.name === 'default');
      if (!vpc) {
        vpc = { name: 'default', ipRange: DEFAULT_VPC_RANGE };
        vpcs.push(vpc);
      }
    }
    return { d, address: d.address, vpc };
  });
  const reservedResources = [...plan.resources('digitalocean_reserved_ip'), ...plan.resources('digitalocean_floating_ip')];
  const assignment = assign(
    DEFAULT_PUBLIC_NETWORK,
    slots,
    reservedResources.map((r) => r.address),
    options.assignment,
  );
  const planned = slots.map(({ d, vpc }) => {
    const { id, publicIp, privateIp } = assignment.droplets[d.address];
    Object.assign(overrides, {
      [`${d.address}.id`]: id,
      [`${d.address}.urn`]: `do:droplet:${id}`,
      [`${d.address}.ipv4_address`]: publicIp,
      [`${d.address}.ipv4_address_private`]: privateIp,
    });
    return { d, id, publicIp, privateIp, vpc: vpc.name };
  });
  for (const r of reservedResources) {
    const ip = assignment.reservedIps[r.address];
    Object.assign(overrides, { [`${r.address}.ip_address`]: ip, [`${r.address}.id`]: ip, [`${r.address}.urn`]: `do:reservedip:${ip}` });
  }
  const resolve = fakeResolver(plan, overrides);

  const droplets: PlannedDroplet[] = planned.map(({ d, id, publicIp, privateIp, vpc }) => {
    const userData = d.userDataTemplate === undefined ? '' : renderUserData(d, resolve);
    return {
      address: d.address,
      name: d.name,
      id,
      publicIp,
      vpc,
      privateIp,
      tags: d.tags.map((t) => renderTemplate(t, resolve)),
      region: renderTemplate(d.region, resolve),
      volumes: d.volumeIds.map((v) => {
        const m = /^\$\{(digitalocean_volume\.[A-Za-z0-9_-]+)\.id\}$/.exec(v);
        if (!m) throw new LabError(`${d.address}: volume_ids entry '${v}' does not reference a volume of the plan`);
        return resolve(`${m[1]}.name`);
      }),
      userData,
      cloudConfig: d.userDataTemplate === undefined ? undefined : parseCloudConfig(userData),
    };
  });

  // Reserved IPs and their holders (droplet_id on the reserved IP, or an assignment resource).
  const dropletById = (id: string) => droplets.find((x) => x.id === id)?.name;
  const reservedIps: LabReservedIpSpec[] = reservedResources.map((r) => {
    const ip = resolve(`${r.address}.ip_address`);
    const holderRef = r.attributes.droplet_id;
    return { ip, holder: typeof holderRef === 'string' ? dropletById(renderTemplate(holderRef, resolve)) : undefined };
  });
  for (const a of [...plan.resources('digitalocean_reserved_ip_assignment'), ...plan.resources('digitalocean_floating_ip_assignment')]) {
    const ip = renderTemplate(String(a.attributes.ip_address), resolve);
    const holder = dropletById(renderTemplate(String(a.attributes.droplet_id), resolve));
    const entry = reservedIps.find((x) => x.ip === ip);
    if (entry) reservedIps[reservedIps.indexOf(entry)] = { ip, holder };
  }

  // DNS: A records; CNAMEs flattened to the addresses of their target.
  const records: HostRecord[] = [];
  const fqdn = (name: string, domain: string) => (name === '@' ? domain : `${name}.${domain}`).replace(/\.$/, '');
  const all = plan.records().map((r) => ({
    type: r.type,
    name: fqdn(renderTemplate(r.name, resolve), renderTemplate(r.domain, resolve)),
    value: renderTemplate(r.value, resolve),
    ttl: r.ttl ?? DEFAULT_RECORD_TTL,
    resource: r.address,
  }));
  // A wildcard is not a name a hosts file can serve: its names are added when asked for (LabBoot.addNames).
  for (const r of all.filter((x) => x.type === 'A' && !x.name.startsWith('*.')))
    records.push({ name: r.name, address: r.value, ttl: r.ttl, resource: r.resource });
  const wildcards = all
    .filter((x) => x.type === 'A' && x.name.startsWith('*.'))
    .map((r) => ({ name: r.name, address: r.value, ttl: r.ttl, resource: r.resource }));
  for (const r of all.filter((x) => x.type === 'CNAME')) {
    const target = r.value.replace(/\.$/, '');
    for (const a of records.filter((x) => x.name === target)) records.push({ name: r.name, address: a.address, ttl: r.ttl, resource: r.resource });
  }

  const packages = new Set<string>();
  const unsupported = new Set<string>();
  for (const d of droplets) {
    const doc = d.cloudConfig;
    if (!doc) continue;
    const wanted = dropletPackages(doc);
    for (const p of wanted) {
      if (UNSUPPORTED_PACKAGES[p] !== undefined) unsupported.add(p);
      else if (SKIPPED_PACKAGES[p] === undefined) packages.add(p);
    }
  }

  return {
    stage: plan.name ?? 'stage',
    plan,
    resolve,
    vpcs,
    droplets,
    reservedIps,
    records,
    wildcards,
    firewalls: firewallsFromPlan(plan, resolve),
    variables,
    packages: [...packages].sort(),
    unsupportedPackages: [...unsupported].sort(),
    clientIp,
    assignment,
  };
}

/** Every package a droplet's cloud-config installs (`packages` and `apt-get install` in runcmd), versions removed. */
export function dropletPackages(doc: CloudConfigDocument): string[] {
  return [...doc.packages, ...doc.runcmd.flatMap((argv) => aptArgs(argv) ?? [])].map((p) => p.replace(/[=:].*$/, ''));
}

/** The package names of an `apt-get install` runcmd entry (behind `env`, `sh -c` strings excluded). */
function aptArgs(argv: readonly string[]): string[] | undefined {
  const i = argv.findIndex((a) => a === 'apt-get' || a === 'apt' || a.endsWith('/apt-get'));
  return i === -1 ? undefined : aptInstallPackages(argv.slice(i + 1));
}

/** Everything that keeps the stage from booting here, one sentence each; empty when nothing does. */
export function bootProblems(labPlan: LabPlan, options: { readonly uid?: number; readonly searchPath?: string } = {}): string[] {
  const problems: string[] = [];
  const uid = options.uid ?? process.getuid?.() ?? -1;
  if (uid !== 0) problems.push(`the lab must run as root (network and mount namespaces, nftables); you are uid ${uid}: run it with sudo`);
  for (const p of labPlan.unsupportedPackages) problems.push(`${p}: ${UNSUPPORTED_PACKAGES[p]}`);
  const dirs = (options.searchPath ?? `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`)
    .split(':')
    .filter(Boolean);
  const toolMissing = LAB_TOOL_PACKAGES.filter((t) => !dirs.some((d) => isExecutable(path.join(d, t.command))));
  const missing = new Set(toolMissing.map((t) => t.debianPackage));
  if (!toolMissing.some((t) => t.command === 'dpkg-query')) {
    const wanted = [...labPlan.packages, 'iproute2', 'nftables', 'util-linux', 'curl', 'dnsmasq-base'];
    const installed = installedPackages(wanted);
    for (const p of wanted) if (!installed.has(p)) missing.add(p);
  }
  if (missing.size > 0) {
    const list = [...missing].sort();
    problems.push(`missing Debian packages: ${list.join(', ')}: apt-get install ${list.join(' ')}`);
  }
  for (const d of labPlan.droplets) {
    const keys = d.cloudConfig ? unsupportedCloudConfigKeys(d.cloudConfig) : [];
    if (keys.length > 0) problems.push(`droplet ${d.name}: cloud-config keys the lab cannot run: ${keys.join(', ')}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// booting

export interface BootOptions {
  /** Stack name, e.g. 'stage0-single-server'. */
  readonly stage: string;
  /** Synth output directory. @default 'cdktf.out' */
  readonly outdir?: string;
  /** @default defaultLabRoot() */
  readonly labRoot?: string;
  /** @default random */
  readonly id?: string;
  /** Keep `<lab dir>` (logs, droplet filesystems) after teardown. @default false */
  readonly keepLogs?: boolean;
  /** @see LabNetworkOptions.handleSignals @default true */
  readonly handleSignals?: boolean;
  /** @see LabNetworkOptions.watchdog @default true */
  readonly watchdog?: boolean;
  /** Values for the plan's variables instead of generated ones. */
  readonly variables?: Readonly<Record<string, string | readonly string[]>>;
  /** Bound of each runcmd entry. @default 300000 */
  readonly runcmdTimeoutMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A droplet of a booted lab. */
export interface BootedDroplet {
  readonly planned: PlannedDroplet;
  readonly host: DropletHost;
  readonly units: UnitManager;
  steps: CloudInitStep[];
  bootMs?: number;
}

/** What `boot.json` holds (no secrets). */
export interface BootState {
  readonly version: 1;
  readonly id: string;
  readonly stage: string;
  readonly planFile: string;
  readonly bootedAt?: string;
  readonly bootSeconds?: number;
  readonly status: 'booting' | 'up' | 'failed' | 'applying';
  readonly apiUrl?: string;
  /** The lab's DNS server and the TTL it serves. */
  readonly dns?: { readonly address: string; readonly ttl: number };
  readonly client: { readonly netns: string; readonly ip: string };
  readonly records: readonly HostRecord[];
  /** Every identity handed out (kept across applies: see assignment.ts). */
  readonly assignment?: LabAssignment;
  /** The applies so far, oldest first. */
  readonly applies?: readonly { readonly at: string; readonly planFile: string; readonly summary: string }[];
  readonly droplets: readonly {
    readonly name: string;
    readonly address: string;
    readonly id: string;
    readonly netns: string;
    readonly publicIp: string;
    readonly privateIp: string;
    readonly anchorIp: string;
    readonly tags: readonly string[];
    readonly volumes: readonly string[];
    readonly mountHolder?: { readonly pid: number; readonly startTime?: string };
    readonly mounts: readonly MountRecord[];
    readonly units: readonly UnitStatus[];
    readonly failedSteps: readonly CloudInitStep[];
    readonly substitutedSteps: readonly CloudInitStep[];
  }[];
}

/** How droplets boot in a lab (at boot, and when an apply creates them). */
interface DropletBootSettings {
  readonly unitEnvironment: Readonly<Record<string, string>>;
  readonly runcmdTimeoutMs?: number;
  readonly log: (line: string) => void;
}

export class LabBoot {
  public readonly droplets = new Map<string, BootedDroplet>();
  public metadata?: LabMetadata;
  public api?: DoApiStandIn;
  /** The lab's DNS server (the plan's records; every namespace's resolver). */
  public dns?: LabDns;
  /** The CA standing in for Let's Encrypt (its certificate: `ca.certFile`; the client trusts it). */
  public ca?: LabCa;
  public bootSeconds?: number;
  /** The plan the lab runs: the booted one, then the last one applied. */
  public labPlan: LabPlan;
  /** The plan file of `labPlan`. */
  public planFile: string;
  /** Summaries of the applies so far. */
  public readonly applies: { readonly at: string; readonly planFile: string; readonly summary: string }[] = [];
  /** @internal set by bootStage */
  public settings?: DropletBootSettings;
  private status: BootState['status'] = 'booting';
  private stateTimer?: NodeJS.Timeout;
  /** The nftables ruleset loaded in each droplet, by droplet name. */
  private readonly rulesets = new Map<string, string>();
  private applying?: Promise<unknown>;

  constructor(
    public readonly lab: LabNetwork,
    labPlan: LabPlan,
    planFile: string,
  ) {
    this.labPlan = labPlan;
    this.planFile = planFile;
  }

  /** The booted droplet named `name` (its name in the plan). */
  public droplet(name: string): BootedDroplet {
    const d = this.droplets.get(name);
    if (!d) throw new LabError(`no droplet '${name}' in lab ${this.lab.id}; droplets: ${[...this.droplets.keys()].join(', ')}`);
    return d;
  }

  /** Names added under the plan's wildcards (`addNames`), served until the wildcard leaves the plan. */
  private addedNames: string[] = [];

  /**
   * Gives `names` the address of the plan's wildcard record covering them (`*.example.com` → `app.example.com`) in
   * the lab's DNS server, as DigitalOcean's DNS would answer them. Throws for a name no wildcard covers.
   */
  public async addNames(names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (!coveringWildcard(this.labPlan, name))
        throw new LabError(
          `${name}: no wildcard record of ${this.labPlan.stage} covers it (wildcards: ${this.labPlan.wildcards.map((x) => x.name).join(', ') || 'none'})`,
        );
      if (!this.addedNames.includes(name)) this.addedNames.push(name);
    }
    if (!this.dns) throw new LabError('addNames: the lab has no DNS server yet');
    await this.dns.setRecords(this.servedRecords(this.labPlan));
  }

  /** What the lab's DNS server answers for `plan`: see {@link servedRecords}; `apply` serves the next plan's. */
  public servedRecords(plan: LabPlan): HostRecord[] {
    return servedRecords(plan, this.addedNames);
  }

  /** Runs a command in a droplet (its namespaces and filesystem), as root unless `user` is given. */
  public exec(
    droplet: string,
    argv: readonly string[],
    options: { readonly user?: string; readonly timeoutMs?: number; readonly input?: string } = {},
  ) {
    return this.droplet(droplet).host.exec(argv, {
      env: { HOME: '/root', LANG: 'C.UTF-8' },
      timeoutMs: options.timeoutMs ?? 30_000,
      user: options.user,
      input: options.input,
    });
  }

  /** The `systemctl` of a droplet, as its shim would call it. */
  public systemctl(droplet: string, ...argv: string[]): Promise<ShimResponse> {
    return this.droplet(droplet).units.systemctl(argv);
  }

  /**
   * Kills a unit's main process (its process group) with `signal`, as a crash would. `restart: false` holds the
   * unit's `Restart=` for this exit: the service stays down (a crash systemd cannot recover from) until `systemctl
   * start`. Returns the pid killed; throws when the unit is not running.
   */
  public killUnit(droplet: string, unit: string, options: { readonly signal?: NodeJS.Signals; readonly restart?: boolean } = {}): number {
    const pid = this.droplet(droplet).units.killUnit(unit, options.signal ?? 'SIGKILL', { restart: options.restart });
    if (pid === undefined) throw new LabError(`${droplet}: ${unit} is not running`);
    return pid;
  }

  /**
   * Applies a changed plan to the running lab, as `terraform apply` would change the droplets it stands for: see
   * apply.ts. One apply at a time; resolves with what was done.
   */
  public async apply(planFile: string, options: ApplyOptions = {}): Promise<ApplyResult> {
    if (this.applying) throw new LabError(`lab ${this.lab.id}: an apply is already running`);
    const run = applyPlan(this, planFile, options);
    this.applying = run;
    try {
      return await run;
    } finally {
      this.applying = undefined;
    }
  }

  /**
   * Renders every droplet's Cloud Firewall ruleset from the current plan and droplets and loads each one whose text
   * changed (`nft -f`: one transaction, so established connections keep flowing). Returns the droplets reloaded.
   */
  public applyFirewalls(): string[] {
    const droplets = this.lab.droplets.map((d) => ({
      id: d.id,
      name: d.name,
      tags: d.tags,
      addresses: [d.publicIp, ...(d.privateIp ? [d.privateIp] : [])],
    }));
    const reloaded: string[] = [];
    for (const d of this.lab.droplets) {
      const ruleset = renderNftRuleset({ droplet: d.name, droplets, firewalls: this.labPlan.firewalls });
      if (this.rulesets.get(d.name) === ruleset) continue;
      applyRuleset(d.netns, ruleset);
      this.rulesets.set(d.name, ruleset);
      reloaded.push(d.name);
    }
    for (const name of [...this.rulesets.keys()]) if (!this.lab.droplets.some((d) => d.name === name)) this.rulesets.delete(name);
    return reloaded;
  }

  /** The ruleset loaded in a droplet (as rendered). */
  public ruleset(droplet: string): string | undefined {
    return this.rulesets.get(droplet);
  }

  /**
   * A droplet's filesystem, shims and service manager, as the droplet is when DigitalOcean reports it active (its
   * network, firewall and metadata service exist already); its cloud-config has not run yet (`runCloudInit`).
   */
  public async createDroplet(planned: PlannedDroplet): Promise<BootedDroplet> {
    const settings = this.requireSettings();
    let units: UnitManager | undefined;
    let hostRef: DropletHost | undefined;
    const handler = async (req: ShimRequest): Promise<ShimResponse> => {
      if (req.tool === 'systemctl') return units!.systemctl(req.argv);
      if (req.tool === 'apt-get' || req.tool === 'apt') {
        const r = aptGet(req.argv);
        const installed = aptInstallPackages(req.argv.filter((a) => a !== '--'));
        if (r.status !== 0 || !installed) return r;
        try {
          const done = await afterInstall(units!, installed);
          return done ? { ...r, stderr: `${r.stderr}tierform lab: postinst: ${done}\n` } : r;
        } catch (e) {
          return { status: 100, stdout: r.stdout, stderr: `${r.stderr}E: ${(e as Error).message}\n` };
        }
      }
      if (req.tool === 'certbot' && hostRef && this.ca) return this.ca.certbot(hostRef, req.argv);
      return { status: 127, stdout: '', stderr: `tierform lab: no shim for ${req.tool}\n` };
    };
    const host = await DropletHost.create(this.lab, planned.name, handler);
    hostRef = host;
    units = new UnitManager(host, { onChange: () => this.scheduleSave(), environment: settings.unitEnvironment });
    const created = units;
    this.lab.addCleanup(() => created.close());
    for (const v of planned.volumes) {
      const detached = path.join(this.detachedVolumes, v);
      if (fs.existsSync(detached)) fs.renameSync(detached, host.volumeDir(v));
      else fs.mkdirSync(host.volumeDir(v), { recursive: true, mode: 0o755 });
    }
    if (planned.cloudConfig && installsDocker(dropletPackages(planned.cloudConfig))) await prepareDockerHost(host, this.lab.id);
    const booted: BootedDroplet = { planned, host, units, steps: [] };
    this.droplets.set(planned.name, booted);
    return booted;
  }

  /** Runs a created droplet's cloud-config as cloud-init would; records its steps and boot time. */
  public async runCloudInit(booted: BootedDroplet, startedAt = Date.now()): Promise<void> {
    const settings = this.requireSettings();
    if (booted.planned.cloudConfig) {
      booted.steps = await runCloudConfig(booted.host, booted.planned.cloudConfig, {
        volumes: booted.planned.volumes,
        runcmdTimeoutMs: settings.runcmdTimeoutMs,
        log: settings.log,
        afterInstall: (packages) => afterInstall(booted.units, packages),
      });
    }
    booted.bootMs = Date.now() - startedAt;
    settings.log(`${booted.planned.name}: booted in ${(booted.bootMs / 1000).toFixed(1)} s`);
  }

  /**
   * Destroys a droplet as DigitalOcean would: its units are stopped (bounded), then every process left in it is
   * killed, its metadata service stopped, its namespace deleted (see LabNetwork.removeDroplet).
   */
  public async destroyDroplet(name: string): Promise<void> {
    const booted = this.droplets.get(name);
    if (booted) {
      await withTimeout(booted.units.stopAll(), 30_000);
      booted.host.close();
    }
    await this.metadata?.removeDroplet(name);
    this.lab.removeDroplet(name);
    this.droplets.delete(name);
    this.rulesets.delete(name);
    if (booted) {
      // Block-storage volumes outlive the droplet (a replaced droplet gets them back); its disk does not.
      for (const v of booted.planned.volumes) {
        if (!fs.existsSync(booted.host.volumeDir(v))) continue;
        fs.mkdirSync(this.detachedVolumes, { recursive: true, mode: 0o700 });
        fs.renameSync(booted.host.volumeDir(v), path.join(this.detachedVolumes, v));
      }
      fs.rmSync(booted.host.dir, { recursive: true, force: true });
    }
  }

  /** Where the volumes of destroyed droplets wait to be attached again. */
  private get detachedVolumes(): string {
    return path.join(this.lab.dir, 'volumes');
  }

  /** Stops every unit (bounded, in parallel), then tears the lab down. Safe to call twice. */
  public async shutdown(): Promise<TeardownReport> {
    if (!this.lab.isTornDown) {
      clearTimeout(this.stateTimer);
      await Promise.all([...this.droplets.values()].map((d) => withTimeout(d.units.stopAll(), 30_000)));
    }
    return this.lab.teardown();
  }

  /** Writes `<lab dir>/boot.json` now. */
  public saveState(status?: BootState['status']): void {
    if (status) this.status = status;
    if (this.lab.isTornDown) return;
    const state: BootState = {
      version: 1,
      id: this.lab.id,
      stage: this.labPlan.stage,
      planFile: this.planFile,
      bootedAt: this.status === 'up' ? new Date().toISOString() : undefined,
      bootSeconds: this.bootSeconds,
      status: this.status,
      apiUrl: this.api?.url,
      dns: this.dns ? { address: this.dns.address, ttl: this.dns.ttl } : undefined,
      client: this.lab.client,
      records: this.labPlan.records,
      assignment: this.labPlan.assignment,
      applies: this.applies,
      droplets: this.labPlan.droplets
        .filter((p) => this.lab.droplets.some((d) => d.name === p.name))
        .map((p) => {
          const b = this.droplets.get(p.name);
          const d = this.lab.droplet(p.name);
          return {
            name: p.name,
            address: p.address,
            id: p.id,
            netns: d.netns,
            publicIp: p.publicIp,
            privateIp: p.privateIp,
            anchorIp: d.anchorIp,
            tags: d.tags,
            volumes: p.volumes,
            mountHolder: b ? { pid: b.host.holderPid, startTime: b.host.holderStartTime } : undefined,
            mounts: b ? [...b.host.mounts] : [],
            units: b ? b.units.status() : [],
            failedSteps: b ? b.steps.filter((s) => s.outcome === 'failed') : [],
            substitutedSteps: b ? b.steps.filter((s) => s.outcome === 'substituted' || s.outcome === 'skipped') : [],
          };
        }),
    };
    const file = path.join(this.lab.dir, 'boot.json');
    try {
      fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // lab directory gone (teardown in progress)
    }
  }

  /** Coalesces state writes of unit changes. */
  public scheduleSave(): void {
    if (this.stateTimer || this.lab.isTornDown) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.saveState();
    }, 50);
    this.stateTimer.unref();
  }

  private requireSettings(): DropletBootSettings {
    if (!this.settings) throw new LabError(`lab ${this.lab.id}: droplets can only be booted in a lab started by bootStage`);
    return this.settings;
  }
}

/** The plan file of a stage in a synth output directory. */
export function stagePlanFile(stage: string, outdir = 'cdktf.out'): string {
  return path.resolve(outdir, 'stacks', stage, 'cdk.tf.json');
}

/** Reads a stage's plan file, or throws naming the stages that exist. */
export function readStagePlan(stage: string, outdir = 'cdktf.out'): { readonly planFile: string; readonly plan: Plan } {
  const planFile = stagePlanFile(stage, outdir);
  if (!fs.existsSync(planFile)) {
    const stacks = path.resolve(outdir, 'stacks');
    const known = fs.existsSync(stacks) ? fs.readdirSync(stacks).join(', ') : 'none (run npx cdktf synth first)';
    throw new LabError(`no plan ${planFile}: stages in ${stacks}: ${known}`);
  }
  return { planFile, plan: loadStack(planFile) };
}

/** Boots a synthesized stage; on any failure tears everything down again and throws with the details. */
export async function bootStage(options: BootOptions): Promise<LabBoot> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const { planFile, plan } = readStagePlan(options.stage, options.outdir);
  const labPlan = planLab(plan, { variables: options.variables });
  const problems = bootProblems(labPlan);
  if (problems.length > 0) throw new LabError(`cannot boot ${labPlan.stage} in the lab: ${problems.join('; ')}`);

  log(`${labPlan.stage}: ${labPlan.droplets.length} droplets, ${labPlan.firewalls.length} firewalls, ${labPlan.records.length} DNS records`);
  const lab = LabNetwork.create({
    id: options.id,
    labRoot: options.labRoot ?? defaultLabRoot(),
    keepLogs: options.keepLogs,
    handleSignals: options.handleSignals,
    watchdog: options.watchdog,
    clientIp: labPlan.clientIp,
    vpcs: labPlan.vpcs,
    droplets: labPlan.droplets.map(networkSpec),
    reservedIps: labPlan.reservedIps,
  });
  const boot = new LabBoot(lab, labPlan, planFile);
  try {
    boot.saveState('booting');
    log(`lab ${lab.id}: network up (${lab.dir})`);
    boot.applyFirewalls();
    boot.dns = await LabDns.start(lab, { records: labPlan.records });
    boot.metadata = await LabMetadata.start(lab, {
      userData: Object.fromEntries(labPlan.droplets.map((d) => [d.name, d.userData])),
      nameservers: [boot.dns.address],
    });
    // The plan's DigitalOcean tokens (generated per boot) are what droplets present to the API stand-in.
    boot.api = await DoApiStandIn.start(lab, { acceptTokens: planTokens(labPlan) });
    boot.ca = LabCa.create(path.join(lab.dir, 'ca'), lab.id);
    lab.trustCa('client', boot.ca.certPem);
    // The scripts' documented overrides (lib/render/keepalived.ts): the API base URL is the stand-in's; the
    // reserved-IP script's log lines, which go to syslog on a droplet, are also appended to a file of the droplet.
    boot.settings = {
      unitEnvironment: { TIERFORM_DO_API: boot.api.url, TIERFORM_LOG_FILE: LAB_SCRIPT_LOG },
      runcmdTimeoutMs: options.runcmdTimeoutMs,
      log,
    };
    log(`lab ${lab.id}: firewalls, DNS server (${boot.dns.address}), metadata, API stand-in and lab CA ready; booting droplets`);

    await Promise.all(
      labPlan.droplets.map(async (planned) => {
        const t0 = Date.now();
        await boot.runCloudInit(await boot.createDroplet(planned), t0);
      }),
    );
    const failures = bootFailures(
      boot,
      labPlan.droplets.map((d) => d.name),
    );
    if (failures.length > 0)
      throw new LabError(`the boot of ${labPlan.stage} failed:\n${failures.join('\n')}\n(logs: ${path.join(lab.dir, 'logs')})`);
    await startControl(boot);
    boot.bootSeconds = (Date.now() - started) / 1000;
    boot.saveState('up');
    log(`lab ${lab.id}: ${labPlan.stage} up in ${boot.bootSeconds.toFixed(1)} s`);
    return boot;
  } catch (e) {
    boot.saveState('failed');
    await boot.shutdown().catch(() => undefined);
    throw e;
  }
}

/** What LabNetwork needs of a planned droplet. */
export function networkSpec(d: PlannedDroplet): LabDropletSpec {
  return { name: d.name, id: d.id, publicIp: d.publicIp, vpc: d.vpc, privateIp: d.privateIp, tags: d.tags, region: d.region };
}

/** The plan's DigitalOcean token variables (generated per boot): what droplets present to the API stand-in. */
export function planTokens(labPlan: LabPlan): string[] {
  return Object.entries(labPlan.variables)
    .filter(([k, v]) => /token/i.test(k) && typeof v === 'string')
    .map(([, v]) => v as string);
}

/** The failed cloud-init steps of the named droplets, one line each. */
export function bootFailures(boot: LabBoot, names: readonly string[]): string[] {
  return names.flatMap((n) => {
    const d = boot.droplets.get(n);
    return d ? d.steps.filter((s) => s.outcome === 'failed').map((s) => `${n}: ${s.what}: ${s.detail ?? 'failed'}`) : [`${n}: not created`];
  });
}

// ---------------------------------------------------------------------------------------------------------------
// status from another process

/** A booted lab as found on disk. */
export interface BootListing {
  readonly id: string;
  readonly dir: string;
  readonly ownerPid: number;
  readonly ownerRunning: boolean;
  readonly reservedIps: Readonly<Record<string, string | null>>;
  readonly boot?: BootState;
}

/** Every lab under `labRoot`, with its boot state when it booted a stage. */
export function listBoots(labRoot: string = defaultLabRoot()): BootListing[] {
  return listLabs(labRoot).map(({ state, ownerRunning }) => {
    let boot: BootState | undefined;
    try {
      boot = JSON.parse(fs.readFileSync(path.join(state.dir, 'boot.json'), 'utf8')) as BootState;
    } catch {
      boot = undefined;
    }
    return { id: state.id, dir: state.dir, ownerPid: state.ownerPid, ownerRunning, reservedIps: state.reservedIps, boot };
  });
}

/** Human-readable status of the labs (what `npm run lab -- status` prints). */
export function formatStatus(listings: readonly BootListing[]): string {
  const lines: string[] = [];
  for (const l of listings) {
    const b = l.boot;
    lines.push(
      `lab ${l.id}${b ? ` — ${b.stage} — ${b.status}${b.bootSeconds ? ` (booted in ${b.bootSeconds.toFixed(1)} s)` : ''}` : ''} — owner ${l.ownerPid} ${l.ownerPid === process.pid ? '(this process)' : l.ownerRunning ? 'running' : 'gone'} — ${l.dir}`,
    );
    if (b) {
      lines.push(`  client ${b.client.ip} (${b.client.netns})${b.apiUrl ? `  DigitalOcean API stand-in ${b.apiUrl}` : ''}`);
      if (b.dns)
        lines.push(
          `  DNS server ${b.dns.address} (every answer TTL ${b.dns.ttl} s)${b.applies?.length ? `  applies: ${b.applies.length}, last ${b.applies[b.applies.length - 1].at}` : ''}`,
        );
      if (b.records.length > 0) lines.push(`  DNS ${b.records.map((r) => `${r.name}→${r.address}`).join('  ')}`);
      const hint = siteHint(b.client.netns, b.records, b.droplets);
      if (b.status === 'up' && hint) lines.push(`  the site, from the client namespace (not from this host): ${hint}`);
      for (const d of b.droplets) {
        lines.push(
          `  ${d.name}  id ${d.id}  public ${d.publicIp}  private ${d.privateIp}  anchor ${d.anchorIp}  tags ${d.tags.join(',') || '-'}  netns ${d.netns}`,
        );
        for (const u of d.units) {
          const alive = u.pid !== undefined && isRunning(u.pid, u.startTime);
          lines.push(
            `      ${u.name.padEnd(32)} ${u.state}${u.subState !== u.state ? ` (${u.subState})` : ''}${u.pid !== undefined ? `  pid ${u.pid}${alive ? '' : ' (gone)'}` : ''}${u.restarts ? `  restarts ${u.restarts}` : ''}`,
          );
        }
        for (const s of d.failedSteps) lines.push(`      FAILED ${s.module} ${s.what}: ${s.detail ?? ''}`);
      }
    }
    const reserved = Object.entries(l.reservedIps);
    lines.push(`  reserved IPs: ${reserved.length === 0 ? 'none' : reserved.map(([ip, h]) => `${ip}→${h ?? 'unassigned'}`).join('  ')}`);
  }
  return lines.length === 0 ? 'no labs' : lines.join('\n');
}

/**
 * How to reach the site: the lab's addresses exist only inside its namespaces, so the request is made from the
 * client's (which uses the lab's DNS server and trusts the lab CA). The first DNS record, else the first droplet.
 */
export function siteHint(
  clientNetns: string,
  records: readonly { readonly name: string }[],
  droplets: readonly { readonly publicIp: string }[],
): string | undefined {
  const target = records[0]?.name ?? droplets[0]?.publicIp;
  return target === undefined ? undefined : `ip netns exec ${clientNetns} curl -sL http://${target}/`;
}

/**
 * What a package's postinst would do that the lab must do itself: docker.io's starts `docker.service` (Ubuntu:
 * dh_installsystemd). Returns what was done, or undefined.
 */
async function afterInstall(units: UnitManager, packages: readonly string[]): Promise<string | undefined> {
  if (!installsDocker(packages)) return undefined;
  if ((await units.systemctl(['is-active', '--quiet', 'docker.service'])).status === 0) return undefined;
  const r = await units.systemctl(['start', 'docker.service']);
  if (r.status !== 0) throw new LabError(`systemctl start docker.service (docker.io's postinst): ${r.stderr.trim()}`);
  return 'systemctl start docker.service';
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function randomPassword(): string {
  return [...randomBytes(24)].map((b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join('');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  clearTimeout(timer);
  return result;
}

/** The wildcard record of `plan` that covers `name` (one label under it, as DNS wildcards match), if any. */
function coveringWildcard(plan: LabPlan, name: string): HostRecord | undefined {
  return plan.wildcards.find((x) => name.endsWith(x.name.slice(1)) && !name.slice(0, -(x.name.length - 1)).includes('.'));
}

/**
 * The records the lab's DNS server answers for `plan`: the plan's A records, and each name added under a wildcard
 * (`LabBoot.addNames`) that a wildcard of `plan` still covers, with that wildcard's address, TTL and resource (so an
 * apply that removes the wildcard removes the names, and one that moves it moves them). A name the plan itself
 * records is answered as the plan says.
 */
export function servedRecords(plan: LabPlan, addedNames: readonly string[]): HostRecord[] {
  const own = new Set(plan.records.map((r) => r.name));
  const added = addedNames.flatMap((name) => {
    const w = own.has(name) ? undefined : coveringWildcard(plan, name);
    return w ? [{ name, address: w.address, ttl: w.ttl, resource: w.resource }] : [];
  });
  return [...plan.records, ...added];
}
