/**
 * The weaknesses the shipped stages keep on purpose (README's stage table, "single points of failure left"), as
 * readiness suppressions with their reasons, so every stage passes the pack with zero unsuppressed errors and
 * the report lists what was accepted and why. Stages 2 and 3 need none.
 */
import { TerraformStack } from 'cdktf';
import { Stage0SingleServer } from '../stages/stage0';
import { Stage1LoadBalanced } from '../stages/stage1';
import { DockerAppStack } from '../stacks/docker-app-stack';
import { Suppressions } from './suppressions';

/** Adds the suppressions of `stack` if it is one of tierform's stages; returns how many were added. */
export function suppressStageWeaknesses(stack: TerraformStack): number {
  if (stack instanceof Stage0SingleServer) {
    Suppressions.add(stack.server, [
      {
        id: 'PR-TLS1',
        reason: 'Stage 0 is the one-server design of the walkthrough: plain HTTP on purpose; HTTPS arrives in stage 2 (README, stage table).',
      },
    ]);
    return 1;
  }
  if (stack instanceof Stage1LoadBalanced) {
    Suppressions.add(stack.loadBalancer, [
      {
        id: 'PR-TLS1',
        reason:
          'Stage 1 adds load balancing before HTTPS: plain HTTP on purpose; stage 2 terminates TLS at this load balancer (README, stage table).',
      },
    ]);
    return 1;
  }
  if (stack instanceof DockerAppStack && stack.isLocal) {
    Suppressions.add(stack.proxy, [
      {
        id: 'PR-TLS1',
        reason:
          "Seed 001's local validation stack: nginx on localhost:8080 of your own machine, not a public entry point (deploy the Docker host stacks for HTTPS).",
      },
    ]);
    return 1;
  }
  return 0;
}
