import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SIZING_ENV_FILE, renderSizingScript, renderSizingUnit } from '../../../lib/render/sizing';
import { makeTempDir, requireTool, run } from '../../helpers/tools';

/** The real script on this machine, its env file redirected into a temp dir. */
function runSizing(args: string[]) {
  const tmp = makeTempDir('sizing');
  const script = path.join(tmp.dir, 'tierform-sizing');
  fs.writeFileSync(script, renderSizingScript(), { mode: 0o755 });
  const envFile = path.join(tmp.dir, 'run/sizing.env');
  const result = run(
    script,
    args.map((a) => a.replace('@TMP@', tmp.dir)),
    { env: { ...process.env, TIERFORM_SIZING_ENV: envFile } },
  );
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
  return { result, env: read(envFile), read: (rel: string) => read(path.join(tmp.dir, rel)), cleanup: tmp.cleanup, dir: tmp.dir };
}

const VCPUS = os.cpus().length;
const MEMORY_MB = Math.floor(Number(/^MemTotal:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024);

describe('tierform-sizing (values that follow the droplet size, computed at boot)', () => {
  test('shellcheck finds nothing', () => {
    const tmp = makeTempDir('sizing-sc');
    try {
      const file = path.join(tmp.dir, 'tierform-sizing');
      fs.writeFileSync(file, renderSizingScript());
      expect(run(requireTool('shellcheck', 'shellcheck'), [file]).output).toBe('');
    } finally {
      tmp.cleanup();
    }
  });

  test('writes this machine’s CPUs, memory and gunicorn’s 2 × CPUs + 1 workers', () => {
    const s = runSizing([]);
    try {
      expect(s.result.status).toBe(0);
      expect(s.env).toBe(`TIERFORM_VCPUS=${VCPUS}\nTIERFORM_MEMORY_MB=${MEMORY_MB}\nTIERFORM_GUNICORN_WORKERS=${2 * VCPUS + 1}\n`);
    } finally {
      s.cleanup();
    }
  });

  test('writes the InnoDB buffer pool as a percentage of memory (at least 128 MiB), accepted by mariadbd', () => {
    const s = runSizing(['--mysql-cnf', '@TMP@/mysql/61-tierform-memory.cnf', '--mysql-buffer-pool-percent', '50']);
    try {
      expect(s.result.status).toBe(0);
      const cnf = s.read('mysql/61-tierform-memory.cnf')!;
      expect(cnf).toContain(`[mysqld]\ninnodb_buffer_pool_size = ${Math.max(128, Math.floor((MEMORY_MB * 50) / 100))}M\n`);
      const mariadbd = requireTool('mariadbd', 'mariadb-server');
      const check = run(mariadbd, [`--defaults-file=${path.join(s.dir, 'mysql/61-tierform-memory.cnf')}`, '--help', '--verbose']);
      expect(check.status).toBe(0);
      expect(check.stdout).toMatch(
        new RegExp(`^innodb-buffer-pool-size\\s+${Math.max(128, Math.floor((MEMORY_MB * 50) / 100)) * 1024 * 1024}$`, 'm'),
      );
    } finally {
      s.cleanup();
    }
  });

  test('measures the retention cap on the nearest existing directory (the storage dir may not exist yet)', () => {
    const s = runSizing(['--retention-dir', '@TMP@/not/yet/there', '--retention-percent', '50']);
    try {
      expect(s.result.status).toBe(0);
      const diskGb = Number(run('df', ['--block-size=1G', '--output=size', s.dir]).stdout.split('\n')[1].trim());
      expect(s.env).toContain(`TIERFORM_RETENTION_GB=${Math.max(1, Math.floor((diskGb * 50) / 100))}\n`);
      expect(fs.existsSync(path.join(s.dir, 'not'))).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  test.each([
    [
      ['--mysql-cnf', '@TMP@/x.cnf', '--mysql-buffer-pool-percent', '0'],
      "--mysql-buffer-pool-percent must be a whole percentage from 1 to 100, got '0'",
    ],
    [['--retention-dir', '/', '--retention-percent', 'half'], "--retention-percent must be a whole percentage from 1 to 100, got 'half'"],
    [['--frobnicate'], "unknown argument '--frobnicate'"],
  ])('fails clearly on %j', (args, message) => {
    const s = runSizing(args);
    try {
      expect(s.result.status).toBe(1);
      expect(s.result.output).toContain(message);
    } finally {
      s.cleanup();
    }
  });

  test('the unit runs before the services that read its results, at every boot', () => {
    const unit = renderSizingUnit({
      mysql: { cnfPath: '/etc/mysql/mariadb.conf.d/61-tierform-memory.cnf', bufferPoolPercent: 50 },
      before: ['mariadb.service'],
    });
    expect(unit).toContain('Before=mariadb.service\n');
    expect(unit).toContain(
      'ExecStart=/usr/local/sbin/tierform-sizing --mysql-cnf /etc/mysql/mariadb.conf.d/61-tierform-memory.cnf --mysql-buffer-pool-percent 50\n',
    );
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(SIZING_ENV_FILE).toBe('/run/tierform/sizing.env');
    expect(() => renderSizingUnit({ before: ['mariadb'] })).toThrow(
      `'before[0]' must be a systemd unit name ending in '.service', '.target', '.socket' or '.timer', got "mariadb"`,
    );
    expect(() => renderSizingUnit({ retention: { dir: 'relative', percent: 50 } })).toThrow(
      `'retention.dir' must be an absolute path of letters, digits, '.', '_' and '-' between single '/' (no '.' or '..' component), got "relative"`,
    );
  });
});
