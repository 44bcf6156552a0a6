/**
 * End to end: stage 0 (one server) synthesized from main.ts and booted in the lab from its cdk.tf.json, with
 * the real nginx, gunicorn and MariaDB, each droplet running its user_data as written (substitutions:
 * lib/lab/README.md). Root and the Debian packages are required (a missing one fails, naming it).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { HttpAnswer, httpAnswer, nginxDiagnosis, poll, useBootedStage } from './stage-fixture';

const STAGE = 'stage0-single-server';
const SITE = 'http://www.foobar.com';
const DROPLET = 'foobar-s0-www';

const { boot } = useBootedStage(STAGE, { bootTimeoutMs: 120_000, shutdownTimeoutMs: 60_000 });
const hostNginxConf = () => createHash('sha256').update(fs.readFileSync('/etc/nginx/nginx.conf')).digest('hex');
const hostConfBefore = fs.existsSync('/etc/nginx/nginx.conf') ? hostNginxConf() : '';

/** GET through the whole path until the app answers (gunicorn needs a moment after its unit starts). */
async function getApp(path: string): Promise<HttpAnswer> {
  let last: HttpAnswer | undefined;
  return poll(
    `GET ${path} answered by the app`,
    async () => {
      last = await httpAnswer(boot(), 'client', `${SITE}${path}`);
      return last.json !== undefined ? last : undefined;
    },
    { attempts: 40, timeoutMs: 15_000, describe: () => nginxDiagnosis(boot(), DROPLET, last) },
  );
}

test('boots the droplet from the plan: user_data run as written, the data volume script substituted', () => {
  const d = boot().droplet(DROPLET);
  const runcmd = d.steps.filter((s) => s.module === 'runcmd');
  expect(runcmd.filter((s) => s.outcome === 'failed')).toEqual([]);
  expect(runcmd.filter((s) => s.outcome === 'substituted').map((s) => s.what)).toEqual(['/usr/local/sbin/tierform-mysql-volume']);
  expect(runcmd.map((s) => s.what)).toEqual(
    expect.arrayContaining([
      '/usr/local/sbin/tierform-netinfo',
      'systemctl start tierform-mysql-setup.service',
      '/usr/local/sbin/tierform-app-setup',
    ]),
  );
  expect(Object.fromEntries(d.units.status().map((u) => [u.name, u.state]))).toMatchObject({
    'nginx.service': 'active',
    'mariadb.service': 'active',
    'tierform-app.service': 'active',
    'tierform-mysql-setup.service': 'active',
  });
});

test('places every write_files entry byte for byte in the droplet only', () => {
  const d = boot().droplet(DROPLET);
  for (const f of d.planned.cloudConfig!.writeFiles) {
    expect({ path: f.path, content: d.host.readFile(f.path) }).toEqual({ path: f.path, content: f.content });
    expect({ path: f.path, mode: (fs.statSync(d.host.resolve(f.path)).mode & 0o7777).toString(8).padStart(4, '0') }).toEqual({
      path: f.path,
      mode: f.permissions,
    });
  }
  expect(fs.existsSync('/opt/tierform/app/app.py')).toBe(false);
  expect(fs.existsSync('/etc/tierform')).toBe(false);
  if (hostConfBefore) expect(hostNginxConf()).toBe(hostConfBefore);
});

test('tierform-netinfo read the droplet addresses from the lab metadata service', () => {
  const d = boot().droplet(DROPLET);
  expect(d.host.readFile('/etc/tierform/net.env')).toBe(
    `TIERFORM_PRIVATE_IP=${d.planned.privateIp}\nTIERFORM_PUBLIC_IP=${d.planned.publicIp}\nTIERFORM_DROPLET_ID=${d.planned.id}\n`,
  );
});

test('gunicorn runs as the app user the droplet created, MariaDB as mysql', () => {
  const d = boot().droplet(DROPLET);
  const uidOf = (unit: string) => {
    const pid = d.units.status().find((u) => u.name === unit)?.pid;
    return Number(/^Uid:\s+([0-9]+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  };
  expect(uidOf('tierform-app.service')).toBe(d.host.user('tierform-app')!.uid);
  expect(uidOf('mariadb.service')).toBe(d.host.user('mysql')!.uid);
});

test('GET /health from the client answers 200 (www.foobar.com resolved through the lab DNS)', async () => {
  const r = await httpAnswer(boot(), 'client', `${SITE}/health`);
  expect(r.status).toBe(200);
});

test('GET / answers through nginx and gunicorn and persists a row that /visits/<id> finds', async () => {
  const first = await getApp('/');
  expect(first).toMatchObject({ status: 200, json: { instance: DROPLET, read_from: 'primary' } });
  const id = first.json!.written_id as number;
  expect(Number.isInteger(id)).toBe(true);

  const second = await httpAnswer(boot(), 'client', `${SITE}/`);
  expect(second.json?.written_id).toBeGreaterThan(id);

  const visit = await httpAnswer(boot(), 'client', `${SITE}/visits/${id}`);
  expect(visit).toMatchObject({ status: 200, json: { id, instance: DROPLET } });
  // And the row is in MariaDB's data directory on the (substituted) volume.
  const rows = await boot().exec(DROPLET, ['mariadb', '--batch', '--skip-column-names', '-e', `SELECT instance FROM app.visits WHERE id = ${id}`]);
  expect(rows.stdout.trim()).toBe(DROPLET);
});

test('GET /health/db reports the database reachable', async () => {
  const r = await getApp('/health/db');
  expect(r).toMatchObject({ status: 200, json: { status: 'ok', checks: { primary: 'ok' } } });
});
