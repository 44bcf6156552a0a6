/**
 * The lab's network: droplets as Linux network namespaces on one machine.
 *
 * Topology (every link lives in a namespace the lab created; the root namespace keeps its interfaces):
 *
 *   tfl-<id>-internet   the "internet" and DigitalOcean's edge: bridge `inet` holding the router address
 *                       (203.0.113.1/24) and the anchor gateway (10.19.0.1/16); one bridge `vpc<j>` per VPC
 *                       (no address: VPC traffic stays layer 2); forwards between internet hosts; DNATs
 *                       reserved IPs to their holder's anchor IP (see below).
 *   tfl-<id>-client     the user: eth0 203.0.113.2/24, default route via the router.
 *   tfl-<id>-<droplet>  one per droplet, named after the droplet (readable in `ip netns list`):
 *                       eth0 = public (its 203.0.113.x/24 and its anchor IP 10.19.x.y/16, default route via
 *                       the router), eth1 = VPC (its address with the VPC's prefix length) — DigitalOcean's
 *                       interface names and addresses.
 *
 * Reserved IPs work as on DigitalOcean: the reserved IP is not configured on the droplet; DO's edge
 * translates it to the holder's anchor IP. Here the internet namespace holds every reserved IP as a /32 on
 * `inet` (so it answers ARP for it), and an nftables table `ip tierform_edge` DNATs `daddr <reserved IP>` to
 * the holder's anchor IP before routing. The holder sees connections to its anchor IP, with the client's real
 * source address; a service bound to the anchor IP or 0.0.0.0 receives them, one bound to the public IP does
 * not — exactly DigitalOcean's behaviour. Replies from the anchor IP are policy-routed (`ip rule from <anchor>
 * lookup 100`, default via the anchor gateway) back through the edge, whose conntrack rewrites their source
 * to the reserved IP. Moving the address rewrites the DNAT map atomically (`nft -f`); flows that were
 * established to the previous holder are reset (tcp) or dropped, as they would break on DigitalOcean; an
 * unassigned reserved IP drops everything sent to it.
 *
 * Processes run through `ip netns exec` (which bind-mounts `/etc/netns/<ns>/*` over `/etc`, see dns.ts), in
 * their own process group, with output in `<lab dir>/logs/`. Teardown kills the tracked processes (pid checked
 * against its start time, then its process group) and every process inside the lab's namespaces (by namespace
 * inode, like `ip netns pids`), SIGTERM then SIGKILL after a bounded wait, then deletes the namespaces (which
 * destroys their links) and the `/etc/netns/<ns>` directories. The state JSON (`<lab dir>/state.json`,
 * written before anything is created) lets another process (`downLab`, `npm run lab -- down`) do the same.
 * Teardown runs on SIGINT/SIGTERM/SIGHUP and at exit; and since a process can die without running handlers
 * (SIGKILL; under jest, whose sandboxed `process` never receives real signals), a detached watchdog
 * (`watchdog.js`) tears the lab down from the state file when the owner process is gone.
 *
 * This file builds and runs the network. Beside it: `teardown.ts` (the state file, teardown from any process,
 * `downLab`, `listLabs`), `signals.ts` (the process-wide signal handlers), `host-tools.ts` (prerequisites, the
 * lab's tools and scripts), `addresses.ts` (IPv4 maths), `edge.ts` (the reserved-IP nftables ruleset),
 * `lab-process.ts` (supervised processes).
 */
import { ChildProcess, spawn as spawnChild } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { hostAddress, inRange, mac, overlaps, parseV4Cidr, sameOffset, V4Network } from './addresses';
import { HostRecord, renderHostsFile, renderResolvConf } from './dns';
import { renderEdgeRuleset } from './edge';
import { ETC_NETNS_DIR, NETNS_DIR, RunOptions, RunResult, SEARCH_PATH, checkPrerequisites, defaultLabRoot, labScript, runSync } from './host-tools';
import { LabError } from './lab-error';
import { LabProcess, TrackedProcess, killGroup } from './lab-process';
import { forget, tearDownOnExit } from './signals';
import { LabState, TeardownReport, destroy, stopWatchdog } from './teardown';
import { KillTarget, isRunning, killAndWait, netnsInode, pidsInGroups, pidsInNetns, procStat, processStartTime } from './processes';

export { LabError } from './lab-error';
export { LabProcess } from './lab-process';
export type { TrackedProcess } from './lab-process';
export { renderEdgeRuleset } from './edge';
export type { EdgeEntry } from './edge';

// ---------------------------------------------------------------------------------------------------------------
// constants

/** TEST-NET-3 (RFC 5737): documentation addresses, never routed anywhere real. */
export const DEFAULT_PUBLIC_NETWORK = '203.0.113.0/24';
/** DigitalOcean puts anchor IPs in a 10.x.0.0/16 per datacenter. */
export const DEFAULT_ANCHOR_NETWORK = '10.19.0.0/16';
/** The internet bridge's (the router's) MAC: locally administered, interface byte 00 (droplets' are 01 and 02). */
const ROUTER_MAC = '02:74:66:ff:ff:00';
/** The routing table droplets use for traffic sourced from their anchor IP. */
const ANCHOR_TABLE = 100;
/** Names that are not droplets. */
const INTERNET = 'internet';
const CLIENT = 'client';
/** The watchdog gives up after a day: every loop of the lab is bounded. */
const WATCHDOG_MAX_SECONDS = 24 * 3600;

