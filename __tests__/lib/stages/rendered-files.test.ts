/**
 * THE rendered-files test: every file every droplet of every stage boots with, checked by the real program that
 * will read it. For each stage and engine, each droplet's user_data is taken exactly as in the plan, rendered the
 * way Terraform would at apply (references answered by fakeResolver), parsed as cloud-config, and:
 * - the document goes through `cloud-init schema` and a top-level key allow-list;
 * - each write_files entry is written under a temporary root and handed to the checker(s) of its kind (CHECKERS,
 *   in __tests__/helpers/checkers.ts, shared with construct tests). A file no checker claims FAILS the test, so a
 *   new kind of file cannot ship unchecked: add a checker there.
 * A missing checker program fails too (requireTool names the Debian package; scripts/debian-packages.txt).
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { MysqlEngine } from '../../../constructs/mysql-engine';
import { WriteFile } from '../../../lib/plan/cloud-config';
import * as stages from '../../../lib/stages';
import { SecuredStageProps } from '../../../lib/stages';
import { CHECKERS, RenderedDroplet, describeRenderedDroplet, renderDroplets } from '../../helpers/checkers';
import { makeTempDir, writeFile } from '../../helpers/tools';

// ---------------------------------------------------------------------------------------------------------------
// The droplets: every stage exported by lib/stages (new stages are picked up), with both engines.

type StageClass = new (scope: Construct, id: string, props: SecuredStageProps) => TerraformStack;

const STAGES: Array<[string, StageClass]> = Object.entries(stages)
  .filter(([, value]) => typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof TerraformStack)
  .map(([name, value]) => [name, value as StageClass]);

const ENGINES: readonly MysqlEngine[] = [MysqlEngine.mysql8_0(), MysqlEngine.mariadb10_11()];

const PROPS: SecuredStageProps = { domain: 'foobar.com', email: 'ops@foobar.com', sshKeys: ['123'], adminCidrs: ['203.0.113.7/32'] };

function renderStage(stageClass: StageClass, engine: MysqlEngine): RenderedDroplet[] {
  return renderDroplets(Testing.synth(new stageClass(Testing.app(), 'stage', { ...PROPS, engine })));
}

// ---------------------------------------------------------------------------------------------------------------
// Each droplet's user_data and files through the checkers (CHECKERS in __tests__/helpers/checkers.ts).

it('finds the stages to check in lib/stages', () => {
  expect(STAGES.map(([name]) => name)).toEqual(expect.arrayContaining(['Stage0SingleServer', 'Stage1LoadBalanced']));
});

describe.each(STAGES)('%s', (_stageName, stageClass) => {
  describe.each(ENGINES.map((engine) => [engine.flavor, engine] as const))('with %s', (_flavor, engine) => {
    const droplets = renderStage(stageClass, engine);

    describe.each(droplets.map((d) => [d.droplet.name, d] as const))('%s', (_dropletName, rendered) => {
      describeRenderedDroplet(rendered);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The checkers can fail: each one is shown a file with a planted mistake.

describe('the checkers catch planted mistakes', () => {
  const [, stageClass] = STAGES.find(([name]) => name === 'Stage1LoadBalanced') ?? STAGES[0];
  const droplets = renderStage(stageClass, MysqlEngine.mariadb10_11());

  /** [checker, planted mistake, file path pattern, how to plant it, what the failure must say] */
  const mistakes: Array<[string, string, RegExp, (content: string) => string, RegExp]> = [
    [
      'nginx -t',
      'misspelt directive',
      /^\/etc\/nginx\/nginx\.conf$/,
      (c) => c.replace('client_max_body_size', 'client_max_body_sise'),
      /unknown directive .*client_max_body_sise/,
    ],
    [
      'haproxy -c',
      'missing client timeout',
      /haproxy\.cfg$/,
      (c) => c.replace('timeout client', '# timeout client'),
      /\[WARNING\].*missing timeouts/,
    ],
    ['shellcheck', 'unquoted expansion', /tierform-netinfo$/, (c) => c.replace('"$private_ip"', '$private_ip'), /SC2086/],
    ['systemd-analyze verify', 'unknown key', /\.service$/, (c) => c.replace('[Service]', '[Service]\nRestartSecs=5'), /Unknown key 'RestartSecs'/],
    [
      'systemd-analyze verify',
      'missing ExecStart program',
      /tierform-mysql-setup\.service$/,
      (c) => c.replace('ExecStart=', 'ExecStart=/usr/local/sbin/does-not-exist '),
      /does-not-exist is not executable/,
    ],
    [
      'systemd-analyze verify (drop-in)',
      'unknown key',
      /\.service\.d\//,
      (c) => c.replace('EnvironmentFile=', 'EnvironmentFiles='),
      /Unknown key 'EnvironmentFiles'/,
    ],
    ['python3 -m py_compile', 'syntax error', /\.py$/, (c) => `${c}\ndef broken(:\n`, /SyntaxError/],
    ['mariadbd --help --verbose', 'unknown option', /\.cnf$/, (c) => `${c}\nbogus_option = 1\n`, /unknown variable 'bogus_option=1'/],
    ['sshd -t', 'bad value', /sshd_config\.d/, (c) => `${c}PasswordAuthentication maybe\n`, /unsupported option .*maybe/],
    ['fail2ban-client -t', 'bad duration', /jail\.d/, (c) => c.replace('bantime = 1h', 'bantime = 1x'), /SyntaxError|invalid/],
    ['fail2ban-client -t', 'unknown key', /jail\.d/, (c) => c.replace('maxretry', 'max_retry'), /sshd\.max_retry/],
    ['sh -n and sh -c .', 'unterminated quote', /\.env$/, (c) => `${c}BROKEN='unterminated\n`, /Unterminated quoted string/],
    ['journald.conf(5) keys and values', 'unknown key', /journald/, (c) => c.replace('SystemMaxUse', 'SystemMaxUsage'), /SystemMaxUsage/],
    [
      'journald.conf(5) keys and values',
      'bad time span',
      /journald/,
      (c) => c.replace('MaxRetentionSec=1month', 'MaxRetentionSec=1 fortnight'),
      /1 fortnight/,
    ],
  ];

  // Stage 3's load balancers carry the files no earlier stage has (keepalived, certbot, the API token).
  const [, stage3] = STAGES.find(([name]) => name === 'Stage3HighAvailability') ?? STAGES[0];
  const stage3Droplets = renderStage(stage3, MysqlEngine.mariadb10_11());
  const stage3Mistakes: typeof mistakes = [
    [
      'keepalived -t (in a namespace with the droplet\u2019s own VRRP tunnel up)',
      'unknown keyword',
      /keepalived\.conf$/,
      (c) => c.replace('advert_int', 'advert_intervall'),
      /Unknown keyword|advert_intervall/,
    ],
    [
      'certbot DNS plugin credentials: 0600, dns_digitalocean_token only',
      'second key',
      /certbot-digitalocean\.ini$/,
      (c) => `${c}dns_digitalocean_propagation = 10\n`,
      /dns_digitalocean_propagation/,
    ],
    ['root-only token file: 0600, one line, no spaces', 'second line', /do-token$/, (c) => `${c}extra\n`, /extra/],
  ];

  it.each(stage3Mistakes)('%s fails on a planted %s (stage 3)', (checkerName, _mistake, pathPattern, plant, message) => {
    plantAndCheck(stage3Droplets, checkerName, pathPattern, plant, message);
  });

  it.each(mistakes)('%s fails on a planted %s', (checkerName, _mistake, pathPattern, plant, message) => {
    plantAndCheck(droplets, checkerName, pathPattern, plant, message);
  });
});

