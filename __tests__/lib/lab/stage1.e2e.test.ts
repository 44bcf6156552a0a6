/**
 * End to end: stage 1 (HAProxy → 2 × nginx+gunicorn → MariaDB primary + replica) synthesized from main.ts and
 * booted in the lab from its cdk.tf.json: five droplets in namespaces, the plan's Cloud Firewalls in nftables,
 * real HAProxy, nginx, gunicorn and MariaDB replication. Root and the Debian packages are required.
 */
import { HttpAnswer, httpAnswer, nginxDiagnosis, poll, tcpProbe, useBootedStage } from './stage-fixture';

const STAGE = 'stage1-load-balanced';
const SITE = 'http://www.foobar.com';
const LB = 'foobar-s1-lb';
const WEB = ['foobar-s1-web-0', 'foobar-s1-web-1'];
const PRIMARY = 'foobar-s1-db-primary';
const REPLICA = 'foobar-s1-db-replica-1';
const REQUESTS = 12;

const { boot } = useBootedStage(STAGE, { bootTimeoutMs: 120_000, shutdownTimeoutMs: 60_000 });

let warm: Promise<unknown> | undefined;

/** Waits (once, bounded) until both web droplets answer `/` through the load balancer. */
function bothWebsAnswer(): Promise<unknown> {
  const seen = new Set<string>();
  let last: HttpAnswer | undefined;
  warm ??= poll(
    'both web droplets answer / through HAProxy',
    async () => {
      last = await httpAnswer(boot(), 'client', `${SITE}/`);
      if (last.status === 200 && typeof last.json?.instance === 'string') seen.add(last.json.instance);
      return seen.size === WEB.length ? true : undefined;
    },
    {
      attempts: 80,
      timeoutMs: 30_000,
      intervalMs: 200,
      describe: () => `seen: ${[...seen].join(', ') || 'none'}\n${WEB.map((w) => nginxDiagnosis(boot(), w, last)).join('\n')}`,
    },
  );
  return warm;
}

test('boots all five droplets from the plan, each running its user_data', async () => {
  expect([...boot().droplets.keys()].sort()).toEqual([PRIMARY, REPLICA, LB, ...WEB].sort());
  for (const d of boot().droplets.values()) {
    expect({ droplet: d.planned.name, failed: d.steps.filter((s) => s.outcome === 'failed') }).toEqual({ droplet: d.planned.name, failed: [] });
  }
  await expect(boot().systemctl(LB, 'is-active', 'haproxy')).resolves.toMatchObject({ status: 0, stdout: 'active\n' });
  // The web droplets reach the database by internal names, which the lab's DNS server resolves to the primary's and
  // the replica's VPC addresses (glibc in the droplet: /etc/hosts has no such name).
  const env = boot().droplet(WEB[0]).host.readFile('/etc/tierform/app.env') ?? '';
  expect(env).toContain("DB_HOST='foobar-s1-db-primary.internal.foobar.com'");
  expect(env).toContain("DB_READ_HOST='foobar-s1-db-read.internal.foobar.com'");
  const resolved = await boot().exec(WEB[0], [
    'getent',
    'ahostsv4',
    'foobar-s1-db-primary.internal.foobar.com',
    'foobar-s1-db-read.internal.foobar.com',
  ]);
  const addresses = new Set(
    resolved.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[0]),
  );
  expect([...addresses].sort()).toEqual([boot().droplet(PRIMARY).planned.privateIp, boot().droplet(REPLICA).planned.privateIp].sort());
});

/**
 * HAProxy's view of the `web` backend, from its admin socket (`show servers state`): the servers in use (an address
 * from DNS, operational state 2 = running) and the seconds since each last changed state.
 */
async function webServersState(): Promise<{ name: string; running: boolean; secondsInState: number }[]> {
  const script = [
    'import socket',
    's = socket.socket(socket.AF_UNIX)',
    "s.connect('/run/haproxy/admin.sock')",
    "s.sendall(b'show servers state web\\n')",
    "print(b''.join(iter(lambda: s.recv(65536), b'')).decode())",
  ].join('\n');
  const r = await boot().exec(LB, ['python3', '-c', script]);
  // Columns: be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight
  // srv_time_since_last_change ...; unused server-template slots have no address (0.0.0.0 / "-").
  return r.stdout
    .split('\n')
    .filter((l) => /^\d+ web /.test(l))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[4] !== '0.0.0.0' && f[4] !== '-')
    .map((f) => ({ name: f[3], running: f[5] === '2', secondsInState: Number(f[9]) }));
}

/** The `slowstart` of the web servers in the rendered haproxy.cfg, seconds. */
function slowstartSeconds(): number {
  const cfg = boot().droplet(LB).host.readFile('/etc/haproxy/haproxy.cfg') ?? '';
  const m = /slowstart (\d+)s/.exec(cfg);
  if (!m) throw new Error('haproxy.cfg has no slowstart');
  return Number(m[1]);
}

