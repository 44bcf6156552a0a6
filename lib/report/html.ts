/**
 * The readiness report as one self-contained HTML page: inline CSS and the inline SVG diagram, no script, no
 * external asset (its own Content-Security-Policy forbids any), so it opens offline and from an e-mail attachment.
 */
import type { ReadinessReport } from './readiness-report';
import type { StackImpact } from '../plan/impact';

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const usd = (n: number) => `$${n.toFixed(2)}`;

function table(headers: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const ACTION_ORDER = ['delete', 'replace', 'update', 'create', 'no-op'];

function impactSection(i: StackImpact): string {
  const c = i.counts;
  const rows = [...i.resources]
    .sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || a.address.localeCompare(b.address))
    .map((x) => [
      x.action === 'replace' || x.action === 'delete'
        ? `<strong class="${x.critical.length ? 'bad' : 'warn'}">${esc(x.action)}</strong>`
        : esc(x.action),
      esc(x.address) + (x.name ? ` <span class="none">${esc(x.name)}</span>` : ''),
      esc(
        x.changes
          .map((ch) => `${ch.attribute}${ch.forcesReplacement && x.action === 'replace' ? ' (forces replacement)' : ''}: ${ch.detail}`)
          .join('; '),
      ),
      x.critical.length && (x.action === 'replace' || x.action === 'delete') ? `<strong class="bad">${esc(x.critical.join('; '))}</strong>` : '',
    ]);
  return `<section id="impact"><h2>What the last change would do</h2><p>Against the synth last deployed: ${c.create} to create, ${c.update} to update in place, ${c.replace} to replace, ${c.delete} to destroy, ${c.unchanged} unchanged.${
    i.problems.length ? ` <strong class="bad">Terraform would refuse this plan: ${esc(i.problems.join('; '))}</strong>` : ''
  }</p>${table(['action', 'resource', 'changes', 'why losing it hurts'], rows)}</section>`;
}

