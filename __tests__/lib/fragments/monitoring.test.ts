import { MYSQLD_EXPORTER_ACCOUNT_HOOK } from '../../../lib/render/mysqld-exporter-setup';
import { EXPORTER_PASSWORD_PATTERN, EXPORTER_PORTS, exportersFragment, prometheusServerFragment } from '../../../lib/fragments/monitoring';

const B64 = '${base64encode(var.exporter)}';

const paths = (f: { files?: readonly { path: string }[] }) => (f.files ?? []).map((x) => x.path);
const commands = (f: { commands?: readonly (readonly string[])[] }) => (f.commands ?? []).map((c) => c.join(' '));

describe('exportersFragment', () => {
  test('every droplet: node_exporter with its VPC drop-in, enabled and restarted', () => {
    // GIVEN / WHEN
    const fragment = exportersFragment({ exporters: [] });
    // THEN
    expect(fragment.packages).toEqual(['prometheus-node-exporter']);
    expect(paths(fragment)).toEqual(['/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf']);
    expect(commands(fragment)).toEqual([
      'systemctl daemon-reload',
      'systemctl enable prometheus-node-exporter',
      'systemctl restart prometheus-node-exporter',
    ]);
  });

  test("nginx: the stub_status block in nginx.conf's include directory and the nginx exporter", () => {
    // GIVEN / WHEN
    const fragment = exportersFragment({ exporters: ['nginx'] });
    // THEN
    expect(fragment.packages).toEqual(['prometheus-node-exporter', 'prometheus-nginx-exporter']);
    expect(paths(fragment)).toEqual([
      '/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf',
      '/etc/nginx/tierform.d/stub-status.conf',
      '/etc/systemd/system/prometheus-nginx-exporter.service.d/50-tierform.conf',
    ]);
    expect(commands(fragment)).toContain('systemctl restart prometheus-node-exporter prometheus-nginx-exporter');
  });

  test('haproxy: nothing to install (HAProxy serves /metrics itself)', () => {
    expect(exportersFragment({ exporters: ['haproxy'] })).toEqual(exportersFragment({ exporters: [] }));
  });

  test('mysqld: secret, credentials script and drop-in on every node; the account hook on the primary only', () => {
    // GIVEN / WHEN
    const replica = exportersFragment({ exporters: ['mysqld'], mysql: { flavor: 'mysql-8.0', primary: false, passwordBase64: B64 } });
    const primary = exportersFragment({ exporters: ['mysqld'], mysql: { flavor: 'mysql-8.0', primary: true, passwordBase64: B64 } });
    // THEN
    expect(paths(replica)).toEqual([
      '/etc/systemd/system/prometheus-node-exporter.service.d/50-tierform.conf',
      '/etc/tierform/mysqld-exporter.b64',
      '/usr/local/sbin/tierform-mysqld-exporter-setup',
      '/etc/systemd/system/prometheus-mysqld-exporter.service.d/50-tierform.conf',
    ]);
    expect(paths(primary)).toEqual([...paths(replica), MYSQLD_EXPORTER_ACCOUNT_HOOK]);
    expect(replica.files!.find((f) => f.path.endsWith('.b64'))).toMatchObject({
      permissions: '0600',
      content: expect.stringContaining(`MYSQLD_EXPORTER_PASSWORD_B64='${B64}'`),
    });
    expect(commands(replica)[0]).toBe('/usr/local/sbin/tierform-mysqld-exporter-setup');
  });

  test('ports: node 9100, HAProxy 8404, nginx exporter 9113, mysqld_exporter 9104', () => {
    expect(EXPORTER_PORTS).toEqual({ node: 9100, haproxy: 8404, nginx: 9113, mysqld: 9104 });
  });

  test('throws if the mysqld exporter has no MySQL settings', () => {
    expect(() => exportersFragment({ exporters: ['mysqld'] })).toThrow("exportersFragment: 'mysql' is required with the mysqld exporter");
  });
});

describe('prometheusServerFragment', () => {
  const fragment = prometheusServerFragment({
    jobs: [{ name: 'node', targets: [{ address: '10.0.0.5:9100', labels: { role: 'web' } }], selfTarget: { port: 9100, labels: {} } }],
    scrapeIntervalSeconds: 15,
    retentionDays: 15,
    rules: { replicationLagSeconds: 30, diskFreePercent: 15, http5xxRatio: 0.05 },
  });

  test('installs Prometheus and its own node_exporter; writes the package conffile after the packages', () => {
    expect(fragment.packages).toEqual(['prometheus', 'prometheus-node-exporter']);
    expect(fragment.files!.filter((f) => f.defer).map((f) => f.path)).toEqual([
      '/etc/prometheus/prometheus.yml',
      '/etc/prometheus/rules/tierform.yml',
    ]);
  });

  test('checks the config with promtool before (re)starting', () => {
    const list = commands(fragment);
    expect(list[0]).toBe('promtool check config /etc/prometheus/prometheus.yml');
    expect(list.slice(-2)).toEqual(['systemctl enable prometheus', 'systemctl restart prometheus']);
  });
});

describe("exporter password pattern (the Terraform variable's validation)", () => {
  test('refuses the characters the credentials setup script refuses (lib/render/mysqld-exporter-setup.ts)', () => {
    const pattern = new RegExp(EXPORTER_PASSWORD_PATTERN);
    expect(['has#hash-in-it-123', 'has?question-12345', 'has;semicolon-1234', "has'quote-12345678", 'short'].filter((p) => pattern.test(p))).toEqual(
      [],
    );
    expect(pattern.test('a-B_c.d~e+f=g@h^i*j:k,l!m/n0')).toBe(true);
  });
});
