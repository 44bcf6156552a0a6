/**
 * The sample app the Docker stacks build (apps/flask-sample): compiled by python3, and run through Flask's test
 * client with Debian's Flask: /health answers without any dependency, and / degrades (200, "unavailable") when Redis
 * and the database cannot be reached, as seed 001 asks.
 */
import * as path from 'path';
import { SAMPLE_APP_DIR } from '../../lib/stacks';
import { expectClean, makeTempDir, requireTool, run } from '../helpers/tools';

const python = () => requireTool('python3', 'python3');

function inApp(script: string, env: Record<string, string> = {}) {
  return run(python(), ['-c', script], { cwd: SAMPLE_APP_DIR, env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', ...env } });
}

describe('apps/flask-sample', () => {
  test('every module compiles', () => {
    const tmp = makeTempDir('pyc');
    try {
      for (const f of ['app.py', 'db.py', 'migrate.py']) {
        expectClean(run(python(), ['-m', 'py_compile', path.join(SAMPLE_APP_DIR, f)], { env: { ...process.env, PYTHONPYCACHEPREFIX: tmp.dir } }));
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('/health answers 200 with no dependency configured', () => {
    const r = inApp('from app import app\nr = app.test_client().get("/health")\nprint(r.status_code, r.get_data(as_text=True).strip())');
    expect({ status: r.status, stdout: r.stdout.trim() }).toEqual({ status: 0, stdout: '200 ok' });
  });

  test('/ degrades to "unavailable" when Redis and the database are down', () => {
    const r = inApp(
      'import json\nfrom app import app\nr = app.test_client().get("/")\nb = r.get_json()\nprint(r.status_code, b["redis_hits"], b["database_visits"], b["degraded"])',
      {
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: '1',
        DB_ENGINE: 'mysql',
        DB_HOST: '127.0.0.1',
        DB_PORT: '1',
        DB_PASSWORD_FILE: '/dev/null',
      },
    );
    expect({ status: r.status, stdout: r.stdout.trim() }).toEqual({ status: 0, stdout: '200 unavailable unavailable True' });
  });

  test('the migration does nothing without a database and exits 0', () => {
    const r = inApp('import migrate, sys\nsys.exit(migrate.main())');
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({ status: 0, stderr: 'migrate: no DB_HOST, nothing to do' });
  });
});
