import { TerraformVariable, Testing } from 'cdktf';
import { SingleServer } from '../../../constructs/single-server';
import { estimateMonthlyCost, estimateMonthlyCostByRole } from '../../../lib/report/cost';
import { Stage0SingleServer } from '../../../lib/stages/stage0';
import { Stage1LoadBalanced } from '../../../lib/stages/stage1';
import { Stage2SecuredMonitored } from '../../../lib/stages/stage2';
import { Stage3HighAvailability } from '../../../lib/stages/stage3';
import { ADMIN, SSH_KEYS, testStack } from '../../helpers/stacks';

const props = { domain: 'foobar.com', sshKeys: SSH_KEYS, adminCidrs: ADMIN };

describe('estimateMonthlyCost', () => {
  test('stage 0: one s-1vcpu-2gb droplet and a 10 GiB volume', () => {
    const estimate = estimateMonthlyCost(new Stage0SingleServer(Testing.app(), 's0', props));
    expect([...estimate.lines].sort((a, b) => a.item.localeCompare(b.item))).toEqual([
      { item: 'droplet s-1vcpu-2gb', count: 1, unitMonthlyUsd: 12, monthlyUsd: 12 },
      { item: 'volume 10 GiB', count: 1, unitMonthlyUsd: 1, monthlyUsd: 1 },
    ]);
    expect(estimate.totalMonthlyUsd).toBe(13);
  });

  test('stage 1: load balancer, two web droplets, primary and replica with volumes', () => {
    const estimate = estimateMonthlyCost(new Stage1LoadBalanced(Testing.app(), 's1', props));
    expect(estimate.lines).toEqual(
      expect.arrayContaining([
        { item: 'droplet s-1vcpu-2gb', count: 4, unitMonthlyUsd: 12, monthlyUsd: 48 },
        { item: 'droplet s-1vcpu-1gb', count: 1, unitMonthlyUsd: 6, monthlyUsd: 6 },
        { item: 'volume 20 GiB', count: 2, unitMonthlyUsd: 2, monthlyUsd: 4 },
      ]),
    );
    expect(estimate.totalMonthlyUsd).toBe(58);
    expect(estimate.unpriced).toEqual([]);
  });

  test('backups add 20% to the droplet price', () => {
    const { stack, vpc } = testStack();
    new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS, size: 's-2vcpu-4gb', backups: true });
    expect(estimateMonthlyCost(stack).lines).toContainEqual({
      item: 'droplet s-2vcpu-4gb + backups',
      count: 1,
      unitMonthlyUsd: 28.8,
      monthlyUsd: 28.8,
    });
  });

  test('lists droplets whose size is a token as unpriced', () => {
    const { stack, vpc } = testStack();
    const size = new TerraformVariable(stack, 'size', { type: 'string' });
    new SingleServer(stack, 'Server', { vpc, name: 'site-www', sshKeys: SSH_KEYS, size: size.stringValue });
    expect(estimateMonthlyCost(stack).unpriced).toEqual(['test/Server/Droplet']);
  });

  test('stages 2 and 3 cost what the README says ($70 and $102 a month)', () => {
    const secured = { ...props, email: 'ops@foobar.com' };
    expect(estimateMonthlyCost(new Stage2SecuredMonitored(Testing.app(), 's2', secured)).totalMonthlyUsd).toBe(70);
    expect(estimateMonthlyCost(new Stage3HighAvailability(Testing.app(), 's3', secured)).totalMonthlyUsd).toBe(102);
  });
});

describe('estimateMonthlyCostByRole', () => {
  test('stage 3: one line per role and item, adding up to the same total', () => {
    const stack = new Stage3HighAvailability(Testing.app(), 's3', { ...props, email: 'ops@foobar.com' });
    const byRole = estimateMonthlyCostByRole(stack);
    expect(byRole.totalMonthlyUsd).toBe(estimateMonthlyCost(stack).totalMonthlyUsd);
    expect(byRole.lines).toEqual(
      expect.arrayContaining([
        { item: 'droplet s-1vcpu-1gb', role: 'foobar-s3-lb', count: 2, unitMonthlyUsd: 6, monthlyUsd: 12 },
        { item: 'droplet s-1vcpu-2gb', role: 'foobar-s3-db', count: 3, unitMonthlyUsd: 12, monthlyUsd: 36 },
        { item: 'volume 20 GiB', role: 'foobar-s3-db', count: 3, unitMonthlyUsd: 2, monthlyUsd: 6 },
        { item: 'droplet s-1vcpu-2gb', role: 'foobar-s3-mon', count: 1, unitMonthlyUsd: 12, monthlyUsd: 12 },
      ]),
    );
    expect(byRole.lines.every((l) => l.role !== undefined)).toBe(true);
  });
});
