/**
 * THE rendered-files test: every file every droplet of every stage boots with, checked by the real program that
 * will read it. For each stage and engine, each droplet's user_data is taken exactly as in the plan, rendered the
 * way Terraform would at apply (references answered by fakeResolver), parsed as cloud-config, and:
 * - the document goes through `cloud-init schema` and a top-level key allow-list;
 * - each write_files entry is written under a temporary root and handed to the checker(s) of its kind (CHECKERS).
 *   A file no checker claims FAILS the test, so a new kind of file cannot ship unchecked: add a checker.
 * A missing checker program fails too (requireTool names the Debian package; scripts/debian-packages.txt).
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { MysqlEngine } from '../../../constructs/mysql-engine';
import {
  CloudConfigDocument,
  PlanDroplet,
  WriteFile,
  fakeResolver,
  parseCloudConfig,
  parseStack,
  renderUserData,
} from '../../../lib/plan/plan';
import * as stages from '../../../lib/stages';
import { StageProps } from '../../../lib/stages';
import { makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';

// ---------------------------------------------------------------------------------------------------------------
// The droplets: every stage exported by lib/stages (new stages are picked up), with both engines.

type StageClass = new (scope: Construct, id: string, props: StageProps) => TerraformStack;

const STAGES: Array<[string, StageClass]> = Object.entries(stages)
  .filter(([, value]) => typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof TerraformStack)
  .map(([name, value]) => [name, value as StageClass]);

const ENGINES: readonly MysqlEngine[] = [MysqlEngine.mysql8_0(), MysqlEngine.mariadb10_11()];

const PROPS: StageProps = { domain: 'foobar.com', sshKeys: ['123'], adminCidrs: ['203.0.113.7/32'] };

/** What the droplet's metadata script (tierform-netinfo) writes to /etc/tierform/net.env at boot. */
const NET_ENV = { TIERFORM_PRIVATE_IP: '127.0.0.1', TIERFORM_PUBLIC_IP: '127.0.0.1', TIERFORM_DROPLET_ID: '100000001' };

interface RenderedDroplet {
  readonly droplet: PlanDroplet;
  readonly userData: string;
  readonly doc: CloudConfigDocument;
}

function renderStage(stageClass: StageClass, engine: MysqlEngine): RenderedDroplet[] {
  const stack = new stageClass(Testing.app(), 'stage', { ...PROPS, engine });
  const plan = parseStack(Testing.synth(stack));
  const resolve = fakeResolver(plan);
  return plan.droplets().map((droplet) => {
    const userData = renderUserData(droplet, resolve);
    return { droplet, userData, doc: parseCloudConfig(userData) };
  });
}

/**
 * Top-level keys we use, each a cloud-init module key documented for cloud-init 22.4 (here) and 24.x (Ubuntu
 * 24.04). cloud-init 22.4's `schema` ignores unknown top-level keys, so a typo would otherwise pass. Add a key only
 * after checking it in https://cloudinit.readthedocs.io/en/latest/reference/modules.html.
 */
const CLOUD_CONFIG_KEYS = new Set(['package_update', 'package_upgrade', 'ssh_pwauth', 'packages', 'write_files', 'runcmd']);

// ---------------------------------------------------------------------------------------------------------------
// Checkers: what reads each kind of file, and how we ask it whether the file is right.

interface CheckContext {
  /** The file as cloud-init writes it. */
  readonly file: WriteFile;
  /** Where it is written here: `<root><file.path>`, with its permissions. */
  readonly hostPath: string;
  /** Temporary root holding every file of the droplet at its path. */
  readonly root: string;
  /** Every file of the droplet. */
  readonly files: readonly WriteFile[];
  /** A scratch directory for this check only. */
  readonly scratch: string;
}

interface Checker {
  readonly name: string;
  readonly matches: (file: WriteFile) => boolean;
  readonly check: (ctx: CheckContext) => void;
}

/** A finding-free result: exit 0 and no output (the output is in the failure message). */
function expectClean(result: RunResult): void {
  expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: '' });
}

/** Exit 0 and no line matching `bad` (the whole output is in the failure message). */
function expectNo(result: RunResult, bad: RegExp): void {
  const badLines = result.output.split('\n').filter((line) => bad.test(line));
  expect({ status: result.status, badLines, output: result.output }).toEqual({ status: 0, badLines: [], output: result.output });
}

const SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:ba|da)?sh(?:\s|$)/;
const UNIT = /^\/etc\/systemd\/system\/[^/]+\.(?:service|socket|timer|path|mount|target)$/;
const DROP_IN = /^\/etc\/systemd\/system\/([^/]+\.(?:service|socket|timer|path|mount|target))\.d\/[^/]+\.conf$/;

/** `<root><path>` for paths the droplet's own write_files provide (the rest stays as on the host). */
function rebase(ctx: CheckContext, p: string): string {
  return ctx.files.some((f) => f.path === p) ? path.join(ctx.root, p) : p;
}

/**
 * A unit directory holding every unit and drop-in the droplet writes. Exec*= commands that are files the droplet
 * writes (scripts under /usr/local/sbin) point at their copy under the temporary root instead: systemd-analyze
 * verify checks that the command exists and is executable, and we cannot write to /usr/local/sbin here.
 */
function unitDir(ctx: CheckContext): string {
  const dir = path.join(ctx.scratch, 'units');
  for (const f of ctx.files) {
    if (UNIT.test(f.path) || DROP_IN.test(f.path)) {
      const content = f.content.replace(/^(Exec[A-Za-z]*=[-@:+!]*)(\/\S+)/gm, (_m, key: string, cmd: string) => `${key}${rebase(ctx, cmd)}`);
      writeFile(dir, path.relative('/etc/systemd/system', f.path), content);
    }
  }
  return dir;
}

/**
 * `systemd-analyze verify` with our unit directory ahead of the system's (the trailing ':' keeps those).
 * `unit` is a unit name, or a function of the unit directory giving a path in it.
 */
function systemdVerify(ctx: CheckContext, unit: string | ((dir: string) => string)): RunResult {
  const analyze = requireTool('systemd-analyze', 'systemd');
  const dir = unitDir(ctx);
  return run(analyze, ['verify', typeof unit === 'string' ? unit : unit(dir)], { env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
}

/** Keys journald.conf(5) documents for [Journal] (systemd 252 to 255). */
const JOURNALD_KEYS = new Set([
  'Storage', 'Compress', 'Seal', 'SplitMode', 'SyncIntervalSec', 'RateLimitIntervalSec', 'RateLimitBurst',
  'SystemMaxUse', 'SystemKeepFree', 'SystemMaxFileSize', 'SystemMaxFiles', 'RuntimeMaxUse', 'RuntimeKeepFree',
  'RuntimeMaxFileSize', 'RuntimeMaxFiles', 'MaxFileSec', 'MaxRetentionSec', 'ForwardToSyslog', 'ForwardToKMsg',
  'ForwardToConsole', 'ForwardToWall', 'ForwardToSocket', 'TTYPath', 'MaxLevelStore', 'MaxLevelSyslog',
  'MaxLevelKMsg', 'MaxLevelConsole', 'MaxLevelWall', 'MaxLevelSocket', 'LineMax', 'ReadKMsg', 'Audit',
]);
const JOURNALD_SIZE_KEYS = /^(System|Runtime)(MaxUse|KeepFree|MaxFileSize)$|^LineMax$/;

/**
 * Option names MySQL 8.0's reference manual documents, as in __tests__/lib/render/mysql.test.ts: there is no
 * MySQL 8.0 server here (Debian 12 ships MariaDB only), so MySQL files are checked by name, not by a mysqld.
 */
const MYSQL80_DOCUMENTED_OPTIONS = new Set([
  'server_id', 'log_bin', 'relay_log', 'gtid_mode', 'enforce_gtid_consistency', 'log_replica_updates',
  'binlog_expire_logs_seconds', 'sync_binlog', 'innodb_flush_log_at_trx_commit', 'relay_log_recovery', 'read_only',
  'super_read_only', 'skip_name_resolve', 'local_infile', 'max_connections', 'innodb_buffer_pool_size',
  'slow_query_log', 'slow_query_log_file', 'long_query_time', 'bind_address', 'mysqlx_bind_address',
]);

/** `key = value` lines of an INI file by section (`#`/`;` comments skipped). */
function iniEntries(text: string): Array<{ section: string; key: string; value: string; line: number }> {
  const out: Array<{ section: string; key: string; value: string; line: number }> = [];
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1];
      return;
    }
    const eq = line.indexOf('=');
    out.push({ section, key: (eq < 0 ? line : line.slice(0, eq)).trim(), value: eq < 0 ? '' : line.slice(eq + 1).trim(), line: i + 1 });
  });
  return out;
}

