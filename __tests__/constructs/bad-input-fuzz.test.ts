/**
 * Property-based fuzzing (fast-check) of every string and number prop that reaches a rendered file (issue 9).
 * Random unicode, control characters, quotes, `$`, `%{`, backslashes, huge, negative and fractional numbers and
 * NaN must end in one of two ways, and nothing else:
 *   - a TierformError whose message starts with the construct path and names the prop, or
 *   - a plan whose rendered files still pass their real checkers (nginx -t, haproxy -c, shellcheck, systemd-analyze,
 *     mariadbd --help --verbose, promtool, keepalived -t: CHECKERS in __tests__/helpers/checkers.ts).
 * Runs are bounded (RUNS per prop); accepted outputs are checked after the property has run, once per distinct file
 * content and at most MAX_CHECKED per prop (the first ones fast-check generated), so the suite stays within a couple of
 * minutes on two busy cores.
 */
import * as path from 'path';
import { Testing } from 'cdktf';
import * as fc from 'fast-check';
import { AppSource } from '../../constructs/app-source';
import { MysqlEngine } from '../../constructs/mysql-engine';
import { TierformError } from '../../lib/errors';
import type { WriteFile } from '../../lib/plan/cloud-config';
import { Fixture } from '../helpers/bad-input-cases';
import { checkersFor, renderDroplets } from '../helpers/checkers';
import { makeTempDir, writeFile } from '../helpers/tools';

const RUNS = 25;
/** Distinct accepted outputs sent through the real checkers per prop (each checker run costs 50 ms to 2 s). */
const MAX_CHECKED = 8;

type Any = any;

/** Characters and fragments that break files and scripts when they slip through. */
const NASTY = [
  '',
  ' ',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u007f',
  '\u202e',
  '"',
  "'",
  '`',
  '$',
  '${x}',
  '$(id)',
  '%{x}',
  '%',
  '\\',
  ';',
  '#',
  '{',
  '}',
  '|',
  '&',
  '*',
  '?',
  '..',
  '/',
  'é',
  '\u{1F600}',
];

function fuzzString(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom(...NASTY),
    fc.constantFrom(...valid),
    // A valid value with something nasty inserted: the realistic mistake (a stray quote, a trailing backslash).
    fc
      .tuple(fc.constantFrom(...valid), fc.constantFrom(...NASTY), fc.nat())
      .map(([v, n, i]) => v.slice(0, i % (v.length + 1)) + n + v.slice(i % (v.length + 1))),
  );
}

function fuzzNumber(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.integer({ min, max }),
    fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 1.5, 2 ** 31, 2 ** 53, 1e308, min - 1, max + 1),
    fc.double({ noNaN: false }),
  );
}

function fuzzList(valid: readonly string[]): fc.Arbitrary<string[]> {
  return fc.oneof(fc.array(fuzzString(valid), { minLength: 0, maxLength: 3 }), fc.subarray([...valid], { minLength: 1 }));
}

interface FuzzedProp {
  /** The prop as the user writes it, as it must appear in an error. */
  readonly prop: string;
  /** The construct path errors must start with. */
  readonly path: string;
  readonly arbitrary: fc.Arbitrary<Any>;
  /** Builds a stack using `value` for the prop. */
  readonly build: (f: Fixture, value: Any) => void;
  /** The droplet whose files the prop reaches (a function when the prop names it), and which of them (by path). */
  readonly droplet: string | ((value: Any) => string);
  readonly files: RegExp;
}

const git = (options: Any) => AppSource.git({ url: 'https://github.com/you/app.git', wsgiApp: 'app:app', ...options });
const https = (extra: Any) => ({ https: { domain: 'site.example', email: 'ops@site.example', ...extra } });
const NGINX = /\/etc\/nginx\/nginx\.conf$/;
const APP_UNIT = /tierform-app\.service$/;
const APP_SETUP = /tierform-app-setup$|app\.env$/;
const HAPROXY = /haproxy\.cfg$/;
const CERTBOT = /tierform-certbot-issue$/;
const MYSQL_CNF = /60-tierform\.cnf$/;
const MYSQL_SETUP = /tierform-mysql-setup$/;

const webNumber = (prop: string, min: number, max: number, files = NGINX): FuzzedProp => ({
  prop,
  path: 'test/Web',
  arbitrary: fuzzNumber(min, max),
  build: (f, v) => f.web({ [prop]: v }),
  droplet: 'site-web-0',
  files,
});
const lbNumber = (prop: string, min: number, max: number): FuzzedProp => ({
  prop,
  path: 'test/Lb',
  arbitrary: fuzzNumber(min, max),
  build: (f, v) => f.lb({ [prop]: v }),
  droplet: 'site-lb',
  files: HAPROXY,
});
const dbProp = (prop: string, arbitrary: fc.Arbitrary<Any>, files: RegExp): FuzzedProp => ({
  prop,
  path: 'test/Db',
  arbitrary,
  build: (f, v) => f.db({ engine: MysqlEngine.mariadb10_11(), [prop]: v }),
  droplet: 'site-db-primary',
  files,
});
const monNumber = (prop: string, min: number, max: number, files: RegExp): FuzzedProp => ({
  prop,
  path: 'test/Mon',
  arbitrary: fuzzNumber(min, max),
  build: (f, v) => f.monitoring({ [prop]: v }),
  droplet: 'site-mon',
  files,
});

