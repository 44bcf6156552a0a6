import { Firewall, FirewallInboundRule, FirewallOutboundRule } from '@cdktf/provider-digitalocean/lib/firewall';
import { Tag } from '@cdktf/provider-digitalocean/lib/tag';
import { Construct, IConstruct } from 'constructs';
import { Messages, propError } from '../lib/errors';
import { checkName, coversInternet, isToken, requireProps } from '../lib/validate';
import { AllowedFlow, Connections, FirewallEndpoint } from './connections';
import { OutboundPolicy } from './outbound-policy';
import { Port } from './port';
import { attributeReference } from '../lib/reference';

export interface RoleFirewallProps {
  /** Name of the role's tag and Cloud Firewall, e.g. 'foobar-stage1-web'. */
  readonly name: string;
  /**
   * What the role may send. DigitalOcean firewalls drop every outbound packet not allowed; flows to other
   * roles (`allowTo`/`allowFrom`) get their own rules whenever the policy is not `allowAll()`.
   * @default OutboundPolicy.allowAll()
   */
  readonly outbound?: OutboundPolicy;
  /**
   * The port the role serves on, for `connections.allowDefaultPortFrom()`.
   * @default - none
   */
  readonly defaultPort?: Port;
  /**
   * The role's written-down exception for SSH from anywhere. Without it, rules whose sources together cover the
   * whole internet on tcp/22 are refused, however they were added (`adminCidrs`, `connections.allowFrom(Peer.anywhere(),
   * Port.SSH)`, `Port.allTcp()`, several ranges adding up to everything).
   * @default - refused
   */
  readonly allowSshFromAnywhere?: { readonly reason: string };
}

function endpointKey(port: Port, endpoint: FirewallEndpoint): string {
  return JSON.stringify([port.toString(), endpoint.addresses ?? [], endpoint.tags ?? []]);
}

/**
 * A role's DigitalOcean tag and the Cloud Firewall applied to that tag. Droplets join the role by carrying
 * the tag; rules name other roles by their tags, so scaling a role needs no rule edit.
 */
export class RoleFirewall extends Construct {
  public readonly tag: Tag;
  public readonly resource: Firewall;
  public readonly connections: Connections;
  private outboundPolicy: OutboundPolicy;
  /** The tag's name as a reference, so Terraform creates the tag before anything naming it. */
  public readonly tagName: string;
  private readonly inbound = new Map<string, FirewallInboundRule>();
  /** Outbound rules for flows to other roles and peers, emitted unless the policy allows everything. */
  private readonly outboundFlows = new Map<string, FirewallOutboundRule>();
  private readonly allowed: AllowedFlow[] = [];
  private readonly sshException?: { readonly reason: string };

  constructor(scope: Construct, id: string, props: RoleFirewallProps) {
    super(scope, id);
    props = requireProps(this, props, { name: "Pass the role's name, e.g. 'shop-web'." });
    checkName(this, 'name', props.name);
    this.outboundPolicy = props.outbound ?? OutboundPolicy.allowAll();
    this.sshException = props.allowSshFromAnywhere;
    this.tag = new Tag(this, 'Tag', { name: props.name });
    this.tagName = attributeReference(this.tag, 'name');
    this.resource = new Firewall(this, 'Resource', { name: props.name, tags: [this.tagName] });
    // Connections writes through this narrow view; the rule methods stay private to the firewall.
    this.connections = new Connections({
      defaultPort: props.defaultPort,
      firewall: {
        scope: this,
        tagName: this.tagName,
        flows: this.allowed,
        addInbound: (port, source, peer, description) => this.addInbound(port, source, peer, description),
        addOutbound: (port, destination, peer, description) => this.addOutbound(port, destination, peer, description),
      },
    });
    this.syncOutbound();
  }

  /** True when the role may send anything anywhere (flows need no outbound rules of their own). */
  public get allowsAllOutbound(): boolean {
    return this.outboundPolicy.allowsAll;
  }

  /** Switches the role to a restricted outbound policy; flows already added keep their rules. */
  public restrictOutbound(policy: OutboundPolicy = OutboundPolicy.essential()): void {
    this.outboundPolicy = policy;
    this.syncOutbound();
  }

  public get flows(): AllowedFlow[] {
    return [...this.allowed];
  }

  private addInbound(port: Port, source: FirewallEndpoint, peer: string, description: string): void {
    const key = endpointKey(port, source);
    if (this.inbound.has(key)) return;
    this.inbound.set(key, {
      protocol: port.protocol,
      portRange: port.portRange,
      sourceAddresses: source.addresses,
      sourceTags: source.tags,
    });
    this.allowed.push({ direction: 'inbound', port, peer, description });
    this.resource.putInboundRule([...this.inbound.values()]);
    if (port.covers('tcp', 22)) this.checkSshCoverage();
  }

  /** SSH judged by coverage: the union of every source admitted on tcp/22 must not reach the whole internet. */
  private checkSshCoverage(): void {
    if (this.sshException) return;
    const sources = [...this.inbound.values()]
      .filter((r) => r.protocol === 'tcp' && ruleCoversSsh(r.portRange))
      .flatMap((r) => (r.sourceAddresses === undefined || isToken(r.sourceAddresses) ? [] : (r.sourceAddresses as string[])));
    if (coversInternet(sources)) {
      const role = this.node.scope ?? this;
      throw propError(role, 'connections', 'would admit SSH (tcp/22) from the whole internet', sources, Messages.sshFromAnywhere);
    }
  }

  /** Records an outbound flow; it becomes a rule whenever the policy does not already allow everything. */
  private addOutbound(port: Port, destination: FirewallEndpoint, peer: string, description: string): void {
    const key = endpointKey(port, destination);
    if (this.outboundFlows.has(key)) return;
    this.outboundFlows.set(key, {
      protocol: port.protocol,
      portRange: port.portRange,
      destinationAddresses: destination.addresses,
      destinationTags: destination.tags,
    });
    this.allowed.push({ direction: 'outbound', port, peer, description });
    this.syncOutbound();
  }

  private syncOutbound(): void {
    const rules = new Map<string, FirewallOutboundRule>();
    for (const a of this.outboundPolicy.allowances) {
      rules.set(endpointKey(a.port, { addresses: a.addresses }), {
        protocol: a.port.protocol,
        portRange: a.port.portRange,
        destinationAddresses: a.addresses,
      });
    }
    if (!this.outboundPolicy.allowsAll) {
      for (const [key, rule] of this.outboundFlows) rules.set(key, rule);
    }
    this.resource.putOutboundRule([...rules.values()]);
  }
}

function ruleCoversSsh(portRange: string | undefined): boolean {
  if (portRange === undefined || isToken(portRange)) return false;
  const [from, to] = portRange.split('-').map(Number);
  return from <= 22 && 22 <= (to ?? from);
}

/** Restricts the outbound traffic of every role under `scope` (stage 2's third firewall layer). */
export function restrictOutbound(scope: IConstruct, policy: OutboundPolicy = OutboundPolicy.essential()): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof RoleFirewall) c.restrictOutbound(policy);
  }
}
