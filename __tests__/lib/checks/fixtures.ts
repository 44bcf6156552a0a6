/** Hand-written Terraform JSON for rule tests: what a user could write with the raw provider resources. */
import { stringify } from 'yaml';
import { Compliance, Rule, StackView, complianceOf } from '../../../lib/checks';

type Attrs = Record<string, unknown>;

/** A stack view over `resource` (type → logical id → attributes) and optional variables. */
export function view(
  resource: Record<string, Record<string, Attrs>>,
  variable: Record<string, Attrs> = {},
  now = new Date('2026-06-01T00:00:00Z'),
): StackView {
  return new StackView({ resource, variable }, { now });
}

/** The rule's verdict on one element. */
export function outcome(rule: Rule, v: StackView, address: string): { compliance: Compliance; findings: readonly string[] } {
  const element = v.element(address);
  if (!element) throw new Error(`no ${address} in the fixture`);
  return complianceOf(rule(element, v));
}

export const COMPLIANT = { compliance: Compliance.COMPLIANT, findings: [] };
export const NOT_APPLICABLE = { compliance: Compliance.NOT_APPLICABLE, findings: [] };
/** Non-compliant with at least one finding matching each pattern. */
export function nonCompliant(...patterns: RegExp[]): unknown {
  return { compliance: Compliance.NON_COMPLIANT, findings: expect.arrayContaining(patterns.map((p) => expect.stringMatching(p))) };
}

export function cloudConfig(doc: Record<string, unknown>): string {
  return `#cloud-config\n${stringify(doc)}`;
}

export function droplet(over: Attrs = {}): Attrs {
  return {
    name: 'web-1',
    image: 'ubuntu-24-04-x64',
    size: 's-1vcpu-1gb',
    region: 'nyc3',
    ssh_keys: ['3b:16:bf:e4'],
    monitoring: true,
    tags: ['${digitalocean_tag.web.name}'],
    ...over,
  };
}

export const WEB_TAG = { web: { name: 'web' } };

/** A firewall for the `web` tag admitting `inbound` ([protocol, port, addresses]) and sending anywhere. */
export function firewall(inbound: [string, string, string[]][], over: Attrs = {}): Attrs {
  return {
    name: 'web',
    tags: ['${digitalocean_tag.web.name}'],
    inbound_rule: inbound.map(([protocol, port_range, source_addresses]) => ({ protocol, port_range, source_addresses })),
    outbound_rule: [{ protocol: 'tcp', port_range: '53', destination_addresses: ['0.0.0.0/0', '::/0'] }],
    ...over,
  };
}

export function container(over: Attrs = {}): Attrs {
  return {
    name: 'app',
    image: '${docker_image.app.image_id}',
    memory: 512,
    healthcheck: { test: ['CMD', 'curl', '-f', 'http://localhost:8000/health'], interval: '30s', timeout: '10s', retries: 3 },
    log_driver: 'local',
    ...over,
  };
}

export const APP_IMAGE = { app: { name: 'registry.example/app:1.4.2' } };
