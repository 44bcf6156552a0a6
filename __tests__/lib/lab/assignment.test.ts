/** Lab identities of droplets and reserved IPs: fresh at boot, kept by applies, never reused (pure). */
import { assign, withoutDroplets } from '../../../lib/lab/assignment';

const PUBLIC = '203.0.113.0/24';
const VPC = { name: 'vpc', ipRange: '10.20.16.0/20' };
const slots = (...addresses: string[]) => addresses.map((address) => ({ address, vpc: VPC }));

describe('assign', () => {
  test('a fresh lab: droplets in plan order from 203.0.113.10 and the third VPC address, reserved IPs after them', () => {
    const a = assign(PUBLIC, slots('d.a', 'd.b', 'd.c'), ['r.x']);
    expect(Object.entries(a.droplets).map(([k, v]) => [k, v.id, v.publicIp, v.privateIp])).toEqual([
      ['d.a', '100000001', '203.0.113.10', '10.20.16.2'],
      ['d.b', '100000002', '203.0.113.11', '10.20.16.3'],
      ['d.c', '100000003', '203.0.113.12', '10.20.16.4'],
    ]);
    expect(a.reservedIps).toEqual({ 'r.x': '203.0.113.13' });
    expect(a.next).toEqual({ dropletId: 100000004, publicOffset: 14, vpcOffsets: { vpc: 5 } });
  });

  test('a droplet inserted in the middle of the plan shifts nobody and takes fresh values', () => {
    const first = assign(PUBLIC, slots('d.a', 'd.c'), ['r.x']);
    const second = assign(PUBLIC, slots('d.a', 'd.b', 'd.c'), ['r.x'], first);
    expect(second.droplets['d.a']).toEqual(first.droplets['d.a']);
    expect(second.droplets['d.c']).toEqual(first.droplets['d.c']);
    expect(second.reservedIps).toEqual(first.reservedIps);
    expect(second.droplets['d.b']).toEqual({ id: '100000003', publicIp: '203.0.113.13', vpc: 'vpc', privateIp: '10.20.16.4' });
  });

  test('the addresses of a destroyed droplet are not handed out again', () => {
    const first = assign(PUBLIC, slots('d.a', 'd.b'), []);
    const shrunk = assign(PUBLIC, slots('d.a'), [], first);
    const grown = assign(PUBLIC, slots('d.a', 'd.c'), [], shrunk);
    expect(grown.droplets['d.c'].publicIp).not.toBe(first.droplets['d.b'].publicIp);
    expect(grown.droplets['d.c'].privateIp).not.toBe(first.droplets['d.b'].privateIp);
    expect(grown.droplets['d.c'].id).toBe('100000003');
  });

  test('a replaced droplet gets a fresh identity, the others keep theirs', () => {
    const first = assign(PUBLIC, slots('d.a', 'd.b'), ['r.x']);
    const replaced = assign(PUBLIC, slots('d.a', 'd.b'), ['r.x'], withoutDroplets(first, ['d.a']));
    expect(replaced.droplets['d.b']).toEqual(first.droplets['d.b']);
    expect(replaced.droplets['d.a']).toEqual({ id: '100000003', publicIp: '203.0.113.13', vpc: 'vpc', privateIp: '10.20.16.4' });
  });

  test('a droplet moved to another VPC gets an address of that VPC', () => {
    const first = assign(PUBLIC, slots('d.a'), []);
    const moved = assign(PUBLIC, [{ address: 'd.a', vpc: { name: 'other', ipRange: '10.30.0.0/24' } }], [], first);
    expect(moved.droplets['d.a']).toMatchObject({ vpc: 'other', privateIp: '10.30.0.2', publicIp: '203.0.113.11' });
  });
});
