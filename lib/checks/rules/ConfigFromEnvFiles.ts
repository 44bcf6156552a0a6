/**
 * App configuration comes from environment files, not from values baked into unit files or boot scripts
 * (seed 003 #15): a systemd unit running the app reads `EnvironmentFile=`, and an app started from a script
 * does not get its settings from inline `export`s. Containers are not judged: their `env` is already the
 * plan's environment file, fed by variables.
 */
import { Compliance, RuleResult, namedRule } from '../rule';

const APP = /\b(gunicorn|uwsgi|uvicorn|hypercorn|waitress-serve|flask|python[0-9.]*\s+\S+\.py|node\s+\S+\.js|java\s+-jar|puma)\b/;
const HARMLESS = /^(PATH|LANG|LC_\w+|HOME|PYTHONUNBUFFERED|PYTHONDONTWRITEBYTECODE|TZ)=/;

export default namedRule('ConfigFromEnvFiles', (element, stack): RuleResult => {
  if (element.type !== 'digitalocean_droplet') return Compliance.NOT_APPLICABLE;
  const d = stack.droplet(element);
  const findings: string[] = [];
  let apps = 0;
  for (const unit of d.config.files.filter((f) => /\.service$/.test(f.path))) {
    if (!APP.test(/^\s*ExecStart\s*=\s*(.*)$/m.exec(unit.content)?.[1] ?? '')) continue;
    apps++;
    const inline = [...unit.content.matchAll(/^\s*Environment\s*=\s*(.*)$/gm)]
      .flatMap((m) => [...m[1].matchAll(/"([^"]*)"|(\S+)/g)].map((w) => w[1] ?? w[2]))
      .filter((kv) => kv.includes('=') && !HARMLESS.test(kv));
    if (inline.length > 0 && !/^\s*EnvironmentFile\s*=/m.test(unit.content))
      findings.push(`${unit.path} sets ${inline.map((kv) => kv.split('=')[0]).join(', ')} inline instead of reading an EnvironmentFile`);
  }
  const lines = d.config.commands.flatMap((c) => c.split('\n'));
  if (lines.some((l) => APP.test(l) && /&\s*$|\bnohup\b/.test(l))) {
    apps++;
    const exports = lines.filter((l) => /^\s*export\s+[A-Z_][A-Z0-9_]*=/.test(l) && !HARMLESS.test(l.replace(/^\s*export\s+/, '')));
    if (exports.length > 0)
      findings.push(
        `the boot script exports ${exports.map((l) => /export\s+([A-Z_][A-Z0-9_]*)/.exec(l)![1]).join(', ')} to the app instead of an environment file`,
      );
  }
  if (findings.length > 0) return findings;
  return apps > 0 ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
