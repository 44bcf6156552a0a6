/** Plans shared by the plan-reading tests: a hand-written one, stage 1, every stage with both engines. */
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { MysqlEngine } from '../../../constructs/mysql-engine';
import { Plan, TerraformJson, parseStack } from '../../../lib/plan/plan';
import * as stages from '../../../lib/stages';
import { SecuredStageProps, Stage1LoadBalanced } from '../../../lib/stages';

export const PROPS: SecuredStageProps = { domain: 'foobar.com', email: 'ops@foobar.com', sshKeys: ['123'], adminCidrs: ['203.0.113.7/32'] };

/** A small hand-written plan in cdktf's JSON shape. */
export function fixture(): TerraformJson {
  return {
    variable: {
      db_password: { type: 'string', sensitive: true, nullable: false, description: 'Database password' },
      admin_cidrs: { type: 'list(string)', nullable: false },
      region_name: { type: 'string', default: 'ams3' },
    },
    resource: {
      digitalocean_vpc: { net: { name: 'test-vpc', region: 'nyc3', ip_range: '10.20.16.0/20' } },
      digitalocean_tag: { web: { name: 'test-web' } },
      digitalocean_volume: { data: { name: 'test-data', region: 'nyc3', size: 20, initial_filesystem_type: 'ext4' } },
      digitalocean_droplet: {
        web_0: {
          '//': { metadata: { path: 'test/web_0' } },
          name: 'test-web-0',
          image: 'ubuntu-24-04-x64',
          size: 's-1vcpu-1gb',
          region: 'nyc3',
          tags: ['${digitalocean_tag.web.name}'],
          vpc_uuid: '${digitalocean_vpc.net.id}',
          ssh_keys: ['123'],
          user_data: "#cloud-config\nruncmd:\n  - [echo, '${digitalocean_droplet.db.ipv4_address_private}', '$${HOME}']\n",
        },
        db: {
          name: 'test-db',
          image: 'ubuntu-24-04-x64',
          size: 's-1vcpu-2gb',
          region: 'nyc3',
          tags: [],
          vpc_uuid: '${digitalocean_vpc.net.id}',
          volume_ids: ['${digitalocean_volume.data.id}'],
          ssh_keys: '${var.ssh_keys}',
        },
      },
      digitalocean_firewall: {
        web: {
          name: 'test-web',
          tags: ['${digitalocean_tag.web.name}'],
          inbound_rule: [
            { protocol: 'tcp', port_range: '22', source_addresses: '${var.admin_cidrs}' },
            { protocol: 'tcp', port_range: '80', source_tags: ['${digitalocean_tag.web.name}'] },
          ],
          outbound_rule: [{ protocol: 'icmp', destination_addresses: ['0.0.0.0/0', '::/0'] }],
        },
      },
      digitalocean_domain: { site: { name: 'example.com' } },
      digitalocean_record: {
        www: { domain: '${digitalocean_domain.site.name}', type: 'A', name: 'www', value: '${digitalocean_droplet.web_0.ipv4_address}', ttl: 300 },
      },
    },
    output: {
      web_ip: { value: '${digitalocean_droplet.web_0.ipv4_address}', description: 'Public address' },
      all: { value: ['${digitalocean_droplet.db.ipv4_address_private}'], sensitive: true },
    },
  };
}

type StageClass = new (scope: Construct, id: string, props: SecuredStageProps) => TerraformStack;

export const STAGES: Array<[string, StageClass]> = Object.entries(stages)
  .filter(([, value]) => typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof TerraformStack)
  .map(([name, value]) => [name, value as StageClass]);

/** Every stage (lib/stages) with both engines, synthesized once. */
export const STAGE_PLANS: Array<[string, Plan]> = STAGES.flatMap(([name, stageClass]) =>
  [MysqlEngine.mysql8_0(), MysqlEngine.mariadb10_11()].map(
    (engine) =>
      [`${name} with ${engine.flavor}`, parseStack(Testing.synth(new stageClass(Testing.app(), 'stage', { ...PROPS, engine })))] as [string, Plan],
  ),
);

export function stage1(): Plan {
  return parseStack(Testing.synth(new Stage1LoadBalanced(Testing.app(), 'stage1', PROPS)));
}