/** fail2ban's own warnings about the package's configuration (not ours), to tell ours apart. */
let fail2banBaseline: string[] | undefined;

function fail2banConfDir(scratch: string, jail?: WriteFile): string {
  // The package's configuration, as on the droplet, with our file added at its place.
  const dir = path.join(scratch, 'fail2ban');
  fs.cpSync('/etc/fail2ban', dir, { recursive: true });
  if (jail) writeFile(dir, path.relative('/etc/fail2ban', jail.path), jail.content);
  return dir;
}

function fail2banFindings(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /WARNING|ERROR/.test(line))
    .map((line) => line.replace(/^[\d-]+ [\d:,]+ \S+\s+\[\d+\]: /, ''));
}

const CHECKERS: readonly Checker[] = [
  {
    name: 'nginx -t',
    matches: (f) => f.path === '/etc/nginx/nginx.conf',
    check: (ctx) => {
      const nginx = requireTool('nginx', 'nginx');
      // Includes of files the droplet writes point at their copies; the rest (mime.types) is the package's.
      const conf = ctx.file.content.replace(/^(\s*include\s+)(\/[^;\s]+)/gm, (_m, head: string, p: string) => `${head}${rebase(ctx, p)}`);
      const file = writeFile(ctx.scratch, 'nginx.conf', conf);
      expectNo(run(nginx, ['-t', '-c', file]), /\[(warn|emerg|alert|crit|error)\]/);
    },
  },
  {
    name: 'haproxy -c',
    matches: (f) => f.path === '/etc/haproxy/haproxy.cfg',
    check: (ctx) => {
      const haproxy = requireTool('haproxy', 'haproxy');
      // The haproxy.service drop-in gives haproxy net.env's variables; the config expands them.
      expectNo(run(haproxy, ['-c', '-f', ctx.hostPath], { env: { ...process.env, ...NET_ENV } }), /\[(WARNING|ALERT|NOTICE)\]/);
    },
  },
  {
    name: 'shellcheck',
    matches: (f) => SHEBANG.test(f.content.split('\n', 1)[0]),
    check: (ctx) => {
      const shellcheck = requireTool('shellcheck', 'shellcheck');
      expectClean(run(shellcheck, ['--norc', ctx.hostPath]));
    },
  },
  {
    name: 'systemd-analyze verify',
    matches: (f) => UNIT.test(f.path),
    check: (ctx) => {
      // verify exits 0 on unknown keys and bad values: a clean stderr is the real verdict.
      expectClean(systemdVerify(ctx, (dir) => path.join(dir, path.basename(ctx.file.path))));
    },
  },
  {
    name: 'systemd-analyze verify (drop-in)',
    matches: (f) => DROP_IN.test(f.path),
    check: (ctx) => {
      // The unit the drop-in extends (the package's, or ours), verified with the drop-in applied.
      const unit = DROP_IN.exec(ctx.file.path)![1];
      expectClean(systemdVerify(ctx, unit));
      // ...and proof that the drop-in was read: the same check flags a bad key added to it.
      const canary: CheckContext = {
        ...ctx,
        scratch: path.join(ctx.scratch, 'canary'),
        files: ctx.files.map((f) => (f === ctx.file ? { ...f, content: `${f.content}\n[Unit]\nTierformCanary=1\n` } : f)),
      };
      expect(systemdVerify(canary, unit).stderr).toContain("Unknown key 'TierformCanary'");
    },
  },
  {
    name: 'python3 -m py_compile',
    matches: (f) => f.path.endsWith('.py'),
    check: (ctx) => {
      const python = requireTool('python3', 'python3');
      expectClean(run(python, ['-m', 'py_compile', ctx.hostPath], { env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(ctx.scratch, 'pycache') } }));
    },
  },
  {
    name: 'mariadbd --help --verbose',
    matches: (f) => /^\/etc\/mysql\/mariadb\.conf\.d\/[^/]+\.cnf$/.test(f.path),
    check: (ctx) => {
      const mariadbd = requireTool('mariadbd', 'mariadb-server');
      // Every file the droplet writes to the directory, in the server's reading order, as one defaults file.
      const dir = path.dirname(ctx.file.path);
      const all = ctx.files.filter((f) => path.dirname(f.path) === dir && f.path.endsWith('.cnf')).sort((a, b) => a.path.localeCompare(b.path));
      const defaults = writeFile(ctx.scratch, 'my.cnf', all.map((f) => f.content).join('\n'));
      const result = run(mariadbd, [`--defaults-file=${defaults}`, '--help', '--verbose']);
      // Not about the file: the server asks for more open files than this container's hard limit allows
      // (ulimit -Hn); on the droplet mariadb.service raises it (LimitNOFILE=32768).
      const output = result.output.replace(/^.*\[Warning\] Could not increase number of max_open_files to more than \d+ \(request: \d+\)\n/gm, '');
      expectNo({ ...result, output }, /\[ERROR\]|\[Warning\]|unknown (variable|option)|adjusted/i);
    },
  },
  {
    name: 'MySQL 8.0 option names (no mysqld 8.0 here)',
    matches: (f) => /^\/etc\/mysql\/mysql\.conf\.d\/[^/]+\.cnf$/.test(f.path),
    check: (ctx) => {
      const entries = iniEntries(ctx.file.content);
      expect(entries.filter((e) => e.section !== 'mysqld')).toEqual([]);
      expect(entries.map((e) => e.key.replace(/-/g, '_')).filter((name) => !MYSQL80_DOCUMENTED_OPTIONS.has(name))).toEqual([]);
    },
  },
  {
    name: 'sshd -t',
    matches: (f) => /^\/etc\/ssh\/sshd_config\.d\/[^/]+\.conf$/.test(f.path),
    check: (ctx) => {
      const sshd = requireTool('sshd', 'openssh-server');
      const keygen = requireTool('ssh-keygen', 'openssh-client');
      const hostKey = path.join(ctx.scratch, 'ssh_host_ed25519_key');
      expectClean(run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]));
      // sshd refuses to run, even with -t, without its privilege separation directory; ssh.service creates it
      // (RuntimeDirectory=sshd) on the droplet, so create it here the same way.
      fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      expectClean(run(sshd, ['-t', '-f', ctx.hostPath, '-h', hostKey]));
    },
  },
  {
    name: 'fail2ban-client -t',
    matches: (f) => /^\/etc\/fail2ban\/jail\.d\/[^/]+\.(conf|local)$/.test(f.path),
    check: (ctx) => {
      const client = requireTool('fail2ban-client', 'fail2ban');
      // fail2ban-client checks a whole configuration directory: the package's, plus our jail file. Warnings the
      // package's own files cause (Debian 12: 'allowipv6' not defined) are not ours and are subtracted.
      fail2banBaseline ??= fail2banFindings(run(client, ['-c', fail2banConfDir(path.join(ctx.scratch, 'baseline')), '-t']).output);
      const conf = fail2banConfDir(ctx.scratch, ctx.file);
      const test = run(client, ['-c', conf, '-t']);
      expect({ status: test.status, findings: fail2banFindings(test.output).filter((l) => !fail2banBaseline!.includes(l)) }).toEqual({ status: 0, findings: [] });
      // -t ignores unknown keys and bad time values; the dump of what the server would be told shows every key
      // it understood, and fail2ban's own time parser (MyTime) checks the durations.
      const dump = run(client, ['-c', conf, '-d']).stdout;
      const timeKeys: string[] = [];
      for (const e of iniEntries(ctx.file.content)) {
        if (e.key === 'enabled') {
          expect({ jail: e.section, enabled: e.value, started: dump.includes(`['start', '${e.section}']`) }).toEqual({ jail: e.section, enabled: e.value, started: e.value === 'true' });
        } else if (e.key === 'backend') {
          expect(dump).toContain(`['add', '${e.section}', '${e.value}']`);
        } else {
          expect({ key: `${e.section}.${e.key}`, understood: dump.includes(`['set', '${e.section}', '${e.key}', `) }).toEqual({ key: `${e.section}.${e.key}`, understood: true });
        }
        if (/^(bantime|findtime)(\.|$)/.test(e.key) && !/\.(increment|multipliers|formula|overalljails|factor)$/.test(e.key)) timeKeys.push(e.value);
      }
      if (timeKeys.length > 0) {
        const python = fs.readFileSync(client, 'utf8').split('\n', 1)[0].replace(/^#!\s*/, '').split(/\s+/);
        const script = 'import sys\nfrom fail2ban.server.mytime import MyTime\nfor v in sys.argv[1:]:\n    MyTime.str2seconds(v)\n';
        expectClean(run(python[0], [...python.slice(1), '-c', script, ...timeKeys]));
      }
    },
  },
  {
    name: 'sh -n and sh -c .',
    matches: (f) => /^\/etc\/tierform\/[^/]+\.(env|b64)$/.test(f.path),
    check: (ctx) => {
      const sh = requireTool('sh', 'dash');
      expectClean(run(sh, ['-n', ctx.hostPath]));
      expectClean(run(sh, ['-c', '. "$1"', 'sh', ctx.hostPath]));
    },
  },
  {
    name: 'journald.conf(5) keys and values',
    matches: (f) => /^\/etc\/systemd\/journald\.conf\.d\/[^/]+\.conf$/.test(f.path),
    check: (ctx) => {
      // No program checks a journald drop-in on its own: names against the manual's list, time spans with
      // systemd's own parser (systemd-analyze timespan), sizes with the manual's syntax (K, M, G, T, P, E).
      const analyze = requireTool('systemd-analyze', 'systemd');
      const entries = iniEntries(ctx.file.content);
      expect(entries.filter((e) => e.section !== 'Journal' || !JOURNALD_KEYS.has(e.key))).toEqual([]);
      for (const e of entries) {
        if (e.key.endsWith('Sec')) {
          const result = run(analyze, ['timespan', e.value]);
          expect({ key: e.key, value: e.value, status: result.status }).toEqual({ key: e.key, value: e.value, status: 0 });
        } else if (JOURNALD_SIZE_KEYS.test(e.key)) {
          expect({ key: e.key, value: e.value }).toEqual({ key: e.key, value: expect.stringMatching(/^\d+(\.\d+)?[KMGTPE]?$/) });
        }
      }
    },
  },
];

