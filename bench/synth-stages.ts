/** Synthesis of main.ts for the lab benchmarks, as a user would run it. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

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
