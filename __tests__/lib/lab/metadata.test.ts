import * as fs from 'fs';
import { LabMetadata, metadataAnswers } from '../../../lib/lab/metadata';
import { applyRuleset, renderNftRuleset } from '../../../lib/lab/firewall';
import { LabDroplet, LabNetwork } from '../../../lib/lab/netns';
import { isRunning } from '../../../lib/lab/processes';
import { makeTempDir } from '../../helpers/tools';
import { requireLab, startHttp } from './lab-fixture';

const DROPLET: LabDroplet = {
  name: 'lb-0',
  id: '100000003',
  index: 2,
  netns: 'tfl-x-lb-0',
  region: 'lab1',
  tags: ['foobar-lb'],
  publicIp: '203.0.113.12',
  publicPrefixLength: 24,
  gateway: '203.0.113.1',
  publicMac: '02:74:66:00:02:01',
  anchorIp: '10.19.0.12',
  anchorPrefixLength: 16,
  anchorGateway: '10.19.0.1',
  vpc: 'main',
  privateIp: '10.10.0.4',
  privatePrefixLength: 20,
  privateMac: '02:74:66:00:02:02',
};

describe('metadataAnswers', () => {
  test('answers the droplet id, hostname and user-data', () => {
    expect(metadataAnswers({ droplet: DROPLET, userData: '#cloud-config\n' }).paths).toMatchObject({
      '/metadata/v1/id': '100000003',
      '/metadata/v1/hostname': 'lb-0',
      '/metadata/v1/user-data': '#cloud-config\n',
    });
  });

  test('answers the public, anchor and private addresses with DigitalOcean paths', () => {
    expect(metadataAnswers({ droplet: DROPLET }).paths).toMatchObject({
      '/metadata/v1/interfaces/public/0/ipv4/address': '203.0.113.12',
      '/metadata/v1/interfaces/public/0/ipv4/netmask': '255.255.255.0',
      '/metadata/v1/interfaces/public/0/anchor_ipv4/address': '10.19.0.12',
      '/metadata/v1/interfaces/public/0/anchor_ipv4/gateway': '10.19.0.1',
      '/metadata/v1/interfaces/private/0/ipv4/address': '10.10.0.4',
      '/metadata/v1/interfaces/private/0/ipv4/netmask': '255.255.240.0',
    });
  });

  test('says whether the droplet holds a reserved IP, under both names', () => {
    expect(metadataAnswers({ droplet: DROPLET, reservedIp: '203.0.113.20' }).paths).toMatchObject({
      '/metadata/v1/reserved_ip/ipv4/active': 'true',
      '/metadata/v1/reserved_ip/ipv4/ip_address': '203.0.113.20',
      '/metadata/v1/floating_ip/ipv4/active': 'true',
    });
    const none = metadataAnswers({ droplet: DROPLET }).paths;
    expect(none['/metadata/v1/reserved_ip/ipv4/active']).toBe('false');
    expect(none['/metadata/v1/reserved_ip/ipv4/ip_address']).toBeUndefined();
  });

  test('builds the v1.json document', () => {
    expect(metadataAnswers({ droplet: DROPLET, reservedIp: '203.0.113.20' }).json).toMatchObject({
      droplet_id: 100000003,
      interfaces: { public: [{ anchor_ipv4: { ip_address: '10.19.0.12' } }], private: [{ ipv4: { ip_address: '10.10.0.4' } }] },
      reserved_ip: { ipv4: { active: true, ip_address: '203.0.113.20' } },
    });
  });
});

