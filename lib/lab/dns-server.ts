/**
 * The lab's DNS server: stands in for DigitalOcean's resolvers, serving the records of the booted plan.
 *
 * It is Debian's dnsmasq (package `dnsmasq-base`: the binary only, no service is installed or started), run by the
 * lab's tracked spawn in the internet namespace on 198.51.100.53:53 (TEST-NET-2, never routed; udp and tcp). Like
 * DigitalOcean's resolvers it is off the droplets' networks: they reach it through their default route, from their
 * public address, so the Cloud Firewalls judge those packets as they judge DNS to DigitalOcean's resolvers (a
 * restricted outbound policy must allow udp and tcp 53: the lab does not special-case it).
 *
 * What it serves: the plan's A records (CNAMEs flattened by `planLab`), every address of a name (several records with
 * one name answer all of them), from a hosts file in `--hostsdir`, which dnsmasq watches (inotify): `setRecords`
 * replaces the file atomically (written beside the directory, renamed into it) and dnsmasq re-reads it without a
 * restart; records gone from the file are gone from the answers. `--no-resolv --local=/#/`: nothing is forwarded
 * anywhere, every other name is NXDOMAIN at once. `--no-hosts`: this machine's /etc/hosts is not served. Every query
 * and answer is logged, timestamped, in `<lab dir>/logs/dnsmasq.log`.
 *
 * TTL: a hosts file has no per-record TTL and dnsmasq gives local answers one TTL (`--local-ttl`), so the lab serves
 * every record with the smallest TTL of the plan's records (no client caches an answer longer than the plan allows;
 * the lab's consumers — HAProxy's resolvers, Prometheus' DNS discovery, glibc — re-resolve on their own schedule
 * anyway). A change that lowers that minimum restarts dnsmasq (reported by `setRecords`); any other change does not.
 *
 * Every namespace's resolv.conf names the server (`LabNetwork.setResolvConf`), so glibc (`getent`, curl, Python),
 * HAProxy (`parse-resolv-conf`) and Prometheus (`dns_sd_configs`) all ask it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_RECORD_TTL, HostRecord, renderRecordsFile, renderResolvConf } from './dns';
import { LabError } from './lab-error';
import { LabProcess } from './lab-process';
import { LabNetwork } from './netns';
import { labScript } from './host-tools';

/** Where the lab's resolver listens (TEST-NET-2, RFC 5737), as DigitalOcean's 67.207.67.2/.3 do for droplets. */
export const LAB_DNS_ADDRESS = '198.51.100.53';
/** The Debian package of the server, for the prerequisite check. */
export const LAB_DNS_PACKAGE = { command: 'dnsmasq', debianPackage: 'dnsmasq-base' } as const;

export interface LabDnsOptions {
  /** @default LAB_DNS_ADDRESS */
  readonly address?: string;
  /** @default [] */
  readonly records?: readonly HostRecord[];
  /** How long the server gets to answer its first query. @default 10000 */
  readonly startTimeoutMs?: number;
}

/** What one name answers. */
export interface DnsAnswer {
  /** Sorted; empty with `error`. */
  readonly addresses: readonly string[];
  readonly ttl?: number;
  /** ENOTFOUND (NXDOMAIN), ENODATA, ETIMEOUT, ECONNREFUSED, ... */
  readonly error?: string;
}

/** What `setRecords` changed. */
export interface DnsUpdate {
  /** Names whose addresses were added, removed or changed. */
  readonly changedNames: readonly string[];
  readonly added: readonly HostRecord[];
  readonly removed: readonly HostRecord[];
  /** The TTL served before and after (see the file's comment). */
  readonly ttl: { readonly before: number; readonly after: number };
  /** True when dnsmasq was restarted (the smallest TTL went down). */
  readonly restarted: boolean;
  /** Milliseconds from writing the file to the server answering every changed name as written. */
  readonly servedAfterMs: number;
}

export class LabDns {
  /** Adds the address to the internet namespace, starts dnsmasq, waits until it answers, points resolv.conf at it. */
  public static async start(lab: LabNetwork, options: LabDnsOptions = {}): Promise<LabDns> {
    const dns = new LabDns(lab, options.address ?? LAB_DNS_ADDRESS, [...(options.records ?? [])]);
    lab.runOrThrow('internet', ['ip', 'addr', 'replace', `${dns.address}/32`, 'dev', 'inet']);
    dns.writeRecords(dns.current);
    await dns.startServer(options.startTimeoutMs ?? 10_000);
    lab.setResolvConf(renderResolvConf([dns.address]));
    return dns;
  }

  /** The TTL of every answer (`--local-ttl`). */
  public ttl: number;
  private server?: LabProcess;
  private readonly dir: string;
  private readonly hostsDir: string;
  private current: HostRecord[];

  private constructor(
    private readonly lab: LabNetwork,
    public readonly address: string,
    records: HostRecord[],
  ) {
    this.dir = path.join(lab.dir, 'dns');
    this.hostsDir = path.join(this.dir, 'hosts.d');
    fs.mkdirSync(this.hostsDir, { recursive: true, mode: 0o755 });
    this.current = records;
    this.ttl = minimumTtl(records);
  }

  /** The running dnsmasq. */
  public get process(): LabProcess | undefined {
    return this.server;
  }

  /** The records served now. */
  public records(): HostRecord[] {
    return [...this.current];
  }

