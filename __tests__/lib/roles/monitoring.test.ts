import * as fs from 'fs';
import * as path from 'path';
import { renderMysqldExporterAccountSql, renderMysqldExporterCnf } from '../../../lib/render/exporters';
import { MysqlFlavor } from '../../../lib/render/mysql';
import {
  EXPORTER_PASSWORD_PATTERN,
  EXPORTER_PORTS,
  MYSQLD_EXPORTER_ACCOUNT_HOOK,
  exportersFragment,
  prometheusServerFragment,
  renderMysqldExporterAccountHook,
  renderMysqldExporterSetupScript,
} from '../../../lib/roles/monitoring';
import { makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';

const FLAVORS: readonly MysqlFlavor[] = ['mysql-8.0', 'mariadb-10.11'];
const B64 = '${base64encode(var.exporter)}';

const paths = (f: { files?: readonly { path: string }[] }) => (f.files ?? []).map((x) => x.path);
const commands = (f: { commands?: readonly (readonly string[])[] }) => (f.commands ?? []).map((c) => c.join(' '));

describe('exportersFragment', () => {
  test('every droplet: node_exporter with its VPC drop-in, enabled and restarted', () => {
    // GIVEN / WHEN
    const fragment = exportersFragment({ exporters: [] });
    // THEN
    expect(fragment.packages).toEqual(['prometheus-node-exporter']);
    expect(paths(fragment)).toEqual(['/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf']);
    expect(commands(fragment)).toEqual([
      'systemctl daemon-reload',
      'systemctl enable prometheus-node-exporter',
      'systemctl restart prometheus-node-exporter',
    ]);
  });

  test('nginx: the stub_status block in nginx.conf\'s include directory and the nginx exporter', () => {
    // GIVEN / WHEN
    const fragment = exportersFragment({ exporters: ['nginx'] });
    // THEN
    expect(fragment.packages).toEqual(['prometheus-node-exporter', 'prometheus-nginx-exporter']);
    expect(paths(fragment)).toEqual([
      '/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf',
      '/etc/nginx/tierform.d/stub-status.conf',
      '/etc/systemd/system/prometheus-nginx-exporter.service.d/50-tierform.conf',
    ]);
    expect(commands(fragment)).toContain('systemctl restart prometheus-node-exporter prometheus-nginx-exporter');
  });

  test('haproxy: nothing to install (HAProxy serves /metrics itself)', () => {
    expect(exportersFragment({ exporters: ['haproxy'] })).toEqual(exportersFragment({ exporters: [] }));
  });

  test('mysqld: secret, credentials script and drop-in on every node; the account hook on the primary only', () => {
    // GIVEN / WHEN
    const replica = exportersFragment({ exporters: ['mysqld'], mysql: { flavor: 'mysql-8.0', primary: false, passwordBase64: B64 } });
    const primary = exportersFragment({ exporters: ['mysqld'], mysql: { flavor: 'mysql-8.0', primary: true, passwordBase64: B64 } });
    // THEN
    expect(paths(replica)).toEqual([
      '/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf',
      '/etc/tierform/mysqld-exporter.b64',
      '/usr/local/sbin/tierform-mysqld-exporter-setup',
      '/etc/systemd/system/prometheus-mysqld-exporter.service.d/50-tierform.conf',
    ]);
    expect(paths(primary)).toEqual([...paths(replica), MYSQLD_EXPORTER_ACCOUNT_HOOK]);
    expect(replica.files!.find((f) => f.path.endsWith('.b64'))).toMatchObject({ permissions: '0600', content: expect.stringContaining(`MYSQLD_EXPORTER_PASSWORD_B64='${B64}'`) });
    expect(commands(replica)[0]).toBe('/usr/local/sbin/tierform-mysqld-exporter-setup');
  });

  test('ports: node 9100, HAProxy 8404, nginx exporter 9113, mysqld_exporter 9104', () => {
    expect(EXPORTER_PORTS).toEqual({ node: 9100, haproxy: 8404, nginx: 9113, mysqld: 9104 });
  });

  test('throws if the mysqld exporter has no MySQL settings', () => {
    expect(() => exportersFragment({ exporters: ['mysqld'] })).toThrow("exportersFragment: 'mysql' is required with the mysqld exporter");
  });
});

describe('prometheusServerFragment', () => {
  const fragment = prometheusServerFragment({
    jobs: [{ name: 'node', targets: [{ address: '10.0.0.5:9100', labels: { role: 'web' } }], selfTarget: { port: 9100, labels: {} } }],
    scrapeIntervalSeconds: 15,
    retentionDays: 15,
    rules: { replicationLagSeconds: 30, diskFreePercent: 15, http5xxRatio: 0.05 },
  });

  test('installs Prometheus and its own node_exporter; writes the package conffile after the packages', () => {
    expect(fragment.packages).toEqual(['prometheus', 'prometheus-node-exporter']);
    expect(fragment.files!.filter((f) => f.defer).map((f) => f.path)).toEqual(['/etc/prometheus/prometheus.yml', '/etc/prometheus/rules/tierform.yml']);
  });

  test('checks the config with promtool before (re)starting', () => {
    const list = commands(fragment);
    expect(list[0]).toBe('promtool check config /etc/prometheus/prometheus.yml');
    expect(list.slice(-2)).toEqual(['systemctl enable prometheus', 'systemctl restart prometheus']);
  });
});

// ---- the scripts, run for real ---------------------------------------------------------------------------------

function shellcheck(script: string): RunResult {
  const tmp = makeTempDir('monitoring-shellcheck');
  try {
    return run(requireTool('shellcheck', 'shellcheck'), ['--norc', '-S', 'style', writeFile(tmp.dir, 'script', script, 0o755)]);
  } finally {
    tmp.cleanup();
  }
}

describe('scripts pass shellcheck at style level', () => {
  test.each<[string, string]>([
    ['credentials setup', renderMysqldExporterSetupScript()],
    ...FLAVORS.map((f): [string, string] => [`${f} account hook`, renderMysqldExporterAccountHook(f)]),
  ])('%s', (_name, script) => {
    expect(shellcheck(script)).toMatchObject({ status: 0, output: '' });
  });
});

describe('account hook', () => {
  test.each(FLAVORS)('%s: runs exactly the SQL of renderMysqldExporterAccountSql, with the decoded password', (flavor) => {
    // GIVEN a client stand-in that records its stdin, and the secret
    const tmp = makeTempDir('exporter-hook');
    try {
      const password = 'exp-Pw.~+=@^*:,!/_42x';
      const secrets = writeFile(tmp.dir, 'secret.b64', `MYSQLD_EXPORTER_PASSWORD_B64='${Buffer.from(password).toString('base64')}'\n`, 0o600);
      const client = writeFile(tmp.dir, 'client', `#!/usr/bin/env bash\ncat >"${tmp.dir}/sql"\n`, 0o755);
      const hook = writeFile(tmp.dir, 'hook.sh', renderMysqldExporterAccountHook(flavor), 0o755);
      // WHEN
      const result = run('bash', [hook], { env: { ...process.env, TIERFORM_MYSQL: client, TIERFORM_EXPORTER_SECRETS: secrets } });
      // THEN
      expect({ status: result.status, leaked: result.output.includes(password) }).toEqual({ status: 0, leaked: false });
      expect(fs.readFileSync(path.join(tmp.dir, 'sql'), 'utf8')).toBe(renderMysqldExporterAccountSql({ flavor, password }));
    } finally {
      tmp.cleanup();
    }
  });
});

describe('credentials setup script', () => {
  function setup(password: string): { result: RunResult; cnf: string; dir: string; cleanup: () => void } {
    const tmp = makeTempDir('exporter-cnf');
    const secrets = writeFile(tmp.dir, 'secret.b64', `MYSQLD_EXPORTER_PASSWORD_B64='${Buffer.from(password).toString('base64')}'\n`, 0o600);
    const script = writeFile(tmp.dir, 'setup', renderMysqldExporterSetupScript(), 0o755);
    const cnf = path.join(tmp.dir, 'mysqld-exporter.cnf');
    const result = run('bash', [script], {
      env: { ...process.env, TIERFORM_EXPORTER_SECRETS: secrets, TIERFORM_EXPORTER_CNF: cnf, TIERFORM_EXPORTER_CNF_OWNER: `${process.getuid!()}:${process.getgid!()}` },
    });
    return { result, cnf, dir: tmp.dir, cleanup: tmp.cleanup };
  }

  test('writes the renderer\'s file with the decoded password, 0600', () => {
    // GIVEN a password with every punctuation character the variable allows
    const password = 'a-B_c.d~e+f=g@h^i*j:k,l!m/n0';
    // WHEN
    const { result, cnf, cleanup } = setup(password);
    try {
      // THEN
      expect({ status: result.status, leaked: result.output.includes(password) }).toEqual({ status: 0, leaked: false });
      expect(fs.readFileSync(cnf, 'utf8')).toBe(renderMysqldExporterCnf({ password }));
      expect(fs.statSync(cnf).mode & 0o777).toBe(0o600);
    } finally {
      cleanup();
    }
  });

  test('keeps & literal (bash 5.2 would put the matched text there)', () => {
    const { result, cnf, cleanup } = setup('pass&word-with-amp');
    try {
      expect(result.status).toBe(0);
      expect(fs.readFileSync(cnf, 'utf8')).toContain('password = `pass&word-with-amp`\n');
    } finally {
      cleanup();
    }
  });

  test.each(['has#hash-in-it-123', 'has?question-12345', 'has;semicolon-1234', 'has`backquote-12345'])('refuses %s and writes nothing', (password) => {
    // GIVEN / WHEN
    const { result, cnf, dir, cleanup } = setup(password);
    try {
      // THEN
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('tierform-mysqld-exporter: ERROR: the exporter password must be non-empty without quotes, backslashes, whitespace, backquotes, ?, # or ;');
      expect(fs.existsSync(cnf)).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('mysqld-exporter.cnf'))).toEqual([]);
    } finally {
      cleanup();
    }
  });

  test('the Terraform validation pattern refuses the same characters', () => {
    const pattern = new RegExp(EXPORTER_PASSWORD_PATTERN);
    expect(['has#hash-in-it-123', 'has?question-12345', 'has;semicolon-1234', "has'quote-12345678", 'short'].filter((p) => pattern.test(p))).toEqual([]);
    expect(pattern.test('a-B_c.d~e+f=g@h^i*j:k,l!m/n0')).toBe(true);
  });
});
