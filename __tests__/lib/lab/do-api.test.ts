import { DoApiStandIn } from '../../../lib/lab/do-api';
import { applyRuleset, FirewallSpec, renderNftRuleset } from '../../../lib/lab/firewall';
import { LabNetwork } from '../../../lib/lab/netns';
import { makeTempDir } from '../../helpers/tools';
import { requireLab, startHttp, whoAnswers } from './lab-fixture';

const RESERVED = '203.0.113.20';

describe('the DigitalOcean API stand-in (live)', () => {
  let root: ReturnType<typeof makeTempDir>;
  let lab: LabNetwork;
  let api: DoApiStandIn;

  /** curl from inside `node`, as a failover script would: returns [HTTP status, parsed body]. */
  async function call(node: string, method: string, path: string, token: string, body?: unknown): Promise<[number, Record<string, unknown>]> {
    const args = ['curl', '-sS', '--max-time', '5', '-X', method, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
    const r = await lab.exec(node, [...args, `${api.url}${path}`], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new Error(`curl in ${node}: ${r.status} ${r.stderr}`);
    const lines = r.stdout.trimEnd().split('\n');
    return [Number(lines.pop()), JSON.parse(lines.join('\n')) as Record<string, unknown>];
  }

  beforeAll(async () => {
    requireLab();
    root = makeTempDir('lab');
    lab = LabNetwork.create({
      labRoot: root.dir,
      vpcs: [{ name: 'main', ipRange: '10.10.0.0/20' }],
      droplets: [
        { name: 'lb-0', id: '100000001', publicIp: '203.0.113.10', vpc: 'main', privateIp: '10.10.0.2', tags: ['lb'] },
        { name: 'lb-1', id: '100000002', publicIp: '203.0.113.11', vpc: 'main', privateIp: '10.10.0.3', tags: ['lb'] },
      ],
      reservedIps: [{ ip: RESERVED, holder: 'lb-0' }],
    });
    // The pair's firewall: http in, https (the API) and http out — as on DigitalOcean.
    const fw: FirewallSpec = {
      name: 'fw-lb',
      tags: ['lb'],
      inbound: [{ protocol: 'tcp', portRange: '80', addresses: ['0.0.0.0/0'] }],
      outbound: [{ protocol: 'tcp', portRange: '443', addresses: ['0.0.0.0/0'] }],
    };
    const droplets = lab.droplets.map((d) => ({ id: d.id, name: d.name, tags: d.tags, addresses: [d.publicIp, d.privateIp!] }));
    for (const d of lab.droplets) {
      applyRuleset(d.netns, renderNftRuleset({ droplet: d.name, droplets, firewalls: [fw] }));
      await startHttp(lab, d.name, [80]);
    }
    api = await DoApiStandIn.start(lab, { token: 'lab-token', acceptTokens: ['plan-token'] });
  });

  afterAll(() => {
    lab?.teardown();
    root?.cleanup();
  });

  test('refuses a request without the token, and moves nothing', async () => {
    const [status, body] = await call('lb-1', 'POST', `/v2/reserved_ips/${RESERVED}/actions`, 'wrong', { type: 'assign', droplet_id: 100000002 });
    expect([status, body]).toEqual([401, { id: 'unauthorized', message: 'Unable to authenticate you' }]);
    expect(lab.holderOf(RESERVED)?.name).toBe('lb-0');
  });

  test("accepts the extra tokens it was given (a booted plan's token variables)", async () => {
    const [status] = await call('lb-1', 'GET', `/v2/reserved_ips/${RESERVED}`, 'plan-token');
    expect(status).toBe(200);
  });

  test('answers the current assignment', async () => {
    const [status, body] = await call('lb-1', 'GET', `/v2/reserved_ips/${RESERVED}`, 'lab-token');
    expect(status).toBe(200);
    expect(body).toMatchObject({ reserved_ip: { ip: RESERVED, droplet: { id: 100000001, name: 'lb-0' } } });
  });

  test('assign moves the reserved IP: the client then reaches the new holder', async () => {
    expect(await whoAnswers(lab, 'client', `http://${RESERVED}/`)).toBe('lb-0');

    const [status, body] = await call('lb-1', 'POST', `/v2/reserved_ips/${RESERVED}/actions`, 'lab-token', { type: 'assign', droplet_id: 100000002 });

    expect(status).toBe(201);
    expect(body).toMatchObject({ action: { type: 'assign_ip', status: 'completed', resource_type: 'reserved_ip', resource_id: 3405803796 } });
    expect(await whoAnswers(lab, 'client', `http://${RESERVED}/`)).toBe('lb-1');
    const [, after] = await call('lb-0', 'GET', `/v2/floating_ips/${RESERVED}`, 'lab-token');
    expect(after).toMatchObject({ floating_ip: { droplet: { name: 'lb-1' } } });
  });

  test('logs every call with the droplet that made it', () => {
    expect(api.calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', status: 401, caller: 'lb-1' }),
        expect.objectContaining({ method: 'POST', status: 201, caller: 'lb-1', requestBody: { type: 'assign', droplet_id: 100000002 } }),
      ]),
    );
  });

  test('answers 404 for an address that is not a reserved IP', async () => {
    const [status, body] = await call('lb-1', 'POST', '/v2/reserved_ips/203.0.113.99/actions', 'lab-token', {
      type: 'assign',
      droplet_id: 100000002,
    });
    expect([status, body.id]).toEqual([404, 'not_found']);
  });

  test('answers 422 for an unknown droplet or an action other than assign', async () => {
    const [unknown] = await call('lb-1', 'POST', `/v2/reserved_ips/${RESERVED}/actions`, 'lab-token', { type: 'assign', droplet_id: 7 });
    const [unassign] = await call('lb-1', 'POST', `/v2/reserved_ips/${RESERVED}/actions`, 'lab-token', { type: 'unassign' });
    expect([unknown, unassign]).toEqual([422, 422]);
    expect(lab.holderOf(RESERVED)?.name).toBe('lb-1');
  });

  test('with an assign delay, answers "in-progress" at once and moves the address only after the delay', async () => {
    // GIVEN: lb-1 holds the address (previous tests); DigitalOcean's edge taking 5 s to act
    expect(lab.holderOf(RESERVED)?.name).toBe('lb-1');
    api.assignDelayMs = 5000;
    try {
      // WHEN
      const [status, body] = await call('lb-0', 'POST', `/v2/reserved_ips/${RESERVED}/actions`, 'lab-token', {
        type: 'assign',
        droplet_id: 100000001,
      });
      // THEN: accepted, not yet moved; moved once the delay has passed
      expect([status, (body.action as Record<string, unknown>).status]).toEqual([201, 'in-progress']);
      expect(lab.holderOf(RESERVED)?.name).toBe('lb-1');
      await new Promise((r) => setTimeout(r, 6000));
      expect(lab.holderOf(RESERVED)?.name).toBe('lb-0');
    } finally {
      api.assignDelayMs = 0;
    }
  }, 30_000);

  test('answers nothing else', async () => {
    const [status, body] = await call('lb-0', 'GET', '/v2/droplets', 'lab-token');
    expect([status, body.id]).toEqual([404, 'not_found']);
  });
});
