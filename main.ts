/**
 * The example app: every tierform stage for an example domain, one Terraform stack each.
 *
 *   npx cdktf synth            # or: npm run synth (same output, no CLI)
 *   cdktf.out/stacks/<stage>/cdk.tf.json
 *
 * Override from the environment: TIERFORM_DOMAIN (foobar.com), TIERFORM_REGION (nyc3), TIERFORM_WEB_SIZE,
 * TIERFORM_DB_SIZE, TIERFORM_LB_SIZE (droplet size slugs), TIERFORM_ENGINE (mysql-8.0 | mariadb-10.11),
 * TIERFORM_EMAIL (Let's Encrypt account and alert recipient for stages 2 and 3; default ops@<domain>),
 * TIERFORM_WEB_COUNT, TIERFORM_APP_COUNT (stage 3), TIERFORM_REPLICAS (whole numbers: scale the tiers).
 * SSH keys and admin networks are asked at deploy (TF_VAR_ssh_keys, TF_VAR_admin_cidrs) unless given here as
 * TIERFORM_SSH_KEYS / TIERFORM_ADMIN_CIDRS (comma-separated). The stages are successive designs of the same
 * site: deploy one of them at a time. The Docker stacks (seeds 000 and 001) are a separate design: a Docker host
 * droplet and its containers.
 */
import { App } from 'cdktf';
import { MysqlEngine } from './constructs';
import { DockerTarget } from './constructs/docker-target';
import { DockerAppStack, DockerHostStack, DockerMultiAppStack } from './lib/stacks';
import { Stage0SingleServer, Stage1LoadBalanced, Stage2SecuredMonitored, Stage3HighAvailability, Stage3Props } from './lib/stages';

function list(name: string): string[] | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === ''
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

function engine(): MysqlEngine | undefined {
  const value = process.env.TIERFORM_ENGINE;
  if (value === undefined || value === '' || value === 'mysql-8.0') return undefined;
  if (value === 'mariadb-10.11') return MysqlEngine.mariadb10_11();
  throw new Error(`TIERFORM_ENGINE must be 'mysql-8.0' or 'mariadb-10.11', got '${value}'`);
}

function count(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if (!/^[0-9]+$/.test(value)) throw new Error(`${name} must be a whole number, got '${value}'`);
  return Number(value);
}

export function exampleProps(): Stage3Props {
  const domain = process.env.TIERFORM_DOMAIN || 'foobar.com';
  return {
    domain,
    email: process.env.TIERFORM_EMAIL || `ops@${domain}`,
    region: process.env.TIERFORM_REGION || undefined,
    webSize: process.env.TIERFORM_WEB_SIZE || undefined,
    dbSize: process.env.TIERFORM_DB_SIZE || undefined,
    lbSize: process.env.TIERFORM_LB_SIZE || undefined,
    engine: engine(),
    sshKeys: list('TIERFORM_SSH_KEYS'),
    adminCidrs: list('TIERFORM_ADMIN_CIDRS'),
    webCount: count('TIERFORM_WEB_COUNT'),
    appCount: count('TIERFORM_APP_COUNT'),
    replicas: count('TIERFORM_REPLICAS'),
  };
}

/** Builds the example app; `outdir` defaults to cdktf's (CDKTF_OUTDIR or cdktf.out). */
export function buildApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const props = exampleProps();
  new Stage0SingleServer(app, 'stage0-single-server', props);
  new Stage1LoadBalanced(app, 'stage1-load-balanced', props);
  new Stage2SecuredMonitored(app, 'stage2-secured-monitored', props);
  new Stage3HighAvailability(app, 'stage3-high-availability', props);
  // Seed 000: a Docker host droplet and, in a second stack joined by a cross-stack reference, its containers
  // (cdktf deploy docker-host docker-apps). Seed 001: the app stack on the local Docker (cdktf deploy docker-app-local).
  const dockerHost = new DockerHostStack(app, 'docker-host', props);
  new DockerMultiAppStack(app, 'docker-apps', { domain: props.domain, target: DockerTarget.droplet(dockerHost.host), tlsProfile: props.tlsProfile });
  new DockerAppStack(app, 'docker-app-local', { target: DockerTarget.local() });
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