// ---------------------------------------------------------------------------------------------------------------
// options and views

export interface LabVpcSpec {
  readonly name: string;
  /** IPv4 CIDR, e.g. '10.10.0.0/20'. */
  readonly ipRange: string;
}

export interface LabDropletSpec {
  /** The droplet's name (its hostname); also names its namespace `tfl-<id>-<name>`. */
  readonly name: string;
  /** DigitalOcean droplet id, e.g. '100000001'. */
  readonly id: string;
  /** In the public network. */
  readonly publicIp: string;
  /** Name of a LabVpcSpec; the droplet gets no VPC interface without one. */
  readonly vpc?: string;
  /** Required with `vpc`: an address of the VPC's range. */
  readonly privateIp?: string;
  /**
   * @default the anchor network's address with the public IP's host offset (203.0.113.10 → 10.19.0.10)
   */
  readonly anchorIp?: string;
  /** DigitalOcean tag names (for firewalls and metadata). @default [] */
  readonly tags?: readonly string[];
  /** @default 'lab1' */
  readonly region?: string;
}

export interface LabReservedIpSpec {
  readonly ip: string;
  /** The droplet holding it. @default - unassigned */
  readonly holder?: string;
}

export interface LabNetworkOptions {
  /** Short id [a-z0-9]{1,10} in every name the lab creates. @default 6 random characters */
  readonly id?: string;
  /** Directory holding `<id>/state.json` and `<id>/logs`. @default defaultLabRoot() */
  readonly labRoot?: string;
  /** @default [] */
  readonly vpcs?: readonly LabVpcSpec[];
  readonly droplets: readonly LabDropletSpec[];
  /** @default [] */
  readonly reservedIps?: readonly LabReservedIpSpec[];
  /** @default DEFAULT_PUBLIC_NETWORK; the router takes its first host address */
  readonly publicNetwork?: string;
  /** @default DEFAULT_ANCHOR_NETWORK; the anchor gateway takes its first host address */
  readonly anchorNetwork?: string;
  /** The client's address in the public network. @default the second host address (203.0.113.2) */
  readonly clientIp?: string;
  /** Tear down on SIGINT, SIGTERM, SIGHUP and process exit. @default true */
  readonly handleSignals?: boolean;
  /** Keep `<lab dir>/logs` after teardown (the state file is removed anyway). @default false */
  readonly keepLogs?: boolean;
  /**
   * Start a watchdog process (`watchdog.js`, outside the lab's namespaces) that tears the lab down if this
   * process dies without doing so (SIGKILL, crash, a jest worker stopped by Ctrl-C). @default true
   */
  readonly watchdog?: boolean;
}

/** A droplet as the lab built it. */
export interface LabDroplet {
  readonly name: string;
  readonly id: string;
  readonly index: number;
  readonly netns: string;
  readonly region: string;
  readonly tags: readonly string[];
  readonly publicIp: string;
  readonly publicPrefixLength: number;
  readonly gateway: string;
  readonly publicMac: string;
  readonly anchorIp: string;
  readonly anchorPrefixLength: number;
  readonly anchorGateway: string;
  readonly vpc?: string;
  readonly privateIp?: string;
  readonly privatePrefixLength?: number;
  readonly privateMac?: string;
}

/** A change other parts of the lab (metadata) follow. */
export type LabChange =
  { readonly type: 'reserved-ip'; readonly ip: string; readonly holder?: string; readonly previous?: string } | { readonly type: 'droplets' };

export interface LabExecOptions {
  /** Added to the lab's minimal environment (PATH, HOME, LANG). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Killed (its whole process group) after this long. @default 30000 */
  readonly timeoutMs?: number;
  /**
   * Run in a UTS namespace with this hostname (util-linux `unshare --uts`); false for the machine's.
   * @default the droplet's name in droplet namespaces, false elsewhere
   */
  readonly hostname?: string | false;
}

export interface ExecResult {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface LabSpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Names the log file `<lab dir>/logs/<node>.<name>.log`. @default the command's base name */
  readonly name?: string;
  /** @see LabExecOptions.hostname */
  readonly hostname?: string | false;
}

const MAX_EXEC_OUTPUT = 8 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// LabNetwork

interface LiveProcess extends TrackedProcess {
  readonly child: ChildProcess;
}

/** The lab's namespaces, links, addresses and processes. Build with `LabNetwork.create`. */
export class LabNetwork {
  /** Checks the prerequisites, writes the state file, builds every namespace; tears down again on failure. */
  public static create(options: LabNetworkOptions): LabNetwork {
    checkPrerequisites();
    const lab = new LabNetwork(options);
    try {
      lab.build(options);
    } catch (e) {
      lab.teardown();
      throw e;
    }
    return lab;
  }

  public readonly id: string;
  /** `<lab root>/<id>`: state.json, logs/, and files of other lab parts (metadata, API socket). */
  public readonly dir: string;
  public readonly stateFile: string;
  public readonly publicNetwork: string;
  public readonly anchorNetwork: string;
  public readonly internet: { readonly netns: string; readonly routerIp: string; readonly anchorGateway: string };
  public readonly client: { readonly netns: string; readonly ip: string };
  /** The droplets, in the order they were added. */
  public get droplets(): readonly LabDroplet[] {
    return this.dropletList;
  }

