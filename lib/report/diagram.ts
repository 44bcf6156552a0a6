/**
 * The architecture diagram: laid out by ELK (elkjs, Eclipse Layout Kernel's layered algorithm: columns by tier,
 * orthogonal edges, label placement), then written as SVG. Nothing is positioned by hand: this file only draws
 * what ELK computed. Every role is a `<g class="role" data-role="...">`, every pair of endpoints with allowed flows
 * a `<g class="edge" data-from data-to data-ports data-kind>`.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { Architecture, Flow, RoleNode } from './architecture';
import { RoleVerdict } from './spof';

const FONT = 12;
/** Width of one character of the monospace font at FONT px (DejaVu Sans Mono: 0.602 em). */
const CHAR = FONT * 0.602;
const LINE = 16;
const PAD = 8;

interface NodeSpec {
  readonly id: string;
  readonly kind: 'role' | 'peer' | 'dns' | 'reserved-ip';
  readonly lines: readonly { text: string; cls?: string }[];
  readonly partition: number;
}

interface EdgeSpec {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly ports: readonly string[];
  readonly kind: Flow['kind'] | 'entry';
  readonly label: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const size = (lines: readonly { text: string }[]) => ({
  width: Math.ceil(Math.max(...lines.map((l) => l.text.length)) * CHAR + 2 * PAD),
  height: lines.length * LINE + 2 * PAD - 4,
});

function roleLines(r: RoleNode, verdict: RoleVerdict | undefined): { text: string; cls?: string }[] {
  const sizes = new Map<string, number>();
  for (const d of r.droplets) sizes.set(d.size, (sizes.get(d.size) ?? 0) + 1);
  // Containers: count per image and memory limit, and the Docker networks (their isolation layers).
  for (const c of r.containers ?? []) {
    const key = `${c.image ?? 'image from the plan'}${c.memoryMb !== undefined ? `, ${c.memoryMb} MiB` : ', no memory limit'}`;
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return [
    { text: r.id, cls: 'title' },
    { text: r.construct?.kind ?? (r.containers ? 'containers' : 'droplet (no firewall)'), cls: 'kind' },
    ...[...sizes].map(([s, n]) => ({ text: `${n} \u00d7 ${s}` })),
    ...(r.networks ? [{ text: `networks: ${r.networks.join(', ') || 'none'}` }] : []),
    { text: `egress: ${r.egress}`, cls: r.egress === 'all' ? 'warn' : 'ok' },
    ...(verdict && verdict.singlePoints.length > 0
      ? [{ text: `SPOF: ${verdict.singlePoints.join(', ')}`, cls: 'spof' }]
      : verdict
        ? [{ text: 'survives losing a droplet', cls: 'ok' }]
        : []),
  ];
}

/** The graph handed to ELK, and the specs to draw from. */
export function diagramSpecs(a: Architecture, verdicts: readonly RoleVerdict[]): { nodes: NodeSpec[]; edges: EdgeSpec[] } {
  const maxTier = Math.max(0, ...a.roles.map((r) => r.tier ?? 0));
  const nodes: NodeSpec[] = [];
  for (const p of a.peers) nodes.push({ id: `peer:${p.id}`, kind: 'peer', lines: [{ text: p.label, cls: 'title' }], partition: 0 });
  for (const e of a.entryPoints) {
    nodes.push({
      id: `entry:${e.id}`,
      kind: e.kind,
      lines: [{ text: e.label, cls: 'title' }, { text: e.detail }],
      partition: e.kind === 'dns' ? 0 : 1,
    });
  }
  for (const r of a.roles)
    nodes.push({
      id: `role:${r.id}`,
      kind: 'role',
      lines: roleLines(
        r,
        verdicts.find((v) => v.role === r.id),
      ),
      partition: r.tier !== undefined ? r.tier + 1 : maxTier + 2,
    });
  const nodeId = (x: string) => (a.roles.some((r) => r.id === x) ? `role:${x}` : `peer:${x}`);
  const pairs = new Map<string, EdgeSpec>();
  for (const f of a.flows) {
    const key = `${f.from}\u2192${f.to}`;
    const e = pairs.get(key);
    const ports = [...(e?.ports ?? []), f.port];
    const kind = e && e.kind !== f.kind ? (e.kind === 'service' || f.kind === 'service' ? 'service' : e.kind) : f.kind;
    pairs.set(key, { id: `flow:${key}`, from: nodeId(f.from), to: nodeId(f.to), ports, kind, label: ports.join(' ') });
  }
  const edges = [...pairs.values()];
  for (const e of a.entryPoints) {
    const target =
      e.role && a.roles.some((r) => r.id === e.role)
        ? `role:${e.role}`
        : e.role && a.entryPoints.some((x) => x.id === e.role)
          ? `entry:${e.role}`
          : undefined;
    if (target)
      edges.push({ id: `entry:${e.id}`, from: `entry:${e.id}`, to: target, ports: [], kind: 'entry', label: e.kind === 'dns' ? 'A' : 'assigned' });
  }
  return { nodes, edges };
}

/** Lays the architecture out with ELK and returns a standalone SVG document. */
export async function renderDiagram(a: Architecture, verdicts: readonly RoleVerdict[]): Promise<string> {
  const { nodes, edges } = diagramSpecs(a, verdicts);
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.partitioning.activate': 'true',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.edgeLabels.inline': 'false',
      'elk.padding': '[top=40,left=20,bottom=20,right=20]',
    },
    children: nodes.map((n) => ({ id: n.id, ...size(n.lines), layoutOptions: { 'elk.partitioning.partition': String(n.partition) } })),
    edges: edges.map((e) => ({
      id: e.id,
      sources: [e.from],
      targets: [e.to],
      labels: [{ id: `${e.id}:label`, text: e.label, width: Math.ceil(e.label.length * CHAR * 0.85) + 6, height: 14 }],
    })),
  };
  const laid = await new ELK().layout(graph);
  return svgOf(laid, nodes, edges, a);
}