export function renderHtml(r: ReadinessReport, svg: string): string {
  const t = r.rules.totals;
  const droplets = r.architecture.roles.reduce((n, role) => n + role.droplets.length, 0);
  const spofs = r.singlePointsOfFailure.filter((v) => v.singlePoints.length > 0);
  const matrix = r.reachability;
  const roleCost = new Map<string, number>();
  for (const l of r.cost.lines) roleCost.set(l.role ?? '(no role)', (roleCost.get(l.role ?? '(no role)') ?? 0) + l.monthlyUsd);
  const sections = [
    `<header><h1>Readiness report: ${esc(r.stack)}</h1>
<p class="cards"><span class="card">${r.architecture.roles.length} roles, ${droplets} droplets</span><span class="card">${usd(r.cost.totalMonthlyUsd)} / month</span>` +
      `<span class="card ${t.errors ? 'bad' : 'good'}">${t.errors} errors</span><span class="card ${t.warnings ? 'warn' : 'good'}">${t.warnings} warnings</span>` +
      `<span class="card">${t.suppressed} suppressed</span><span class="card ${spofs.length ? 'warn' : 'good'}">${spofs.length} ${spofs.length === 1 ? 'role' : 'roles'} with a single point of failure</span></p></header>`,
    `<section id="diagram"><h2>Architecture</h2><p>Roles (a Cloud Firewall and its droplets, or a Docker service and its containers), entry points and every flow the firewalls (both sides) or the Docker networks allow, in tiers by hops from the internet. Laid out by ELK.</p><div class="diagram">${svg}</div>
<p class="legend"><span class="l service">service flow</span><span class="l admin">SSH from admins</span><span class="l monitoring">monitoring scrape</span><span class="l internal">inside the role</span><span class="l entry">DNS / reserved IP</span></p></section>`,
    `<section id="spof"><h2>Single points of failure</h2><p>For each role on the request or write path: does losing one droplet stop the service?${
      r.architecture.roles.some((x) => x.containers)
        ? " Docker services are not judged here: their containers share one Docker host, judged in the host's own report."
        : ''
    }</p>${table(
      ['role', 'path', 'single points of failure', 'why'],
      r.singlePointsOfFailure.map((v) => [
        esc(v.role),
        esc(v.paths.join(' + ')),
        v.singlePoints.length ? `<strong class="bad">${esc(v.singlePoints.join(', '))}</strong>` : '<span class="good">none</span>',
        esc(v.reason),
      ]),
    )}</section>`,
    `<section id="reachability"><h2>Reachability matrix</h2><p>Who can reach whom, on which ports, as the firewalls allow it.</p>${table(
      ['from \\ to', ...matrix.destinations.map(esc)],
      matrix.sources.map((s) => [`<strong>${esc(s)}</strong>`, ...matrix.destinations.map((d) => esc(matrix.cells[s][d].join(' ') || '\u00b7'))]),
      'matrix',
    )}</section>`,
    `<section id="cost"><h2>Monthly cost by role</h2>${table(
      ['role', 'item', 'count', 'unit', 'monthly'],
      r.cost.lines.map((l) => [esc(l.role ?? '(no role)'), esc(l.item), String(l.count), usd(l.unitMonthlyUsd), usd(l.monthlyUsd)]),
    )}${table(
      ['role', 'monthly'],
      [...roleCost].map(([role, v]) => [esc(role), usd(v)]),
    )}<p>Total ${usd(r.cost.totalMonthlyUsd)} at DigitalOcean list prices; bandwidth overage and snapshots are extra.${r.cost.unpriced.length ? ` Not priced (size unknown at synth): ${esc(r.cost.unpriced.join(', '))}.` : ''}</p></section>`,
    `<section id="rules"><h2>Rule results (${esc(r.rules.pack)})</h2><h3>Errors and warnings</h3>${table(
      ['rule', 'level', 'resource', 'findings'],
      r.rules.violations.map((v) => [
        esc(v.ruleId),
        `<span class="${v.level === 'error' ? 'bad' : 'warn'}">${esc(v.level)}</span>`,
        esc(v.path),
        esc(v.error ? `the rule failed: ${v.error}` : v.findings.join('; ')),
      ]),
    )}<h3>Suppressions</h3>${table(
      ['rule', 'resource', 'reason', 'suppressed at'],
      r.rules.suppressions.map((s) => [esc(s.ruleId), esc(s.path), esc(s.suppressed!.reason), esc(s.suppressed!.scopePath)]),
    )}<h3>Every rule</h3>${table(
      ['rule', 'level', 'checks', 'from', 'compliant', 'non-compliant', 'suppressed', 'not applicable'],
      r.rules.summary.map((s) => [
        esc(s.id),
        esc(s.level),
        esc(s.info),
        esc(s.source),
        String(s.compliant),
        s.nonCompliant ? `<strong class="${s.level === 'error' ? 'bad' : 'warn'}">${s.nonCompliant}</strong>` : '0',
        String(s.suppressed),
        String(s.notApplicable),
      ]),
    )}</section>`,
    ...(r.impact ? [impactSection(r.impact)] : []),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Readiness report: ${esc(r.stack)}</title>
<style>
body{font:14px/1.45 "DejaVu Sans",sans-serif;margin:24px;color:#222;max-width:1600px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}h3{font-size:15px}
.cards .card{display:inline-block;border:1px solid #ccc;border-radius:6px;padding:4px 10px;margin:0 8px 8px 0;background:#fafafa}
.card.bad,.bad{color:#b71c1c}.card.warn,.warn{color:#a15c00}.card.good,.good{color:#2e7d32}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
table.matrix td{font-family:"DejaVu Sans Mono",monospace;font-size:12px;text-align:center}
.diagram{border:1px solid #eee;padding:4px}.diagram svg{width:100%;height:auto}
.legend .l{margin-right:16px;padding-left:26px;position:relative}.legend .l:before{content:"";position:absolute;left:0;top:8px;width:20px;border-top:2px solid #555}
.legend .admin:before{border-top:2px dashed #999}.legend .monitoring:before{border-top:2px dotted #7b5ea7}.legend .internal:before{border-top-color:#3463c9}.legend .entry:before{border-top:2px dashed #2f8f46}
.none{color:#777}
</style>
</head>
<body>
${sections.join('\n')}
<footer><p class="none">Generated by tierform (npm run report) from the synthesized stack and its construct tree.</p></footer>
</body>
</html>
`;
}
