/**
 * What every stage shares: its props, the provider, and deploy-time inputs (SSH keys, admin networks,
 * passwords) as Terraform variables when they are not given at synth.
 */
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { TlsProfile } from '../../constructs/https';
import { PrimaryReplicaMysql } from '../../constructs/primary-replica-mysql';
import { AdminAccess } from '../../constructs/admin-access';
import { Dns } from '../../constructs/dns';
import { Vpc } from '../../constructs/vpc';
import { WebTier } from '../../constructs/web-tier';
import { MysqlEngine } from '../../constructs/mysql-engine';
import { EXPORTER_PASSWORD_CHARACTERS, EXPORTER_PASSWORD_PATTERN } from '../fragments/monitoring';
import { Secret, digitalOceanTokenSecret, passwordSecret } from '../secrets';

export interface StageProps {
  /** The site's domain, e.g. 'foobar.com': records '@' and 'www' point at the stage's entry point. */
  readonly domain: string;
  /** DigitalOcean region of every resource (every construct's `region`). @default 'nyc3' */
  readonly region?: string;
  /**
   * SSH key fingerprints or ids for root on every droplet.
   * @default - a Terraform variable `ssh_keys` (list of strings), asked at deploy
   */
  readonly sshKeys?: string[];
  /**
   * Networks allowed to SSH in (CIDR).
   * @default - a Terraform variable `admin_cidrs` (list of CIDRs, 0.0.0.0/0 refused), asked at deploy
   */
  readonly adminCidrs?: string[];
  /** Accept SSH from anywhere, with the reason. @default - refused */
  readonly allowSshFromAnywhere?: { readonly reason: string };
  /**
   * Prefix of every droplet, tag, firewall and volume name (each construct's `name` is `<namePrefix>-<role>`).
   * @default - first label of the domain + stage suffix, e.g. 'foobar-s1'
   */
  readonly namePrefix?: string;
  /** The VPC's range (`Vpc` `ipRange`). @default - a /20 per stage (10.20.0.0/20, 10.20.16.0/20, ...) so stages never overlap */
  readonly vpcIpRange?: string;
  /**
   * Size of the web droplets (`WebTier` `size`; stage 0: the `SingleServer`). Stages 0–2 run nginx and gunicorn
   * on them; stage 3 runs nginx only (gunicorn is on the app droplets, `appSize`).
   * @default - 's-1vcpu-2gb' in stages 0–2, 's-1vcpu-1gb' in stage 3
   */
  readonly webSize?: string;
  /** Size of the database droplets (`PrimaryReplicaMysql` `size`). @default 's-1vcpu-2gb' */
  readonly dbSize?: string;
  /** Size of the load balancer droplets (`HaproxyLoadBalancer` / `HaproxyPair` `size`). @default 's-1vcpu-1gb' */
  readonly lbSize?: string;
  /** @default MysqlEngine.mysql8_0() */
  readonly engine?: MysqlEngine;
  /** Create the DNS zone (`new Dns`); false uses the zone already in the account (`Dns.fromZoneName`). @default true */
  readonly createDomain?: boolean;
  /**
   * TTL of the site's A records, seconds (`Dns` `ttlSeconds`). Stage 3 answers with a reserved IP that never
   * changes, but keeps the TTL short so that moving the site (or a new stage) takes effect quickly.
   * @default - 300 in stages 0–2, 60 in stage 3
   */
  readonly dnsTtlSeconds?: number;
}

/** Stages 2 and 3: HTTPS and alerts need an e-mail address. */
export interface SecuredStageProps extends StageProps {
  /** Let's Encrypt account and alert recipient. */
  readonly email: string;
  /** @default TlsProfile.intermediate() */
  readonly tlsProfile?: TlsProfile;
}

export interface StageInputs {
  readonly sshKeys: string[];
  readonly adminCidrs: string[];
  readonly namePrefix: string;
  readonly region: string;
}

/** The DigitalOcean provider; its token comes from DIGITALOCEAN_TOKEN at deploy, never from the plan. */
export function configureProvider(scope: Construct): void {
  new DigitaloceanProvider(scope, 'digitalocean', {});
}