function svgOf(laid: ElkNode, nodes: readonly NodeSpec[], edges: readonly EdgeSpec[], a: Architecture): string {
  const width = Math.ceil(laid.width ?? 800);
  const height = Math.ceil(laid.height ?? 600);
  const spec = new Map(nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="DejaVu Sans Mono, monospace" font-size="${FONT}" role="img" aria-label="Architecture of ${esc(a.stack)}">`,
  );
  out.push(`<title>${esc(a.stack)}: roles, entry points and the flows the firewalls allow</title>`);
  out.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
  );
  out.push(
    '<style>.role rect{fill:#f3f7ff;stroke:#3463c9}.peer rect{fill:#fff7e6;stroke:#c98a19}.dns rect,.reserved-ip rect{fill:#eefaf0;stroke:#2f8f46}.title{font-weight:bold}.kind{fill:#555}.warn{fill:#a15c00}.ok{fill:#2f7d32}.spof{fill:#c62828;font-weight:bold}.edge path{fill:none;stroke:#555;stroke-width:1.3}.edge.admin path{stroke:#999;stroke-dasharray:5 4}.edge.monitoring path{stroke:#7b5ea7;stroke-dasharray:2 3}.edge.internal path{stroke:#3463c9}.edge.entry path{stroke:#2f8f46;stroke-dasharray:6 3}.edge text{fill:#333;font-size:10px}.tier rect{fill:#fafafa;stroke:#ddd}.tier text{fill:#888}</style>',
  );
  // Tier columns, from ELK's node positions.
  const columns = new Map<number, { x0: number; x1: number }>();
  for (const c of laid.children ?? []) {
    const s = spec.get(c.id)!;
    if (s.kind !== 'role') continue;
    const col = columns.get(s.partition) ?? { x0: Infinity, x1: -Infinity };
    col.x0 = Math.min(col.x0, c.x ?? 0);
    col.x1 = Math.max(col.x1, (c.x ?? 0) + (c.width ?? 0));
    columns.set(s.partition, col);
  }
  const maxTier = Math.max(0, ...a.roles.map((r) => r.tier ?? 0));
  for (const [partition, col] of [...columns].sort((x, y) => x[0] - y[0])) {
    const label = partition > maxTier + 1 ? 'off the request path' : partition === 2 ? 'tier 1: edge (public 80/443)' : `tier ${partition - 1}`;
    out.push(
      `<g class="tier" data-tier="${partition - 1}"><rect x="${col.x0 - 10}" y="6" width="${col.x1 - col.x0 + 20}" height="${height - 12}" rx="6"/><text x="${col.x0 - 4}" y="22">${esc(label)}</text></g>`,
    );
  }
  const byId = new Map((laid.edges ?? []).map((e) => [e.id, e as ElkExtendedEdge]));
  for (const e of edges) {
    const l = byId.get(e.id);
    const d = (l?.sections ?? [])
      .map(
        (s) => `M${s.startPoint.x},${s.startPoint.y}${(s.bendPoints ?? []).map((p) => ` L${p.x},${p.y}`).join('')} L${s.endPoint.x},${s.endPoint.y}`,
      )
      .join(' ');
    const label = l?.labels?.[0];
    const from = e.from.replace(/^(role|peer|entry):/, '');
    const to = e.to.replace(/^(role|peer|entry):/, '');
    out.push(
      `<g class="edge ${e.kind}" data-from="${esc(from)}" data-to="${esc(to)}" data-ports="${esc(e.ports.join(' '))}" data-kind="${e.kind}"><path d="${d}" marker-end="url(#arrow)"/>` +
        (label ? `<text x="${(label.x ?? 0) + 3}" y="${(label.y ?? 0) + 11}">${esc(e.label)}</text>` : '') +
        '</g>',
    );
  }
  for (const c of laid.children ?? []) {
    const s = spec.get(c.id)!;
    const attr =
      s.kind === 'role'
        ? ` data-role="${esc(s.id.slice(5))}"`
        : s.kind === 'peer'
          ? ` data-peer="${esc(s.id.slice(5))}"`
          : ` data-entry="${esc(s.id.slice(6))}"`;
    out.push(
      `<g class="${s.kind}"${attr} transform="translate(${c.x},${c.y})"><rect width="${c.width}" height="${c.height}" rx="${s.kind === 'role' ? 4 : 12}"/>`,
    );
    s.lines.forEach((line, i) =>
      out.push(`<text x="${PAD}" y="${PAD + 11 + i * LINE}"${line.cls ? ` class="${line.cls}"` : ''}>${esc(line.text)}</text>`),
    );
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