  /** dnsmasq's log: every query and answer, timestamped. */
  public get logFile(): string {
    return path.join(this.lab.dir, 'logs', 'dnsmasq.log');
  }

  /** The hosts file dnsmasq serves. */
  public get recordsFile(): string {
    return path.join(this.hostsDir, 'records');
  }

  /**
   * Serves `records` instead of the current ones, without restarting the server (unless the smallest TTL went down),
   * and resolves once the server answers every changed name as written (removed names: NXDOMAIN), bounded.
   */
  public async setRecords(records: readonly HostRecord[], timeoutMs = 10_000): Promise<DnsUpdate> {
    const before = this.current;
    const key = (r: HostRecord) => `${r.name.toLowerCase()} ${r.address}`;
    const oldKeys = new Set(before.map(key));
    const newKeys = new Set(records.map(key));
    const added = records.filter((r) => !oldKeys.has(key(r)));
    const removed = before.filter((r) => !newKeys.has(key(r)));
    const changedNames = [...new Set([...added, ...removed].map((r) => r.name.toLowerCase()))].sort();
    const ttlBefore = this.ttl;
    const ttlAfter = minimumTtl(records);
    this.current = [...records];
    const started = Date.now();
    this.writeRecords(records);
    let restarted = false;
    if (ttlAfter < ttlBefore) {
      await this.server?.stop();
      this.ttl = ttlAfter;
      await this.startServer(timeoutMs);
      restarted = true;
    }
    if (changedNames.length > 0) await this.waitServed(changedNames, timeoutMs);
    return { changedNames, added, removed, ttl: { before: ttlBefore, after: this.ttl }, restarted, servedAfterMs: Date.now() - started };
  }

  /** Asks the server for the A records of `names` from lab host `node` (default: the internet namespace, unfiltered). */
  public async query(names: readonly string[], node = 'internet'): Promise<Record<string, DnsAnswer>> {
    if (names.length === 0) return {};
    const r = await this.lab.exec(node, [process.execPath, labScript('dns-query.js'), this.address, ...names], { timeoutMs: 15_000 });
    if (r.status !== 0) throw new LabError(`DNS query from ${node} failed (${r.status}): ${r.stderr.trim()}`);
    const raw = JSON.parse(r.stdout) as Record<string, { addresses?: { address: string; ttl: number }[]; error?: string }>;
    const out: Record<string, DnsAnswer> = {};
    for (const [name, a] of Object.entries(raw)) {
      out[name] =
        a.error !== undefined
          ? { addresses: [], error: a.error }
          : { addresses: a.addresses!.map((x) => x.address).sort(), ttl: a.addresses![0]?.ttl };
    }
    return out;
  }

  private writeRecords(records: readonly HostRecord[]): void {
    // Written beside the watched directory and renamed into it: dnsmasq never reads a half-written file.
    const tmp = path.join(this.dir, `records.${process.pid}.tmp`);
    fs.writeFileSync(tmp, renderRecordsFile(records, `tierform lab ${this.lab.id}`), { mode: 0o644 });
    fs.renameSync(tmp, this.recordsFile);
  }

  private async startServer(timeoutMs: number): Promise<void> {
    this.server = this.lab.spawn(
      'internet',
      [
        'dnsmasq',
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--no-poll',
        `--hostsdir=${this.hostsDir}`,
        `--local-ttl=${this.ttl}`,
        '--local=/#/',
        `--listen-address=${this.address}`,
        '--bind-interfaces',
        '--port=53',
        '--user=root',
        '--pid-file=',
        // Its own log file (timestamped lines), written asynchronously: logging never holds up an answer.
        `--log-facility=${this.logFile}`,
        '--log-async=100',
        '--log-queries',
      ],
      { name: 'dnsmasq' },
    );
    // Answering: a query gets an answer (NXDOMAIN for a name the plan does not have), not a timeout. dnsmasq reads
    // the hosts directory before it answers anything.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = (await this.query(['tierform-lab-ready.invalid']))['tierform-lab-ready.invalid'];
      if (a.error === 'ENOTFOUND') return;
      if (Date.now() > deadline || !this.server.running) {
        throw new LabError(
          `the lab's DNS server (dnsmasq on ${this.address}) does not answer (${a.error ?? 'an address'}); its output:\n${this.server.output().slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async waitServed(names: readonly string[], timeoutMs: number): Promise<void> {
    const want = new Map<string, string[]>();
    for (const n of names) want.set(n, [...new Set(this.current.filter((r) => r.name.toLowerCase() === n).map((r) => r.address))].sort());
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, DnsAnswer> = {};
    for (;;) {
      last = await this.query(names);
      const pending = names.filter((n) => {
        const a = last[n];
        const expected = want.get(n)!;
        return expected.length === 0 ? a?.error !== 'ENOTFOUND' : a?.addresses.join(',') !== expected.join(',');
      });
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        throw new LabError(
          `the lab's DNS server does not serve the new records of ${pending.join(', ')} within ${timeoutMs} ms: ${JSON.stringify(last)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The TTL the server gives every answer: the smallest of the records' (DigitalOcean's default without records). */
export function minimumTtl(records: readonly HostRecord[]): number {
  return records.length === 0 ? DEFAULT_RECORD_TTL : Math.min(...records.map((r) => r.ttl ?? DEFAULT_RECORD_TTL));
}
