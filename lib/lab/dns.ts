/**
 * The name service files of the lab's namespaces (pure renderers).
 *
 * `ip netns exec <ns> cmd` runs `cmd` in a private mount namespace in which every entry of `/etc/netns/<ns>/`
 * is bind-mounted over the same name in `/etc` — so `/etc/netns/<ns>/hosts` is that namespace's `/etc/hosts` and
 * `/etc/netns/<ns>/resolv.conf` its `resolv.conf` (droplets bind them again over their own /etc, droplet-host.ts).
 * A namespace's hosts file holds localhost and the droplet's hostname, as on a droplet; a booted stage's records
 * are served by the lab's DNS server (dns-server.ts), which every namespace's resolv.conf names. Without one (a
 * bare `LabNetwork`), resolv.conf names 127.0.0.1, where nothing answers: unknown names fail fast.
 *
 * The files are rewritten in place (same inode), so processes already running see new contents: a bind mount
 * pins the inode it was made from.
 */

/** One address record: `name` resolves to `address` (A records; CNAMEs are flattened by the caller). */
export interface HostRecord {
  readonly name: string;
  readonly address: string;
  /** Seconds, as the plan's record says. @default DigitalOcean's 1800 */
  readonly ttl?: number;
  /** The plan's resource (`digitalocean_record.X`) the record comes from, when it comes from a plan. */
  readonly resource?: string;
}

/** DigitalOcean's TTL for a record without `ttl`. */
export const DEFAULT_RECORD_TTL = 1800;

export interface HostsFileInput {
  /** The namespace's own hostname (a droplet's name), resolved to 127.0.1.1 as on Debian/Ubuntu. */
  readonly hostname?: string;
  readonly records: readonly HostRecord[];
  /** A comment line naming the lab. */
  readonly comment?: string;
}

const NAME = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** The text of an /etc/hosts: localhost lines, the hostname, then one line per address (sorted), names sorted. */
export function renderHostsFile(input: HostsFileInput): string {
  const byAddress = new Map<string, Set<string>>();
  for (const r of input.records) {
    validate(r);
    const names = byAddress.get(r.address) ?? new Set<string>();
    names.add(r.name.replace(/\.$/, '').toLowerCase());
    byAddress.set(r.address, names);
  }
  const lines = ['127.0.0.1\tlocalhost'];
  if (input.hostname) lines.push(`127.0.1.1\t${input.hostname}`);
  lines.push('::1\tlocalhost ip6-localhost ip6-loopback', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters');
  if (byAddress.size > 0) {
    lines.push('', `# ${input.comment ?? 'tierform lab'}: records`);
    const addresses = [...byAddress.keys()].sort(compareAddresses);
    for (const address of addresses) lines.push(`${address}\t${[...byAddress.get(address)!].sort().join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf of a lab namespace. With `nameservers` (the lab's DNS server): those, 1 s timeout, 2 attempts. Without:
 * 127.0.0.1, where nothing answers, so unknown names fail at once.
 */
export function renderResolvConf(nameservers: readonly string[] = []): string {
  if (nameservers.length === 0)
    return '# tierform lab: names come from /etc/hosts; no DNS server is reachable\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n';
  return [
    "# tierform lab: the lab's DNS server stands in for DigitalOcean's resolvers (lib/lab/dns-server.ts)",
    ...nameservers.map((n) => `nameserver ${n}`),
    'options timeout:1 attempts:2',
    '',
  ].join('\n');
}

/**
 * A hosts file of the DNS server (dnsmasq reads its `--hostsdir`): one line per address and name, sorted, so that
 * a name with several records answers all of them. Validated as `renderHostsFile` does.
 */
export function renderRecordsFile(records: readonly HostRecord[], comment = 'tierform lab'): string {
  const lines = new Set<string>();
  for (const r of records) {
    validate(r);
    lines.add(`${r.address}\t${r.name.replace(/\.$/, '').toLowerCase()}`);
  }
  const sorted = [...lines].sort((a, b) => {
    const [aa, an] = a.split('\t');
    const [ba, bn] = b.split('\t');
    return an < bn ? -1 : an > bn ? 1 : compareAddresses(aa, ba);
  });
  return `# ${comment}: records\n${sorted.join('\n')}${sorted.length > 0 ? '\n' : ''}`;
}

function validate(r: HostRecord): void {
  if (!NAME.test(r.name)) throw new Error(`hosts record: '${r.name}' is not a valid host name`);
  if (!/^[0-9.]+$/.test(r.address) && !r.address.includes(':')) {
    throw new Error(`hosts record ${r.name}: '${r.address}' is not an IP address`);
  }
}

function compareAddresses(a: string, b: string): number {
  const key = (s: string) =>
    s.includes(':')
      ? `6${s}`
      : `4${s
          .split('.')
          .map((o) => o.padStart(3, '0'))
          .join('.')}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
