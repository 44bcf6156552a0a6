/**
 * Every app process runs with a memory limit (seed 003 #4, critical): without one a leak takes the whole
 * machine and the OOM killer picks a random victim (often the database). Containers need `memory`; on droplets
 * the app runs as a systemd service with `MemoryMax=` (or `MemoryHigh=`), and `docker run` gets `--memory`.
 * An app started straight from a boot script (`nohup ... &`) has no limit.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { DEV_SERVERS, workloadOf } from './_workloads';

const APP_PROCESS =
  /\b(gunicorn|uwsgi|uvicorn|hypercorn|waitress-serve|flask|python[0-9.]*\s+\S+\.py|node\s+\S+\.js|npm\s+start|java\s+-jar|rails\s+server|puma)\b/;

export default namedRule('ResourceLimits', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    return w.container.memoryMb !== undefined && w.container.memoryMb > 0
      ? Compliance.COMPLIANT
      : [`container ${w.container.name} has no memory limit (memory)`];
  }
  const d = w.droplet;
  const findings: string[] = [];
  let apps = 0;
  for (const unit of d.config.files.filter((f) => /\.service$/.test(f.path))) {
    const exec = /^\s*ExecStart\s*=\s*(.*)$/m.exec(unit.content)?.[1] ?? '';
    if (!APP_PROCESS.test(exec)) continue;
    apps++;
    if (!/^\s*(MemoryMax|MemoryHigh|MemoryLimit)\s*=\s*\S+/m.test(unit.content)) findings.push(`${unit.path} runs the app without MemoryMax=`);
  }
  for (const line of d.config.commands.flatMap((c) => c.split('\n'))) {
    if (/^\s*#/.test(line)) continue;
    if (/\bdocker\s+run\b/.test(line)) {
      apps++;
      if (!/\s(--memory(=|\s)|-m\s)/.test(line)) findings.push(`\`docker run\` without --memory: ${line.trim().slice(0, 80)}`);
    } else if (
      (/(&\s*$|\bnohup\b|\bsetsid\b)/.test(line) && APP_PROCESS.test(line)) ||
      DEV_SERVERS.some((s) => s.pattern.test(line) && /&\s*$/.test(line))
    ) {
      apps++;
      findings.push(`the app is started from a boot script, outside any service manager or limit: ${line.trim().slice(0, 80)}`);
    }
  }
  if (findings.length > 0) return findings;
  return apps > 0 ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