  private readonly createdAt = new Date().toISOString();
  private readonly keepLogs: boolean;
  private readonly handleSignals: boolean;
  private readonly useWatchdog: boolean;
  private watchdog?: { readonly pid: number; readonly startTime: string };
  private readonly vpcBridges = new Map<string, string>();
  private readonly vpcRanges = new Map<string, V4Network>();
  /** Every address in use (router, client, droplets' public, anchor and VPC addresses, reserved IPs) and by whom. */
  private readonly used = new Map<string, string>();
  private readonly dropletList: LabDroplet[] = [];
  /** The next droplet's index (its MAC addresses and link names): never reused, also after a removal. */
  private nextIndex = 0;
  private hostRecords: HostRecord[] = [];
  private resolvConf = renderResolvConf();
  private readonly namespaces: string[] = [];
  private readonly etcDirs: string[] = [];
  private readonly live = new Map<number, LiveProcess>();
  private readonly reserved = new Map<string, string | undefined>();
  private readonly extraClientIps: string[] = [];
  private readonly listeners = new Set<(change: LabChange) => void>();
  private readonly cleanups: (() => void)[] = [];
  private status: 'creating' | 'up' = 'creating';
  private torn = false;
  private report?: TeardownReport;

  private constructor(options: LabNetworkOptions) {
    this.id = options.id ?? randomId();
    if (!/^[a-z0-9]{1,10}$/.test(this.id)) throw new LabError(`lab id '${this.id}' must be 1 to 10 characters of [a-z0-9]`);
    const root = path.resolve(options.labRoot ?? defaultLabRoot());
    this.dir = path.join(root, this.id);
    this.stateFile = path.join(this.dir, 'state.json');
    this.keepLogs = options.keepLogs ?? false;
    this.handleSignals = options.handleSignals ?? true;
    this.useWatchdog = options.watchdog ?? true;
    this.publicNetwork = options.publicNetwork ?? DEFAULT_PUBLIC_NETWORK;
    this.anchorNetwork = options.anchorNetwork ?? DEFAULT_ANCHOR_NETWORK;
    const pub = parseV4Cidr(this.publicNetwork, 'publicNetwork');
    const anchor = parseV4Cidr(this.anchorNetwork, 'anchorNetwork');
    if (overlaps(pub, anchor)) throw new LabError(`anchorNetwork ${this.anchorNetwork} overlaps publicNetwork ${this.publicNetwork}`);

    this.internet = { netns: this.nsName(INTERNET), routerIp: hostAddress(pub, 1), anchorGateway: hostAddress(anchor, 1) };
    this.client = { netns: this.nsName(CLIENT), ip: options.clientIp ?? hostAddress(pub, 2) };
    this.claim(this.internet.routerIp, 'the router');
    this.claim(this.client.ip, 'the client');
    inRange(this.client.ip, pub, 'clientIp');

    for (const vpc of options.vpcs ?? []) {
      if (this.vpcRanges.has(vpc.name)) throw new LabError(`VPC '${vpc.name}' is declared twice`);
      const range = parseV4Cidr(vpc.ipRange, `VPC ${vpc.name} ipRange`);
      for (const [otherName, other] of this.vpcRanges) {
        if (overlaps(range, other)) throw new LabError(`VPC ${vpc.name} (${vpc.ipRange}) overlaps VPC ${otherName}`);
      }
      if (overlaps(range, pub) || overlaps(range, anchor)) {
        throw new LabError(`VPC ${vpc.name} (${vpc.ipRange}) overlaps the lab's public or anchor network: choose another anchorNetwork`);
      }
      this.vpcRanges.set(vpc.name, range);
      this.vpcBridges.set(vpc.name, `vpc${this.vpcBridges.size}`);
    }
    for (const d of options.droplets) this.dropletList.push(this.describeDroplet(d, this.nextIndex++));
    for (const r of options.reservedIps ?? []) {
      inRange(r.ip, pub, `reserved IP ${r.ip}`);
      this.claim(r.ip, `reserved IP ${r.ip}`);
      if (r.holder !== undefined) this.droplet(r.holder);
    }
  }

