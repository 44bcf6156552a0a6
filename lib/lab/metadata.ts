/**
 * DigitalOcean's droplet metadata service (http://169.254.169.254/metadata/v1/...) inside each droplet
 * namespace of the lab.
 *
 * Each droplet namespace runs its own small server (`metadata-server.js`, started with the lab's tracked
 * spawn) that answers from a JSON file in the lab directory; the lab rewrites the file when a reserved IP
 * moves, so `/metadata/v1/reserved_ip/ipv4/active` follows failovers.
 *
 * 169.254.169.254 is added to the namespace's loopback. The server does not listen on port 80 there: a
 * daemon listening on 0.0.0.0:80 (nginx's `listen 80`) would then fail to bind (on DigitalOcean the metadata
 * service is not on the droplet, so port 80 is free). It listens on 169.254.169.254:8775 and a nat rule of
 * the namespace (table `ip tierform_metadata`) sends `169.254.169.254:80` there. Loopback traffic is never
 * filtered by the lab's firewall, as the real metadata service is not behind Cloud Firewalls.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabDroplet, LabNetwork, LabProcess } from './netns';
import { labScript } from './host-tools';

export const METADATA_ADDRESS = '169.254.169.254';
/** Where the server really listens in the namespace (169.254.169.254:80 is DNATed to it). */
export const METADATA_SERVER_PORT = 8775;

export interface MetadataInput {
  readonly droplet: LabDroplet;
  /** The reserved IP the droplet holds, if any. */
  readonly reservedIp?: string;
  /** The droplet's user_data as it boots with it. @default '' */
  readonly userData?: string;
  /** @default [] */
  readonly publicKeys?: readonly string[];
  /** The resolvers DigitalOcean gives the droplet (the lab's DNS server). @default ['127.0.0.1'] (none) */
  readonly nameservers?: readonly string[];
}

/** The answers of one droplet's metadata service: text by path, and the `/metadata/v1.json` document. */
export interface MetadataAnswers {
  readonly paths: Readonly<Record<string, string>>;
  readonly json: Readonly<Record<string, unknown>>;
}

/** What DigitalOcean's metadata service would answer this droplet (pure). */
export function metadataAnswers(input: MetadataInput): MetadataAnswers {
  const d = input.droplet;
  const v1 = '/metadata/v1';
  const reserved = input.reservedIp;
  const reservedPaths = (kind: string): Record<string, string> => ({
    [`${v1}/${kind}/ipv4/active`]: reserved === undefined ? 'false' : 'true',
    ...(reserved === undefined ? {} : { [`${v1}/${kind}/ipv4/ip_address`]: reserved }),
  });
  const publicKeys = [...(input.publicKeys ?? [])];
  const nameservers = [...(input.nameservers ?? ['127.0.0.1'])];
  const paths: Record<string, string> = {
    [`${v1}/id`]: d.id,
    [`${v1}/hostname`]: d.name,
    [`${v1}/user-data`]: input.userData ?? '',
    [`${v1}/vendor-data`]: '',
    [`${v1}/public-keys`]: publicKeys.join('\n'),
    [`${v1}/region`]: d.region,
    [`${v1}/tags`]: d.tags.join('\n'),
    [`${v1}/dns/nameservers`]: nameservers.join('\n'),
    [`${v1}/interfaces/public/0/mac`]: d.publicMac,
    [`${v1}/interfaces/public/0/type`]: 'public',
    [`${v1}/interfaces/public/0/ipv4/address`]: d.publicIp,
    [`${v1}/interfaces/public/0/ipv4/netmask`]: netmask(d.publicPrefixLength),
    [`${v1}/interfaces/public/0/ipv4/gateway`]: d.gateway,
    [`${v1}/interfaces/public/0/anchor_ipv4/address`]: d.anchorIp,
    [`${v1}/interfaces/public/0/anchor_ipv4/netmask`]: netmask(d.anchorPrefixLength),
    [`${v1}/interfaces/public/0/anchor_ipv4/gateway`]: d.anchorGateway,
    ...reservedPaths('reserved_ip'),
    ...reservedPaths('floating_ip'),
  };
  const privateInterfaces: Record<string, unknown>[] = [];
  if (d.privateIp !== undefined && d.privatePrefixLength !== undefined && d.privateMac !== undefined) {
    Object.assign(paths, {
      [`${v1}/interfaces/private/0/mac`]: d.privateMac,
      [`${v1}/interfaces/private/0/type`]: 'private',
      [`${v1}/interfaces/private/0/ipv4/address`]: d.privateIp,
      [`${v1}/interfaces/private/0/ipv4/netmask`]: netmask(d.privatePrefixLength),
    });
    privateInterfaces.push({
      ipv4: { ip_address: d.privateIp, netmask: netmask(d.privatePrefixLength) },
      mac: d.privateMac,
      type: 'private',
    });
  }
  const reservedJson = { ipv4: reserved === undefined ? { active: false } : { active: true, ip_address: reserved } };
  const json = {
    droplet_id: Number(d.id),
    hostname: d.name,
    user_data: input.userData ?? '',
    vendor_data: '',
    public_keys: publicKeys,
    auth_key: '',
    region: d.region,
    interfaces: {
      private: privateInterfaces,
      public: [
        {
          ipv4: { ip_address: d.publicIp, netmask: netmask(d.publicPrefixLength), gateway: d.gateway },
          anchor_ipv4: { ip_address: d.anchorIp, netmask: netmask(d.anchorPrefixLength), gateway: d.anchorGateway },
          mac: d.publicMac,
          type: 'public',
        },
      ],
    },
    floating_ip: reservedJson,
    reserved_ip: reservedJson,
    dns: { nameservers },
    tags: [...d.tags],
    features: {},
  };
  return { paths, json };
}