test(`spreads ${REQUESTS} requests over both web droplets (round robin)`, async () => {
  await bothWebsAnswer();
  // A server that comes up takes a growing share over `slowstart` seconds: round robin is even only after that.
  const slowstart = slowstartSeconds();
  let last: { name: string; running: boolean; secondsInState: number }[] = [];
  await poll(
    `both web servers up in HAProxy for more than slowstart (${slowstart} s)`,
    async () => {
      last = await webServersState();
      return last.length === WEB.length && last.every((s) => s.running && s.secondsInState > slowstart) ? true : undefined;
    },
    { attempts: 120, timeoutMs: (slowstart + 60) * 1000, intervalMs: 1000, describe: () => JSON.stringify(last) },
  );
  const counts = new Map<string, number>();
  for (let i = 0; i < REQUESTS; i++) {
    const r = await httpAnswer(boot(), 'client', `${SITE}/`);
    expect(r.status).toBe(200);
    const instance = String(r.json?.instance);
    counts.set(instance, (counts.get(instance) ?? 0) + 1);
  }
  process.stdout.write(`${STAGE}: ${REQUESTS} requests: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  expect([...counts.keys()].sort()).toEqual(WEB);
  // Round robin over two servers of equal weight, both past slowstart: 6 and 6 (the health checks and the other
  // tests' requests share the rotation, so allow one off).
  for (const w of WEB) expect(counts.get(w)).toBeGreaterThanOrEqual(REQUESTS / 2 - 1);
}, 150_000);

test('a row written on the primary is read on the replica', async () => {
  await bothWebsAnswer();
  const write = await httpAnswer(boot(), 'client', `${SITE}/`);
  expect(write).toMatchObject({ status: 200, json: { read_from: 'replica' } });
  const id = write.json!.written_id as number;
  let last: HttpAnswer | undefined;
  const read = await poll(
    `visit ${id} readable from the replica`,
    async () => {
      last = await httpAnswer(boot(), 'client', `${SITE}/visits/${id}`);
      return last.status === 200 ? last : undefined;
    },
    { attempts: 40, timeoutMs: 10_000, intervalMs: 100, describe: () => `last: ${last?.status} ${last?.body}` },
  );
  expect(read.json).toMatchObject({ id, read_from: 'replica' });
  // The replica really replicates (and is read-only), it does not merely share the primary's data.
  const status = await boot().exec(REPLICA, ['mariadb', '-e', 'SHOW SLAVE STATUS\\G']);
  expect(status.stdout).toMatch(/Slave_IO_Running: Yes/);
  expect(status.stdout).toMatch(/Slave_SQL_Running: Yes/);
  const readOnly = await boot().exec(REPLICA, ['mariadb', '--batch', '--skip-column-names', '-e', 'SELECT @@read_only']);
  expect(readOnly.stdout.trim()).toBe('1');
});

test('the database port is not reachable from the client nor from the load balancer, but is from the web droplets', async () => {
  const primary = boot().droplet(PRIMARY).planned;
  const replica = boot().droplet(REPLICA).planned;
  // In parallel: a dropped probe waits its whole 2 s timeout.
  const [clientToPublic, clientToPrivate, lbToPrimary, lbToReplica, web0ToPrimary, web1ToReplica] = await Promise.all([
    tcpProbe(boot(), 'client', primary.publicIp, 3306),
    tcpProbe(boot(), 'client', primary.privateIp, 3306),
    tcpProbe(boot(), LB, primary.privateIp, 3306),
    tcpProbe(boot(), LB, replica.privateIp, 3306),
    tcpProbe(boot(), WEB[0], primary.privateIp, 3306),
    tcpProbe(boot(), WEB[1], replica.privateIp, 3306),
  ]);
  const probes = { clientToPublic, clientToPrivate, lbToPrimary, lbToReplica, web0ToPrimary, web1ToReplica };
  expect(probes).toEqual({
    clientToPublic: 'dropped',
    clientToPrivate: expect.not.stringMatching(/^open$/),
    lbToPrimary: 'dropped',
    lbToReplica: 'dropped',
    web0ToPrimary: 'open',
    web1ToReplica: 'open',
  });
});

test('the web droplets take HTTP only from the load balancer', async () => {
  const web = boot().droplet(WEB[0]).planned;
  const [fromClient, fromLb] = await Promise.all([tcpProbe(boot(), 'client', web.publicIp, 80), tcpProbe(boot(), LB, web.privateIp, 80)]);
  expect({ fromClient, fromLb }).toEqual({ fromClient: 'dropped', fromLb: 'open' });
});
