import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import {
  ALERTS,
  AlertRulesOptions,
  PROMETHEUS_PATHS,
  PrometheusConfigOptions,
  PrometheusJob,
  renderAlertRules,
  renderPrometheusConfig,
  renderPrometheusDropIn,
  renderPrometheusSelfTargetsScript,
} from '../../../lib/render/prometheus';
import { expectClean, makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';
import { resolveTokens } from '../../helpers/tokens';
import { freePort, sleep } from '../../helpers/processes';

// ---- fixtures -------------------------------------------------------------------------------------------------

/** Jobs as the construct tree passes them: other droplets' addresses are Terraform tokens until apply. */
const JOBS: readonly PrometheusJob[] = [
  {
    name: 'node',
    targets: [
      { address: '${TfToken[TOKEN.3]}:9100', labels: { role: 'web', droplet: 'web-0' } },
      { address: '${TfToken[TOKEN.4]}:9100', labels: { role: 'db', droplet: 'db-0' } },
    ],
    selfTarget: { port: 9100, labels: { role: 'monitoring', droplet: 'mon-0' } },
  },
  { name: 'haproxy', targets: [{ address: '${TfToken[TOKEN.5]}:8404', labels: { role: 'lb' } }] },
  { name: 'nginx', targets: [{ address: '${TfToken[TOKEN.3]}:9113', labels: { role: 'web' } }] },
  { name: 'mysqld', targets: [{ address: '${TfToken[TOKEN.4]}:9104', labels: { role: 'db' } }] },
  { name: 'prometheus', targets: [], selfTarget: { port: 9090, labels: { role: 'monitoring' } } },
];

function configOptions(overrides: Partial<PrometheusConfigOptions> = {}): PrometheusConfigOptions {
  return {
    scrapeIntervalSeconds: 15,
    evaluationIntervalSeconds: 15,
    jobs: JOBS,
    ruleFiles: ['rules/tierform.yml'],
    ...overrides,
  };
}

const RULES: AlertRulesOptions = { replicationLagSeconds: 30, diskFreePercent: 15, http5xxRatio: 0.05 };

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function rulesOf(text: string): Rule[] {
  const doc = parse(text) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

// ---- text -----------------------------------------------------------------------------------------------------

describe('renderPrometheusConfig text', () => {
  test('global intervals, default scrape timeout and external labels', () => {
    // GIVEN / WHEN
    const doc = parse(renderPrometheusConfig(configOptions({ scrapeIntervalSeconds: 5, externalLabels: { stage: 'prod' } })));
    // THEN
    expect(doc).toMatchObject({
      global: { scrape_interval: '5s', scrape_timeout: '5s', evaluation_interval: '15s', external_labels: { stage: 'prod' } },
      rule_files: ['rules/tierform.yml'],
    });
  });

  test('one static config per target, so each target keeps its own labels', () => {
    // GIVEN / WHEN
    const doc = parse(renderPrometheusConfig(configOptions()));
    // THEN
    expect(doc.scrape_configs[0]).toMatchObject({
      job_name: 'node',
      static_configs: [
        { targets: ['${TfToken[TOKEN.3]}:9100'], labels: { role: 'web', droplet: 'web-0' } },
        { targets: ['${TfToken[TOKEN.4]}:9100'], labels: { role: 'db', droplet: 'db-0' } },
      ],
    });
    expect(doc.scrape_configs.map((c: { job_name: string }) => c.job_name)).toEqual(['node', 'haproxy', 'nginx', 'mysqld', 'prometheus']);
  });

  test('roles found by DNS: one dns_sd config per name, and each name’s labels attached by relabelling', () => {
    // GIVEN / WHEN
    const doc = parse(
      renderPrometheusConfig(
        configOptions({
          jobs: [
            {
              name: 'node',
              dnsTargets: [
                { name: 'site-web.internal.example.com', port: 9100, labels: { role: 'site-web' } },
                { name: 'site-db.internal.example.com', port: 9100, labels: { role: 'site-db' } },
              ],
            },
          ],
        }),
      ),
    );
    // THEN
    expect(doc.scrape_configs[0]).toEqual({
      job_name: 'node',
      dns_sd_configs: [
        { names: ['site-web.internal.example.com'], type: 'A', port: 9100, refresh_interval: '30s' },
        { names: ['site-db.internal.example.com'], type: 'A', port: 9100, refresh_interval: '30s' },
      ],
      relabel_configs: [
        { source_labels: ['__meta_dns_name'], regex: 'site-web\\.internal\\.example\\.com', target_label: 'role', replacement: 'site-web' },
        { source_labels: ['__meta_dns_name'], regex: 'site-db\\.internal\\.example\\.com', target_label: 'role', replacement: 'site-db' },
      ],
    });
  });

  test('throws if a DNS target is not a DNS name', () => {
    expect(() => renderPrometheusConfig(configOptions({ jobs: [{ name: 'x', dnsTargets: [{ name: 'a b', port: 1, labels: {} }] }] }))).toThrow(
      `'jobs[0].dnsTargets[0].name' must be a DNS name (letters, digits, '-' and '.'), got "a b"`,
    );
  });

  test('token addresses are inserted verbatim in the text', () => {
    // GIVEN / WHEN
    const text = renderPrometheusConfig(configOptions());
    // THEN
    expect(text).toContain('${TfToken[TOKEN.5]}:8404');
  });

  test("this droplet's own exporters are read from file_sd files in the self-targets directory", () => {
    // GIVEN / WHEN
    const doc = parse(renderPrometheusConfig(configOptions()));
    // THEN
    expect(doc.scrape_configs[4]).toEqual({
      job_name: 'prometheus',
      file_sd_configs: [{ files: [`${PROMETHEUS_PATHS.selfTargetsDir}/prometheus.json`] }],
    });
    expect(doc.scrape_configs[0].file_sd_configs).toEqual([{ files: [`${PROMETHEUS_PATHS.selfTargetsDir}/node.json`] }]);
  });

  test('metricsPath and alertmanagers are rendered when given', () => {
    // GIVEN / WHEN
    const doc = parse(
      renderPrometheusConfig(
        configOptions({
          jobs: [{ name: 'app', targets: [{ address: '10.0.0.5:8000', labels: {} }], metricsPath: '/internal/metrics' }],
          alertmanagers: ['10.0.0.9:9093'],
        }),
      ),
    );
    // THEN
    expect(doc.scrape_configs[0]).toMatchObject({ job_name: 'app', metrics_path: '/internal/metrics' });
    expect(doc.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ['10.0.0.9:9093'] }] }] });
  });

  test.each<[string, Partial<PrometheusConfigOptions>, RegExp]>([
    [
      'a job name appears twice',
      { jobs: [JOBS[1], JOBS[1]] },
      /^'jobs\[1\]\.name' must be unique \(an earlier job has the same name\), got "haproxy"$/,
    ],
    [
      'a job has no targets',
      { jobs: [{ name: 'empty', targets: [] }] },
      /^'jobs\[0\]' \(job 'empty'\) has no targets: give 'targets', 'dnsTargets' or 'selfTarget'$/,
    ],
    ['there are no jobs', { jobs: [] }, /'jobs' must list at least one scrape job/],
    ['the timeout exceeds the interval', { scrapeTimeoutSeconds: 20 }, /'scrapeTimeoutSeconds' must not exceed/],
    [
      'a label name is invalid',
      { jobs: [{ name: 'x', targets: [{ address: '10.0.0.1:1', labels: { 'bad-name': 'v' } }] }] },
      /'jobs\[0\]\.targets\[0\]\.labels\.bad-name' must be named with letters, digits and '_', not starting with '__', got "bad-name"/,
    ],
    [
      'an address has no port',
      { jobs: [{ name: 'x', targets: [{ address: '10.0.0.1', labels: {} }] }] },
      /'jobs\[0\]\.targets\[0\]\.address' must be host:port/,
    ],
  ])('throws if %s', (_name, overrides, message) => {
    // GIVEN / WHEN / THEN
    expect(() => renderPrometheusConfig(configOptions(overrides))).toThrow(message);
  });
});

