/**
 * DigitalOcean regions that accept new droplets, VPCs, volumes and reserved IPs.
 * (nyc2, sfo1 and ams2 are closed to new resources and are deliberately absent.)
 */
export interface RegionInfo {
  readonly slug: string;
  readonly city: string;
}

export const REGIONS: readonly RegionInfo[] = [
  { slug: 'nyc1', city: 'New York 1' },
  { slug: 'nyc3', city: 'New York 3' },
  { slug: 'sfo2', city: 'San Francisco 2' },
  { slug: 'sfo3', city: 'San Francisco 3' },
  { slug: 'tor1', city: 'Toronto 1' },
  { slug: 'atl1', city: 'Atlanta 1' },
  { slug: 'ams3', city: 'Amsterdam 3' },
  { slug: 'lon1', city: 'London 1' },
  { slug: 'fra1', city: 'Frankfurt 1' },
  { slug: 'blr1', city: 'Bangalore 1' },
  { slug: 'sgp1', city: 'Singapore 1' },
  { slug: 'syd1', city: 'Sydney 1' },
];

export const REGION_SLUGS: readonly string[] = REGIONS.map((r) => r.slug);

export function isKnownRegion(slug: string): boolean {
  return REGION_SLUGS.includes(slug);
}
