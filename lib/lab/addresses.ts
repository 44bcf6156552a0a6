/**
 * IPv4 arithmetic of the lab (pure): networks as `[network address, prefix length]`, host addresses by offset,
 * and the droplets' MAC addresses.
 */
import * as ipaddr from 'ipaddr.js';
import { LabError } from './lab-error';

export type V4Network = [ipaddr.IPv4, number];

export function parseV4Cidr(cidr: string, what: string): V4Network {
  if (!ipaddr.IPv4.isValidCIDR(cidr)) throw new LabError(`${what}: '${cidr}' is not an IPv4 CIDR`);
  const [, bits] = ipaddr.IPv4.parseCIDR(cidr);
  return [ipaddr.IPv4.networkAddressFromCIDR(cidr), bits];
}

export function toInt(ip: ipaddr.IPv4): number {
  return ip.octets.reduce((n, o) => n * 256 + o, 0);
}

export function fromInt(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function hostAddress([network, bits]: V4Network, offset: number): string {
  if (offset >= 2 ** (32 - bits) - 1) throw new LabError(`${network.toString()}/${bits} has no host ${offset}`);
  return fromInt(toInt(network) + offset);
}

/** The host address at `offset` in `cidr` (203.0.113.0/24, 10 → 203.0.113.10). */
export function hostAt(cidr: string, offset: number): string {
  return hostAddress(parseV4Cidr(cidr, 'network'), offset);
}

export function inRange(ip: string, [network, bits]: V4Network, what: string): void {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) throw new LabError(`${what}: '${ip}' is not an IPv4 address`);
  const addr = ipaddr.IPv4.parse(ip);
  const size = 2 ** (32 - bits);
  const offset = toInt(addr) - toInt(network);
  if (!addr.match(network, bits) || offset === 0 || offset === size - 1) {
    throw new LabError(`${what}: ${ip} is not a host address of ${network.toString()}/${bits}`);
  }
}

export function sameOffset(ip: string, from: V4Network, to: V4Network): string {
  return hostAddress(to, toInt(ipaddr.IPv4.parse(ip)) - toInt(from[0]));
}

export function overlaps(a: V4Network, b: V4Network): boolean {
  return a[0].match(b[0], b[1]) || b[0].match(a[0], a[1]);
}

export function compareIp(a: string, b: string): number {
  return toInt(ipaddr.IPv4.parse(a)) - toInt(ipaddr.IPv4.parse(b));
}

/** Locally administered, unique per droplet and interface: 02:74:66 ("tf"), droplet index, interface. */
export function mac(index: number, iface: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return ['02', '74', '66', hex((index >> 8) & 255), hex(index & 255), hex(iface)].join(':');
}
