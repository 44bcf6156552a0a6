import { IConstruct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { isToken } from '../lib/validate';

export type Protocol = 'tcp' | 'udp' | 'icmp';

/**
 * A protocol and port range, as DigitalOcean Cloud Firewalls understand them: tcp, udp or icmp only
 * (everything else, e.g. VRRP, cannot be allowed and is dropped).
 *
 *   db.connections.allowFrom(web, Port.tcp(3306));
 */
export class Port {
  /** SSH, tcp/22. */
  public static readonly SSH = Port.tcp(22);
  /** HTTP, tcp/80. */
  public static readonly HTTP = Port.tcp(80);
  /** HTTPS, tcp/443. */
  public static readonly HTTPS = Port.tcp(443);
  /** MySQL and MariaDB, tcp/3306. */
  public static readonly MYSQL = Port.tcp(3306);

  public static tcp(port: number): Port {
    return new Port('tcp', port, port);
  }

  public static tcpRange(from: number, to: number): Port {
    return new Port('tcp', from, to);
  }

  public static allTcp(): Port {
    return new Port('tcp', 1, 65535);
  }

  public static udp(port: number): Port {
    return new Port('udp', port, port);
  }

  public static udpRange(from: number, to: number): Port {
    return new Port('udp', from, to);
  }

  public static allUdp(): Port {
    return new Port('udp', 1, 65535);
  }

  public static icmp(): Port {
    return new Port('icmp');
  }

  private constructor(
    public readonly protocol: Protocol,
    public readonly from?: number,
    public readonly to?: number,
  ) {}

  /** DigitalOcean's `port_range`: '80', '8000-8010', or undefined for icmp. */
  public get portRange(): string | undefined {
    if (this.protocol === 'icmp') return undefined;
    return this.from === this.to ? `${this.from}` : `${this.from}-${this.to}`;
  }

  /** 'tcp/80', 'udp/1-65535', 'icmp' */
  public toString(): string {
    return this.protocol === 'icmp' ? 'icmp' : `${this.protocol}/${this.portRange}`;
  }

  /** True when this port range includes `port` of the same protocol. */
  public covers(protocol: Protocol, port: number): boolean {
    if (protocol !== this.protocol) return false;
    if (protocol === 'icmp') return true;
    return port >= this.from! && port <= this.to!;
  }

  /** Throws, naming `scope` and `prop`, unless the range is integers within 1..65535 in order. */
  public validate(scope: IConstruct, prop: string): this {
    if (this.protocol === 'icmp') return this;
    for (const [name, value] of [
      ['from', this.from],
      ['to', this.to],
    ] as const) {
      if (isToken(value)) continue;
      if (!Number.isInteger(value) || value! < 1 || value! > 65535) {
        throw propError(
          scope,
          prop,
          `has ${this.protocol} port ${name === 'from' && this.from === this.to ? '' : `${name} `}out of range`.replace('  ', ' '),
          value,
          Messages.portRange,
        );
      }
    }
    if (this.from! > this.to!) {
      throw propError(scope, prop, 'has a port range that ends before it starts', `${this.from}-${this.to}`, 'Pass the lower port first.');
    }
    return this;
  }
}
