/**
 * DigitalOcean's edge in the lab: the internet namespace's nftables table mapping reserved IPs to their holders'
 * anchor IPs (see netns.ts for the topology). Pure.
 */
import { compareIp } from './addresses';

/** One reserved IP and the anchor IP of its holder (undefined: unassigned). */
export interface EdgeEntry {
  readonly ip: string;
  readonly anchorIp?: string;
  /** The holder's public IP: its own connections to the reserved IP are hairpinned (see below). */
  readonly holderPublicIp?: string;
}

/**
 * The internet namespace's nftables table: DNAT each assigned reserved IP to its holder's anchor IP; reset
 * (tcp) or drop flows still established to a previous holder; drop what is sent to an unassigned one.
 * The holder's own connections to its reserved IP come back to it with its own public IP as source, which
 * Linux drops as a martian (and its reply would not return through the edge): they are SNATed to the anchor
 * gateway, as routers do for "NAT loopback". Deterministic; replaces the table atomically with `nft -f`.
 */
export function renderEdgeRuleset(entries: readonly EdgeEntry[], anchorGateway: string): string {
  const sorted = [...entries].sort((a, b) => compareIp(a.ip, b.ip));
  const dnat = sorted.filter((e) => e.anchorIp !== undefined).map((e) => `    ip daddr ${e.ip} dnat to ${e.anchorIp}`);
  const hairpin = [
    ...new Set(
      sorted
        .filter((e) => e.anchorIp !== undefined && e.holderPublicIp !== undefined)
        .map((e) => `    ip saddr ${e.holderPublicIp} ip daddr ${e.anchorIp} ct status dnat snat to ${anchorGateway}`),
    ),
  ];
  const stale = sorted.flatMap((e) => {
    const match = e.anchorIp === undefined ? `ct original ip daddr ${e.ip}` : `ct original ip daddr ${e.ip} ct reply ip saddr != ${e.anchorIp}`;
    return [`    ${match} meta l4proto tcp reject with tcp reset`, `    ${match} drop`];
  });
  const all = sorted.map((e) => e.ip);
  return [
    'table ip tierform_edge {}',
    'delete table ip tierform_edge',
    'table ip tierform_edge {',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...dnat,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    ...hairpin,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    ...stale,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    ...(all.length > 0 ? [`    ip daddr { ${all.join(', ')} } drop`] : []),
    '  }',
    '}',
    '',
  ].join('\n');
}