  /** Validates a droplet's spec against the lab (name, id, addresses unused) and claims its addresses. */
  private describeDroplet(d: LabDropletSpec, index: number): LabDroplet {
    const pub = parseV4Cidr(this.publicNetwork, 'publicNetwork');
    const anchor = parseV4Cidr(this.anchorNetwork, 'anchorNetwork');
    if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/i.test(d.name)) throw new LabError(`droplet name '${d.name}' is not a valid hostname`);
    if (d.name === INTERNET || d.name === CLIENT) throw new LabError(`droplet name '${d.name}' is reserved by the lab`);
    if (this.dropletList.some((x) => x.name === d.name)) throw new LabError(`droplet name '${d.name}' is used twice`);
    if (this.dropletList.some((x) => x.id === d.id)) throw new LabError(`droplet id '${d.id}' is used twice`);
    inRange(d.publicIp, pub, `droplet ${d.name} publicIp`);
    const anchorIp = d.anchorIp ?? sameOffset(d.publicIp, pub, anchor);
    inRange(anchorIp, anchor, `droplet ${d.name} anchorIp`);
    let privatePrefixLength: number | undefined;
    if (d.vpc !== undefined) {
      const range = this.vpcRanges.get(d.vpc);
      if (!range) throw new LabError(`droplet ${d.name}: VPC '${d.vpc}' is not declared in vpcs`);
      if (d.privateIp === undefined) throw new LabError(`droplet ${d.name}: privateIp is required with vpc`);
      inRange(d.privateIp, range, `droplet ${d.name} privateIp`);
      privatePrefixLength = range[1];
    } else if (d.privateIp !== undefined) {
      throw new LabError(`droplet ${d.name}: privateIp needs a vpc`);
    }
    const claims: [string, string][] = [
      [d.publicIp, `droplet ${d.name}`],
      [anchorIp, `droplet ${d.name} (anchor)`],
    ];
    if (d.privateIp !== undefined) claims.push([d.privateIp, `droplet ${d.name} (private)`]);
    for (const [ip, what] of claims) {
      const other = this.used.get(ip);
      if (other) throw new LabError(`${what}: address ${ip} is already used by ${other}`);
    }
    for (const [ip, what] of claims) this.claim(ip, what);
    return {
      name: d.name,
      id: d.id,
      index,
      netns: this.nsName(d.name),
      region: d.region ?? 'lab1',
      tags: [...(d.tags ?? [])],
      publicIp: d.publicIp,
      publicPrefixLength: pub[1],
      gateway: this.internet.routerIp,
      publicMac: mac(index, 1),
      anchorIp,
      anchorPrefixLength: anchor[1],
      anchorGateway: this.internet.anchorGateway,
      vpc: d.vpc,
      privateIp: d.privateIp,
      privatePrefixLength,
      privateMac: d.vpc === undefined ? undefined : mac(index, 2),
    };
  }

  private claim(ip: string, what: string): void {
    const other = this.used.get(ip);
    if (other) throw new LabError(`${what}: address ${ip} is already used by ${other}`);
    this.used.set(ip, what);
  }

  // ---- names and views

  /** The network namespace of `node`: 'internet', 'client' or a droplet name. */
  public netns(node: string): string {
    if (node === INTERNET) return this.internet.netns;
    if (node === CLIENT) return this.client.netns;
    return this.droplet(node).netns;
  }

  /** The droplet named `nameOrId` (name or DigitalOcean id), or throws naming the droplets. */
  public droplet(nameOrId: string): LabDroplet {
    const found = this.droplets.find((d) => d.name === nameOrId || d.id === nameOrId);
    if (!found) {
      throw new LabError(`no droplet '${nameOrId}' in lab ${this.id}; droplets: ${this.droplets.map((d) => d.name).join(', ') || 'none'}`);
    }
    return found;
  }

  /** Every reserved IP and the name of the droplet holding it (undefined: unassigned). */
  public reservedIps(): Map<string, string | undefined> {
    return new Map(this.reserved);
  }

  /** The droplet holding reserved IP `ip`, or undefined when it is unassigned. */
  public holderOf(ip: string): LabDroplet | undefined {
    if (!this.reserved.has(ip)) throw new LabError(`${ip} is not a reserved IP of lab ${this.id}`);
    const holder = this.reserved.get(ip);
    return holder === undefined ? undefined : this.droplet(holder);
  }

  /** The watchdog's pid, if the lab started one. */
  public get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  public get isTornDown(): boolean {
    return this.torn;
  }

  /** Follows changes (reserved IP moves); returns the function that stops following. */
  public onChange(listener: (change: LabChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `fn` (synchronously) at teardown, before processes are killed; last added runs first. */
  public addCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  // ---- reserved IPs

  /** Adds a reserved IP to the lab, assigned to `holder` (a droplet name or id) or unassigned. */
  public addAddress(ip: string, holder?: string): void {
    this.assertUp();
    if (this.reserved.has(ip)) throw new LabError(`reserved IP ${ip} already exists in lab ${this.id}`);
    inRange(ip, parseV4Cidr(this.publicNetwork, 'publicNetwork'), `reserved IP ${ip}`);
    if (this.used.has(ip)) throw new LabError(`reserved IP ${ip} is already the address of ${this.used.get(ip)}`);
    const name = holder === undefined ? undefined : this.droplet(holder).name;
    this.claim(ip, `reserved IP ${ip}`);
    this.ipBatch(this.internet.netns, [`addr add ${ip}/32 dev inet`]);
    this.reserved.set(ip, name);
    this.applyEdge();
    this.saveState();
    this.emit({ type: 'reserved-ip', ip, holder: name });
  }

  /**
   * Assigns reserved IP `ip` to `holder` (a droplet name or id), or unassigns it (undefined): DigitalOcean's
   * `assign`/`unassign` actions. Takes effect at once for new flows; flows to the previous holder are reset.
   */
  public moveAddress(ip: string, holder: string | undefined): void {
    this.assertUp();
    if (!this.reserved.has(ip)) throw new LabError(`${ip} is not a reserved IP of lab ${this.id}`);
    const previous = this.reserved.get(ip);
    const name = holder === undefined ? undefined : this.droplet(holder).name;
    this.reserved.set(ip, name);
    this.applyEdge();
    this.saveState();
    this.emit({ type: 'reserved-ip', ip, holder: name, previous });
  }

  /** Removes reserved IP `ip` from the lab (its resource was destroyed): flows to it are dropped from now on. */
  public removeAddress(ip: string): void {
    this.assertUp();
    if (!this.reserved.has(ip)) throw new LabError(`${ip} is not a reserved IP of lab ${this.id}`);
    const previous = this.reserved.get(ip);
    this.reserved.delete(ip);
    this.used.delete(ip);
    this.applyEdge();
    this.ipBatch(this.internet.netns, [`addr del ${ip}/32 dev inet`]);
    this.saveState();
    this.emit({ type: 'reserved-ip', ip, holder: undefined, previous });
  }

  // ---- droplets created and destroyed while the lab runs (`npm run lab -- apply`)

  /** Creates a droplet's namespace, links and addresses (as at boot); nothing runs in it yet. */
  public addDroplet(spec: LabDropletSpec): LabDroplet {
    this.assertUp();
    const d = this.describeDroplet(spec, this.nextIndex);
    this.nextIndex++;
    this.dropletList.push(d);
    try {
      this.buildDroplet(d);
    } finally {
      this.saveState();
    }
    this.emit({ type: 'droplets' });
    return d;
  }

  /**
   * Destroys a droplet: kills every process in its namespace (tracked ones by pid and group first; SIGTERM, then
   * SIGKILL after a bounded wait), deletes the namespace (its links go with it) and its /etc/netns directory, and
   * unassigns the reserved IPs it held (as DigitalOcean does when a droplet is destroyed). Its addresses are free
   * again for the lab, which does not reuse them (see assignment.ts).
   */
  public removeDroplet(name: string): void {
    this.assertUp();
    const d = this.droplet(name);
    const inode = netnsInode(path.join(NETNS_DIR, d.netns));
    const leaders = [...this.live.values()].filter((p) => p.node === d.name && isRunning(p.pid, p.startTime));
    for (let round = 0; round < 2; round++) {
      const targets = new Map<number, KillTarget>();
      const add = (pid: number) => {
        const stat = procStat(pid);
        if (stat && stat.state !== 'Z' && pid !== process.pid) targets.set(pid, { pid, startTime: stat.startTime });
      };
      for (const p of leaders.filter((x) => isRunning(x.pid, x.startTime))) add(p.pid);
      for (const pid of pidsInGroups(new Set(leaders.map((p) => p.pid)))) add(pid);
      if (inode !== undefined) for (const pid of pidsInNetns(new Set([inode]))) add(pid);
      if (targets.size === 0) break;
      const survivors = killAndWait([...targets.values()]);
      if (survivors.length > 0 && round === 1)
        throw new LabError(`droplet ${d.name}: processes still running after SIGKILL: ${survivors.map((s) => s.pid).join(', ')}`);
    }
    const r = runSync(['ip', 'netns', 'delete', d.netns]);
    if (r.status !== 0) throw new LabError(`ip netns delete ${d.netns}: ${r.stderr.trim()}`);
    const etc = path.join(ETC_NETNS_DIR, d.netns);
    fs.rmSync(etc, { recursive: true, force: true });
    this.namespaces.splice(this.namespaces.indexOf(d.netns), 1);
    if (this.etcDirs.includes(etc)) this.etcDirs.splice(this.etcDirs.indexOf(etc), 1);
    this.dropletList.splice(this.dropletList.indexOf(d), 1);
    for (const ip of [d.publicIp, d.anchorIp, d.privateIp]) if (ip !== undefined) this.used.delete(ip);
    const held = [...this.reserved].filter(([, holder]) => holder === d.name).map(([ip]) => ip);
    for (const ip of held) this.reserved.set(ip, undefined);
    if (held.length > 0) this.applyEdge();
    this.saveState();
    for (const ip of held) this.emit({ type: 'reserved-ip', ip, holder: undefined, previous: d.name });
    this.emit({ type: 'droplets' });
  }

  /** Changes a droplet's tags in place (DigitalOcean does not replace a droplet for that). */
  public setDropletTags(name: string, tags: readonly string[]): void {
    this.assertUp();
    const d = this.droplet(name);
    this.dropletList[this.dropletList.indexOf(d)] = { ...d, tags: [...tags] };
    this.saveState();
    this.emit({ type: 'droplets' });
  }

  // ---- more users

  /**
   * Gives the client `count` more addresses in the public network (the highest free ones, downwards), so that a
   * load can come from many users: per-client limits of the plan (nginx's limit_req) then apply to each as they
   * would to real users. Returns the addresses; they go with the client's namespace at teardown.
   */
  public addClientAddresses(count: number): string[] {
    this.assertUp();
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new LabError('addClientAddresses: count must be 1 to 100');
    const pub = parseV4Cidr(this.publicNetwork, 'publicNetwork');
    const size = 2 ** (32 - pub[1]);
    const used = new Set([...this.used.keys(), ...this.extraClientIps]);
    const picked: string[] = [];
    for (let offset = size - 2; offset > 1 && picked.length < count; offset--) {
      const ip = hostAddress(pub, offset);
      if (!used.has(ip)) picked.push(ip);
    }
    if (picked.length < count) throw new LabError(`the public network ${this.publicNetwork} has only ${picked.length} free addresses`);
    this.ipBatch(
      this.client.netns,
      picked.map((ip) => `addr add ${ip}/${pub[1]} dev eth0`),
    );
    this.extraClientIps.push(...picked);
    for (const ip of picked) this.claim(ip, 'the client');
    return picked;
  }

  /** Addresses added by `addClientAddresses`. */
  public get clientAddresses(): readonly string[] {
    return [this.client.ip, ...this.extraClientIps];
  }

  // ---- links

  /** Unplugs a droplet's (or the client's) cables on the lab side: its namespace and processes stay. */
  public disconnect(node: string): void {
    this.setPorts(node, 'down');
  }

  /** Plugs them back. */
  public reconnect(node: string): void {
    this.setPorts(node, 'up');
  }

  private setPorts(node: string, state: 'up' | 'down'): void {
    this.assertUp();
    const ports =
      node === CLIENT
        ? ['pc']
        : (() => {
            const d = this.droplet(node);
            return d.vpc === undefined ? [`p${d.index}`] : [`p${d.index}`, `v${d.index}`];
          })();
    this.ipBatch(
      this.internet.netns,
      ports.map((p) => `link set ${p} ${state}`),
    );
  }

  // ---- DNS

  /** Writes every namespace's /etc/hosts view with `records` (see dns.ts); running processes see it too. */
  public setHosts(records: readonly HostRecord[]): void {
    this.assertUp();
    this.hostRecords = [...records];
    for (const ns of this.namespaces)
      this.writeEtc(ns, 'hosts', renderHostsFile({ hostname: this.hostnameOf(ns), records, comment: `tierform lab ${this.id}` }));
  }

  /** Writes every namespace's resolv.conf (in place: running processes see it), and that of namespaces added later. */
  public setResolvConf(text: string): void {
    this.assertUp();
    this.resolvConf = text;
    for (const ns of this.namespaces) this.writeEtc(ns, 'resolv.conf', text);
  }

  /**
   * Makes processes `ip netns exec` starts in `node` trust only the CA `pem`: `/etc/netns/<ns>/ssl` (with
   * `certs/ca-certificates.crt`, the hashed link OpenSSL looks up, and this machine's `openssl.cnf`) is bound over
   * `/etc/ssl` there — curl, openssl and Python verify lab certificates as real ones. Nothing outside the lab is
   * reachable, so no other CA is needed. Removed with the namespace's /etc/netns directory.
   */
  public trustCa(node: string, pem: string): void {
    this.assertUp();
    const ns = this.netns(node);
    const ssl = path.join(ETC_NETNS_DIR, ns, 'ssl');
    fs.mkdirSync(path.join(ssl, 'certs'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(ssl, 'private'), { recursive: true, mode: 0o700 });
    if (fs.existsSync('/etc/ssl/openssl.cnf')) fs.copyFileSync('/etc/ssl/openssl.cnf', path.join(ssl, 'openssl.cnf'));
    fs.writeFileSync(path.join(ssl, 'certs', 'tierform-lab-ca.pem'), pem, { mode: 0o644 });
    fs.writeFileSync(path.join(ssl, 'certs', 'ca-certificates.crt'), pem, { mode: 0o644 });
    const hash = runSync(['openssl', 'x509', '-hash', '-noout'], { input: pem });
    if (hash.status !== 0) throw new LabError(`openssl x509 -hash: ${hash.stderr.trim()}`);
    const link = path.join(ssl, 'certs', `${hash.stdout.trim()}.0`);
    fs.rmSync(link, { force: true });
    fs.symlinkSync('tierform-lab-ca.pem', link);
  }

  // ---- running things

  /** Runs a short command in `node`'s namespace and waits (synchronously, bounded). Not tracked. */
  public run(node: string, argv: readonly string[], options: RunOptions = {}): RunResult {
    return runSync(['ip', 'netns', 'exec', this.netns(node), ...argv], options);
  }

  /** Like `run`, throwing a LabError with the output when the command fails. */
  public runOrThrow(node: string, argv: readonly string[], options: RunOptions = {}): string {
    const r = this.run(node, argv, options);
    if (r.status !== 0) throw new LabError(`in ${node}: ${argv.join(' ')} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** Runs a command in `node`'s namespace (tracked until it exits; its group killed at the timeout). */
  public exec(node: string, argv: readonly string[], options: LabExecOptions = {}): Promise<ExecResult> {
    this.assertUp();
    const command = this.wrap(node, argv, options.hostname);
    // stdin is /dev/null unless there is input: node's pipes are Unix sockets, and bash with a socket on stdin takes
    // itself for an rsh session and sources ~/.bashrc — this machine's, which droplets see through the /root overlay.
    const child = spawnChild(command[0], command.slice(1), {
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: this.env(options.env),
      cwd: options.cwd,
    });
    const tracked = this.track(child, node, argv);
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const collect = (into: Buffer[]) => (b: Buffer) => {
        if (size < MAX_EXEC_OUTPUT) into.push(b);
        size += b.length;
      };
      child.stdout!.on('data', collect(out));
      child.stderr!.on('data', collect(err));
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(tracked, 'SIGKILL');
      }, options.timeoutMs ?? 30_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        resolve({
          status,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          timedOut,
        });
      });
    });
  }

  /** Starts a long-running process in `node`'s namespace, tracked by pid until teardown. */
  public spawn(node: string, argv: readonly string[], options: LabSpawnOptions = {}): LabProcess {
    this.assertUp();
    const logs = path.join(this.dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    const name = (options.name ?? path.basename(argv[0] ?? 'process')).replace(/[^A-Za-z0-9_.-]/g, '_');
    let logFile = path.join(logs, `${node}.${name}.log`);
    for (let i = 2; fs.existsSync(logFile) && i < 1000; i++) logFile = path.join(logs, `${node}.${name}.${i}.log`);
    const fd = fs.openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      const command = this.wrap(node, argv, options.hostname);
      child = spawnChild(command[0], command.slice(1), {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: this.env(options.env),
        cwd: options.cwd,
      });
    } finally {
      fs.closeSync(fd);
    }
    const tracked = this.track(child, node, argv);
    return new LabProcess(tracked, child, logFile);
  }

  // ---- teardown

  /**
   * Stops everything the lab started and deletes everything it created; safe to call again (returns the
   * first report). Synchronous, so it also runs from exit and signal handlers.
   */
  public teardown(): TeardownReport {
    if (this.report) return this.report;
    if (this.torn) return { id: this.id, killed: [], survivors: [], namespacesDeleted: [], errors: ['teardown re-entered'] };
    this.torn = true;
    forget(this);
    const errors: string[] = [];
    for (const fn of [...this.cleanups].reverse()) {
      try {
        fn();
      } catch (e) {
        errors.push(`cleanup: ${(e as Error).message}`);
      }
    }
    const report = destroy(this.state(), [...this.live.values()]);
    stopWatchdog(this.watchdog);
    this.report = { ...report, errors: [...errors, ...report.errors] };
    return this.report;
  }

  // ---- internals

  private nsName(node: string): string {
    return `tfl-${this.id}-${node}`;
  }

  private hostnameOf(ns: string): string | undefined {
    return this.droplets.find((d) => d.netns === ns)?.name;
  }

  private assertUp(): void {
    if (this.torn) throw new LabError(`lab ${this.id} is torn down`);
  }

  private emit(change: LabChange): void {
    for (const l of this.listeners) l(change);
  }

  private env(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
    return { PATH: SEARCH_PATH, HOME: '/root', LANG: 'C.UTF-8', TIERFORM_LAB_ID: this.id, ...extra };
  }

  private wrap(node: string, argv: readonly string[], hostname: string | false | undefined): string[] {
    if (argv.length === 0) throw new LabError('empty command');
    const ns = this.netns(node);
    const host = hostname === undefined ? this.hostnameOf(ns) : hostname || undefined;
    const base = ['ip', 'netns', 'exec', ns];
    // `ip netns exec` and `unshare` exec (no fork) and `sh` execs the command: the pid is the command's.
    if (host) return [...base, 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', host, ...argv];
    return [...base, ...argv];
  }

  private track(child: ChildProcess, node: string, argv: readonly string[]): LiveProcess {
    if (child.pid === undefined) {
      throw new LabError(`could not start ${argv.join(' ')} in ${node}`);
    }
    const tracked: LiveProcess = { pid: child.pid, startTime: processStartTime(child.pid) ?? '', node, argv: [...argv], child };
    this.live.set(child.pid, tracked);
    this.saveState();
    child.on('exit', () => {
      this.live.delete(tracked.pid);
      if (!this.torn) this.saveState();
    });
    return tracked;
  }

  private state(): LabState {
    return {
      version: 1,
      id: this.id,
      dir: this.dir,
      status: this.status,
      createdAt: this.createdAt,
      ownerPid: process.pid,
      ownerStartTime: processStartTime(process.pid),
      namespaces: [...this.namespaces],
      etcDirs: [...this.etcDirs],
      processes: [...this.live.values()].map(({ pid, startTime, node, argv }) => ({ pid, startTime, node, argv })),
      keepLogs: this.keepLogs,
      watchdog: this.watchdog,
      internet: this.internet,
      client: this.client,
      droplets: this.droplets,
      reservedIps: Object.fromEntries([...this.reserved].map(([ip, h]) => [ip, h ?? null])),
    };
  }

  private saveState(): void {
    if (this.torn) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.state(), null, 2)}\n`);
    fs.renameSync(tmp, this.stateFile);
  }

  private ipBatch(ns: string, lines: readonly string[]): void {
    if (lines.length === 0) return;
    const r = runSync(['ip', '-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
    if (r.status !== 0) throw new LabError(`ip -n ${ns}: ${r.stderr.trim() || r.stdout.trim()} (commands: ${lines.join('; ')})`);
  }

  private sysctl(ns: string, settings: Readonly<Record<string, string>>): void {
    const script = Object.entries(settings)
      .map(([key, value]) => `f=/proc/sys/${key.replace(/\./g, '/')}; if [ -e "$f" ]; then echo ${value} > "$f"; fi`)
      .join('\n');
    const r = runSync(['ip', 'netns', 'exec', ns, 'sh', '-ec', script]);
    if (r.status !== 0) throw new LabError(`sysctl in ${ns}: ${r.stderr.trim()}`);
  }

  private addNamespace(ns: string, hostname?: string): void {
    if (fs.existsSync(path.join(NETNS_DIR, ns)))
      throw new LabError(`network namespace ${ns} already exists: is lab ${this.id} running? (npm run lab -- down ${this.id})`);
    this.namespaces.push(ns);
    this.saveState();
    const r = runSync(['ip', 'netns', 'add', ns]);
    if (r.status !== 0) {
      this.namespaces.pop();
      this.saveState();
      throw new LabError(`ip netns add ${ns}: ${r.stderr.trim()}`);
    }
    const etc = path.join(ETC_NETNS_DIR, ns);
    this.etcDirs.push(etc);
    this.saveState();
    fs.mkdirSync(etc, { recursive: true });
    this.writeEtc(ns, 'hosts', renderHostsFile({ hostname, records: this.hostRecords, comment: `tierform lab ${this.id}` }));
    this.writeEtc(ns, 'resolv.conf', this.resolvConf);
    if (hostname) this.writeEtc(ns, 'hostname', `${hostname}\n`);
  }

  /** Writes /etc/netns/<ns>/<file> in place (same inode), only for files /etc has (ip netns exec binds over them). */
  private writeEtc(ns: string, file: string, content: string): void {
    if (!fs.existsSync(path.join('/etc', file))) return;
    fs.writeFileSync(path.join(ETC_NETNS_DIR, ns, file), content);
  }

  private build(options: LabNetworkOptions): void {
    fs.mkdirSync(this.dir, { recursive: true });
    if (this.handleSignals) {
      tearDownOnExit(this);
    }
    this.saveState();
    if (this.useWatchdog) this.startWatchdog();
    const net = this.internet.netns;
    const pubLen = parseV4Cidr(this.publicNetwork, 'publicNetwork')[1];
    const anchorLen = parseV4Cidr(this.anchorNetwork, 'anchorNetwork')[1];

    // The internet and DigitalOcean's edge.
    this.addNamespace(net);
    this.sysctl(net, {
      'net.ipv6.conf.all.disable_ipv6': '1',
      'net.ipv6.conf.default.disable_ipv6': '1',
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.all.send_redirects': '0',
      'net.ipv4.conf.default.send_redirects': '0',
      // Only present when br_netfilter is loaded: keep bridged frames out of the edge's nftables.
      'net.bridge.bridge-nf-call-iptables': '0',
      'net.bridge.bridge-nf-call-ip6tables': '0',
    });
    this.ipBatch(net, [
      'link set lo up',
      // A fixed MAC: a bridge without one takes the lowest of its ports', so adding a droplet (its random peer MAC)
      // could change the router's MAC, and every host would send to the stale one until ARP re-resolves (~30 s).
      `link add inet address ${ROUTER_MAC} type bridge`,
      `addr add ${this.internet.routerIp}/${pubLen} dev inet`,
      `addr add ${this.internet.anchorGateway}/${anchorLen} dev inet`,
      'link set inet up',
      ...[...this.vpcBridges.values()].flatMap((br) => [`link add ${br} type bridge`, `link set ${br} up`]),
    ]);

    // The client.
    this.addNamespace(this.client.netns);
    this.ipBatch(this.client.netns, [
      'link set lo up',
      `link add eth0 type veth peer name pc netns ${net}`,
      `addr add ${this.client.ip}/${pubLen} dev eth0`,
      'link set eth0 up',
      `route add default via ${this.internet.routerIp} dev eth0`,
    ]);
    this.ipBatch(net, ['link set pc master inet', 'link set pc up']);

    // The droplets.
    for (const d of this.droplets) this.buildDroplet(d);

    // Reserved IPs.
    for (const r of options.reservedIps ?? []) {
      this.ipBatch(net, [`addr add ${r.ip}/32 dev inet`]);
      this.reserved.set(r.ip, r.holder === undefined ? undefined : this.droplet(r.holder).name);
    }
    this.applyEdge();
    this.status = 'up';
    this.saveState();
  }

  /** The droplet's namespace, its links to the internet bridge and its VPC bridge, addresses and routes. */
  private buildDroplet(d: LabDroplet): void {
    const net = this.internet.netns;
    this.addNamespace(d.netns, d.name);
    const lines = [
      'link set lo up',
      `link add eth0 address ${d.publicMac} type veth peer name p${d.index} netns ${net}`,
      `addr add ${d.publicIp}/${d.publicPrefixLength} dev eth0`,
      `addr add ${d.anchorIp}/${d.anchorPrefixLength} dev eth0`,
      'link set eth0 up',
      `route add default via ${d.gateway} dev eth0 src ${d.publicIp}`,
      `rule add from ${d.anchorIp} lookup ${ANCHOR_TABLE} priority ${ANCHOR_TABLE}`,
      `route add default via ${d.anchorGateway} dev eth0 table ${ANCHOR_TABLE}`,
    ];
    const netLines = [`link set p${d.index} master inet`, `link set p${d.index} up`];
    if (d.vpc !== undefined) {
      lines.push(
        `link add eth1 address ${d.privateMac} type veth peer name v${d.index} netns ${net}`,
        `addr add ${d.privateIp}/${d.privatePrefixLength} dev eth1`,
        'link set eth1 up',
      );
      netLines.push(`link set v${d.index} master ${this.vpcBridges.get(d.vpc)}`, `link set v${d.index} up`);
    }
    this.ipBatch(d.netns, lines);
    this.ipBatch(net, netLines);
  }

  private startWatchdog(): void {
    const owner = processStartTime(process.pid);
    if (owner === undefined) throw new LabError('cannot read this process start time from /proc');
    const logs = path.join(this.dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    const fd = fs.openSync(path.join(logs, 'watchdog.log'), 'a');
    try {
      const child = spawnChild(
        process.execPath,
        [labScript('watchdog.js'), this.stateFile, String(process.pid), owner, String(WATCHDOG_MAX_SECONDS)],
        {
          detached: true,
          stdio: ['ignore', fd, fd],
          env: { PATH: SEARCH_PATH, LANG: 'C.UTF-8' },
        },
      );
      if (child.pid === undefined) throw new LabError('could not start the lab watchdog');
      child.unref();
      this.watchdog = { pid: child.pid, startTime: processStartTime(child.pid) ?? '' };
    } finally {
      fs.closeSync(fd);
    }
    this.saveState();
  }

  private applyEdge(): void {
    const entries = [...this.reserved].map(([ip, holder]) => {
      const d = holder === undefined ? undefined : this.droplet(holder);
      return { ip, anchorIp: d?.anchorIp, holderPublicIp: d?.publicIp };
    });
    const r = runSync(['ip', 'netns', 'exec', this.internet.netns, 'nft', '-f', '-'], {
      input: renderEdgeRuleset(entries, this.internet.anchorGateway),
    });
    if (r.status !== 0) throw new LabError(`nft in ${this.internet.netns}: ${r.stderr.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function randomId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}
