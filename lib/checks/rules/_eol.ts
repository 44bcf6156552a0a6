/**
 * Internal: end-of-life dates (end of standard/security support) of the base images and runtimes rules meet most.
 * Sources: the projects' own release pages (Ubuntu, Debian, CentOS, Python, Node.js, nginx, MariaDB, MySQL,
 * PostgreSQL). Unknown versions are never judged.
 */
export const EOL: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ubuntu: {
    '14.04': '2019-04-30',
    '16.04': '2021-04-30',
    '18.04': '2023-05-31',
    '20.04': '2025-05-31',
    '22.04': '2027-04-30',
    '24.04': '2029-04-30',
    '20.10': '2021-07-22',
    '21.04': '2022-01-20',
    '21.10': '2022-07-14',
    '22.10': '2023-07-20',
    '23.04': '2024-01-25',
    '23.10': '2024-07-11',
    '24.10': '2025-07-10',
    '25.04': '2026-01-15',
    trusty: '2019-04-30',
    xenial: '2021-04-30',
    bionic: '2023-05-31',
    focal: '2025-05-31',
    jammy: '2027-04-30',
    noble: '2029-04-30',
  },
  debian: {
    '8': '2020-06-30',
    '9': '2022-06-30',
    '10': '2024-06-30',
    '11': '2026-08-31',
    '12': '2028-06-30',
    jessie: '2020-06-30',
    stretch: '2022-06-30',
    buster: '2024-06-30',
    bullseye: '2026-08-31',
    bookworm: '2028-06-30',
  },
  centos: { '6': '2020-11-30', '7': '2024-06-30', '8': '2021-12-31' },
  python: {
    '2.7': '2020-01-01',
    '3.5': '2020-09-13',
    '3.6': '2021-12-23',
    '3.7': '2023-06-27',
    '3.8': '2024-10-07',
    '3.9': '2025-10-31',
    '3.10': '2026-10-31',
    '3.11': '2027-10-31',
    '3.12': '2028-10-31',
  },
  node: {
    '10': '2021-04-30',
    '12': '2022-04-30',
    '14': '2023-04-30',
    '16': '2023-09-11',
    '18': '2025-04-30',
    '20': '2026-04-30',
    '22': '2027-04-30',
  },
  nginx: {
    '1.13': '2018-04-17',
    '1.14': '2019-04-23',
    '1.15': '2019-04-23',
    '1.16': '2020-04-21',
    '1.17': '2020-04-21',
    '1.18': '2021-05-25',
    '1.19': '2021-05-25',
    '1.20': '2022-05-24',
    '1.21': '2022-05-24',
    '1.22': '2023-04-11',
    '1.23': '2023-04-11',
    '1.24': '2024-04-23',
    '1.25': '2024-04-23',
  },
  mariadb: { '10.3': '2023-05-25', '10.4': '2024-06-18', '10.5': '2025-06-24', '10.6': '2026-07-06', '10.11': '2028-02-16', '11.4': '2029-05-29' },
  mysql: { '5.6': '2021-02-01', '5.7': '2023-10-31', '8.0': '2026-04-30' },
  postgres: {
    '10': '2022-11-10',
    '11': '2023-11-09',
    '12': '2024-11-21',
    '13': '2025-11-13',
    '14': '2026-11-12',
    '15': '2027-11-11',
    '16': '2028-11-09',
  },
};

/** The end-of-life date of `product` `version` if known: versions match by prefix (`3.8.10` → `3.8`, `10-focal` → `10`). */
export function eolDate(product: string, version: string): string | undefined {
  const table = EOL[product === 'postgresql' ? 'postgres' : product];
  if (!table) return undefined;
  if (table[version]) return table[version];
  const keys = Object.keys(table).sort((a, b) => b.length - a.length);
  return keys
    .map((k) => (version === k || version.startsWith(`${k}.`) || version.startsWith(`${k}-`) ? table[k] : undefined))
    .find((x) => x !== undefined);
}
