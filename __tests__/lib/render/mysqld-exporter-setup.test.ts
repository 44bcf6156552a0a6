import * as fs from 'fs';
import * as path from 'path';
import { renderMysqldExporterAccountSql, renderMysqldExporterCnf } from '../../../lib/render/exporters';
import { MysqlFlavor } from '../../../lib/render/mysql';
import { renderMysqldExporterAccountHook, renderMysqldExporterSetupScript } from '../../../lib/render/mysqld-exporter-setup';
import { makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';

const FLAVORS: readonly MysqlFlavor[] = ['mysql-8.0', 'mariadb-10.11'];

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
      env: {
        ...process.env,
        TIERFORM_EXPORTER_SECRETS: secrets,
        TIERFORM_EXPORTER_CNF: cnf,
        TIERFORM_EXPORTER_CNF_OWNER: `${process.getuid!()}:${process.getgid!()}`,
      },
    });
    return { result, cnf, dir: tmp.dir, cleanup: tmp.cleanup };
  }

  test("writes the renderer's file with the decoded password, 0600", () => {
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

  test.each(['has#hash-in-it-123', 'has?question-12345', 'has;semicolon-1234', 'has`backquote-12345'])(
    'refuses %s and writes nothing',
    (password) => {
      // GIVEN / WHEN
      const { result, cnf, dir, cleanup } = setup(password);
      try {
        // THEN
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
          'tierform-mysqld-exporter: ERROR: the exporter password must be non-empty without quotes, backslashes, whitespace, backquotes, ?, # or ;',
        );
        expect(fs.existsSync(cnf)).toBe(false);
        expect(fs.readdirSync(dir).filter((f) => f.startsWith('mysqld-exporter.cnf'))).toEqual([]);
      } finally {
        cleanup();
      }
    },
  );
});
