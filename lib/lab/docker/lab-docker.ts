/**
 * Applying a Docker stack to a booted lab (boot.ts): which droplet's engine a provider configuration reaches, and
 * how the stack's references resolve (its variables, the host stack's outputs through cdktf's cross-stack
 * references, the droplets' lab addresses).
 *
 * Provider `host`:
 * - `ssh://<user>@<address>[:port]` → the droplet whose public, VPC or reserved address that is. The provider would
 *   run `docker system dial-stdio` over SSH; the lab has no SSH and talks to the droplet engine's socket directly
 *   (a listed substitution). The droplet must run docker.service.
 * - `unix:///var/run/docker.sock` (or no host: the provider's default, DOCKER_HOST) → the user's local engine: the
 *   droplet named by `localDroplet` stands in for the user's machine.
 * - `tcp://…` is refused: an unencrypted Docker API is never what a tierform plan should use.
 */
import * as path from 'path';
import { Plan, ReferenceResolver, loadStack } from '../../plan/plan';
import { fakeResolver } from '../../plan/fake-resolver';
import { renderTemplate } from '../../plan/template';
import { LabBoot } from '../boot';
import { LabError } from '../netns';
import { ApplyReport, DockerState, DockerTarget, applyDocker, destroyDocker } from './apply';
import { EngineClient, waitForEngine } from './engine';

export interface LabDockerOptions {
  /** The droplet standing in for the user's machine when the provider targets the local engine. */
  readonly localDroplet?: string;
}

/** Maps provider hosts to the lab droplets' engines. */
export function labDockerTargets(boot: LabBoot, options: LabDockerOptions = {}): (host: string | undefined, address: string) => DockerTarget {
  const engines = new Map<string, EngineClient>();
  const engineOf = (droplet: string): DockerTarget => {
    let e = engines.get(droplet);
    if (!e) {
      e = new EngineClient(`/proc/${boot.droplet(droplet).host.holderPid}/root/run/docker.sock`);
      engines.set(droplet, e);
    }
    return { engine: e, label: droplet };
  };
  return (host, address) => {
    if (host === undefined || host === '' || host.startsWith('unix://')) {
      if (host !== undefined && host !== '' && host !== 'unix:///var/run/docker.sock' && host !== 'unix:///run/docker.sock') {
        throw new LabError(`${address}: provider host ${host}: the lab's engines listen on /var/run/docker.sock`);
      }
      if (!options.localDroplet)
        throw new LabError(
          `${address}: the provider targets the local Docker engine (${host ?? 'DOCKER_HOST'}); name the droplet standing in for it (localDroplet)`,
        );
      return engineOf(options.localDroplet);
    }
    const m = /^ssh:\/\/(?:[^@/]+@)?([^:/]+)(?::[0-9]+)?\/?$/.exec(host);
    if (!m)
      throw new LabError(
        `${address}: provider host '${host}' is not supported by the tierform lab (ssh://user@address or unix:///var/run/docker.sock)`,
      );
    const address_ = m[1];
    const reserved = boot.lab.reservedIps().get(address_);
    const droplet = reserved ?? boot.labPlan.droplets.find((d) => d.publicIp === address_ || d.privateIp === address_ || d.name === address_)?.name;
    if (!droplet) throw new LabError(`${address}: provider host ${host}: no droplet of the lab has the address ${address_}`);
    return engineOf(droplet);
  };
}

/**
 * The resolver of a Docker stack applied to `boot`: the booted stack's own resolver when it is that stack; for another
 * stack, its variables (the booted stack's values by name, else generated as the lab does) and cdktf's cross-stack
 * references (`data.terraform_remote_state.<x>.outputs.<name>`) answered from the booted stack's outputs.
 */
export function stackResolver(boot: LabBoot, plan: Plan): ReferenceResolver {
  if (plan === boot.labPlan.plan || plan.json === boot.labPlan.plan.json) return terraformDataResolver(plan, boot.labPlan.resolve);
  const host = boot.labPlan.plan;
  const outputs = new Map(host.outputs().map((o) => [o.name, o.value]));
  const variables: Record<string, string | readonly string[]> = {};
  for (const v of plan.variables()) {
    const given = boot.labPlan.variables[v.name];
    if (given !== undefined) variables[v.name] = given;
  }
  const base = fakeResolver(plan, variables);
  const hostResolve = terraformDataResolver(host, boot.labPlan.resolve);
  return (ref) => {
    const m = /^data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.(.+)$/.exec(ref);
    if (m) {
      const value = outputs.get(m[1]);
      if (value === undefined) throw new LabError(`${ref}: the booted stack ${boot.labPlan.stage} has no output ${m[1]}`);
      if (typeof value !== 'string') return JSON.stringify(value);
      return renderTemplate(value, hostResolve);
    }
    return base(ref);
  };
}

