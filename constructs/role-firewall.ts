import { Firewall, FirewallInboundRule, FirewallOutboundRule } from '@cdktf/provider-digitalocean/lib/firewall';
import { Tag } from '@cdktf/provider-digitalocean/lib/tag';
import { Construct } from 'constructs';
import { checkName } from '../lib/validate';
import { AllowedFlow, Connections, FirewallEndpoint } from './connections';
import { Port } from './port';

export interface RoleFirewallProps {
  /** Name of the role's tag and Cloud Firewall, e.g. 'foobar-stage1-web'. */
  readonly name: string;
  /**
   * Allow all outbound tcp/udp/icmp. DigitalOcean firewalls drop every outbound packet not allowed, so
   * without this the role needs explicit outbound rules (added by `allowTo`/`allowFrom` between roles).
   * @default true
   */
  readonly allowAllOutbound?: boolean;
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
  public readonly allowsAllOutbound: boolean;
  /** The tag's name as a reference, so Terraform creates the tag before anything naming it. */
  public readonly tagName: string;
  private readonly inbound = new Map<string, FirewallInboundRule>();
  private readonly outbound = new Map<string, FirewallOutboundRule>();
  private readonly allowed: AllowedFlow[] = [];

  constructor(scope: Construct, id: string, props: RoleFirewallProps) {
    super(scope, id);
    checkName(this, 'name', props.name);
    this.allowsAllOutbound = props.allowAllOutbound ?? true;
    this.tag = new Tag(this, 'Tag', { name: props.name });
    this.tagName = this.tag.name;
    this.resource = new Firewall(this, 'Resource', { name: props.name, tags: [this.tagName] });
    this.connections = new Connections(this);
    if (this.allowsAllOutbound) {
      const anywhere = { addresses: ['0.0.0.0/0', '::/0'] };
      for (const port of [Port.allTcp(), Port.allUdp(), Port.icmp()]) {
        this.addOutboundRule(port, anywhere, 'anywhere', 'all outbound');
      }
    }
  }

  public get flows(): AllowedFlow[] {
    return [...this.allowed];
  }

  public addInboundRule(port: Port, source: FirewallEndpoint, peer: string, description: string): void {
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
  }

  public addOutboundRule(port: Port, destination: FirewallEndpoint, peer: string, description: string): void {
    const key = endpointKey(port, destination);
    if (this.outbound.has(key)) return;
    this.outbound.set(key, {
      protocol: port.protocol,
      portRange: port.portRange,
      destinationAddresses: destination.addresses,
      destinationTags: destination.tags,
    });
    this.allowed.push({ direction: 'outbound', port, peer, description });
    this.resource.putOutboundRule([...this.outbound.values()]);
  }
}