function plantAndCheck(
  droplets: ReturnType<typeof renderStage>,
  checkerName: string,
  pathPattern: RegExp,
  plant: (content: string) => string,
  message: RegExp,
): void {
  // GIVEN a droplet's real file, with a mistake planted
  const checker = CHECKERS.find((c) => c.name === checkerName)!;
  const droplet = droplets.find((d) => d.doc.writeFiles.some((f) => pathPattern.test(f.path) && checker.matches(f)));
  const original = droplet?.doc.writeFiles.find((f) => pathPattern.test(f.path) && checker.matches(f));
  expect(original).toBeDefined();
  const file: WriteFile = { ...original!, content: plant(original!.content) };
  expect(file.content).not.toBe(original!.content);
  const files = droplet!.doc.writeFiles.map((f) => (f === original ? file : f));
  const tmp = makeTempDir('planted');
  try {
    const root = path.join(tmp.dir, 'root');
    for (const f of files) writeFile(root, f.path, f.content, parseInt(f.permissions, 8));
    const scratch = path.join(tmp.dir, 'scratch');
    fs.mkdirSync(scratch);
    // WHEN / THEN
    expect(() => checker.check({ file, hostPath: path.join(root, file.path), root, files, scratch })).toThrow(message);
  } finally {
    tmp.cleanup();
  }
}
