/**
 * Python web apps run under a production WSGI server (gunicorn, uWSGI, ...), never a framework's development
 * server (seed 003 #1, critical): `flask run`, `python app.py` with `app.run(...)`, `manage.py runserver`.
 * Judges droplets (user_data) and containers (command, entrypoint); not applicable to anything else, or to a
 * workload with no Python web app in sight.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { DEV_SERVERS, PRODUCTION_SERVERS, PYTHON_WEB_APP, workloadFiles, workloadOf, workloadText } from './_workloads';

export default namedRule('ProductionWsgiServer', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const text = workloadText(w);
  const findings = DEV_SERVERS.filter((d) => d.pattern.test(text)).map((d) => `runs ${d.what}`);
  // `python app.py` where app.py calls app.run(): the development server behind a plain python command.
  const scripts = new Map(
    workloadFiles(w)
      .filter((f) => f.path.endsWith('.py'))
      .map((f) => [f.path.split('/').pop()!, f.content]),
  );
  for (const m of text.matchAll(/\bpython[0-9.]*\s+(?:-u\s+)?(\S+\.py)\b/g)) {
    const body = scripts.get(m[1].split('/').pop()!);
    if (body !== undefined && /\.run\s*\(/.test(body)) findings.push(`runs ${m[1]}, which starts the framework's development server (app.run())`);
  }
  if (findings.length > 0) return findings;
  if (PRODUCTION_SERVERS.test(text)) return Compliance.COMPLIANT;
  return PYTHON_WEB_APP.test(text) ? ['runs a Python web app without a production WSGI server (gunicorn, uWSGI)'] : Compliance.NOT_APPLICABLE;
});