describe('the metadata service in the lab (live)', () => {
  let root: ReturnType<typeof makeTempDir>;
  let lab: LabNetwork;
  let metadata: LabMetadata;

  async function get(node: string, path: string): Promise<string> {
    const r = await lab.exec(node, ['curl', '-sS', '--fail', '--max-time', '3', `http://169.254.169.254${path}`], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new Error(`GET ${path} in ${node}: curl ${r.status} ${r.stderr}`);
    return r.stdout;
  }

  beforeAll(async () => {
    requireLab();
    root = makeTempDir('lab');
    lab = LabNetwork.create({
      labRoot: root.dir,
      vpcs: [{ name: 'main', ipRange: '10.10.0.0/20' }],
      droplets: [
        { name: 'lb-0', id: '100000001', publicIp: '203.0.113.10', vpc: 'main', privateIp: '10.10.0.2' },
        { name: 'lb-1', id: '100000002', publicIp: '203.0.113.11', vpc: 'main', privateIp: '10.10.0.3' },
      ],
      reservedIps: [{ ip: '203.0.113.20', holder: 'lb-0' }],
    });
    metadata = await LabMetadata.start(lab, { userData: { 'lb-0': '#cloud-config\nruncmd: [true]\n' } });
  });

  afterAll(() => {
    lab?.teardown();
    root?.cleanup();
  });

  test('answers each droplet its own id, hostname and addresses', async () => {
    expect(await get('lb-0', '/metadata/v1/id')).toBe('100000001');
    expect(await get('lb-1', '/metadata/v1/id')).toBe('100000002');
    expect(await get('lb-1', '/metadata/v1/hostname')).toBe('lb-1');
    expect(await get('lb-1', '/metadata/v1/interfaces/private/0/ipv4/address')).toBe('10.10.0.3');
    expect(await get('lb-1', '/metadata/v1/interfaces/public/0/ipv4/address')).toBe('203.0.113.11');
    expect(await get('lb-1', '/metadata/v1/interfaces/public/0/anchor_ipv4/address')).toBe('10.19.0.11');
  });

  test('answers the user-data byte for byte', async () => {
    expect(await get('lb-0', '/metadata/v1/user-data')).toBe('#cloud-config\nruncmd: [true]\n');
  });

  test('lists a directory as DigitalOcean does', async () => {
    expect((await get('lb-0', '/metadata/v1/interfaces/public/0/')).split('\n')).toEqual(expect.arrayContaining(['anchor_ipv4/', 'ipv4/', 'mac']));
  });

  test('follows the reserved IP when it moves', async () => {
    expect(await get('lb-0', '/metadata/v1/reserved_ip/ipv4/active')).toBe('true');
    expect(await get('lb-0', '/metadata/v1/reserved_ip/ipv4/ip_address')).toBe('203.0.113.20');
    expect(await get('lb-1', '/metadata/v1/reserved_ip/ipv4/active')).toBe('false');
    lab.moveAddress('203.0.113.20', 'lb-1');
    expect(await get('lb-0', '/metadata/v1/reserved_ip/ipv4/active')).toBe('false');
    expect(await get('lb-1', '/metadata/v1/reserved_ip/ipv4/active')).toBe('true');
  });

  test('leaves port 80 free for the droplet daemons', async () => {
    await startHttp(lab, 'lb-0', [80]);
    expect(await get('lb-0', '/metadata/v1/hostname')).toBe('lb-0');
    const app = await lab.exec('lb-0', ['curl', '-sS', '--max-time', '3', 'http://10.10.0.2/']);
    expect(JSON.parse(app.stdout)).toMatchObject({ host: 'lb-0', port: 80 });
  });

  test('is not reachable from outside the droplet', async () => {
    const r = await lab.exec('client', ['curl', '-sS', '--connect-timeout', '1', '--max-time', '2', 'http://169.254.169.254/metadata/v1/id']);
    expect(r.status).not.toBe(0);
  });

  test('answers through a firewall that blocks all outbound traffic', async () => {
    const droplets = lab.droplets.map((d) => ({ id: d.id, name: d.name, tags: ['lb'], addresses: [d.publicIp, d.privateIp!] }));
    const closed = { name: 'fw-closed', tags: ['lb'], inbound: [{ protocol: 'tcp', portRange: '22', addresses: ['198.51.100.7'] }] };
    applyRuleset(lab.netns('lb-1'), renderNftRuleset({ droplet: 'lb-1', droplets, firewalls: [closed] }));
    expect(await get('lb-1', '/metadata/v1/id')).toBe('100000002');
  });

  test('runs one tracked server per droplet, which teardown stops', () => {
    const pids = [...metadata.processes.values()].map((p) => p.pid);
    expect(pids).toHaveLength(2);
    expect(pids.every((p) => isRunning(p))).toBe(true);
    lab.teardown();
    expect(pids.filter((p) => isRunning(p))).toEqual([]);
    expect(fs.existsSync(metadata.answersFile('lb-0'))).toBe(false);
  });
});