function checkersFor(file: WriteFile): Checker[] {
  return CHECKERS.filter((c) => c.matches(file));
}

// ---------------------------------------------------------------------------------------------------------------

it('finds the stages to check in lib/stages', () => {
  expect(STAGES.map(([name]) => name)).toEqual(expect.arrayContaining(['Stage0SingleServer', 'Stage1LoadBalanced']));
});

describe.each(STAGES)('%s', (_stageName, stageClass) => {
  describe.each(ENGINES.map((engine) => [engine.flavor, engine] as const))('with %s', (_flavor, engine) => {
    const droplets = renderStage(stageClass, engine);

    describe.each(droplets.map((d) => [d.droplet.name, d] as const))('%s', (_dropletName, { userData, doc }) => {
      let tmp: { dir: string; cleanup: () => void };
      let root: string;

      beforeAll(() => {
        tmp = makeTempDir('rendered');
        root = path.join(tmp.dir, 'root');
        for (const f of doc.writeFiles) {
          writeFile(root, f.path, f.content, parseInt(f.permissions, 8));
        }
      });

      afterAll(() => tmp?.cleanup());

      it('user_data: cloud-init schema says Valid cloud-config', () => {
        // GIVEN
        const cloudInit = requireTool('cloud-init', 'cloud-init');
        const file = writeFile(tmp.dir, 'user-data', userData);
        // WHEN
        const result = run(cloudInit, ['schema', '-c', file]);
        // THEN
        expect({ status: result.status, valid: result.stdout.includes('Valid cloud-config'), output: result.output }).toEqual({
          status: 0,
          valid: true,
          output: expect.not.stringMatching(/deprecat|error|warning/i),
        });
      });

      it('user_data: uses only allow-listed cloud-init module keys', () => {
        expect(Object.keys(doc.raw).filter((key) => !CLOUD_CONFIG_KEYS.has(key))).toEqual([]);
      });

      it('user_data: every write_files entry has a checker', () => {
        expect(doc.writeFiles.filter((f) => checkersFor(f).length === 0).map((f) => f.path)).toEqual([]);
      });

      const cases = doc.writeFiles.flatMap((file) => checkersFor(file).map((checker) => [file.path, checker.name, file, checker] as const));
      if (cases.length > 0) {
        it.each(cases)('%s: %s', (_path, _name, file, checker) => {
          const scratch = makeTempDir('check');
          try {
            checker.check({ file, hostPath: path.join(root, file.path), root, files: doc.writeFiles, scratch: scratch.dir });
          } finally {
            scratch.cleanup();
          }
        });
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The checkers can fail: each one is shown a file with a planted mistake.

describe('the checkers catch planted mistakes', () => {
  const [, stageClass] = STAGES.find(([name]) => name === 'Stage1LoadBalanced') ?? STAGES[0];
  const droplets = renderStage(stageClass, MysqlEngine.mariadb10_11());

  /** [checker, planted mistake, file path pattern, how to plant it, what the failure must say] */
  const mistakes: Array<[string, string, RegExp, (content: string) => string, RegExp]> = [
    ['nginx -t', 'misspelt directive', /^\/etc\/nginx\/nginx\.conf$/, (c) => c.replace('client_max_body_size', 'client_max_body_sise'), /unknown directive .*client_max_body_sise/],
    ['haproxy -c', 'missing client timeout', /haproxy\.cfg$/, (c) => c.replace('timeout client', '# timeout client'), /\[WARNING\].*missing timeouts/],
    ['shellcheck', 'unquoted expansion', /tierform-netinfo$/, (c) => c.replace('"$private_ip"', '$private_ip'), /SC2086/],
    ['systemd-analyze verify', 'unknown key', /\.service$/, (c) => c.replace('[Service]', '[Service]\nRestartSecs=5'), /Unknown key 'RestartSecs'/],
    ['systemd-analyze verify', 'missing ExecStart program', /tierform-mysql-setup\.service$/, (c) => c.replace('ExecStart=', 'ExecStart=/usr/local/sbin/does-not-exist '), /does-not-exist is not executable/],
    ['systemd-analyze verify (drop-in)', 'unknown key', /\.service\.d\//, (c) => c.replace('EnvironmentFile=', 'EnvironmentFiles='), /Unknown key 'EnvironmentFiles'/],
    ['python3 -m py_compile', 'syntax error', /\.py$/, (c) => `${c}\ndef broken(:\n`, /SyntaxError/],
    ['mariadbd --help --verbose', 'unknown option', /\.cnf$/, (c) => `${c}\nbogus_option = 1\n`, /unknown variable 'bogus_option=1'/],
    ['sshd -t', 'bad value', /sshd_config\.d/, (c) => `${c}PasswordAuthentication maybe\n`, /unsupported option .*maybe/],
    ['fail2ban-client -t', 'bad duration', /jail\.d/, (c) => c.replace('bantime = 1h', 'bantime = 1x'), /SyntaxError|invalid/],
    ['fail2ban-client -t', 'unknown key', /jail\.d/, (c) => c.replace('maxretry', 'max_retry'), /sshd\.max_retry/],
    ['sh -n and sh -c .', 'unterminated quote', /\.env$/, (c) => `${c}BROKEN='unterminated\n`, /Unterminated quoted string/],
    ['journald.conf(5) keys and values', 'unknown key', /journald/, (c) => c.replace('SystemMaxUse', 'SystemMaxUsage'), /SystemMaxUsage/],
    ['journald.conf(5) keys and values', 'bad time span', /journald/, (c) => c.replace('MaxRetentionSec=1month', 'MaxRetentionSec=1 fortnight'), /1 fortnight/],
  ];

  it.each(mistakes)('%s fails on a planted %s', (checkerName, _mistake, pathPattern, plant, message) => {
    // GIVEN a droplet's real file, with a mistake planted
    const checker = CHECKERS.find((c) => c.name === checkerName)!;
    const droplet = droplets.find((d) => d.doc.writeFiles.some((f) => pathPattern.test(f.path) && checker.matches(f)));
    const original = droplet?.doc.writeFiles.find((f) => pathPattern.test(f.path) && checker.matches(f));
    expect(original).toBeDefined();
    const file: WriteFile = { ...original!, content: plant(original!.content) };
    expect(file.content).not.toBe(original!.content);
    const files = droplet!.doc.writeFiles.map((f) => (f === original ? file : f));
    const tmp = makeTempDir('planted');
    try {
      const root = path.join(tmp.dir, 'root');
      for (const f of files) writeFile(root, f.path, f.content, parseInt(f.permissions, 8));
      const scratch = path.join(tmp.dir, 'scratch');
      fs.mkdirSync(scratch);
      // WHEN / THEN
      expect(() => checker.check({ file, hostPath: path.join(root, file.path), root, files, scratch })).toThrow(message);
    } finally {
      tmp.cleanup();
    }
  });
});
