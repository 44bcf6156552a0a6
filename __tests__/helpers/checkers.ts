/**
 * The real checkers of every file a droplet boots with, shared by the stage test (__tests__/lib/stages/
 * rendered-files.test.ts: every droplet of every stage) and construct tests that synthesize their own stacks.
 *
 * `describeRenderedDroplet` registers, for one droplet's user_data as Terraform would render it at apply: the
 * `cloud-init schema` check, the top-level key allow-list, "every write_files entry has a checker", and one test
 * per (file, checker). A file no checker claims FAILS, so a new kind of file cannot ship unchecked: add a checker
 * to CHECKERS. A missing checker program fails too (requireTool names the Debian package).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { PlanDroplet, parseStack } from '../../lib/plan/plan';
import { CloudConfigDocument, WriteFile, parseCloudConfig, renderUserData } from '../../lib/plan/cloud-config';
import { fakeResolver } from '../../lib/plan/fake-resolver';
import { PROMETHEUS_PATHS } from '../../lib/render/prometheus';
import { SIZING_SCRIPT, SIZING_UNIT_PATH } from '../../lib/render/sizing';
import { UPSTREAM_WATCH_SCRIPT } from '../../lib/render/upstream-watch';
import { expectClean, expectNo, makeTempDir, requireTool, run, RunResult, writeFile } from './tools';
import type { Json } from './stacks';

/** What the droplet's metadata script (tierform-netinfo) writes to /etc/tierform/net.env at boot. */
export const NET_ENV = { TIERFORM_PRIVATE_IP: '127.0.0.1', TIERFORM_PUBLIC_IP: '127.0.0.1', TIERFORM_DROPLET_ID: '100000001' };

export interface RenderedDroplet {
  readonly droplet: PlanDroplet;
  readonly userData: string;
  readonly doc: CloudConfigDocument;
}