/** The droplet namespace's nat table sending 169.254.169.254:80 to the server's real port. */
export function renderMetadataNat(port: number = METADATA_SERVER_PORT): string {
  return [
    'table ip tierform_metadata {}',
    'delete table ip tierform_metadata',
    'table ip tierform_metadata {',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${METADATA_ADDRESS} tcp dport 80 dnat to ${METADATA_ADDRESS}:${port}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export interface LabMetadataOptions {
  /** user_data by droplet name. @default none: empty user-data */
  readonly userData?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly publicKeys?: readonly string[];
  /** @see MetadataInput.nameservers */
  readonly nameservers?: readonly string[];
  /** How long each server gets to start. @default 10000 */
  readonly startTimeoutMs?: number;
}

/** The metadata services of every droplet of a lab. */
export class LabMetadata {
  /** Starts one server per droplet and waits until each listens. */
  public static async start(lab: LabNetwork, options: LabMetadataOptions = {}): Promise<LabMetadata> {
    const metadata = new LabMetadata(lab, options);
    await metadata.startAll(options.startTimeoutMs ?? 10_000);
    return metadata;
  }

  private readonly dir: string;
  private readonly userData = new Map<string, string>();
  private readonly servers = new Map<string, LabProcess>();
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly lab: LabNetwork,
    private readonly options: LabMetadataOptions,
  ) {
    this.dir = path.join(lab.dir, 'metadata');
    for (const [name, text] of Object.entries(options.userData ?? {})) {
      this.userData.set(lab.droplet(name).name, text);
    }
    this.unsubscribe = lab.onChange(() => this.refresh());
    lab.addCleanup(() => this.unsubscribe());
  }

  /** The server of each droplet, by droplet name. */
  public get processes(): ReadonlyMap<string, LabProcess> {
    return this.servers;
  }

  /** The answers file of droplet `name`. */
  public answersFile(name: string): string {
    return path.join(this.dir, `${this.lab.droplet(name).name}.json`);
  }

  /** Replaces a droplet's user-data. */
  public setUserData(name: string, text: string): void {
    this.userData.set(this.lab.droplet(name).name, text);
    this.refresh();
  }

  /** Rewrites every droplet's answers from the lab's current state (atomically: write and rename). */
  public refresh(): void {
    if (this.lab.isTornDown) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const held = new Map<string, string>();
    for (const [ip, holder] of [...this.lab.reservedIps()].sort()) {
      if (holder !== undefined && !held.has(holder)) held.set(holder, ip);
    }
    for (const d of this.lab.droplets) {
      const answers = metadataAnswers({
        droplet: d,
        reservedIp: held.get(d.name),
        userData: this.userData.get(d.name),
        publicKeys: this.options.publicKeys,
        nameservers: this.options.nameservers,
      });
      const file = this.answersFile(d.name);
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(answers));
      fs.renameSync(`${file}.tmp`, file);
    }
  }

  /** Starts the service of a droplet created after the others (an apply), with its user_data; waits until it listens. */
  public async addDroplet(name: string, userData: string): Promise<void> {
    const d = this.lab.droplet(name);
    this.userData.set(d.name, userData);
    this.refresh();
    const server = this.startServer(d.name);
    await server.waitForOutput('ready', this.options.startTimeoutMs ?? 10_000);
  }

  /** Stops the service of a droplet about to be destroyed and forgets it. */
  public async removeDroplet(name: string): Promise<void> {
    const server = this.servers.get(name);
    this.servers.delete(name);
    this.userData.delete(name);
    await server?.stop();
    fs.rmSync(this.answersFile(name), { force: true });
  }

  /** Stops the servers (teardown would too). */
  public async stop(): Promise<void> {
    this.unsubscribe();
    await Promise.all([...this.servers.values()].map((p) => p.stop()));
  }

  private async startAll(timeoutMs: number): Promise<void> {
    this.refresh();
    for (const d of this.lab.droplets) this.startServer(d.name);
    await Promise.all([...this.servers.values()].map((s) => s.waitForOutput('ready', timeoutMs)));
  }

  private startServer(name: string): LabProcess {
    this.lab.runOrThrow(name, ['ip', 'addr', 'replace', `${METADATA_ADDRESS}/32`, 'dev', 'lo']);
    this.lab.runOrThrow(name, ['nft', '-f', '-'], { input: renderMetadataNat() });
    const server = this.lab.spawn(
      name,
      [process.execPath, labScript('metadata-server.js'), this.answersFile(name), METADATA_ADDRESS, String(METADATA_SERVER_PORT)],
      {
        name: 'metadata',
      },
    );
    this.servers.set(name, server);
    return server;
  }
}

function netmask(prefixLength: number): string {
  const n = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