describe('renderAlertRules text', () => {
  test('every rule has a for duration, a severity, a summary and a description', () => {
    // GIVEN / WHEN
    const rules = rulesOf(renderAlertRules(RULES));
    // THEN
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(Object.values(ALERTS)));
    for (const r of rules) {
      expect(r).toMatchObject({
        for: expect.stringMatching(/^\d+m$/),
        labels: { severity: expect.stringMatching(/^(critical|warning)$/) },
        annotations: { summary: expect.any(String), description: expect.any(String) },
      });
    }
  });

  test('thresholds and metric names appear in the expressions', () => {
    // GIVEN / WHEN
    const byName = new Map(rulesOf(renderAlertRules({ ...RULES, replicationLagSeconds: 45 })).map((r) => [r.alert, r]));
    // THEN
    expect(byName.get('InstanceDown')).toMatchObject({ expr: 'up == 0', for: '2m' });
    expect(byName.get('ReplicationStopped')?.expr).toMatch(/mysql_slave_status_slave_io_running == 0.*mysql_slave_status_slave_sql_running == 0/);
    expect(byName.get('ReplicationLagging')?.expr).toBe('mysql_slave_status_seconds_behind_master > 45');
    expect(byName.get('DiskFilling')?.expr).toMatch(/< 15 and predict_linear\(node_filesystem_avail_bytes\{[^}]*\}\[1h\], 4 \* 3600\) < 0/);
    expect(byName.get('High5xxRate')?.expr).toContain('haproxy_backend_http_responses_total{code="5xx"}[5m]');
    expect(byName.get('HAProxyBackendDown')?.expr).toContain('haproxy_backend_active_servers');
    expect(byName.get('NginxDown')?.expr).toBe('nginx_up == 0');
  });

  test('the rules pass through a Terraform string template unchanged (no ${ or %{)', () => {
    // GIVEN / WHEN
    const text = renderAlertRules(RULES);
    // THEN
    expect(text).not.toMatch(/[$%]\{/);
  });

  test.each<[string, Partial<AlertRulesOptions>, RegExp]>([
    ['the 5xx ratio is a percentage', { http5xxRatio: 5 }, /^'http5xxRatio' must be a number above 0 and below 1, got 5$/],
    ['the free disk percentage is 0', { diskFreePercent: 0 }, /^'diskFreePercent' must be a number above 0 and below 100, got 0$/],
    ['the lag is negative', { replicationLagSeconds: -1 }, /'replicationLagSeconds' must be a number above 0/],
  ])('throws if %s', (_name, overrides, message) => {
    // GIVEN / WHEN / THEN
    expect(() => renderAlertRules({ ...RULES, ...overrides })).toThrow(message);
  });
});

