/** Fixtures for construct tests: a stack with a provider and a VPC, and synthesized JSON access. */
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';
import { Dns } from '../../constructs/dns';
import { Vpc } from '../../constructs/vpc';
import type { WriteFile } from '../../lib/plan/cloud-config';

export const SSH_KEYS = ['3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa'];
export const ADMIN = ['203.0.113.7/32'];

/** The zone of test stacks built with `testStack({ dns: true })`: internal names end in `.internal.<TEST_ZONE>`. */
export const TEST_ZONE = 'site.example';

/**
 * A stack with a provider and a VPC; with `dns: true` also a Dns zone, which roles need as soon as a peer finds
 * them by name (a load balancer's backends, an app's database, monitoring).
 */
export function testStack(options: { readonly dns?: boolean } = {}): { stack: TerraformStack; vpc: Vpc; dns?: Dns } {
  const stack = new TerraformStack(Testing.app(), 'test');
  new DigitaloceanProvider(stack, 'do', {});
  const vpc = new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'test-vpc', ipRange: '10.20.0.0/20' });
  const dns = options.dns ? new Dns(stack, 'Dns', { domain: TEST_ZONE }) : undefined;
  return { stack, vpc, dns };
}

export type Json = any;

export function synthJson(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack));
}

/** Resources of one type as an array of their attributes. */
export function resources(json: Json, type: string): Json[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The user_data of the droplet with this name, with Terraform's escaping undone for literal text. */
export function userData(json: Json, dropletName: string): string {
  const droplet = resources(json, 'digitalocean_droplet').find((d: Json) => d.name === dropletName);
  if (!droplet) throw new Error(`no droplet named ${dropletName}`);
  return droplet.user_data as string;
}

/**
 * A `write_files` entry as it stands in user_data: raw, so `content` is not decoded (`encoding: b64` stays base64)
 * and a key cloud-init defaults (permissions, owner, defer) is absent when we did not write it. The decoded view
 * with defaults filled in is lib/plan/cloud-config.ts's `WriteFile` (parseCloudConfig).
 */
export type RawWriteFile = Pick<WriteFile, 'path' | 'content'> &
  Partial<Pick<WriteFile, 'permissions' | 'owner' | 'defer'>> & { readonly encoding?: string };

/** Every `write_files` entry of a user_data text (the cloud-config YAML), raw (see RawWriteFile). */
export type Files = RawWriteFile[];

/** The raw `write_files` of a user_data text (`userData(json, name)`), in order. */
export function writeFilesOf(userDataText: string): Files {
  return parse(userDataText).write_files as Files;
}

/**
 * A set-typed attribute (firewall rules, droplet tags) in a canonical order: Terraform compares them as sets, so
 * tests do too — `expect(asSet(fw.inbound_rule)).toEqual(asSet([...]))`.
 */
export function asSet<T>(values: readonly T[]): T[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
