/** The pure parts of booting a stage: plan → lab addresses, rendered user_data, prerequisites, substitutions. */
import { Testing } from 'cdktf';
import { MysqlEngine } from '../../../constructs/mysql-engine';
import { LabPlan, bootProblems, planLab } from '../../../lib/lab/boot';
import { aptGet, aptInstallPackages, dataVolumeScript, unsupportedCloudConfigKeys } from '../../../lib/lab/cloud-init';
import { parseStack } from '../../../lib/plan/plan';
import { parseCloudConfig } from '../../../lib/plan/cloud-config';
import { renderDataVolumeScript } from '../../../lib/render/mysql';
import { Stage0SingleServer, Stage1LoadBalanced } from '../../../lib/stages';

const PROPS = { domain: 'foobar.com' };

function stage1(engine = MysqlEngine.mariadb10_11()): LabPlan {
  return planLab(
    parseStack(Testing.synth(new Stage1LoadBalanced(Testing.app(), 'stage1-load-balanced', { ...PROPS, engine })), 'stage1-load-balanced'),
  );
}

function file(plan: LabPlan, droplet: string, path: string): string {
  const f = plan.droplets.find((d) => d.name === droplet)!.cloudConfig!.writeFiles.find((w) => w.path === path);
  if (!f) throw new Error(`${droplet} writes no ${path}`);
  return f.content;
}

