/**
 * Every service is health-checked so traffic avoids a dead instance (seed 003 #8, high): every HAProxy backend
 * checks its servers (`option httpchk` or `check` on each `server`/`server-template`), nginx upstreams do not
 * switch passive checks off (`max_fails=0`), every container has a `healthcheck`, every DigitalOcean load balancer
 * a `healthcheck` block. Not applicable to a droplet that proxies to nothing, nor to a one-shot container (a job
 * such as a migration: `must_run = false` with restart `no`), which runs to completion and serves nothing.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { blocks } from '../stack-view';
import { findNginx } from '../config-text';
import { nginxFiles } from './_nginx';
import { workloadOf } from './_workloads';

export default namedRule('HealthChecks', (element, stack): RuleResult => {
  if (element.type === 'digitalocean_loadbalancer') {
    return blocks(element.attributes.healthcheck).length > 0
      ? Compliance.COMPLIANT
      : ['the load balancer has no healthcheck block (set an HTTP check of a health path)'];
  }
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    const attrs = element.attributes as Record<string, unknown>;
    if (attrs.must_run === false && (attrs.restart === undefined || attrs.restart === 'no')) return Compliance.NOT_APPLICABLE;
    const hc = w.container.healthcheck;
    const test = Array.isArray(hc?.test) ? (hc!.test as unknown[]) : [];
    if (test.length === 0 || test[0] === 'NONE') return [`container ${w.container.name} has no healthcheck`];
    return Compliance.COMPLIANT;
  }
  const findings: string[] = [];
  let proxies = 0;
  for (const h of w.droplet.haproxy) {
    for (const s of h.sections.filter((x) => x.kind === 'backend' || x.kind === 'listen')) {
      const servers = s.lines.filter((l) => l[0] === 'server' || l[0] === 'server-template');
      if (servers.length === 0) continue;
      proxies++;
      const httpchk = s.lines.some((l) => l[0] === 'option' && (l[1] === 'httpchk' || l[1] === 'tcp-check'));
      const unchecked = servers.filter((l) => !l.includes('check'));
      if (unchecked.length > 0)
        findings.push(
          `${h.file.path}: ${s.kind} ${s.name}: ${unchecked.map((l) => l[1]).join(', ')} ${unchecked.length === 1 ? 'is' : 'are'} never checked${httpchk ? ' (option httpchk needs `check` on each server)' : ''}`,
        );
    }
  }
  for (const n of nginxFiles(w)) {
    for (const { directive } of findNginx(n.tree, 'upstream')) {
      proxies++;
      const off = (directive.children ?? []).filter((d) => d.name === 'server' && d.args.includes('max_fails=0'));
      if (off.length > 0) findings.push(`${n.file.path}: upstream ${directive.args[0]} turns passive health checks off (max_fails=0)`);
    }
  }
  if (findings.length > 0) return findings;
  return proxies > 0 ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
