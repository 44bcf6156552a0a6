/**
 * Every shipped stage passes the production-readiness pack with zero unsuppressed errors, through a real
 * `app.synth()` (which fails on an error annotation); the suppressions are the stages' documented weaknesses.
 */
import { App, Aspects, TerraformStack } from 'cdktf';
import { buildApp } from '../../../main';
import { Compliance, ProductionReadiness, RuleLevel, suppressStageWeaknesses } from '../../../lib/checks';
import { Stage2SecuredMonitored } from '../../../lib/stages';
import { makeTempDir } from '../../helpers/tools';

function synthAll(env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const out = makeTempDir('stages-pack');
  try {
    const app = buildApp(out.dir);
    const packs = new Map<string, ProductionReadiness>();
    for (const stack of app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c))) {
      suppressStageWeaknesses(stack);
      const pack = new ProductionReadiness();
      Aspects.of(stack).add(pack);
      packs.set(stack.node.id, pack);
    }
    app.synth();
    return packs;
  } finally {
    process.env = saved;
    out.cleanup();
  }
}

describe('the shipped stages pass the pack', () => {
  const packs = synthAll();

  test('every stack of main.ts (the four stages and the Docker stacks) synthesizes with zero unsuppressed errors', () => {
    expect([...packs.keys()]).toEqual([
      'stage0-single-server',
      'stage1-load-balanced',
      'stage2-secured-monitored',
      'stage3-high-availability',
      'docker-host',
      'docker-apps',
      'docker-app-local',
    ]);
    for (const [stage, pack] of packs) {
      expect({ stage, errors: pack.violations(RuleLevel.ERROR).map((r) => `${r.ruleId} ${r.path}: ${r.findings.join('; ')}`) }).toEqual({
        stage,
        errors: [],
      });
      expect({ stage, ruleErrors: pack.results.filter((r) => r.error).map((r) => `${r.ruleId} ${r.path}: ${r.error}`) }).toEqual({
        stage,
        ruleErrors: [],
      });
    }
  });

  test('the only suppressions are the documented weaknesses: plain HTTP before stage 2, and seed 001 on localhost', () => {
    const suppressed = [...packs].flatMap(([stage, p]) => p.results.filter((r) => r.suppressed).map((r) => `${stage} ${r.ruleId} ${r.path}`));
    expect(suppressed).toEqual([
      'stage0-single-server PR-TLS1 stage0-single-server/Server/Droplet/Resource',
      'stage1-load-balanced PR-TLS1 stage1-load-balanced/LoadBalancer/Droplet/Resource',
      'docker-app-local PR-TLS1 docker-app-local/Proxy/Container',
    ]);
  });

  test("stages 2 and 3 send a CSP that keeps Mozilla's HTTP Observatory at A+ (no PR-HDR2)", () => {
    for (const stage of ['stage2-secured-monitored', 'stage3-high-availability']) {
      const hdr2 = packs.get(stage)!.results.filter((r) => r.ruleId === 'PR-HDR2');
      expect({
        stage,
        compliant: hdr2.filter((r) => r.compliance === Compliance.COMPLIANT).length,
        nonCompliant: hdr2.filter((r) => r.compliance === Compliance.NON_COMPLIANT).length,
      }).toEqual({
        stage,
        compliant: stage.startsWith('stage2') ? 1 : 2,
        nonCompliant: 0,
      });
    }
  });

  test('the pack is not vacuous on the stages: the rules that judge droplets, firewalls and TLS did judge them', () => {
    const stage3 = packs.get('stage3-high-availability')!;
    const judged = (id: string) => stage3.results.filter((r) => r.ruleId === id && r.compliance === Compliance.COMPLIANT).length;
    expect({
      tls: judged('PR-TLS1'),
      headers: judged('PR-HDR1'),
      nginx: judged('PR-WEB1'),
      limits: judged('PR-RES1'),
      firewalls: judged('PR-DO2'),
      databasePorts: judged('PR-NET3'),
      sshKeys: judged('PR-DO1'),
    }).toEqual({
      tls: 2,
      headers: 2,
      nginx: 2,
      limits: 2,
      firewalls: 5,
      databasePorts: 1,
      sshKeys: 10,
    });
  });

  test('MariaDB, literal SSH keys and admin networks change nothing', () => {
    const other = synthAll({
      TIERFORM_ENGINE: 'mariadb-10.11',
      TIERFORM_SSH_KEYS: '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa',
      TIERFORM_ADMIN_CIDRS: '203.0.113.7/32',
    });
    for (const [stage, pack] of other)
      expect({ stage, errors: pack.violations(RuleLevel.ERROR).map((r) => r.ruleId) }).toEqual({ stage, errors: [] });
  });

  test('a stage user who opens SSH to the world is told so (PR-DO2)', () => {
    const out = makeTempDir('stage2-ssh');
    try {
      const app = new App({ outdir: out.dir });
      const stack = new Stage2SecuredMonitored(app, 's2', {
        domain: 'foobar.com',
        email: 'ops@foobar.com',
        sshKeys: ['1'],
        adminCidrs: ['0.0.0.0/0'],
        allowSshFromAnywhere: { reason: 'a bastion-less test' },
      });
      Aspects.of(stack).add(new ProductionReadiness());
      expect(() => app.synth()).toThrow(
        /PR-DO2: A firewall admits the whole internet on a port other than 80\/443\. firewall foobar-s2-\w+ admits tcp\/22 from 0\.0\.0\.0\/0/,
      );
    } finally {
      out.cleanup();
    }
  });
});
