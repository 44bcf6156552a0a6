/**
 * Cross-stack composition (issue 9). Roles wired in both directions (a web tier and its database, a load balancer and
 * its backends, monitoring and its roles) must live in one stack: a clear error names both stacks (bad-input tests).
 * What references only one way works through cdktf cross-stack references: roles in one stack joining the VPC and
 * the DNS zone of a shared "network" stack. Both synthesize, and each plan is one Terraform can order (no cycle).
 */
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { Dns } from '../../constructs/dns';
import { HaproxyLoadBalancer } from '../../constructs/haproxy-load-balancer';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { Vpc } from '../../constructs/vpc';
import { WebTier } from '../../constructs/web-tier';
import { planProblems } from '../../lib/plan/graph';
import { parseStack } from '../../lib/plan/plan';
import { makeTempDir } from '../helpers/tools';
import * as fs from 'fs';
import * as path from 'path';
import { SSH_KEYS } from '../helpers/stacks';

describe('cross-stack use', () => {
  test('roles in one stack use the VPC and the zone of another: both plans synthesize and are acyclic', () => {
    // GIVEN a network stack (VPC, zone) and an app stack whose roles join them
    const tmp = makeTempDir('cross-stack');
    try {
      const app = new App({ outdir: tmp.dir });
      const network = new TerraformStack(app, 'network');
      new DigitaloceanProvider(network, 'do', {});
      const vpc = new Vpc(network, 'Vpc', { region: 'nyc3', name: 'shop-vpc', ipRange: '10.20.0.0/20' });
      const dns = new Dns(network, 'Dns', { domain: 'shop.example', recordNames: ['www'] });
      const site = new TerraformStack(app, 'site');
      new DigitaloceanProvider(site, 'do', {});
      const db = new PrimaryReplicaMysql(site, 'Db', { vpc, dns, name: 'shop-db', replicas: 1, sshKeys: SSH_KEYS });
      const web = new WebTier(site, 'Web', { vpc, dns, name: 'shop-web', count: 2, sshKeys: SSH_KEYS, database: db });
      new HaproxyLoadBalancer(site, 'Lb', { vpc, dns, name: 'shop-lb', sshKeys: SSH_KEYS, backends: [web] });
      // WHEN
      app.synth();
      // THEN each stack's plan has every reference resolvable and no cycle
      const problems = ['network', 'site'].map((name) => {
        const file = path.join(tmp.dir, 'stacks', name, 'cdk.tf.json');
        return [name, planProblems(parseStack(fs.readFileSync(file, 'utf8'), name))];
      });
      const siteJson = fs.readFileSync(path.join(tmp.dir, 'stacks', 'site', 'cdk.tf.json'), 'utf8');
      expect(siteJson).toContain('terraform_remote_state');
      expect(problems).toEqual([
        ['network', []],
        ['site', []],
      ]);
    } finally {
      tmp.cleanup();
    }
  });
});