describe('renderPrometheusDropIn text', () => {
  test('listens on the VPC address from net.env, with the retention flags and the package ARGS', () => {
    // GIVEN / WHEN
    const dropIn = renderPrometheusDropIn({ retentionDays: 30, retentionSizeGb: 20 });
    // THEN
    expect(dropIn).toContain('\nEnvironmentFile=/etc/tierform/net.env\n');
    expect(dropIn).toContain('\nExecStart=\nExecStart=/usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml ');
    expect(dropIn).toMatch(
      /^ExecStart=\/usr\/bin\/prometheus .*--storage\.tsdb\.retention\.time=30d --storage\.tsdb\.retention\.size=20GB --web\.listen-address=\$\{TIERFORM_PRIVATE_IP\}:9090 \$ARGS$/m,
    );
  });

  test('refuses to start without an address, then writes the self targets', () => {
    // GIVEN / WHEN
    const dropIn = renderPrometheusDropIn({ retentionDays: 15 });
    // THEN
    expect(dropIn).toContain(`\nExecStartPre=/usr/bin/test -n \${TIERFORM_PRIVATE_IP}\nExecStartPre=${PROMETHEUS_PATHS.selfTargetsScript}\n`);
  });

  test('throws if the retention is not a whole number of days', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderPrometheusDropIn({ retentionDays: 0.5 })).toThrow("'retentionDays' must be an integer from 1 to 3650, got 0.5");
  });
});

// ---- real checkers --------------------------------------------------------------------------------------------

/** promtool check prints SUCCESS lines: they must be there, and no warning, failure or error. */
const PROMTOOL_CLEAN = { output: /SUCCESS/, forbid: /WARNING|FAILED|error/i } as const;

