import { BootListing, BootState, formatStatus, siteHint } from '../../../lib/lab/boot';

const up: BootState = {
  version: 1,
  id: 'abc123',
  stage: 'stage1-load-balanced',
  planFile: 'cdktf.out/stacks/stage1-load-balanced/cdk.tf.json',
  status: 'up',
  bootSeconds: 12.5,
  client: { netns: 'tf-abc123-client', ip: '198.51.100.2' },
  records: [{ name: 'www.foobar.com', address: '203.0.113.10' }],
  droplets: [],
} as unknown as BootState;

function listing(boot: BootState): BootListing {
  return { id: boot.id, dir: '/run/tierform-lab/abc123', ownerPid: 1, ownerRunning: true, reservedIps: {}, boot };
}

test('lab status repeats how to reach the site, from the client namespace', () => {
  expect(formatStatus([listing(up)])).toContain(
    'the site, from the client namespace (not from this host): ip netns exec tf-abc123-client curl -sL http://www.foobar.com/',
  );
});

test('a lab that is not up gives no hint', () => {
  expect(formatStatus([listing({ ...up, status: 'booting' })])).not.toContain('curl');
});

test('without DNS records the hint names the first droplet address', () => {
  expect(siteHint('ns', [], [{ publicIp: '203.0.113.5' }])).toBe('ip netns exec ns curl -sL http://203.0.113.5/');
  expect(siteHint('ns', [], [])).toBeUndefined();
});
