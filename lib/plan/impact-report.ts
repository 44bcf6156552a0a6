/** The impact report as text for a terminal: one section per stack, a counts line, then one row per change. */
import { EXIT, ImpactReport, ResourceAction, ResourceImpact, StackImpact, impactExitCode } from './impact';

const SYMBOL: Record<ResourceAction, string> = { create: '+', update: '~', replace: '-/+', delete: '-', 'no-op': '=' };
const LABEL: Record<ResourceAction, string> = {
  create: 'create',
  update: 'update in place',
  replace: 'replace',
  delete: 'destroy',
  'no-op': 'ignored change',
};
/** Most consequential first. */
const ORDER: readonly ResourceAction[] = ['delete', 'replace', 'update', 'create', 'no-op'];

export function formatImpact(report: ImpactReport, options: { readonly allowReplace?: boolean } = {}): string {
  const lines: string[] = [];
  for (const stack of report.stacks) lines.push(...formatStack(stack), '');
  lines.push(...formatVerdict(report, options));
  return `${lines.join('\n')}\n`;
}

export function countsLine(stack: StackImpact): string {
  const c = stack.counts;
  return `${c.create} to create, ${c.update} to update in place, ${c.replace} to replace, ${c.delete} to destroy, ${c.ignored} with ignored changes, ${c.unchanged} unchanged`;
}

function formatStack(stack: StackImpact): string[] {
  const heading = { both: '', added: ' (new stack)', removed: ' (stack removed)' }[stack.status];
  const lines = [`${stack.stack}${heading}: ${countsLine(stack)}`];
  for (const note of stack.notes) lines.push(`  note: ${note}`);
  if (stack.problems.length > 0) {
    lines.push('  !! Terraform would refuse this plan; nothing of it would be deployed:');
    for (const problem of stack.problems) lines.push(...problem.split('\n').map((l) => `     ${l}`));
  }
  const rows = [...stack.resources].sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action) || a.address.localeCompare(b.address));
  for (const r of rows) lines.push(...formatResource(r));
  if (stack.outputs.length > 0) {
    lines.push(`  outputs: ${stack.outputs.map((o) => `${{ create: '+', update: '~', delete: '-' }[o.action]} ${o.name}`).join(', ')}`);
  }
  return lines;
}

function formatResource(r: ResourceImpact): string[] {
  const symbol = r.action === 'replace' && r.createBeforeDestroy ? '+/-' : SYMBOL[r.action];
  const lines = [`  ${symbol.padEnd(4)}${r.address}${r.name ? `  ${r.name}` : ''}  ${LABEL[r.action]}${r.unknownType ? ' (unknown type)' : ''}`];
  if (r.action === 'replace' || r.action === 'delete') for (const c of r.critical) lines.push(`        !! ${c}`);
  for (const c of r.changes)
    lines.push(`        ${c.attribute}${c.forcesReplacement && r.action === 'replace' ? ' forces replacement' : ''}: ${c.detail}`);
  for (const c of r.ignoredChanges)
    lines.push(`        ${c.attribute} ignored (lifecycle.ignore_changes), the existing resource keeps its old value: ${c.detail}`);
  return lines;
}

function formatVerdict(report: ImpactReport, options: { readonly allowReplace?: boolean }): string[] {
  const code = impactExitCode(report, options);
  const lines: string[] = [];
  if (report.dangerous.length === 0) lines.push('No stateful or entry-point resource would be replaced or destroyed.');
  else {
    lines.push(`!! ${report.dangerous.length} stateful or entry-point resource(s) would be replaced or destroyed:`);
    for (const { stack, resource } of report.dangerous) {
      lines.push(
        `   ${stack}  ${resource.address}${resource.name ? ` (${resource.name})` : ''} ${LABEL[resource.action]}: ${resource.critical.join('; ')}`,
      );
    }
  }
  if (code === EXIT.notCreatable) lines.push(`Exit status ${code}: Terraform would refuse a plan (see above).`);
  else if (code === EXIT.dangerous) lines.push(`Exit status ${code}: run again with --allow-replace once you accept this.`);
  else if (report.dangerous.length > 0) lines.push('Accepted with --allow-replace.');
  return lines;
}
