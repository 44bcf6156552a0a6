/** Synthesizes stages as main.ts does (one stack each) and reads them back as Plans, for the plan checks. */
import { App, TerraformStack, Testing } from 'cdktf';
import { MysqlEngine } from '../../constructs/mysql-engine';
import { Plan, parseStack } from '../../lib/plan/plan';
import { Stage0SingleServer, Stage1LoadBalanced, Stage2SecuredMonitored, Stage3HighAvailability, Stage3Props } from '../../lib/stages';

export type StageNumber = 0 | 1 | 2 | 3;

/** Every prop a stage scales by, with its default. */
export const SCALABLE: Record<StageNumber, Record<string, number>> = {
  0: {},
  1: { webCount: 2, replicas: 1 },
  2: { webCount: 2, replicas: 1 },
  3: { webCount: 2, appCount: 2, replicas: 2 },
};

/** main.ts's names. */
export const STACK_NAMES: Record<StageNumber, string> = {
  0: 'stage0-single-server',
  1: 'stage1-load-balanced',
  2: 'stage2-secured-monitored',
  3: 'stage3-high-availability',
};

export const ENGINES: ReadonlyArray<[string, () => MysqlEngine]> = [
  ['mysql-8.0', () => MysqlEngine.mysql8_0()],
  ['mariadb-10.11', () => MysqlEngine.mariadb10_11()],
];

/** As main.ts builds them: SSH keys and admin networks left to deploy-time variables. */
export const MAIN_PROPS = { domain: 'foobar.com', email: 'ops@foobar.com' };

/** Any stage's props; stages ignore the counts they do not have. */
export type AnyStageProps = Stage3Props;

export function stageStack(scope: App, stage: StageNumber, props: AnyStageProps): TerraformStack {
  const id = STACK_NAMES[stage];
  switch (stage) {
    case 0:
      return new Stage0SingleServer(scope, id, props);
    case 1:
      return new Stage1LoadBalanced(scope, id, props);
    case 2:
      return new Stage2SecuredMonitored(scope, id, props);
    case 3:
      return new Stage3HighAvailability(scope, id, props);
  }
}

/** The stage synthesized in memory, as a Plan named after main.ts's stack. */
export function synthStage(stage: StageNumber, props: AnyStageProps = MAIN_PROPS): { stack: TerraformStack; plan: Plan } {
  const stack = stageStack(Testing.app(), stage, props);
  return { stack, plan: parseStack(Testing.synth(stack), STACK_NAMES[stage]) };
}

/** Synthesizes the stages into `outdir` (`<outdir>/stacks/<name>/cdk.tf.json`), as `cdktf synth` does. */
export function synthToOutdir(outdir: string, stagesToSynth: readonly StageNumber[], props: AnyStageProps = MAIN_PROPS): void {
  const app = new App({ outdir });
  for (const stage of stagesToSynth) stageStack(app, stage, props);
  app.synth();
}