/**
 * `terraform_data.<x>.output` is its `input` (Terraform's semantics). tierform's host stack runs `cloud-init status
 * --wait` and `docker info` over SSH as the creation provisioner of such a resource, so that the apps stack reaches
 * the droplet only when Docker runs; the lab has booted the droplet and waits for its engine before applying
 * (`applyInLab`): the provisioner is not run (no SSH), its effect is.
 */
export function terraformDataResolver(plan: Plan, resolve: ReferenceResolver): ReferenceResolver {
  const data = new Map(plan.resources('terraform_data').map((r) => [r.address, r]));
  const self: ReferenceResolver = (ref) => {
    const m = /^(terraform_data\.[A-Za-z0-9_-]+)\.output(?:\.([A-Za-z0-9_-]+)|\["([A-Za-z0-9_.-]+)"\])?$/.exec(ref);
    const r = m ? data.get(m[1]) : undefined;
    if (r && m) {
      const key = m[2] ?? m[3];
      let input = r.attributes.input;
      if (key !== undefined) {
        if (!input || typeof input !== 'object' || !(key in (input as object))) throw new LabError(`${ref}: ${m[1]}'s input has no key '${key}'`);
        input = (input as Record<string, unknown>)[key];
      }
      return typeof input === 'string' ? renderTemplate(input, self) : JSON.stringify(input);
    }
    return resolve(ref);
  };
  return self;
}

export interface ApplyInLabOptions extends LabDockerOptions {
  /** The stack's cdk.tf.json. @default the booted stack's own plan file */
  readonly planFile?: string;
  readonly state?: DockerState;
  readonly log?: (line: string) => void;
}

/** Applies a Docker stack's docker_* resources to the booted lab's engines (apply.ts), waiting for them first. */
export async function applyInLab(boot: LabBoot, options: ApplyInLabOptions = {}): Promise<ApplyReport> {
  const planFile = options.planFile ?? boot.planFile;
  const plan = planFile === boot.planFile ? boot.labPlan.plan : loadStack(planFile);
  const target = labDockerTargets(boot, options);
  const engines = new Set<string>();
  const waited = (host: string | undefined, address: string) => {
    const t = target(host, address);
    engines.add(t.label);
    return t;
  };
  const resolve = stackResolver(boot, plan);
  // Every engine the stack targets answers before anything is applied.
  for (const p of providerTargets(plan, resolve, target)) await waitForEngine(boot.droplet(p).host);
  return applyDocker({ plan, planDir: path.dirname(path.resolve(planFile)), resolve, target: waited, state: options.state, log: options.log });
}

/** Destroys what `applyInLab` created (terraform destroy of the Docker stack). */
export async function destroyInLab(boot: LabBoot, state: DockerState, options: ApplyInLabOptions = {}): Promise<string[]> {
  const planFile = options.planFile ?? boot.planFile;
  const plan = planFile === boot.planFile ? boot.labPlan.plan : loadStack(planFile);
  return destroyDocker(state, {
    plan,
    planDir: path.dirname(path.resolve(planFile)),
    resolve: stackResolver(boot, plan),
    target: labDockerTargets(boot, options),
  });
}

function providerTargets(plan: Plan, resolve: ReferenceResolver, target: (host: string | undefined, address: string) => DockerTarget): string[] {
  const raw = (plan.json.provider as Record<string, unknown> | undefined)?.docker;
  if (raw === undefined) return [];
  const list = (Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[];
  const used = new Set(
    plan
      .resources()
      .filter((r) => r.type.startsWith('docker_'))
      .map((r) => (typeof r.attributes.provider === 'string' ? r.attributes.provider : 'docker')),
  );
  return [
    ...new Set(
      list
        .filter((p) => used.has(typeof p.alias === 'string' ? `docker.${p.alias}` : 'docker'))
        .map(
          (p) =>
            target(
              typeof p.host === 'string' ? renderTemplate(p.host, resolve) : undefined,
              `provider docker${typeof p.alias === 'string' ? `.${p.alias}` : ''}`,
            ).label,
        ),
    ),
  ];
}
