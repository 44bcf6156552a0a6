/**
 * Droplet sizes tierform knows, with list prices (USD per month, DigitalOcean pricing page, 2025).
 * vCPUs decide gunicorn's worker count (2n+1); memory decides MySQL's buffer pool.
 */
export interface SizeInfo {
  readonly slug: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
  readonly priceMonthlyUsd: number;
}

function size(slug: string, vcpus: number, memoryMb: number, diskGb: number, priceMonthlyUsd: number): SizeInfo {
  return { slug, vcpus, memoryMb, diskGb, priceMonthlyUsd };
}

export const SIZES: readonly SizeInfo[] = [
  // Basic, regular CPU
  size('s-1vcpu-512mb-10gb', 1, 512, 10, 4),
  size('s-1vcpu-1gb', 1, 1024, 25, 6),
  size('s-1vcpu-2gb', 1, 2048, 50, 12),
  size('s-2vcpu-2gb', 2, 2048, 60, 18),
  size('s-2vcpu-4gb', 2, 4096, 80, 24),
  size('s-4vcpu-8gb', 4, 8192, 160, 48),
  size('s-8vcpu-16gb', 8, 16384, 320, 96),
  // Basic, premium AMD
  size('s-1vcpu-1gb-amd', 1, 1024, 25, 7),
  size('s-1vcpu-2gb-amd', 1, 2048, 50, 14),
  size('s-2vcpu-2gb-amd', 2, 2048, 60, 21),
  size('s-2vcpu-4gb-amd', 2, 4096, 80, 28),
  size('s-2vcpu-8gb-amd', 2, 8192, 100, 42),
  size('s-4vcpu-8gb-amd', 4, 8192, 160, 56),
  size('s-4vcpu-16gb-amd', 4, 16384, 200, 84),
  size('s-8vcpu-16gb-amd', 8, 16384, 320, 112),
  // Basic, premium Intel
  size('s-1vcpu-1gb-intel', 1, 1024, 25, 7),
  size('s-1vcpu-2gb-intel', 1, 2048, 50, 14),
  size('s-2vcpu-2gb-intel', 2, 2048, 60, 21),
  size('s-2vcpu-4gb-intel', 2, 4096, 80, 28),
  size('s-4vcpu-8gb-intel', 4, 8192, 160, 56),
  size('s-8vcpu-16gb-intel', 8, 16384, 320, 112),
  // General purpose
  size('g-2vcpu-8gb', 2, 8192, 25, 63),
  size('g-4vcpu-16gb', 4, 16384, 50, 126),
  size('g-8vcpu-32gb', 8, 32768, 100, 252),
  // CPU-optimized
  size('c-2', 2, 4096, 25, 42),
  size('c-4', 4, 8192, 50, 84),
  size('c-8', 8, 16384, 100, 168),
  // Memory-optimized
  size('m-2vcpu-16gb', 2, 16384, 50, 84),
  size('m-4vcpu-32gb', 4, 32768, 100, 168),
];

export const SIZE_SLUGS: readonly string[] = SIZES.map((s) => s.slug);

export function findSize(slug: string): SizeInfo | undefined {
  return SIZES.find((s) => s.slug === slug);
}

/** Block storage volumes, USD per GiB per month. */
export const VOLUME_PRICE_PER_GIB_MONTHLY_USD = 0.1;
/** Weekly droplet backups cost this fraction of the droplet price. */
export const BACKUP_PRICE_FRACTION = 0.2;