describe('planLab', () => {
  const plan = stage1();
  const byName = Object.fromEntries(plan.droplets.map((d) => [d.name, d]));

  test('gives droplets lab ids, public addresses and addresses of their VPC range', () => {
    expect(plan.vpcs).toEqual([{ name: 'foobar-s1-vpc', ipRange: '10.20.16.0/20' }]);
    expect(plan.droplets.map((d) => [d.name, d.id, d.publicIp, d.privateIp])).toEqual([
      ['foobar-s1-db-primary', '100000001', '203.0.113.10', '10.20.16.2'],
      ['foobar-s1-db-replica-1', '100000002', '203.0.113.11', '10.20.16.3'],
      ['foobar-s1-lb', '100000003', '203.0.113.12', '10.20.16.4'],
      ['foobar-s1-web-0', '100000004', '203.0.113.13', '10.20.16.5'],
      ['foobar-s1-web-1', '100000005', '203.0.113.14', '10.20.16.6'],
    ]);
    expect(byName['foobar-s1-web-0'].tags).toEqual(['foobar-s1-web']);
    expect(byName['foobar-s1-db-primary'].volumes).toEqual(['foobar-s1-db-primary-data']);
  });

  test('renders user_data as Terraform would: peers are internal names, resolved at run time', () => {
    expect(file(plan, 'foobar-s1-web-0', '/etc/tierform/app.env')).toContain("DB_HOST='foobar-s1-db-primary.internal.foobar.com'");
    expect(file(plan, 'foobar-s1-web-0', '/etc/tierform/app.env')).toContain("DB_READ_HOST='foobar-s1-db-read.internal.foobar.com'");
    expect(file(plan, 'foobar-s1-lb', '/etc/haproxy/haproxy.cfg')).toContain(
      'server-template foobar-s1-web 1-32 foobar-s1-web.internal.foobar.com:80 check',
    );
    expect(byName['foobar-s1-web-0'].userData).toMatch(/^#cloud-config\n/);
  });

  test('generates passwords and lets only the lab client in as admin', () => {
    expect(plan.variables.mysql_app_password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(plan.variables.mysql_replication_password).not.toBe(plan.variables.mysql_app_password);
    expect(plan.variables.admin_cidrs).toEqual(['203.0.113.2/32']);
    const ssh = plan.firewalls.flatMap((f) => (f.inbound ?? []).filter((r) => r.portRange === '22'));
    expect(ssh.length).toBeGreaterThan(0);
    for (const rule of ssh) expect(rule.addresses).toEqual(['203.0.113.2/32']);
    // The password reaches the droplets base64-encoded in their secrets file.
    const b64 = Buffer.from(String(plan.variables.mysql_app_password)).toString('base64');
    expect(file(plan, 'foobar-s1-db-primary', '/etc/tierform/mysql.env')).toContain(b64);
  });

  test('resolves the DNS records (public ones to the load balancer, internal ones to VPC addresses) and the firewalls to tag names', () => {
    const record = (name: string, address: string, ttl: number) => ({
      name,
      address,
      ttl,
      resource: expect.stringMatching(/^digitalocean_record\./),
    });
    expect(plan.records).toEqual(
      expect.arrayContaining([
        record('foobar.com', '203.0.113.12', 300),
        record('www.foobar.com', '203.0.113.12', 300),
        record('foobar-s1-db-primary.internal.foobar.com', '10.20.16.2', 30),
        record('foobar-s1-db-read.internal.foobar.com', '10.20.16.3', 30),
        record('foobar-s1-web.internal.foobar.com', '10.20.16.5', 30),
        record('foobar-s1-web.internal.foobar.com', '10.20.16.6', 30),
      ]),
    );
    expect(plan.records).toHaveLength(6);
    const db = plan.firewalls.find((f) => f.name === 'foobar-s1-db')!;
    expect(db.inbound).toEqual(expect.arrayContaining([expect.objectContaining({ protocol: 'tcp', portRange: '3306', tags: ['foobar-s1-web'] })]));
  });

  test('lists the Debian packages the droplets install, without the skipped ones', () => {
    expect(plan.packages).toEqual([
      'curl',
      'gunicorn',
      'haproxy',
      'mariadb-client',
      'mariadb-server',
      'nginx',
      'python3-flask',
      'python3-pymysql',
      'python3-sqlalchemy',
    ]);
    expect(plan.unsupportedPackages).toEqual([]);
  });

  test('knows every cloud-config key of the stages', () => {
    const stage0 = planLab(parseStack(Testing.synth(new Stage0SingleServer(Testing.app(), 's0', { ...PROPS, engine: MysqlEngine.mariadb10_11() }))));
    for (const d of [...plan.droplets, ...stage0.droplets]) expect(unsupportedCloudConfigKeys(d.cloudConfig!)).toEqual([]);
  });
});

describe('bootProblems', () => {
  const plan = stage1();

  test('refuses to run when not root, saying so', () => {
    expect(bootProblems(plan, { uid: 1000 })).toEqual(expect.arrayContaining([expect.stringMatching(/must run as root.*uid 1000.*sudo/)]));
  });

  test('names the missing Debian packages and how to install them', () => {
    const problems = bootProblems({ ...plan, packages: [...plan.packages, 'tierform-lab-no-such-package'] }, { uid: 0 });
    expect(problems).toEqual([
      expect.stringMatching(/^missing Debian packages: tierform-lab-no-such-package: apt-get install tierform-lab-no-such-package$/),
    ]);
  });

  test('names the missing tools by their packages', () => {
    expect(bootProblems(plan, { uid: 0, searchPath: '/nonexistent' })).toEqual([
      expect.stringMatching(/^missing Debian packages: .*curl.*dnsmasq-base.*dpkg.*iproute2.*mount.*nftables.*util-linux/),
    ]);
  });

  test('refuses MySQL 8.0 plans: the lab runs MariaDB', () => {
    const mysql = stage1(MysqlEngine.mysql8_0());
    expect(mysql.unsupportedPackages).toEqual(['mysql-client', 'mysql-server']);
    expect(bootProblems(mysql, { uid: 0 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/mysql-server: .*MariaDB only: synthesize the stage with TIERFORM_ENGINE=mariadb-10\.11/)]),
    );
  });

  test('finds nothing to complain about for a MariaDB stage on this machine (as root)', () => {
    expect(bootProblems(plan, { uid: 0 })).toEqual([]);
  });
});

describe('substitutions', () => {
  test('recognizes the data volume script, and nothing else', () => {
    const script = renderDataVolumeScript({ volumeName: 'db-data', mountPoint: '/mnt/tierform-mysql', dataDir: '/var/lib/mysql', waitSeconds: 300 });
    expect(dataVolumeScript(script)).toEqual({ volume: 'db-data', mountPoint: '/mnt/tierform-mysql', dataDir: '/var/lib/mysql' });
    expect(dataVolumeScript('#!/bin/sh\necho hi\n')).toBeUndefined();
  });

  test('apt-get installs nothing: installed packages pass, missing ones fail like apt, skipped ones are noted', () => {
    expect(aptInstallPackages(['install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', 'nginx=1.24', 'curl'])).toEqual([
      'nginx',
      'curl',
    ]);
    expect(aptGet(['install', '-y', 'curl', 'fail2ban'])).toMatchObject({
      status: 0,
      stderr: expect.stringMatching(/curl is installed on this machine[\s\S]*fail2ban skipped/),
    });
    expect(aptGet(['install', 'tierform-lab-no-such-package'])).toMatchObject({
      status: 100,
      stderr: expect.stringMatching(/tierform-lab-no-such-package is not installed on this machine and the lab installs nothing/),
    });
    expect(aptGet(['install', 'mysql-server'])).toMatchObject({ status: 100, stderr: expect.stringMatching(/TIERFORM_ENGINE=mariadb-10\.11/) });
    expect(aptGet(['-q', 'update'])).toMatchObject({ status: 0, stderr: expect.stringMatching(/apt-get update skipped/) });
  });

  test('cloud-config keys the lab does not know are named', () => {
    expect(unsupportedCloudConfigKeys(parseCloudConfig('#cloud-config\nbootcmd: [[echo]]\npackages: [curl]\nssh_pwauth: false\n'))).toEqual([
      'bootcmd',
    ]);
  });
});
