/**
 * No debug mode in production (seed 003 #1): Flask's debugger and Django's DEBUG show stack traces (and, for
 * Flask, a console) to anyone; auto-reload doubles memory. Looks for FLASK_ENV=development, FLASK_DEBUG,
 * `--debug`, `debug=True`, Django's `DEBUG = True` and `gunicorn --reload` in droplets and containers.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { PYTHON_WEB_APP, workloadOf, workloadText } from './_workloads';

const DEBUG: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\bFLASK_ENV\s*[=:]\s*["']?development\b/, what: 'FLASK_ENV=development' },
  { pattern: /\bFLASK_DEBUG\s*[=:]\s*["']?(1|true|True|yes)\b/, what: 'FLASK_DEBUG is on' },
  { pattern: /\bflask\b[^\n]*\s--debug\b/, what: 'flask --debug' },
  { pattern: /\.run\s*\([^)]*\bdebug\s*=\s*True\b/, what: 'app.run(debug=True)' },
  { pattern: /^\s*DEBUG\s*=\s*True\b/m, what: 'Django DEBUG = True' },
  { pattern: /\b(DJANGO_)?DEBUG=["']?(1|true|True)\b/, what: 'DEBUG=1 in the environment' },
  { pattern: /\bgunicorn\b[^\n]*\s--reload\b/, what: 'gunicorn --reload' },
];

export default namedRule('NoDebugMode', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  const text = workloadText(w);
  const findings = DEBUG.filter((d) => d.pattern.test(text)).map((d) => `debug mode: ${d.what}`);
  if (findings.length > 0) return findings;
  return PYTHON_WEB_APP.test(text) ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
