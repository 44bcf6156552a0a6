import { IConstruct } from 'constructs';
import { Messages, propError, scopeError } from '../lib/errors';
import { isToken, parseCidr } from '../lib/validate';
import { Port } from './port';

/** A source or destination in DigitalOcean firewall terms. */
export interface FirewallEndpoint {
  readonly addresses?: string[];
  readonly tags?: string[];
}

/** Something a firewall rule can name: addresses, or a role's tag. */
export interface IPeer {
  /** For reports and error messages, e.g. 'tag foobar-web' or '203.0.113.7/32'. */
  readonly peerDescription: string;
  toFirewallEndpoint(): FirewallEndpoint;
}

/** Anything with a firewall of its own: WebTier, PrimaryReplicaMysql, HaproxyLoadBalancer, ... */
export interface IConnectable {
  readonly connections: Connections;
}

class AddressPeer implements IPeer {
  constructor(
    private readonly addresses: string[],
    public readonly peerDescription: string,
  ) {}

  public toFirewallEndpoint(): FirewallEndpoint {
    return { addresses: [...this.addresses] };
  }
}

class TagPeer implements IPeer {
  constructor(private readonly tag: string) {}

  public get peerDescription(): string {
    return `tag ${this.tag}`;
  }

  public toFirewallEndpoint(): FirewallEndpoint {
    return { tags: [this.tag] };
  }
}

/** Factories for peers that are not tierform constructs. */
export class Peer {
  /** An IPv4 or IPv6 CIDR block, e.g. '203.0.113.7/32'. Checked when used in a rule. */
  public static cidr(cidr: string): IPeer {
    return new AddressPeer([cidr], cidr);
  }

  /** Several CIDR blocks, or a token list (e.g. a Terraform variable `admin_cidrs`). */
  public static cidrs(cidrs: string[]): IPeer {
    return new AddressPeer(cidrs, isToken(cidrs) ? 'addresses from a variable' : cidrs.join(', '));
  }

  /** The whole IPv4 and IPv6 internet. */
  public static anywhere(): IPeer {
    return new AddressPeer(['0.0.0.0/0', '::/0'], 'anywhere');
  }

  /** Droplets carrying a DigitalOcean tag. */
  public static tag(tag: string): IPeer {
    return new TagPeer(tag);
  }

  private constructor() {}
}

function isConnectable(x: IConnectable | IPeer): x is IConnectable {
  return (x as IConnectable).connections instanceof Connections;
}

/**
 * Where a `Connections` writes its rules: a role's Cloud Firewall. `RoleFirewall` provides one; anything else that
 * owns a DigitalOcean firewall by tag can too. Connections depends on this interface only, not on the firewall class.
 */
export interface IFirewallRules {
  /** The construct the rules belong to, named in error messages. */
  readonly scope: IConstruct;
  /** The tag (a reference) that sources and destinations of other roles' rules name. */
  readonly tagName: string;
  /** Every flow allowed so far, in the order they were added. */
  readonly flows: readonly AllowedFlow[];
  /** Allows `port` from `source` into the role. */
  addInbound(port: Port, source: FirewallEndpoint, peer: string, description: string): void;
  /** Records an outbound flow (a rule once the role's outbound traffic is restricted). */
  addOutbound(port: Port, destination: FirewallEndpoint, peer: string, description: string): void;
}

export interface ConnectionsProps {
  /** The firewall the rules are written to. */
  readonly firewall: IFirewallRules;
  /**
   * The port the role serves on (HTTP for a web tier, 3306 for MySQL), for `allowDefaultPortFrom()`.
   * @default - none: allowDefaultPortFrom() throws
   */
  readonly defaultPort?: Port;
}

/** One allowed flow, for reports and tests. */
export interface AllowedFlow {
  readonly direction: 'inbound' | 'outbound';
  readonly port: Port;
  readonly peer: string;
  readonly description: string;
}

/**
 * The firewall side of a networked construct (after aws-cdk's ec2 `Connections`).
 * `db.connections.allowFrom(web, Port.tcp(3306))` adds an inbound rule to the database role's Cloud
 * Firewall whose source is the web role's tag, so droplets added to either role later need no edit.
 */
export class Connections implements IPeer {
  /** The port the role serves on, when it has one. */
  public readonly defaultPort?: Port;
  private readonly firewall: IFirewallRules;

  constructor(props: ConnectionsProps) {
    this.firewall = props.firewall;
    this.defaultPort = props.defaultPort;
  }

  public get peerDescription(): string {
    return `tag ${this.firewall.tagName}`;
  }

  public toFirewallEndpoint(): FirewallEndpoint {
    return { tags: [this.firewall.tagName] };
  }

  /** Allows traffic on `port` from `other` (a tierform construct or a Peer) into this role. */
  public allowFrom(other: IConnectable | IPeer, port: Port, description = ''): void {
    port.validate(this.firewall.scope, 'port');
    const peer = isConnectable(other) ? other.connections : other;
    this.checkPeer(peer);
    this.firewall.addInbound(port, peer.toFirewallEndpoint(), peer.peerDescription, description);
    if (isConnectable(other)) {
      // Recorded on the source too: emitted as a rule once the source's outbound traffic is restricted.
      other.connections.firewall.addOutbound(port, this.toFirewallEndpoint(), this.peerDescription, description);
    }
  }

  /** Allows `other` to reach this role on its default port (`db.connections.allowDefaultPortFrom(app)`). */
  public allowDefaultPortFrom(other: IConnectable | IPeer, description = ''): void {
    this.allowFrom(other, this.requireDefaultPort('allowDefaultPortFrom'), description);
  }

  /** Allows this role to reach `other` on `other`'s default port. */
  public allowToDefaultPort(other: IConnectable, description = ''): void {
    other.connections.allowDefaultPortFrom(this.asConnectable(), description);
  }

  /** Allows traffic on `port` from this role to `other`: the mirror of `other.connections.allowFrom(this)`. */
  public allowTo(other: IConnectable | IPeer, port: Port, description = ''): void {
    if (isConnectable(other)) {
      other.connections.allowFrom(this.asConnectable(), port, description);
      return;
    }
    port.validate(this.firewall.scope, 'port');
    this.checkPeer(other);
    this.firewall.addOutbound(port, other.toFirewallEndpoint(), other.peerDescription, description);
  }

  /** Allows the role's droplets to talk to each other on `port`. */
  public allowInternally(port: Port, description = ''): void {
    this.allowFrom(this.asConnectable(), port, description);
  }

  /** Every flow allowed so far, in the order they were added. */
  public get flows(): AllowedFlow[] {
    return [...this.firewall.flows];
  }

  /** The construct owning these connections, for error messages. */
  public get scope(): IConstruct {
    return this.firewall.scope;
  }

  private requireDefaultPort(method: string): Port {
    if (this.defaultPort === undefined) {
      throw scopeError(this.firewall.scope, `${method}() needs a default port, and this role has none: call allowFrom(other, Port.tcp(<port>)).`);
    }
    return this.defaultPort;
  }

  private asConnectable(): IConnectable {
    return { connections: this };
  }

  private checkPeer(peer: IPeer): void {
    const endpoint = peer.toFirewallEndpoint();
    if (endpoint.addresses && !isToken(endpoint.addresses)) {
      for (const cidr of endpoint.addresses) {
        if (!isToken(cidr) && !parseCidr(cidr)) {
          throw propError(this.firewall.scope, 'peer', 'is not a valid CIDR block', cidr, Messages.cidrInvalid);
        }
      }
    }
  }
}
