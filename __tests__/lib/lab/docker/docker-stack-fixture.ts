/**
 * Shared pieces of the end-to-end tests of the Docker stacks (seeds 000 and 001): the host stack booted in the lab
 * from main.ts's synth (stage-fixture.ts), a Docker stack applied to its engine (lib/lab/docker), plan variants
 * for updates, and bounded helpers around the droplet's `docker` CLI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabBoot } from '../../../../lib/lab/boot';
import { ApplyReport, DockerState } from '../../../../lib/lab/docker/apply';
import { applyInLab } from '../../../../lib/lab/docker/lab-docker';
import { TerraformJson } from '../../../../lib/plan/plan';
import { poll } from '../stage-fixture';

/** The synthesized plan file of `stack`, beside the booted stage's. */
export function stackPlanFile(boot: LabBoot, stack: string): string {
  return path.resolve(path.dirname(boot.planFile), '..', stack, 'cdk.tf.json');
}

/** Writes a changed copy of a stack's plan (in the same stacks directory, so relative build contexts resolve). */
export function planVariant(boot: LabBoot, stack: string, name: string, change: (json: TerraformJson) => void): string {
  const json = JSON.parse(fs.readFileSync(stackPlanFile(boot, stack), 'utf8')) as TerraformJson;
  change(json);
  const dir = path.resolve(path.dirname(boot.planFile), '..', stack);
  const file = path.join(dir, `cdk.${name}.tf.json`);
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

export function containers(json: TerraformJson): Record<string, Record<string, unknown>> {
  return (json.resource as Record<string, Record<string, Record<string, unknown>>>).docker_container;
}

export async function apply(boot: LabBoot, planFile: string, options: { state?: DockerState; localDroplet?: string } = {}): Promise<ApplyReport> {
  return applyInLab(boot, { planFile, state: options.state, localDroplet: options.localDroplet });
}

/** `docker …` on the droplet; throws with the output on failure. */
export async function docker(boot: LabBoot, droplet: string, args: readonly string[]): Promise<string> {
  const r = await boot.exec(droplet, ['docker', ...args], { timeoutMs: 60_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** Waits (bounded) until every named container reports healthy. */
export function allHealthy(boot: LabBoot, droplet: string, names: readonly string[]): Promise<Record<string, string>> {
  let last: Record<string, string> = {};
  return poll(
    `${names.join(', ')} healthy`,
    async () => {
      last = {};
      for (const n of names)
        last[n] = await docker(boot, droplet, [
          'inspect',
          '--format',
          '{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}',
          n,
        ]);
      return Object.values(last).every((s) => s === 'healthy') ? last : undefined;
    },
    { attempts: 120, timeoutMs: 240_000, intervalMs: 2000, describe: () => JSON.stringify(last) },
  );
}
