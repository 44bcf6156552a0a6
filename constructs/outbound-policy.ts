import { Port } from './port';

/** An outbound rule before it names a destination: a port range to a list of CIDRs. */
export interface OutboundAllowance {
  readonly port: Port;
  readonly addresses: string[];
  readonly description: string;
}

const ANYWHERE = ['0.0.0.0/0', '::/0'];

/**
 * What a role's droplets may send beyond the flows to other roles. DigitalOcean drops every outbound packet a
 * Cloud Firewall does not allow, so a restricted policy must still list what a droplet needs to live: DNS,
 * NTP, and HTTP/HTTPS (package mirrors, Let's Encrypt, the DigitalOcean API).
 */
export class OutboundPolicy {
  /** Everything: tcp and udp on every port, and icmp (the default). */
  public static allowAll(): OutboundPolicy {
    return new OutboundPolicy(true, [
      { port: Port.allTcp(), addresses: ANYWHERE, description: 'all outbound tcp' },
      { port: Port.allUdp(), addresses: ANYWHERE, description: 'all outbound udp' },
      { port: Port.icmp(), addresses: ANYWHERE, description: 'all outbound icmp' },
    ]);
  }

  /** DNS, NTP, HTTP and HTTPS to anywhere, icmp, plus the flows to other roles. */
  public static essential(): OutboundPolicy {
    return new OutboundPolicy(false, [
      { port: Port.udp(53), addresses: ANYWHERE, description: 'DNS' },
      { port: Port.tcp(53), addresses: ANYWHERE, description: 'DNS over TCP' },
      { port: Port.udp(123), addresses: ANYWHERE, description: 'NTP' },
      { port: Port.tcp(80), addresses: ANYWHERE, description: 'package mirrors (HTTP)' },
      { port: Port.tcp(443), addresses: ANYWHERE, description: 'HTTPS: mirrors, Let\u2019s Encrypt, DigitalOcean API' },
      { port: Port.icmp(), addresses: ANYWHERE, description: 'icmp (path MTU discovery, ping)' },
    ]);
  }

  /** Only the flows to other roles (added through Connections). */
  public static none(): OutboundPolicy {
    return new OutboundPolicy(false, []);
  }

  private constructor(
    /** True when the policy already allows every destination, so flows need no rules of their own. */
    public readonly allowsAll: boolean,
    public readonly allowances: readonly OutboundAllowance[],
  ) {}
}
