/** The stages the synth benchmarks build, and synthesis of main.ts for the lab benchmarks, as a user would run it. */
import { TerraformStack } from 'cdktf';
import { spawnSync } from 'child_process';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { SecuredStageProps, Stage0SingleServer, Stage1LoadBalanced, Stage2SecuredMonitored, Stage3HighAvailability } from '../lib/stages';

/** Fixed props of every stage, so runs of bench:synth and bench/profile-synth.ts are comparable. */
export const PROPS: SecuredStageProps = { domain: 'foobar.com', email: 'ops@foobar.com', sshKeys: ['123'], adminCidrs: ['203.0.113.7/32'] };

type StageClass = new (scope: Construct, id: string, props: SecuredStageProps) => TerraformStack;

/** Every stage, under the stack id main.ts gives it. A new stage is one more line here. */
export const STAGES: readonly { readonly id: string; readonly stage: StageClass }[] = [
  { id: 'stage0-single-server', stage: Stage0SingleServer },
  { id: 'stage1-load-balanced', stage: Stage1LoadBalanced },
  { id: 'stage2-secured-monitored', stage: Stage2SecuredMonitored },
  { id: 'stage3-high-availability', stage: Stage3HighAvailability },
];

/** Synthesizes every stage with MariaDB (the lab has no MySQL) into `outdir`; `bench` names the npm script in errors. */
export function synthesizeForLab(outdir: string, bench: string): void {
  // The repository: this file's parent directory, or (when run-ts.js bundled it elsewhere) the working directory.
  const repo = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..'), process.cwd()].find(
    (d) => fs.existsSync(path.join(d, 'scripts', 'run-ts.js')) && fs.existsSync(path.join(d, 'main.ts')),
  );
  if (!repo) throw new Error(`run ${bench} from the repository (npm run ${bench})`);
  const synth = spawnSync(process.execPath, [path.join(repo, 'scripts', 'run-ts.js'), 'main.ts'], {
    cwd: repo,
    env: { ...process.env, CDKTF_OUTDIR: outdir, TIERFORM_ENGINE: 'mariadb-10.11' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (synth.status !== 0) throw new Error(`synth failed:\n${synth.stdout}${synth.stderr}`);
}