/** Every droplet of a synthesized stack, its user_data rendered the way Terraform would (fakeResolver). */
export function renderDroplets(synthesized: string): RenderedDroplet[] {
  const plan = parseStack(synthesized);
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
export const CLOUD_CONFIG_KEYS = new Set(['package_update', 'package_upgrade', 'ssh_pwauth', 'packages', 'write_files', 'runcmd']);

// ---------------------------------------------------------------------------------------------------------------
// Checkers: what reads each kind of file, and how we ask it whether the file is right.

export interface CheckContext {
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

export interface Checker {
  readonly name: string;
  readonly matches: (file: WriteFile) => boolean;
  readonly check: (ctx: CheckContext) => void;
}

const SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:ba|da)?sh(?:\s|$)/;
const UNIT = /^\/etc\/systemd\/system\/[^/]+\.(?:service|socket|timer|path|mount|target)$/;
const DROP_IN = /^\/etc\/systemd\/system\/([^/]+\.(?:service|socket|timer|path|mount|target))\.d\/[^/]+\.conf$/;

/** `<root><path>` for paths the droplet's own write_files provide (the rest stays as on the host). */
function rebase(ctx: CheckContext, p: string): string {
  return ctx.files.some((f) => f.path === p) ? path.join(ctx.root, p) : p;
}

/**
 * nginx.conf with its includes pointing at the droplet's copies: a file the droplet writes, or a wildcard include
 * of a directory the droplet writes into (`/etc/nginx/tierform.d/*.conf`); the rest (mime.types) is the package's.
 */
function nginxConfForCheck(ctx: CheckContext, conf: WriteFile): string {
  const content = conf.content.replace(/^(\s*include\s+)(\/[^;\s]+)/gm, (_m, head: string, p: string) => {
    const dir = path.dirname(p);
    const ours = p.includes('*') ? ctx.files.some((f) => path.dirname(f.path) === dir) : ctx.files.some((f) => f.path === p);
    return `${head}${ours ? path.join(ctx.root, p) : (bootGeneratedFile(ctx, p) ?? p)}`;
  });
  return writeFile(ctx.scratch, 'nginx.conf', content);
}

/**
 * MySQL option files the droplet's sizing service writes into `dir` at every boot (innodb_buffer_pool_size from the
 * droplet's memory): the sizing script runs with its unit's arguments, the option file moved into scratch.
 */
function bootGeneratedMysqlCnfs(ctx: CheckContext, dir: string): WriteFile[] {
  const unit = ctx.files.find((f) => f.path === SIZING_UNIT_PATH);
  const script = ctx.files.find((f) => f.path === SIZING_SCRIPT);
  const execStart = unit?.content.split('\n').find((l) => l.startsWith('ExecStart='));
  const args = execStart?.slice('ExecStart='.length).split(' ').slice(1) ?? [];
  const i = args.indexOf('--mysql-cnf');
  if (!unit || !script || i < 0 || path.dirname(args[i + 1]) !== dir) return [];
  const target = args[i + 1];
  const out = path.join(ctx.scratch, 'sizing', path.basename(target));
  const file = writeFile(ctx.scratch, 'tierform-sizing', script.content);
  fs.chmodSync(file, 0o755);
  const argv = args.map((a) => (a === target ? out : a));
  const result = run(file, argv, { env: { ...process.env, TIERFORM_SIZING_ENV: path.join(ctx.scratch, 'sizing.env') } });
  expect({ status: result.status, written: fs.existsSync(out) }).toEqual({ status: 0, written: true });
  return [{ path: target, content: fs.readFileSync(out, 'utf8'), permissions: '0644', owner: 'root:root', defer: false }];
}

/**
 * A file a droplet's boot script writes before the daemon reading it starts: the upstream watcher's servers file,
 * which nginx includes. The watcher itself runs (`boot`), its servers file moved into scratch, with `getent`
 * answering two addresses and `systemctl` saying nginx is not running yet (stubs on PATH).
 */
function bootGeneratedFile(ctx: CheckContext, p: string): string | undefined {
  const watcher = ctx.files.find((f) => f.path === UPSTREAM_WATCH_SCRIPT);
  const line = `readonly SERVERS_FILE='${p}'`;
  if (!watcher?.content.includes(line)) return undefined;
  const out = path.join(ctx.scratch, 'generated', p);
  const script = writeFile(ctx.scratch, 'upstream-watch', watcher.content.replace(line, `readonly SERVERS_FILE='${out}'`));
  fs.chmodSync(script, 0o755);
  const bin = path.join(ctx.scratch, 'bin');
  const getent = writeFile(bin, 'getent', '#!/bin/sh\nfor a in 10.20.0.6 10.20.0.5; do printf "%s STREAM %s\\n%s DGRAM\\n" "$a" "$3" "$a"; done\n');
  const systemctl = writeFile(bin, 'systemctl', '#!/bin/sh\nexit 3\n');
  for (const stub of [getent, systemctl]) fs.chmodSync(stub, 0o755);
  const result = run(script, ['boot'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  expect({ status: result.status, servers: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined }).toEqual({
    status: 0,
    servers: expect.stringMatching(
      /^# written by tierform-upstream-watch[^\n]*\nserver 10\.20\.0\.5:\d+ [^\n]+;\nserver 10\.20\.0\.6:\d+ [^\n]+;\n$/,
    ),
  });
  return out;
}

const NGINX_FINDINGS = /\[(warn|emerg|alert|crit|error)\]/;

/** `promtool` says SUCCESS, and nothing about warnings, failures or errors. */
function expectPromtoolClean(result: RunResult): void {
  expect({ status: result.status, success: /SUCCESS/.test(result.output), output: result.output }).toEqual({
    status: 0,
    success: true,
    output: expect.not.stringMatching(/WARNING|FAILED|error/i),
  });
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
  'Storage',
  'Compress',
  'Seal',
  'SplitMode',
  'SyncIntervalSec',
  'RateLimitIntervalSec',
  'RateLimitBurst',
  'SystemMaxUse',
  'SystemKeepFree',
  'SystemMaxFileSize',
  'SystemMaxFiles',
  'RuntimeMaxUse',
  'RuntimeKeepFree',
  'RuntimeMaxFileSize',
  'RuntimeMaxFiles',
  'MaxFileSec',
  'MaxRetentionSec',
  'ForwardToSyslog',
  'ForwardToKMsg',
  'ForwardToConsole',
  'ForwardToWall',
  'ForwardToSocket',
  'TTYPath',
  'MaxLevelStore',
  'MaxLevelSyslog',
  'MaxLevelKMsg',
  'MaxLevelConsole',
  'MaxLevelWall',
  'MaxLevelSocket',
  'LineMax',
  'ReadKMsg',
  'Audit',
]);
const JOURNALD_SIZE_KEYS = /^(System|Runtime)(MaxUse|KeepFree|MaxFileSize)$|^LineMax$/;

/**
 * Option names MySQL 8.0's reference manual documents: there is no MySQL 8.0 server here (Debian 12 ships MariaDB
 * only), so MySQL files are checked by option name against the manual; values and cross-option rules are NOT checked
 * by a real mysqld. Used here and by __tests__/lib/render/mysql.test.ts.
 */
export const MYSQL80_DOCUMENTED_OPTIONS = new Set([
  'server_id',
  'log_bin',
  'relay_log',
  'gtid_mode',
  'enforce_gtid_consistency',
  'log_replica_updates',
  'binlog_expire_logs_seconds',
  'sync_binlog',
  'innodb_flush_log_at_trx_commit',
  'relay_log_recovery',
  'read_only',
  'super_read_only',
  'skip_name_resolve',
  'local_infile',
  'max_connections',
  'innodb_buffer_pool_size',
  'slow_query_log',
  'slow_query_log_file',
  'long_query_time',
  'bind_address',
  'mysqlx_bind_address',
]);

/** `key = value` lines of an INI file by section (`#`/`;` comments skipped). */
export function iniEntries(text: string): Array<{ section: string; key: string; value: string; line: number }> {
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

export const CHECKERS: readonly Checker[] = [
  {
    name: 'nginx -t',
    matches: (f) => f.path === '/etc/nginx/nginx.conf',
    check: (ctx) => {
      const nginx = requireTool('nginx', 'nginx');
      expectNo(run(nginx, ['-t', '-c', nginxConfForCheck(ctx, ctx.file)]), NGINX_FINDINGS);
    },
  },
  {
    name: 'nginx -t (included by nginx.conf)',
    matches: (f) => /^\/etc\/nginx\/tierform\.d\/[^/]+\.conf$/.test(f.path),
    check: (ctx) => {
      // The block is only valid inside nginx.conf's http { }: checked there, and proven read (nginx -T lists it).
      const nginx = requireTool('nginx', 'nginx');
      const conf = ctx.files.find((f) => f.path === '/etc/nginx/nginx.conf');
      expect({ includedBy: conf?.path }).toEqual({ includedBy: '/etc/nginx/nginx.conf' });
      const file = nginxConfForCheck(ctx, conf!);
      expectNo(run(nginx, ['-t', '-c', file]), NGINX_FINDINGS);
      expect(run(nginx, ['-T', '-c', file]).stdout).toContain(`# configuration file ${ctx.hostPath}:`);
    },
  },
  {
    name: 'promtool check config',
    matches: (f) => f.path === PROMETHEUS_PATHS.config,
    check: (ctx) => {
      // Rule files at the droplet's copies; the self-target files written by the droplet's own script (as its
      // ExecStartPre does, with net.env's address) into a scratch directory, so promtool reads those too.
      const promtool = requireTool('promtool', 'prometheus');
      const selfDir = path.join(ctx.scratch, 'self');
      const script = ctx.files.find((f) => f.path === PROMETHEUS_PATHS.selfTargetsScript);
      if (script) {
        const copy = writeFile(ctx.scratch, 'self-targets', script.content.split(PROMETHEUS_PATHS.selfTargetsDir).join(selfDir), 0o755);
        expectClean(run('bash', [copy], { env: { ...process.env, ...NET_ENV } }));
      }
      const doc = parseYaml(ctx.file.content) as { rule_files?: string[]; scrape_configs?: { file_sd_configs?: { files: string[] }[] }[] };
      doc.rule_files = (doc.rule_files ?? []).map((f) => (path.isAbsolute(f) ? rebase(ctx, f) : f));
      for (const job of doc.scrape_configs ?? []) {
        for (const sd of job.file_sd_configs ?? []) sd.files = sd.files.map((f) => f.split(PROMETHEUS_PATHS.selfTargetsDir).join(selfDir));
      }
      expectPromtoolClean(run(promtool, ['check', 'config', writeFile(ctx.scratch, 'prometheus.yml', stringifyYaml(doc))]));
    },
  },
  {
    name: 'promtool check rules',
    matches: (f) => f.path.startsWith(`${PROMETHEUS_PATHS.rulesDir}/`) && /\.ya?ml$/.test(f.path),
    check: (ctx) => {
      const promtool = requireTool('promtool', 'prometheus');
      expectPromtoolClean(run(promtool, ['check', 'rules', ctx.hostPath]));
    },
  },
  {
    name: 'haproxy -c',
    matches: (f) => f.path === '/etc/haproxy/haproxy.cfg',
    check: (ctx) => {
      const haproxy = requireTool('haproxy', 'haproxy');
      // With HTTPS, `crt` names the PEM certbot builds at boot: point it at a throwaway self-signed one.
      const cfg = ctx.file.content.replace(/ crt (\/\S+)/g, () => ` crt ${testCertificate(ctx.scratch)}`);
      const file = cfg === ctx.file.content ? ctx.hostPath : writeFile(ctx.scratch, 'haproxy.cfg', cfg);
      // The haproxy.service drop-in gives haproxy net.env's variables; the config expands them.
      expectNo(run(haproxy, ['-c', '-f', file], { env: { ...process.env, ...NET_ENV } }), /\[(WARNING|ALERT|NOTICE)\]/);
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
      expectClean(
        run(python, ['-m', 'py_compile', ctx.hostPath], { env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(ctx.scratch, 'pycache') } }),
      );
    },
  },
  {
    name: 'mariadbd --help --verbose',
    matches: (f) => /^\/etc\/mysql\/mariadb\.conf\.d\/[^/]+\.cnf$/.test(f.path),
    check: (ctx) => {
      const mariadbd = requireTool('mariadbd', 'mariadb-server');
      // Every file the droplet writes to the directory, in the server's reading order, as one defaults file.
      const dir = path.dirname(ctx.file.path);
      const all = [...ctx.files.filter((f) => path.dirname(f.path) === dir && f.path.endsWith('.cnf')), ...bootGeneratedMysqlCnfs(ctx, dir)].sort(
        (a, b) => a.path.localeCompare(b.path),
      );
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
      const entries = [ctx.file, ...bootGeneratedMysqlCnfs(ctx, path.dirname(ctx.file.path))].flatMap((f) => iniEntries(f.content));
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
      expect({ status: test.status, findings: fail2banFindings(test.output).filter((l) => !fail2banBaseline!.includes(l)) }).toEqual({
        status: 0,
        findings: [],
      });
      // -t ignores unknown keys and bad time values; the dump of what the server would be told shows every key
      // it understood, and fail2ban's own time parser (MyTime) checks the durations.
      const dump = run(client, ['-c', conf, '-d']).stdout;
      const timeKeys: string[] = [];
      for (const e of iniEntries(ctx.file.content)) {
        if (e.key === 'enabled') {
          expect({ jail: e.section, enabled: e.value, started: dump.includes(`['start', '${e.section}']`) }).toEqual({
            jail: e.section,
            enabled: e.value,
            started: e.value === 'true',
          });
        } else if (e.key === 'backend') {
          expect(dump).toContain(`['add', '${e.section}', '${e.value}']`);
        } else {
          expect({ key: `${e.section}.${e.key}`, understood: dump.includes(`['set', '${e.section}', '${e.key}', `) }).toEqual({
            key: `${e.section}.${e.key}`,
            understood: true,
          });
        }
        if (/^(bantime|findtime)(\.|$)/.test(e.key) && !/\.(increment|multipliers|formula|overalljails|factor)$/.test(e.key)) timeKeys.push(e.value);
      }
      if (timeKeys.length > 0) {
        const python = fs
          .readFileSync(client, 'utf8')
          .split('\n', 1)[0]
          .replace(/^#!\s*/, '')
          .split(/\s+/);
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
    name: 'keepalived -t (in a namespace with the droplet\u2019s own VRRP tunnel up)',
    matches: (f) => f.path === '/etc/keepalived/keepalived.conf',
    check: (ctx) => keepalivedCheck(ctx),
  },
  {
    name: 'root-only token file: 0600, one line, no spaces',
    matches: (f) => f.path === '/etc/tierform/do-token',
    check: (ctx) => {
      expect(ctx.file.permissions).toBe('0600');
      expect(ctx.file.content).toMatch(/^\S+\n$/);
    },
  },
  {
    name: 'certbot DNS plugin credentials: 0600, dns_digitalocean_token only',
    matches: (f) => f.path === '/etc/tierform/certbot-digitalocean.ini',
    check: (ctx) => {
      // certbot refuses credentials readable by others; the plugin reads exactly this key (configobj syntax).
      expect(ctx.file.permissions).toBe('0600');
      const entries = ctx.file.content.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      expect(entries).toEqual([expect.stringMatching(/^dns_digitalocean_token = \S+$/)]);
    },
  },
  {
    name: 'dockerd --config-file (configuration loaded, then stopped before its data root)',
    matches: (f) => f.path === '/etc/docker/daemon.json',
    check: (ctx) => checkDockerDaemonJson(ctx.hostPath, ctx.scratch),
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

/** A self-signed EC certificate + key as one PEM in `dir` (what HAProxy's `crt` takes). */
function testCertificate(dir: string): string {
  const openssl = requireTool('openssl', 'openssl');
  const pem = path.join(dir, 'site.pem');
  const key = path.join(dir, 'site.key');
  const crt = path.join(dir, 'site.crt');
  const result = run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=www.foobar.com',
    '-keyout',
    key,
    '-out',
    crt,
  ]);
  expect(result.status).toBe(0);
  fs.writeFileSync(pem, fs.readFileSync(crt, 'utf8') + fs.readFileSync(key, 'utf8'), { mode: 0o600 });
  return pem;
}

let checkNamespaces = 0;

/**
 * keepalived -t needs the VRRP interface to exist and the scripts it names to be root-owned executables: a
 * namespace of its own, the droplet's own tunnel script bringing vrrp0 up (peer given by address, not DNS),
 * and the /usr/local/sbin paths pointing at the droplet's copies. The namespace is removed afterwards.
 */
function keepalivedCheck(ctx: CheckContext): void {
  const ip = requireTool('ip', 'iproute2');
  const keepalived = requireTool('keepalived', 'keepalived');
  const tunnel = ctx.files.find((f) => f.path === '/usr/local/sbin/tierform-vrrp-tunnel');
  expect(tunnel).toBeDefined();
  const ns = `tfchk-${process.pid}-${checkNamespaces++}`;
  expect(run(ip, ['netns', 'add', ns]).status).toBe(0);
  try {
    run(ip, ['-n', ns, 'link', 'set', 'lo', 'up']);
    run(ip, ['-n', ns, 'addr', 'add', '10.77.1.1/32', 'dev', 'lo']);
    const netEnv = writeFile(ctx.scratch, 'net.env', 'TIERFORM_PRIVATE_IP=10.77.1.1\n');
    const up = run(ip, ['netns', 'exec', ns, path.join(ctx.root, tunnel!.path), 'up'], {
      env: { ...process.env, TIERFORM_NET_ENV: netEnv, TIERFORM_PEER_ADDRESS: '10.77.1.2' },
    });
    expect({ status: up.status, output: up.output }).toEqual({ status: 0, output: up.output });
    const conf = ctx.file.content.replace(/\/usr\/local\/sbin\/[\w.-]+/g, (p) => rebase(ctx, p));
    const file = writeFile(ctx.scratch, 'keepalived.conf', conf);
    // -l: messages to the console, -D: detailed; -t: check and exit (non-zero on any finding).
    const result = run(ip, ['netns', 'exec', ns, keepalived, '-t', '-l', '-D', '-f', file]);
    expectNo(result, /warn|error|unknown|not (found|executable|secure)/i);
  } finally {
    run(ip, ['netns', 'del', ns]);
  }
}

export function checkersFor(file: WriteFile): Checker[] {
  return CHECKERS.filter((c) => c.matches(file));
}

/**
 * Registers the checks of one droplet (call inside a describe): the user_data document, then every file with every
 * checker that claims it.
 */
export function describeRenderedDroplet({ userData, doc }: RenderedDroplet): void {
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
}

/**
 * Docker 20.10 (Debian 12) has no `dockerd --validate`. dockerd loads and validates its configuration file (unknown
 * keys, keys that conflict with flags, bad values) before anything else, then creates its data root: pointing the
 * data root into /proc, where no directory can be made, stops it right there (nothing created, nothing mounted). So
 * "mkdir /proc/..." means the configuration passed every check dockerd makes before starting, and no daemon ran.
 */
export function checkDockerDaemonJson(file: string, scratch: string): void {
  const dockerd = requireTool('dockerd', 'docker.io');
  const result = run(
    dockerd,
    [
      '--config-file',
      file,
      '--pidfile',
      '/proc/tierform-no-such-dir/docker.pid',
      '--data-root',
      '/proc/tierform-no-such-dir/data',
      '--exec-root',
      '/proc/tierform-no-such-dir/exec',
      '--host',
      `unix://${path.join(scratch, 'docker.sock')}`,
    ],
    { timeout: 30_000 },
  );
  const last = result.output.trim().split('\n').pop() ?? '';
  expect({ status: result.status === 0 ? 'started' : 'stopped', last, output: result.output }).toEqual({
    status: 'stopped',
    last: 'mkdir /proc/tierform-no-such-dir: no such file or directory',
    output: expect.not.stringMatching(/unable to configure|directives|invalid|unknown/i),
  });
}

/** A docker_container's upload block as synthesized. */
export interface ContainerUpload {
  readonly file: string;
  readonly content?: string;
  readonly source?: string;
  readonly permissions?: string;
}

/** Terraform's escaping of literal text undone (the bytes the provider uploads). */
export function unescapeTerraform(text: string): string {
  return text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

const CONTAINER_CHECKERS: ReadonlyArray<{
  name: string;
  matches: (u: ContainerUpload) => boolean;
  check: (file: string, content: string, scratch: string) => void;
}> = [
  {
    name: 'nginx -t (container nginx.conf)',
    matches: (u) => u.file === '/etc/nginx/nginx.conf',
    check: (_file, content, scratch) => {
      const nginx = requireTool('nginx', 'nginx');
      // The certificate comes from the host's certbot at run time: a throwaway one stands in.
      const conf = content.replace(/(ssl_certificate(?:_key)?) (\/\S+);/g, (_m, key: string) => `${key} ${testCertificate(scratch)};`);
      expectNo(run(nginx, ['-t', '-c', writeFile(scratch, 'nginx.conf', conf)]), NGINX_FINDINGS);
    },
  },
  {
    name: 'shellcheck',
    matches: (u) => SHEBANG.test((u.content ?? '').split('\n', 1)[0]),
    check: (file) => expectClean(run(requireTool('shellcheck', 'shellcheck'), ['--norc', file])),
  },
];

/** The checkers that claim a container upload. */
export function containerCheckersFor(upload: ContainerUpload): (typeof CONTAINER_CHECKERS)[number][] {
  return CONTAINER_CHECKERS.filter((c) => c.matches(upload));
}

/**
 * Registers, for every docker_container of a synthesized stack, one test per rendered upload and checker. Secrets
 * (content that is a variable reference) must be exactly that; repository files (`source`) are the user's; every
 * other upload needs a checker, or the test fails.
 */
export function describeContainerUploads(json: Json): void {
  const containers = Object.values((json.resource?.docker_container ?? {}) as Record<string, Json>);
  const rendered = containers.flatMap((c: Json) =>
    ((c.upload ?? []) as ContainerUpload[])
      .filter((u) => u.content !== undefined && !/^\$\{var\.[A-Za-z0-9_]+\}$/.test(u.content))
      .map((u) => [c.name as string, u] as const),
  );
  it('every rendered upload has a checker', () => {
    expect(rendered.filter(([, u]) => containerCheckersFor(u).length === 0).map(([n, u]) => `${n}:${u.file}`)).toEqual([]);
  });
  it('secret uploads are sensitive variables, never literals', () => {
    for (const c of containers) {
      for (const u of (c.upload ?? []) as ContainerUpload[]) {
        if (/secrets/.test(u.file))
          expect({ file: u.file, content: u.content }).toEqual({ file: u.file, content: expect.stringMatching(/^\$\{var\.[a-z0-9_]+\}$/) });
      }
    }
  });
  const cases = rendered.flatMap(([name, u]) => containerCheckersFor(u).map((checker) => [name, u.file, checker.name, u, checker] as const));
  if (cases.length > 0) {
    it.each(cases)('%s %s: %s', (_name, _file, _checker, upload, checker) => {
      const tmp = makeTempDir('upload');
      try {
        const content = unescapeTerraform(upload.content!);
        const file = writeFile(tmp.dir, path.basename(upload.file), content, parseInt(upload.permissions ?? '0644', 8));
        checker.check(file, content, tmp.dir);
      } finally {
        tmp.cleanup();
      }
    });
  }
}
