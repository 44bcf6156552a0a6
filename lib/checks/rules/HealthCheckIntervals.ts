/**
 * Health checks run at sane intervals (seed 003 #9): a container check that runs a command every 3 s loads the
 * service and flaps under load (5 s to 5 min, timeout below the interval); HAProxy checks no faster than every
 * second; DigitalOcean load balancer checks within 3 to 300 s.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { blocks } from '../stack-view';
import { workloadOf } from './_workloads';

/** Go/Docker durations (`1m30s`, `500ms`) and HAProxy times (`2s`, `500`: ms) → milliseconds. */
export function durationMs(value: string, bareUnitMs = 1000): number | undefined {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * bareUnitMs;
  let total = 0;
  let matched = '';
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s|d)/g)) {
    const n = Number(m[1]);
    total += n * { ms: 1, us: 0.001, µs: 0.001, ns: 0.000001, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] as 'ms']!;
    matched += m[0];
  }
  return matched === v && v !== '' ? total : undefined;
}

export default namedRule('HealthCheckIntervals', (element, stack): RuleResult => {
  if (element.type === 'digitalocean_loadbalancer') {
    const hc = blocks(element.attributes.healthcheck)[0];
    if (!hc) return Compliance.NOT_APPLICABLE;
    const s = typeof hc.check_interval_seconds === 'number' ? hc.check_interval_seconds : 10;
    return s >= 3 && s <= 300 ? Compliance.COMPLIANT : [`load balancer health check every ${s} s (use 3 to 300)`];
  }
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    const hc = w.container.healthcheck;
    if (!hc || !Array.isArray(hc.test) || hc.test.length === 0) return Compliance.NOT_APPLICABLE;
    const interval = typeof hc.interval === 'string' ? durationMs(hc.interval) : 30000;
    const timeout = typeof hc.timeout === 'string' ? durationMs(hc.timeout) : undefined;
    const findings: string[] = [];
    if (interval === undefined || interval < 5000 || interval > 300000)
      findings.push(`container ${w.container.name}: healthcheck interval ${String(hc.interval)} (use 5s to 5m)`);
    if (interval !== undefined && timeout !== undefined && timeout > interval)
      findings.push(`container ${w.container.name}: healthcheck timeout ${String(hc.timeout)} is longer than its interval`);
    return findings;
  }
  const findings: string[] = [];
  let checks = 0;
  for (const h of w.droplet.haproxy) {
    for (const line of h.sections.flatMap((s) => s.lines)) {
      const i = line.indexOf('inter');
      if (i < 0 || !['server', 'server-template', 'default-server'].includes(line[0])) continue;
      checks++;
      const ms = durationMs(line[i + 1] ?? '', 1);
      if (ms === undefined || ms < 1000) findings.push(`${h.file.path}: HAProxy checks every ${line[i + 1]} (at least 1s)`);
    }
  }
  if (findings.length > 0) return findings;
  return checks > 0 ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
