/**
 * Logs are rotated (seed 003 #10): a container on Docker's default `json-file` driver keeps its whole log unless
 * `log_opts` sets `max-size` (the `local`, `journald` and `syslog` drivers rotate); on a droplet, output
 * redirected to a file by a boot script or unit (`>> /var/log/app.log`, `StandardOutput=append:...`,
 * `nohup`) grows forever unless a logrotate entry covers that path. Services logging to the journal are
 * bounded by journald.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { workloadOf } from './_workloads';

const ROTATING_DRIVERS = new Set(['local', 'journald', 'syslog', 'fluentd', 'gelf', 'awslogs', 'gcplogs', 'splunk', 'none']);

export default namedRule('LogRotation', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    const driver = w.container.logDriver ?? 'json-file';
    if (ROTATING_DRIVERS.has(driver)) return Compliance.COMPLIANT;
    if (driver === 'json-file' && w.container.logOpts['max-size'] !== undefined) return Compliance.COMPLIANT;
    return [`container ${w.container.name} logs with ${driver} without max-size: its log grows without bound`];
  }
  const d = w.droplet;
  if (d.config.format === 'none') return Compliance.NOT_APPLICABLE;
  const rotated = d.config.files
    .filter((f) => f.path.startsWith('/etc/logrotate.d/'))
    .map((f) => f.content)
    .join('\n');
  const covered = (path: string) =>
    rotated
      .split(/\s+/)
      .some((p) => p === path || (p.includes('*') && new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`).test(path)));
  const targets = new Set<string>();
  for (const line of d.config.commands.flatMap((c) => c.split('\n'))) {
    if (/^\s*#/.test(line)) continue;
    const longRunning = /&\s*$|\bnohup\b|\bsetsid\b/.test(line);
    if (!longRunning) continue;
    for (const m of line.matchAll(/>>?\s*(\/[^\s;&|]+)/g)) if (!m[1].startsWith('/dev/')) targets.add(m[1]);
    if (/\bnohup\b/.test(line) && !/>/.test(line)) targets.add('nohup.out');
  }
  for (const unit of d.config.files.filter((f) => /\.service$/.test(f.path))) {
    for (const m of unit.content.matchAll(/^\s*Standard(?:Output|Error)\s*=\s*(?:append|file):(\S+)/gm)) targets.add(m[1]);
  }
  return [...targets].filter((t) => !covered(t)).map((t) => `${t} is written by a long-running process and no logrotate entry covers it`);
});
