/**
 * Synth-time checks shared by the constructs. Each throws a TierformError naming the construct path, the
 * prop, the value received and the fix. Values that are tokens (unknown until deploy) are never judged.
 */
import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import * as ipaddr from 'ipaddr.js';
import { REGION_SLUGS, isKnownRegion } from './catalog/regions';
import { SIZE_SLUGS, SizeInfo, findSize } from './catalog/sizes';
import { Messages, propError } from './errors';

export function isToken(value: unknown): boolean {
  return Token.isUnresolved(value);
}

export function checkInteger(scope: IConstruct, prop: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (isToken(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    const problem = max === Number.MAX_SAFE_INTEGER ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`;
    const fix = max === Number.MAX_SAFE_INTEGER ? Messages.countAtLeast(min) : Messages.integerRange(min, max);
    throw propError(scope, prop, problem, value, fix);
  }
  return value;
}

export function checkRegion(scope: IConstruct, prop: string, region: string): string {
  if (isToken(region)) return region;
  if (!isKnownRegion(region)) {
    throw propError(scope, prop, 'is not a DigitalOcean region that accepts new droplets', region, Messages.regionUnknown(REGION_SLUGS));
  }
  return region;
}

/** Returns the size's catalog entry, or undefined when the size is a token. */
export function checkSize(scope: IConstruct, prop: string, size: string): SizeInfo | undefined {
  if (isToken(size)) return undefined;
  const info = findSize(size);
  if (!info) {
    throw propError(scope, prop, 'is not a known droplet size slug', size, Messages.sizeUnknown(SIZE_SLUGS));
  }
  return info;
}

export function parseCidr(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  if (typeof cidr !== 'string' || !cidr.includes('/')) return undefined;
  // Pick the family first: ipaddr.parseCIDR tries IPv6, throws, then IPv4, and each throw captures a stack.
  const family = cidr.includes(':') ? ipaddr.IPv6 : ipaddr.IPv4;
  return family.isValidCIDR(cidr) ? family.parseCIDR(cidr) : undefined;
}

export function checkCidr(scope: IConstruct, prop: string, cidr: string): string {
  if (isToken(cidr)) return cidr;
  if (!parseCidr(cidr)) {
    throw propError(scope, prop, 'is not a valid CIDR block', cidr, Messages.cidrInvalid);
  }
  return cidr;
}

export function isAnywhere(cidr: string): boolean {
  const parsed = parseCidr(cidr);
  return parsed !== undefined && parsed[1] === 0;
}

const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i;
const KEY_ID = /^[0-9]+$/;

export function checkSshKeys(scope: IConstruct, prop: string, keys: readonly string[] | undefined): string[] {
  if (isToken(keys)) return keys as string[];
  if (!keys || keys.length === 0) {
    throw propError(scope, prop, 'must list at least one SSH key', keys ?? [], Messages.sshKeysMissing);
  }
  for (const key of keys) {
    if (!isToken(key) && !(FINGERPRINT.test(key) || KEY_ID.test(key))) {
      throw propError(scope, prop, 'contains something that is neither an SSH key fingerprint nor a key id', key, Messages.sshKeyFormat);
    }
  }
  return [...keys];
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function checkDomain(scope: IConstruct, prop: string, domain: string): string {
  if (isToken(domain)) return domain;
  const labels = typeof domain === 'string' ? domain.split('.') : [];
  const ok =
    typeof domain === 'string' &&
    domain.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    /[a-z]/i.test(labels[labels.length - 1]);
  if (!ok) {
    throw propError(scope, prop, 'is not a fully qualified domain name', domain, Messages.domainInvalid);
  }
  return domain;
}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Names that become parts of hostnames and tags. */
export function checkName(scope: IConstruct, prop: string, name: string): string {
  if (isToken(name)) return name;
  if (typeof name !== 'string' || !NAME.test(name) || name.endsWith('-')) {
    throw propError(scope, prop, 'is not a valid name (max 40 characters)', name, Messages.nameInvalid);
  }
  return name;
}

/** An exception to a secure default must carry a reason. */
export function checkReason(scope: IConstruct, prop: string, exception: { readonly reason: string } | undefined): void {
  if (exception !== undefined && (typeof exception.reason !== 'string' || exception.reason.trim() === '')) {
    throw propError(scope, `${prop}.reason`, 'must explain the exception', exception.reason, Messages.reasonRequired);
  }
}
