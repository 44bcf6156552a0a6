import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { Firewall } from '@cdktf/provider-digitalocean/lib/firewall';
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { App, Aspects, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Compliance, ProductionReadiness, RuleDefinition, RuleLevel, RulePack, Suppressions, namedRule } from '../../../lib/checks';
import { makeTempDir } from '../../helpers/tools';

function handWritten(): { stack: TerraformStack; scope: Construct; droplet: Droplet } {
  const stack = new TerraformStack(Testing.app(), 'hand');
  new DigitaloceanProvider(stack, 'do', {});
  const scope = new Construct(stack, 'Site');
  const droplet = new Droplet(scope, 'Web', { name: 'web', image: 'ubuntu-24-04-x64', region: 'nyc3', size: 's-1vcpu-1gb', monitoring: true });
  new Firewall(scope, 'Fw', {
    name: 'web',
    dropletIds: [droplet.id as unknown as number],
    inboundRule: [{ protocol: 'tcp', portRange: '22', sourceAddresses: ['0.0.0.0/0'] }],
  });
  return { stack, scope, droplet };
}

const annotations = (stack: TerraformStack) =>
  stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning' || m.type === '@cdktf/error' || m.type === '@cdktf/warn')
        .map((m) => ({ path: c.node.path, type: m.type, message: String(m.data) })),
    );

describe('ProductionReadiness as an Aspect', () => {
  test('judges resources written with the raw provider classes: errors and warnings are annotations on the resource', () => {
    const { stack } = handWritten();
    const pack = new ProductionReadiness();
    Aspects.of(stack).add(pack);
    Testing.synth(stack);
    const errors = pack.violations(RuleLevel.ERROR).map((r) => `${r.ruleId} ${r.path}`);
    expect(errors).toEqual(expect.arrayContaining(['PR-DO1 hand/Site/Web', 'PR-DO2 hand/Site/Fw']));
    const messages = annotations(stack);
    expect(messages).toContainEqual({
      path: 'hand/Site/Web',
      type: expect.stringMatching(/error/),
      message: expect.stringMatching(/^PR-DO1: A droplet has no SSH keys\. droplet web has no ssh_keys/),
    });
    expect(messages).toContainEqual({
      path: 'hand/Site/Fw',
      type: expect.stringMatching(/error/),
      message: expect.stringMatching(/^PR-DO2: .* admits tcp\/22 from 0\.0\.0\.0\/0/),
    });
  });

  test('an error fails synth, naming the resource path', () => {
    const outdir = makeTempDir('pack');
    try {
      const app = new App({ outdir: outdir.dir });
      const stack = new TerraformStack(app, 'hand');
      new DigitaloceanProvider(stack, 'do', {});
      new Droplet(stack, 'Web', { name: 'web', image: 'ubuntu-24-04-x64', region: 'nyc3', size: 's-1vcpu-1gb' });
      Aspects.of(stack).add(new ProductionReadiness());
      expect(() => app.synth()).toThrow(/\[hand\/Web\] PR-DO1: A droplet has no SSH keys/);
    } finally {
      outdir.cleanup();
    }
  });

  test('a suppression with a reason silences the rule under its scope and is kept with the outcome', () => {
    const { stack, scope } = handWritten();
    Suppressions.add(scope, [{ id: 'PR-DO2', reason: 'The bastion accepts SSH from anywhere behind fail2ban.' }]);
    const pack = new ProductionReadiness();
    Aspects.of(stack).add(pack);
    Testing.synth(stack);
    expect(pack.violations().map((r) => r.ruleId)).not.toContain('PR-DO2');
    expect(pack.results.filter((r) => r.suppressed)).toEqual([
      expect.objectContaining({
        ruleId: 'PR-DO2',
        path: 'hand/Site/Fw',
        compliance: Compliance.NON_COMPLIANT,
        suppressed: { reason: 'The bastion accepts SSH from anywhere behind fail2ban.', scopePath: 'hand/Site' },
      }),
    ]);
    expect(annotations(stack).map((a) => a.message)).not.toContainEqual(expect.stringMatching(/PR-DO2/));
  });

  test('applyToChildren: false limits a suppression to its own construct', () => {
    const { stack, scope, droplet } = handWritten();
    Suppressions.add(scope, [{ id: 'PR-DO1', reason: 'Only the scope itself, not its children.' }], { applyToChildren: false });
    Suppressions.add(droplet, [{ id: 'PR-DO6', reason: 'Set on the droplet itself, for the test.' }], { applyToChildren: false });
    expect(Suppressions.of(droplet).map((s) => s.id)).toEqual(['PR-DO6']);
    const pack = new ProductionReadiness();
    Aspects.of(stack).add(pack);
    Testing.synth(stack);
    expect(pack.violations().map((r) => r.ruleId)).toContain('PR-DO1');
  });

  test('throws if a suppression has no reason, naming the construct path, prop, value and fix', () => {
    const { scope } = handWritten();
    expect(() => Suppressions.add(scope, [{ id: 'PR-DO2', reason: 'ok' }])).toThrow(
      "hand/Site: 'suppressions[0].reason' must say why PR-DO2 is accepted here (at least 10 characters), got 'ok'. Write the reason a reviewer should read in the readiness report.",
    );
    expect(() => Suppressions.add(scope, [{ id: 'PR DO2', reason: 'a good long reason' }])).toThrow(
      "hand/Site: 'suppressions[0].id' is not a rule id, got 'PR DO2'.",
    );
  });

  test('variables are judged too (sensitive secrets)', () => {
    const stack = new TerraformStack(Testing.app(), 'vars');
    new TerraformVariable(stack, 'db_password', { type: 'string' });
    const pack = new ProductionReadiness();
    Aspects.of(stack).add(pack);
    Testing.synth(stack);
    expect(pack.violations()).toEqual([expect.objectContaining({ ruleId: 'PR-SEC2', address: 'var.db_password', path: 'vars/db_password' })]);
  });

  test('a rule that throws is reported as a warning with the error, never as compliant', () => {
    class Broken extends RulePack {
      public readonly packName = 'Broken';
      public readonly rules: RuleDefinition[] = [
        {
          id: 'X-1',
          rule: namedRule('Throws', () => {
            throw new Error('boom');
          }),
          level: RuleLevel.ERROR,
          info: 'i',
          explanation: 'e',
          source: 'test',
        },
      ];
    }
    const { stack } = handWritten();
    const pack = new Broken();
    Aspects.of(stack).add(pack);
    Testing.synth(stack);
    expect(pack.results[0]).toEqual(expect.objectContaining({ ruleId: 'X-1', error: 'boom', compliance: Compliance.NOT_APPLICABLE }));
    expect(annotations(stack)).toContainEqual(
      expect.objectContaining({
        type: expect.stringMatching(/warn/),
        message: expect.stringMatching(/X-1: the rule Throws could not judge .*: boom/),
      }),
    );
  });
});