const PROPS: readonly FuzzedProp[] = [
  // WebTier (nginx.conf, the gunicorn unit and the app's setup script)
  {
    prop: 'serverNames',
    path: 'test/Web',
    arbitrary: fuzzList(['www.site.example', '*.site.example', '_', 'site.example']),
    build: (f, v) => f.web({ serverNames: v }),
    droplet: 'site-web-0',
    files: NGINX,
  },
  {
    prop: 'trustedProxyCidrs',
    path: 'test/Web',
    arbitrary: fuzzList(['10.20.0.0/20', '192.168.1.0/24', '2001:db8::/48', '203.0.113.7/32']),
    build: (f, v) => f.web({ trustedProxyCidrs: v }),
    droplet: 'site-web-0',
    files: NGINX,
  },
  {
    prop: 'name',
    path: 'test/Web',
    arbitrary: fuzzString(['site-web', 'shop-web-2']),
    build: (f, v) => f.web({ name: v }),
    droplet: (v) => `${v}-0`,
    files: /nginx\.conf$|tierform-app\.service$/,
  },
  webNumber('clientMaxBodySizeMiB', 1, 10240),
  webNumber('rateLimitRequestsPerSecond', 1, 100000),
  webNumber('rateLimitBurst', 0, 100000),
  webNumber('proxyReadTimeoutSeconds', 1, 3600),
  webNumber('maxFails', 1, 100),
  webNumber('failTimeoutSeconds', 1, 3600),
  webNumber('workers', 1, 256, APP_UNIT),
  webNumber('appTimeoutSeconds', 1, 3600, APP_UNIT),
  webNumber('appMemoryMaxMiB', 64, 1024, APP_UNIT),
  {
    prop: 'app.url',
    path: 'test/Web',
    arbitrary: fuzzString(['https://github.com/you/app.git', 'https://git.example.com:8443/a/b']),
    build: (f, v) => f.web({ app: git({ url: v }) }),
    droplet: 'site-web-0',
    files: APP_SETUP,
  },
  {
    prop: 'app.ref',
    path: 'test/Web',
    arbitrary: fuzzString(['main', 'v1.2.3', 'release/2026-12', '0123abcd']),
    build: (f, v) => f.web({ app: git({ ref: v }) }),
    droplet: 'site-web-0',
    files: APP_SETUP,
  },
  {
    prop: 'app.wsgiApp',
    path: 'test/Web',
    arbitrary: fuzzString(['app:app', 'myproject.wsgi:application']),
    build: (f, v) => f.web({ app: git({ wsgiApp: v }) }),
    droplet: 'site-web-0',
    files: APP_SETUP,
  },
  {
    prop: 'app.requirementsFile',
    path: 'test/Web',
    arbitrary: fuzzString(['requirements.txt', 'deploy/requirements-prod.txt']),
    build: (f, v) => f.web({ app: git({ requirementsFile: v }) }),
    droplet: 'site-web-0',
    files: APP_SETUP,
  },
  // AppTier (its gunicorn unit)
  {
    prop: 'port',
    path: 'test/App',
    arbitrary: fuzzNumber(1024, 65535),
    build: (f, v) => f.appTier({ port: v }),
    droplet: 'site-app-0',
    files: APP_UNIT,
  },
  // HaproxyLoadBalancer (haproxy.cfg, certbot's script)
  {
    prop: 'healthCheckHost',
    path: 'test/Lb',
    arbitrary: fuzzString(['www.site.example', 'localhost']),
    build: (f, v) => f.lb({ healthCheckHost: v }),
    droplet: 'site-lb',
    files: HAPROXY,
  },
  lbNumber('checkIntervalSeconds', 1, 300),
  lbNumber('fall', 1, 100),
  lbNumber('rise', 1, 100),
  lbNumber('serverTimeoutSeconds', 1, 3600),
  lbNumber('maxConnections', 1, 1_000_000),
  lbNumber('maxServersPerBackend', 1, 1024),
  {
    prop: 'https.email',
    path: 'test/Lb',
    arbitrary: fuzzString(['ops@site.example', 'first.last+tls@mail.site.example']),
    build: (f, v) => f.lb(https({ email: v })),
    droplet: 'site-lb',
    files: CERTBOT,
  },
  {
    prop: 'https.domain',
    path: 'test/Lb',
    arbitrary: fuzzString(['site.example', 'shop.co.uk']),
    build: (f, v) => f.lb(https({ domain: v })),
    droplet: 'site-lb',
    files: /haproxy\.cfg$|tierform-certbot-issue$/,
  },
  {
    prop: 'https.contentSecurityPolicy',
    path: 'test/Lb',
    arbitrary: fuzzString(["default-src 'self'", "default-src 'self'; img-src * data:; style-src 'self' 'unsafe-inline' 50%"]),
    build: (f, v) => f.lb(https({ contentSecurityPolicy: v })),
    droplet: 'site-lb',
    files: HAPROXY,
  },
  {
    prop: 'https.hstsMaxAgeSeconds',
    path: 'test/Lb',
    arbitrary: fuzzNumber(0, 63072000),
    build: (f, v) => f.lb(https({ hstsMaxAgeSeconds: v })),
    droplet: 'site-lb',
    files: HAPROXY,
  },
  // HaproxyPair (keepalived.conf)
  {
    prop: 'virtualRouterId',
    path: 'test/Pair',
    arbitrary: fuzzNumber(1, 255),
    build: (f, v) => f.pair({ virtualRouterId: v }),
    droplet: 'site-pair-0',
    files: /keepalived/,
  },
  // PrimaryReplicaMysql on MariaDB (the server's option file and the setup script)
  dbProp('databaseName', fuzzString(['app', 'shop_2026', 'App']), MYSQL_SETUP),
  dbProp('appUser', fuzzString(['app', 'shop_rw']), MYSQL_SETUP),
  dbProp('maxConnections', fuzzNumber(10, 10000), MYSQL_CNF),
  dbProp('binlogExpireDays', fuzzNumber(1, 90), MYSQL_CNF),
  // MonitoringAgent (prometheus.yml and its rules)
  monNumber('retentionDays', 1, 3650, /prometheus\.service\.d/),
  monNumber('scrapeIntervalSeconds', 5, 300, /prometheus\.yml$/),
  monNumber('replicationLagAlertSeconds', 1, 86400, /rules\//),
  monNumber('diskFreeAlertPercent', 1, 99, /rules\//),
  monNumber('retentionSizeGiB', 1, 49, /prometheus\.service\.d/),
  {
    prop: 'http5xxAlertRatio',
    path: 'test/Mon',
    arbitrary: fc.oneof(fuzzNumber(0, 1), fc.double({ min: 0, max: 1 })),
    build: (f, v) => f.monitoring({ http5xxAlertRatio: v }),
    droplet: 'site-mon',
    files: /rules\//,
  },
];

/** Every checker of every file of `files` matching `which`, with the droplet's files written under one root. */
function checkFiles(files: readonly WriteFile[], which: RegExp): void {
  const tmp = makeTempDir('fuzz');
  try {
    const root = path.join(tmp.dir, 'root');
    for (const f of files) writeFile(root, f.path, f.content, parseInt(f.permissions, 8));
    for (const file of files.filter((f) => which.test(f.path))) {
      for (const checker of checkersFor(file)) {
        const scratch = makeTempDir('fuzz-check');
        try {
          checker.check({ file, hostPath: path.join(root, file.path), root, files, scratch: scratch.dir });
        } catch (e) {
          throw new Error(`${checker.name} refused ${file.path}:\n${(e as Error).message}\n--- file ---\n${file.content}`, { cause: e });
        }
        scratch.cleanup();
      }
    }
  } finally {
    tmp.cleanup();
  }
}

describe('fuzzing every prop that reaches a rendered file: a clear error or a file its checker accepts', () => {
  test.each(PROPS.map((p) => [p.path, p.prop, p] as const))('%s %s', (_path, _prop, p) => {
    const accepted = new Map<string, WriteFile[]>();
    let refused = 0;
    fc.assert(
      fc.property(p.arbitrary, (value) => {
        const f = new Fixture();
        let synthesized: string;
        try {
          p.build(f, value);
          synthesized = Testing.synth(f.stack);
        } catch (e) {
          // The error names the construct path and the prop as the user wrote it (or its first segment, e.g. 'app.url').
          expect(e).toBeInstanceOf(TierformError);
          const message = (e as Error).message;
          expect(message.startsWith(`${p.path}: `) || message.startsWith(`${p.path}/`)).toBe(true);
          expect(message).toContain(`'${p.prop}`);
          refused++;
          return;
        }
        const name = typeof p.droplet === 'string' ? p.droplet : p.droplet(value);
        const droplet = renderDroplets(synthesized).find((d) => d.droplet.name === name);
        expect(droplet).toBeDefined();
        const files = droplet!.doc.writeFiles;
        const key = JSON.stringify(files.filter((w) => p.files.test(w.path)).map((w) => [w.path, w.content]));
        accepted.set(key, files);
      }),
      { numRuns: RUNS },
    );
    // Accepted values: each distinct set of files goes through its real checkers once.
    for (const files of [...accepted.values()].slice(0, MAX_CHECKED)) checkFiles(files, p.files);
    // Both outcomes were exercised (the arbitraries mix valid and broken values).
    expect({ refused: refused > 0, accepted: accepted.size > 0 }).toEqual({ refused: true, accepted: true });
  });
});
