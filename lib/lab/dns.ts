/**
 * Name resolution in the lab, without a DNS server: every namespace gets its own `/etc/hosts`.
 *
 * `ip netns exec <ns> cmd` runs `cmd` in a private mount namespace in which every entry of `/etc/netns/<ns>/`
 * is bind-mounted over the same name in `/etc` — so `/etc/netns/<ns>/hosts` is that namespace's `/etc/hosts`,
 * and glibc (nsswitch `hosts: files dns`) answers lab names from it. The lab also gives each namespace a
 * `resolv.conf` naming 127.0.0.1 with a 1 s timeout, so a name the lab does not know fails fast inside the
 * lab instead of asking the host's resolver (the lab has no route out anyway).
 *
 * The files are rewritten in place (same inode), so processes already running see new records: a bind mount
 * pins the inode it was made from.
 */

/** One address record: `name` resolves to `address` (A records; CNAMEs are flattened by the caller). */
export interface HostRecord {
  readonly name: string;
  readonly address: string;
}

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
    if (!NAME.test(r.name)) throw new Error(`hosts record: '${r.name}' is not a valid host name`);
    if (!/^[0-9.]+$/.test(r.address) && !r.address.includes(':')) {
      throw new Error(`hosts record ${r.name}: '${r.address}' is not an IP address`);
    }
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

/** resolv.conf of a lab namespace: nothing answers on 127.0.0.1:53, so unknown names fail at once. */
export function renderResolvConf(): string {
  return '# tierform lab: names come from /etc/hosts; no DNS server is reachable\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n';
}

function compareAddresses(a: string, b: string): number {
  const key = (s: string) => (s.includes(':') ? `6${s}` : `4${s.split('.').map((o) => o.padStart(3, '0')).join('.')}`);
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