/** Runs the rendered self-targets script (bash) with the droplet's address, as ExecStartPre would. */
function runSelfTargetsScript(dir: string, jobs: readonly PrometheusJob[], ip: string | undefined): RunResult {
  const script = writeFile(dir, 'prometheus-self-targets', renderPrometheusSelfTargetsScript(jobs, path.join(dir, 'self')), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TIERFORM_PRIVATE_IP;
  if (ip !== undefined) {
    env.TIERFORM_PRIVATE_IP = ip;
  }
  return run('bash', [script], { env });
}

describe('promtool check config', () => {
  const PROMTOOL = requireTool('promtool', 'prometheus');

  test.each<[string, (text: string) => string]>([
    ['addresses as Terraform tokens (verbatim)', (t) => t],
    ['addresses resolved by Terraform', (text: string) => resolveTokens(text, (i) => `10.10.0.${i + 2}`)],
  ])('accepts the config with %s, its rule file and self-target files, without warnings', (_name, transform) => {
    // GIVEN
    const tmp = makeTempDir('promtool-config');
    try {
      expect(runSelfTargetsScript(tmp.dir, JOBS, '10.10.0.9').status).toBe(0);
      writeFile(tmp.dir, 'rules/tierform.yml', renderAlertRules(RULES));
      const text = renderPrometheusConfig(
        configOptions({ selfTargetsDir: path.join(tmp.dir, 'self'), externalLabels: { stage: 'prod' }, alertmanagers: ['10.10.0.20:9093'] }),
      );
      const file = writeFile(tmp.dir, 'prometheus.yml', transform(text));
      // WHEN
      const result = run(PROMTOOL, ['check', 'config', file]);
      // THEN
      expectClean(result, { ...PROMTOOL_CLEAN, output: /SUCCESS: 1 rule files found[\s\S]*is valid prometheus config file syntax/ });
    } finally {
      tmp.cleanup();
    }
  });

  test('accepts roles found by DNS (dns_sd_configs with relabelling), without warnings', () => {
    // GIVEN
    const tmp = makeTempDir('promtool-config');
    try {
      writeFile(tmp.dir, 'rules/tierform.yml', renderAlertRules(RULES));
      const jobs: PrometheusJob[] = [
        {
          name: 'node',
          dnsTargets: [
            { name: 'site-web.internal.example.com', port: 9100, labels: { role: 'site-web' } },
            { name: 'site-db.internal.example.com', port: 9100, labels: { role: 'site-db' } },
          ],
        },
        { name: 'mysqld', dnsTargets: [{ name: 'site-db.internal.example.com', port: 9104, labels: { role: 'site-db' } }] },
      ];
      const file = writeFile(tmp.dir, 'prometheus.yml', renderPrometheusConfig(configOptions({ jobs })));
      // WHEN
      const result = run(PROMTOOL, ['check', 'config', file]);
      // THEN
      expectClean(result, { ...PROMTOOL_CLEAN, output: /SUCCESS: 1 rule files found[\s\S]*is valid prometheus config file syntax/ });
    } finally {
      tmp.cleanup();
    }
  });

  test('fails when a referenced rule file is missing (the check can fail)', () => {
    // GIVEN
    const tmp = makeTempDir('promtool-config');
    try {
      const file = writeFile(tmp.dir, 'prometheus.yml', renderPrometheusConfig(configOptions({ jobs: [JOBS[1]] })));
      // WHEN
      const result = run(PROMTOOL, ['check', 'config', file]);
      // THEN
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/rules\/tierform\.yml/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('self-targets script', () => {
  test('passes shellcheck', () => {
    // GIVEN
    const shellcheck = requireTool('shellcheck', 'shellcheck');
    const tmp = makeTempDir('self-targets');
    try {
      const file = writeFile(tmp.dir, 'script', renderPrometheusSelfTargetsScript(JOBS));
      // WHEN
      const result = run(shellcheck, ['--severity=style', file]);
      // THEN
      expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: '' });
    } finally {
      tmp.cleanup();
    }
  });

  test('writes one file_sd file per self job at the droplet address, with its labels', () => {
    // GIVEN
    const tmp = makeTempDir('self-targets');
    try {
      // WHEN
      const result = runSelfTargetsScript(tmp.dir, JOBS, '10.20.0.7');
      // THEN
      expect(result.status).toBe(0);
      expect(fs.readdirSync(path.join(tmp.dir, 'self')).sort()).toEqual(['node.json', 'prometheus.json']);
      expect(JSON.parse(fs.readFileSync(path.join(tmp.dir, 'self', 'node.json'), 'utf8'))).toEqual([
        { targets: ['10.20.0.7:9100'], labels: { role: 'monitoring', droplet: 'mon-0' } },
      ]);
    } finally {
      tmp.cleanup();
    }
  });

  test.each([[undefined], [''], ['not-an-ip']])('fails when TIERFORM_PRIVATE_IP is %p', (ip) => {
    // GIVEN
    const tmp = makeTempDir('self-targets');
    try {
      // WHEN
      const result = runSelfTargetsScript(tmp.dir, JOBS, ip);
      // THEN
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('TIERFORM_PRIVATE_IP is not an IPv4 address');
      expect(fs.existsSync(path.join(tmp.dir, 'self'))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('promtool check rules', () => {
  const PROMTOOL = requireTool('promtool', 'prometheus');

  function checkRules(text: string): RunResult {
    const tmp = makeTempDir('promtool-rules');
    try {
      return run(PROMTOOL, ['check', 'rules', writeFile(tmp.dir, 'tierform.yml', text)]);
    } finally {
      tmp.cleanup();
    }
  }

  test('accepts the rules without warnings', () => {
    // GIVEN / WHEN
    const result = checkRules(renderAlertRules(RULES));
    // THEN
    expectClean(result, { ...PROMTOOL_CLEAN, output: new RegExp(`SUCCESS: ${rulesOf(renderAlertRules(RULES)).length} rules found`) });
  });

  test('rejects a broken expression (the check can fail)', () => {
    // GIVEN
    const broken = renderAlertRules(RULES).replace('expr: up == 0', 'expr: up == ');
    expect(broken).not.toEqual(renderAlertRules(RULES));
    // WHEN
    const result = checkRules(broken);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/parse error/);
  });
});

// ---- promtool test rules: the expressions fire when they should, and only then -----------------------------

interface AlertTest {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: { exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }[];
}

interface UnitTest {
  readonly name: string;
  readonly input_series: { series: string; values: string }[];
  readonly alert_rule_test: AlertTest[];
}

/** Runs `promtool test rules` on `tests` against `rulesText` (written beside the test file). */
function promtoolTestRules(rulesText: string, tests: readonly UnitTest[]): RunResult {
  const promtool = requireTool('promtool', 'prometheus');
  const tmp = makeTempDir('promtool-test');
  try {
    writeFile(tmp.dir, 'tierform.yml', rulesText);
    const file = writeFile(
      tmp.dir,
      'tests.yml',
      stringify({ rule_files: ['tierform.yml'], evaluation_interval: '1m', tests: tests.map((t) => ({ interval: '1m', ...t })) }),
    );
    return run(promtool, ['test', 'rules', file]);
  } finally {
    tmp.cleanup();
  }
}

/** The real rules with the annotations removed: expressions, `for` and labels are what is tested here. */
function rulesWithoutAnnotations(): string {
  const doc = parse(renderAlertRules(RULES)) as { groups: { rules: Partial<Rule>[] }[] };
  for (const group of doc.groups) {
    for (const r of group.rules) {
      delete r.annotations;
    }
  }
  return stringify(doc);
}

const DB = { job: 'mysqld', master_host: '10.10.0.6' };
const series = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

const UNIT_TESTS: Record<string, UnitTest> = {
  instanceDown: {
    name: 'InstanceDown: a target down for 2 minutes, another healthy',
    input_series: [
      { series: 'up{job="node",instance="10.10.0.5:9100",role="web"}', values: '0x5' },
      { series: 'up{job="node",instance="10.10.0.6:9100",role="db"}', values: '1x5' },
    ],
    alert_rule_test: [
      { eval_time: '1m', alertname: 'InstanceDown', exp_alerts: [] },
      {
        eval_time: '3m',
        alertname: 'InstanceDown',
        exp_alerts: [{ exp_labels: { severity: 'critical', job: 'node', instance: '10.10.0.5:9100', role: 'web' } }],
      },
    ],
  },
  replicationStopped: {
    name: 'ReplicationStopped: one thread stopped on one replica, both on another, a healthy third',
    input_series: [
      { series: series('mysql_slave_status_slave_io_running', { ...DB, instance: '10.10.0.7:9104' }), values: '0x5' },
      { series: series('mysql_slave_status_slave_sql_running', { ...DB, instance: '10.10.0.7:9104' }), values: '1x5' },
      { series: series('mysql_slave_status_slave_io_running', { ...DB, instance: '10.10.0.8:9104' }), values: '0x5' },
      { series: series('mysql_slave_status_slave_sql_running', { ...DB, instance: '10.10.0.8:9104' }), values: '0x5' },
      { series: series('mysql_slave_status_slave_io_running', { ...DB, instance: '10.10.0.9:9104' }), values: '1x5' },
      { series: series('mysql_slave_status_slave_sql_running', { ...DB, instance: '10.10.0.9:9104' }), values: '1x5' },
    ],
    alert_rule_test: [
      {
        eval_time: '3m',
        alertname: 'ReplicationStopped',
        exp_alerts: [
          { exp_labels: { severity: 'critical', ...DB, instance: '10.10.0.7:9104', thread: 'io' } },
          { exp_labels: { severity: 'critical', ...DB, instance: '10.10.0.8:9104', thread: 'io' } },
          { exp_labels: { severity: 'critical', ...DB, instance: '10.10.0.8:9104', thread: 'sql' } },
        ],
      },
    ],
  },
  replicationLagging: {
    name: 'ReplicationLagging: 100 s behind for 5 minutes, another replica 5 s behind',
    input_series: [
      { series: series('mysql_slave_status_seconds_behind_master', { ...DB, instance: '10.10.0.7:9104' }), values: '100x10' },
      { series: series('mysql_slave_status_seconds_behind_master', { ...DB, instance: '10.10.0.8:9104' }), values: '5x10' },
    ],
    alert_rule_test: [
      { eval_time: '4m', alertname: 'ReplicationLagging', exp_alerts: [] },
      {
        eval_time: '6m',
        alertname: 'ReplicationLagging',
        exp_alerts: [{ exp_labels: { severity: 'warning', ...DB, instance: '10.10.0.7:9104' } }],
      },
    ],
  },
  diskFilling: {
    name: 'DiskFilling: a filling disk, a low but steady disk, a roomy disk, a nearly full tmpfs',
    input_series: [
      ...disk('10.10.0.5:9100', '/', 'ext4', '100e9x120', '14e9-5e7x120'),
      ...disk('10.10.0.6:9100', '/', 'ext4', '100e9x120', '10e9x120'),
      ...disk('10.10.0.7:9100', '/', 'ext4', '100e9x120', '50e9x120'),
      ...disk('10.10.0.5:9100', '/run', 'tmpfs', '1e9x120', '1e6x120'),
    ],
    alert_rule_test: [
      {
        eval_time: '90m',
        alertname: 'DiskFilling',
        exp_alerts: [{ exp_labels: diskLabels('10.10.0.5:9100', '/', 'ext4', 'critical') }],
      },
      {
        eval_time: '90m',
        alertname: 'DiskSpaceLow',
        exp_alerts: [
          { exp_labels: diskLabels('10.10.0.5:9100', '/', 'ext4', 'warning') },
          { exp_labels: diskLabels('10.10.0.6:9100', '/', 'ext4', 'warning') },
        ],
      },
    ],
  },
  high5xxRate: {
    name: 'High5xxRate: 17% 5xx on one balancer, 1% on another, one 5xx a minute on an idle one',
    input_series: [
      { series: haproxy('10.10.0.2:8404', 'web', '2xx'), values: '0+100x20' },
      { series: haproxy('10.10.0.2:8404', 'web', '5xx'), values: '0+20x20' },
      { series: haproxy('10.10.0.2:8404', 'stats', '2xx'), values: '0+6x20' },
      { series: haproxy('10.10.0.3:8404', 'web', '2xx'), values: '0+100x20' },
      { series: haproxy('10.10.0.3:8404', 'web', '5xx'), values: '0+1x20' },
      { series: haproxy('10.10.0.4:8404', 'web', '2xx'), values: '0x20' },
      { series: haproxy('10.10.0.4:8404', 'web', '5xx'), values: '0+1x20' },
    ],
    alert_rule_test: [
      { eval_time: '4m', alertname: 'High5xxRate', exp_alerts: [] },
      {
        eval_time: '12m',
        alertname: 'High5xxRate',
        exp_alerts: [{ exp_labels: { severity: 'critical', job: 'haproxy', instance: '10.10.0.2:8404', proxy: 'web' } }],
      },
    ],
  },
  haproxyBackendDown: {
    name: 'HAProxyBackendDown: the web backend lost its servers; the stats listener (never any server) is ignored',
    input_series: [
      { series: 'haproxy_backend_active_servers{job="haproxy",instance="10.10.0.2:8404",proxy="web"}', values: '0x5' },
      { series: 'haproxy_backend_backup_servers{job="haproxy",instance="10.10.0.2:8404",proxy="web"}', values: '0x5' },
      { series: 'haproxy_server_status{job="haproxy",instance="10.10.0.2:8404",proxy="web",server="web-0",state="DOWN"}', values: '1x5' },
      { series: 'haproxy_server_status{job="haproxy",instance="10.10.0.2:8404",proxy="web",server="web-0",state="UP"}', values: '0x5' },
      { series: 'haproxy_backend_active_servers{job="haproxy",instance="10.10.0.2:8404",proxy="stats"}', values: '0x5' },
      { series: 'haproxy_backend_backup_servers{job="haproxy",instance="10.10.0.2:8404",proxy="stats"}', values: '0x5' },
    ],
    alert_rule_test: [
      {
        eval_time: '3m',
        alertname: 'HAProxyBackendDown',
        exp_alerts: [{ exp_labels: { severity: 'critical', job: 'haproxy', instance: '10.10.0.2:8404', proxy: 'web' } }],
      },
    ],
  },
  nginxDown: {
    name: 'NginxDown: the exporter answers but nginx does not',
    input_series: [
      { series: 'nginx_up{job="nginx",instance="10.10.0.5:9113"}', values: '0x5' },
      { series: 'nginx_up{job="nginx",instance="10.10.0.6:9113"}', values: '1x5' },
    ],
    alert_rule_test: [
      {
        eval_time: '3m',
        alertname: 'NginxDown',
        exp_alerts: [{ exp_labels: { severity: 'critical', job: 'nginx', instance: '10.10.0.5:9113' } }],
      },
    ],
  },
};

function diskLabels(instance: string, mountpoint: string, fstype: string, severity?: string): Record<string, string> {
  return { job: 'node', instance, device: '/dev/vda1', mountpoint, fstype, ...(severity ? { severity } : {}) };
}

function disk(instance: string, mountpoint: string, fstype: string, size: string, avail: string) {
  const labels = diskLabels(instance, mountpoint, fstype);
  return [
    { series: series('node_filesystem_size_bytes', labels), values: size },
    { series: series('node_filesystem_avail_bytes', labels), values: avail },
    { series: series('node_filesystem_readonly', labels), values: '0x120' },
  ];
}

function haproxy(instance: string, proxy: string, code: string): string {
  return series('haproxy_backend_http_responses_total', { job: 'haproxy', instance, proxy, code });
}

describe('promtool test rules', () => {
  test.each(Object.entries(UNIT_TESTS))('%s fires when it should and not for healthy series', (_key, unitTest) => {
    // GIVEN / WHEN
    const result = promtoolTestRules(rulesWithoutAnnotations(), [unitTest]);
    // THEN
    expectClean(result, PROMTOOL_CLEAN);
  });

  test('InstanceDown renders its annotations from the target labels (real file, annotations included)', () => {
    // GIVEN
    const unitTest: UnitTest = {
      ...UNIT_TESTS.instanceDown,
      alert_rule_test: [
        {
          eval_time: '3m',
          alertname: 'InstanceDown',
          exp_alerts: [
            {
              exp_labels: { severity: 'critical', job: 'node', instance: '10.10.0.5:9100', role: 'web' },
              exp_annotations: {
                summary: 'node target 10.10.0.5:9100 is down',
                description:
                  'Prometheus has not been able to scrape 10.10.0.5:9100 (job node) for 2 minutes: the droplet, the exporter or the VPC path to it is down.',
              },
            },
          ],
        },
      ],
    };
    // WHEN
    const result = promtoolTestRules(renderAlertRules(RULES), [unitTest]);
    // THEN
    expectClean(result, PROMTOOL_CLEAN);
  });

  test('fails when an alert is expected for a healthy target (the harness can fail)', () => {
    // GIVEN
    const wrong: UnitTest = {
      ...UNIT_TESTS.instanceDown,
      alert_rule_test: [
        {
          eval_time: '3m',
          alertname: 'InstanceDown',
          exp_alerts: [{ exp_labels: { severity: 'critical', job: 'node', instance: '10.10.0.6:9100', role: 'db' } }],
        },
      ],
    };
    // WHEN
    const result = promtoolTestRules(rulesWithoutAnnotations(), [wrong]);
    // THEN
    expect(result.status).toBe(1);
    expect(result.output).toContain('FAILED');
  });
});

// ---- the HAProxy metric names the rules use, from a real HAProxy ---------------------------------------------

describe("HAProxy's built-in exporter", () => {
  test('exposes the names and labels High5xxRate and HAProxyBackendDown use (and a stats backend with 0 servers)', async () => {
    // GIVEN: a backend whose only server is down, one request answered 503, the exporter on the stats listener.
    const haproxy = requireTool('haproxy', 'haproxy');
    const tmp = makeTempDir('haproxy-metrics');
    const [frontendPort, statsPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    const cfg = [
      'global',
      '    log stdout format raw local0',
      'defaults',
      '    mode http',
      '    timeout connect 1s',
      '    timeout client 5s',
      '    timeout server 5s',
      'frontend http',
      `    bind 127.0.0.1:${frontendPort}`,
      '    default_backend web',
      'backend web',
      `    server web-0 127.0.0.1:${deadPort} check inter 1s fall 1`,
      'listen stats',
      `    bind 127.0.0.1:${statsPort}`,
      '    http-request use-service prometheus-exporter if { path /metrics }',
      '    stats enable',
      '',
    ].join('\n');
    const child = spawn(haproxy, ['-db', '-f', writeFile(tmp.dir, 'haproxy.cfg', cfg)], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      let metrics = '';
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        try {
          await getText(frontendPort, '/');
          metrics = await getText(statsPort, '/metrics');
          if (/^haproxy_server_status\{proxy="web",server="web-0",state="DOWN"\} 1$/m.test(metrics)) break;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      // THEN
      expect(metrics).toMatch(/^haproxy_backend_http_responses_total\{proxy="web",code="5xx"\} [1-9]\d*$/m);
      expect(metrics).toMatch(/^haproxy_backend_active_servers\{proxy="web"\} 0$/m);
      expect(metrics).toMatch(/^haproxy_backend_backup_servers\{proxy="web"\} 0$/m);
      expect(metrics).toMatch(/^haproxy_server_status\{proxy="web",server="web-0",state="DOWN"\} 1$/m);
      // The stats listener is a backend too, always without servers: why HAProxyBackendDown requires servers.
      expect(metrics).toMatch(/^haproxy_backend_active_servers\{proxy="stats"\} 0$/m);
      expect(metrics).not.toMatch(/^haproxy_server_status\{proxy="stats"/m);
    } finally {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      tmp.cleanup();
    }
  }, 20_000);
});

// ---- systemd ----------------------------------------------------------------------------------------------------

/**
 * `systemd-analyze verify` of the packaged unit with the drop-in applied (SYSTEMD_UNIT_PATH puts the temp copy
 * first). It checks keys, syntax, the ExecStart binary and that ExecStart is reset; it cannot show the command
 * line systemd would run (no running manager here): the live test below runs that command line instead.
 */
function verifyDropIn(unit: string, dropIn: string): RunResult {
  const analyze = requireTool('systemd-analyze', 'systemd');
  const packaged = `/lib/systemd/system/${unit}`;
  if (!fs.existsSync(packaged)) {
    throw new Error(`${packaged} is missing: apt-get install ${unit.replace(/\.service$/, '')}`);
  }
  const tmp = makeTempDir('systemd-verify');
  try {
    const file = writeFile(tmp.dir, unit, fs.readFileSync(packaged, 'utf8'));
    writeFile(tmp.dir, `${unit}.d/50-tierform.conf`, dropIn);
    return run(analyze, ['verify', file], { env: { ...process.env, SYSTEMD_UNIT_PATH: `${tmp.dir}:` } });
  } finally {
    tmp.cleanup();
  }
}

describe('systemd-analyze verify', () => {
  test('accepts the prometheus.service drop-in without messages', () => {
    // GIVEN / WHEN
    const result = verifyDropIn('prometheus.service', renderPrometheusDropIn({ retentionDays: 15, retentionSizeGb: 8 }));
    // THEN
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('reports a broken drop-in (the check can fail)', () => {
    // GIVEN
    const broken = renderPrometheusDropIn({ retentionDays: 15 }).replace('ExecStart=\n', '');
    // WHEN
    const result = verifyDropIn('prometheus.service', broken);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/more than one ExecStart/);
  });
});

// ---- live: Debian's prometheus scraping a fake exporter on loopback -------------------------------------------

/**
 * The drop-in's ExecStart as systemd would run it here: `${VAR}` inside a word replaced from `env`, the word
 * `$ARGS` removed (the package's ARGS is empty), `$$` → `$`, `%%` → `%`. Arguments hold no quotes (the renderer
 * refuses them), so splitting on spaces is exact.
 */
function execStartArgv(dropIn: string, env: Record<string, string>): string[] {
  const line = dropIn
    .split('\n')
    .filter((l) => l.startsWith('ExecStart=') && l !== 'ExecStart=')
    .pop();
  if (line === undefined) {
    throw new Error('no ExecStart= in the drop-in');
  }
  return line
    .slice('ExecStart='.length)
    .split(' ')
    .filter((word) => word !== '$ARGS')
    .map((word) =>
      word
        .replace(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '')
        .replace(/\$\$/g, '$')
        .replace(/%%/g, '%'),
    );
}

/** Replaces the value of each `--flag=` in `args`; every flag must be present (a renderer change cannot slip by). */
function withFlags(args: readonly string[], values: Record<string, string>): string[] {
  const out = [...args];
  for (const [flag, value] of Object.entries(values)) {
    const i = out.findIndex((a) => a.startsWith(`${flag}=`));
    if (i < 0) {
      throw new Error(`${flag} is not in ${out.join(' ')}`);
    }
    out[i] = `${flag}=${value}`;
  }
  return out;
}

function getText(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}

async function getJson(port: number, urlPath: string): Promise<unknown> {
  return JSON.parse(await getText(port, urlPath));
}

interface ApiTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

describe('Debian prometheus with the rendered files, on loopback', () => {
  let tmp: { dir: string; cleanup: () => void };
  let fake: http.Server;
  let child: ChildProcess | undefined;
  let exited: Promise<void>;
  let output = '';
  let promPort: number;
  let fakePort: number;

  beforeAll(async () => {
    const prometheus = requireTool('prometheus', 'prometheus');
    tmp = makeTempDir('prometheus-live');
    fake = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE fake_metric gauge\nfake_metric 1\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakePort = (fake.address() as net.AddressInfo).port;
    promPort = await freePort();

    const jobs: PrometheusJob[] = [
      { name: 'node', targets: [{ address: `127.0.0.1:${fakePort}`, labels: { role: 'web', droplet: 'web-0' } }] },
      { name: 'prometheus', targets: [], selfTarget: { port: promPort, labels: { role: 'monitoring' } } },
    ];
    const rulesFile = writeFile(tmp.dir, 'rules/tierform.yml', renderAlertRules(RULES));
    const config = writeFile(
      tmp.dir,
      'prometheus.yml',
      renderPrometheusConfig({
        scrapeIntervalSeconds: 1,
        evaluationIntervalSeconds: 1,
        jobs,
        ruleFiles: [rulesFile],
        selfTargetsDir: path.join(tmp.dir, 'self'),
      }),
    );
    // ExecStartPre, then ExecStart as the drop-in has them (paths moved to the temp dir).
    const pre = runSelfTargetsScript(tmp.dir, jobs, '127.0.0.1');
    expect({ status: pre.status, output: pre.output }).toEqual({ status: 0, output: '' });
    const argv = execStartArgv(renderPrometheusDropIn({ retentionDays: 1, listenPort: promPort }), {
      TIERFORM_PRIVATE_IP: '127.0.0.1',
    });
    expect(argv[0]).toBe('/usr/bin/prometheus');
    expect(argv).toContain(`--web.listen-address=127.0.0.1:${promPort}`);
    const args = withFlags(argv.slice(1), { '--config.file': config, '--storage.tsdb.path': path.join(tmp.dir, 'data') });
    child = spawn(prometheus, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const started = child;
    exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
  }, 30_000);

  afterAll(async () => {
    const pid = child?.pid;
    if (child && pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => child?.exitCode === null && process.kill(pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (fake ? fake.close(() => resolve()) : resolve()));
    tmp?.cleanup();
  }, 30_000);

  test('scrapes the fake exporter and itself (found through the self-target file) within 20 s', async () => {
    // GIVEN: started above. WHEN: polled through the HTTP API, bounded.
    const deadline = Date.now() + 20_000;
    let targets: ApiTarget[] = [];
    while (Date.now() < deadline) {
      if (child?.exitCode !== null) {
        throw new Error(`prometheus exited with ${child?.exitCode}:\n${output}`);
      }
      try {
        const reply = (await getJson(promPort, '/api/v1/targets?state=active')) as { data: { activeTargets: ApiTarget[] } };
        targets = reply.data.activeTargets;
        if (targets.length === 2 && targets.every((t) => t.health === 'up')) {
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    // THEN
    expect(targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          health: 'up',
          labels: { job: 'node', instance: `127.0.0.1:${fakePort}`, role: 'web', droplet: 'web-0' },
        }),
        expect.objectContaining({
          health: 'up',
          labels: { job: 'prometheus', instance: `127.0.0.1:${promPort}`, role: 'monitoring' },
        }),
      ]),
    );
  }, 30_000);

  test('loaded the four rule groups', async () => {
    // GIVEN / WHEN
    const reply = (await getJson(promPort, '/api/v1/rules')) as { data: { groups: { name: string; rules: unknown[] }[] } };
    // THEN
    expect(reply.data.groups.map((g) => g.name).sort()).toEqual(['tierform-availability', 'tierform-disk', 'tierform-http', 'tierform-replication']);
    expect(output).not.toMatch(/level=error/);
  });
});