export function stageInputs(scope: Construct, props: StageProps, suffix: string): StageInputs {
  let sshKeys = props.sshKeys;
  if (sshKeys === undefined) {
    const v = new TerraformVariable(scope, 'ssh_keys', {
      type: 'list(string)',
      nullable: false,
      description: 'SSH key fingerprints or ids (doctl compute ssh-key list) installed for root on every droplet',
    });
    v.addValidation({ condition: '${length(var.ssh_keys) > 0}', errorMessage: 'ssh_keys must list at least one key: droplets get no root password.' });
    sshKeys = v.listValue;
  }
  let adminCidrs = props.adminCidrs;
  if (adminCidrs === undefined) {
    const v = new TerraformVariable(scope, 'admin_cidrs', {
      type: 'list(string)',
      nullable: false,
      description: 'Networks (CIDR) allowed to SSH into the droplets, e.g. ["203.0.113.7/32"]',
    });
    v.addValidation({
      condition: '${alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0)) && !endswith(c, "/0")])}',
      errorMessage: 'admin_cidrs must be CIDR blocks such as 203.0.113.7/32; /0 (the whole internet) is refused.',
    });
    adminCidrs = v.listValue;
  }
  const base = props.domain.split('.')[0].toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 30);
  return {
    sshKeys,
    adminCidrs,
    namePrefix: props.namePrefix ?? `${/^[a-z]/.test(base) ? base : `t-${base}`}-${suffix}`,
    region: props.region ?? 'nyc3',
  };
}

/** Stack-level sensitive variables with short names users set as TF_VAR_<name>. */
export function databasePasswords(scope: Construct): { appPassword: Secret; replicationPassword: Secret } {
  return {
    appPassword: passwordSecret(scope, 'mysql_app_password', 'Password of the MySQL app account'),
    replicationPassword: passwordSecret(scope, 'mysql_replication_password', 'Password of the MySQL replication account'),
  };
}

/** The DigitalOcean token certbot uses for DNS-01 challenges: a stack-level sensitive variable. */
export function dnsToken(scope: Construct): Secret {
  return digitalOceanTokenSecret(scope, 'digitalocean_dns_token', "DigitalOcean API token with DNS write access, for Let's Encrypt DNS-01");
}

/** The password of mysqld_exporter's MySQL account: a stack-level sensitive variable. */
export function exporterPassword(scope: Construct): Secret {
  return passwordSecret(scope, 'mysql_exporter_password', 'Password of the MySQL account of mysqld_exporter', {
    pattern: EXPORTER_PASSWORD_PATTERN,
    characters: EXPORTER_PASSWORD_CHARACTERS,
  });
}

/** The DigitalOcean token the HAProxy pair uses to move its reserved IP: a stack-level sensitive variable. */
export function failoverToken(scope: Construct): Secret {
  return digitalOceanTokenSecret(scope, 'digitalocean_failover_token', 'DigitalOcean API token the HAProxy pair uses to move the reserved IP');
}

/** Stages 1 and 2: a MySQL primary with replicas, and a web tier (nginx + gunicorn) using it. */
export function databaseAndWebTier(
  scope: Construct,
  props: StageProps & { readonly webCount?: number; readonly replicas?: number },
  inputs: StageInputs,
  vpc: Vpc,
): { database: PrimaryReplicaMysql; web: WebTier } {
  const database = new PrimaryReplicaMysql(scope, 'Database', {
    vpc,
    name: `${inputs.namePrefix}-db`,
    replicas: props.replicas ?? 1,
    size: props.dbSize,
    engine: props.engine,
    ...databasePasswords(scope),
  });
  const web = new WebTier(scope, 'Web', {
    vpc,
    name: `${inputs.namePrefix}-web`,
    count: props.webCount ?? 2,
    size: props.webSize ?? 's-1vcpu-2gb',
    database,
    serverNames: [props.domain, `www.${props.domain}`],
  });
  return { database, web };
}

/**
 * What every stage starts with: the provider, the deploy-time inputs, the stack's SSH access (every role uses it),
 * the stage's VPC and its DNS zone. The zone comes first: droplets find each other at run time by internal names in
 * it; the public records are pointed at the entry point once it exists (`dns.pointTo`).
 */
export function stageFoundation(
  scope: Construct,
  props: StageProps,
  suffix: string,
  defaults: { readonly ipRange: string; readonly dnsTtlSeconds: number },
): { inputs: StageInputs; vpc: Vpc; dns: Dns } {
  configureProvider(scope);
  const inputs = stageInputs(scope, props, suffix);
  new AdminAccess(scope, 'AdminAccess', { sshKeys: inputs.sshKeys, adminCidrs: inputs.adminCidrs, allowSshFromAnywhere: props.allowSshFromAnywhere });
  const vpc = new Vpc(scope, 'Vpc', { region: inputs.region, name: `${inputs.namePrefix}-vpc`, ipRange: props.vpcIpRange ?? defaults.ipRange });
  const dnsProps = { ttlSeconds: props.dnsTtlSeconds ?? defaults.dnsTtlSeconds };
  const dns =
    props.createDomain === false
      ? Dns.fromZoneName(scope, 'Dns', props.domain, dnsProps)
      : new Dns(scope, 'Dns', { domain: props.domain, ...dnsProps });
  return { inputs, vpc, dns };
}

