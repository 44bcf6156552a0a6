/**
 * The readiness reports in a real browser: `npm run report` writes them, Debian's Chromium (headless, driven by
 * playwright-core, no browser download) renders each to PNG, the stages' and the Docker stacks'. The SVG must hold a
 * node for every role (with its droplet count and size, or its containers), every entry point, and an edge for
 * every flow the construct tree allowed (RoleFirewall flows; for containers, the ports they publish and the Docker
 * networks they share, read here from the synthesized plan), the page must log no console error, and it must work
 * offline: every request it makes is refused and recorded, and there must be none but the page itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack } from 'cdktf';
import { chromium, Browser } from 'playwright-core';
import { RoleFirewall } from '../../../constructs/role-firewall';
import { buildApp } from '../../../main';
import { makeTempDir, run } from '../../helpers/tools';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.join(__dirname, '..', '..', '..');
const STAGES = ['stage0-single-server', 'stage1-load-balanced', 'stage2-secured-monitored', 'stage3-high-availability'];
/** Every stack of main.ts: the stages and the Docker stacks. */
const STACKS = [...STAGES, 'docker-host', 'docker-apps', 'docker-app-local'];

/** The inbound flows of every role, from the construct tree: [from, to, port], peers named as the report names them. */
function treeFlows(stackName: string): string[] {
  const out = makeTempDir('tree');
  try {
    const stack = buildApp(out.dir).node.findChild(stackName) as TerraformStack;
    const firewalls = stack.node.findAll().filter((c): c is RoleFirewall => c instanceof RoleFirewall);
    const nameOfTag = new Map(firewalls.map((f) => [`tag ${f.tagName}`, f.tag.nameInput!]));
    return firewalls.flatMap((f) =>
      f.flows
        .filter((flow) => flow.direction === 'inbound')
        .map((flow) => {
          const from = nameOfTag.get(flow.peer) ?? (flow.peer === 'anywhere' ? 'internet' : 'admins');
          return `${from} -> ${f.tag.nameInput} ${flow.port.protocol}/${flow.port.portRange ?? ''}`.replace(/\/$/, '');
        }),
    );
  } finally {
    out.cleanup();
  }
}

/**
 * The flows a Docker stack's containers allow, read from its cdk.tf.json: published ports from the internet, and
 * every port between services (containers `x`, `x-N`) that share a Docker network.
 */
function dockerFlows(synthDir: string, stackName: string): string[] {
  const plan = JSON.parse(fs.readFileSync(path.join(synthDir, 'stacks', stackName, 'cdk.tf.json'), 'utf8')) as {
    resource?: {
      docker_container?: Record<string, { name: string; ports?: { external: number; protocol?: string }[]; networks_advanced?: { name: string }[] }>;
    };
  };
  const containers = Object.values(plan.resource?.docker_container ?? {});
  const service = (name: string) => name.replace(/-\d+$/, '');
  const out = new Set<string>();
  for (const c of containers) {
    for (const p of c.ports ?? []) out.add(`internet -> ${service(c.name)} ${p.protocol ?? 'tcp'}/${p.external}`);
    for (const d of containers) {
      const shared = (c.networks_advanced ?? []).some((n) => (d.networks_advanced ?? []).some((m) => m.name === n.name));
      if (shared && service(c.name) !== service(d.name)) out.add(`${service(c.name)} -> ${service(d.name)} all`);
    }
  }
  return [...out];
}

describe('readiness reports in Chromium', () => {
  const tmp = makeTempDir('report');
  let browser: Browser;
  let command: ReturnType<typeof run>;

  beforeAll(async () => {
    // A "last deployed" synth holding stage 0 with nothing in it: its report must say everything is created.
    const deployed = path.join(tmp.dir, 'deployed');
    fs.mkdirSync(path.join(deployed, 'stacks', 'stage0-single-server'), { recursive: true });
    fs.writeFileSync(path.join(deployed, 'stacks', 'stage0-single-server', 'cdk.tf.json'), '{"resource": {}}\n');
    command = run(process.execPath, [path.join(REPO, 'scripts', 'report.js'), '--out', tmp.dir, '--deployed', deployed], {
      cwd: REPO,
      env: { ...process.env, CDKTF_OUTDIR: path.join(tmp.dir, 'synth') },
      timeout: 120_000,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    tmp.cleanup();
  });

  test('npm run report writes an HTML and a JSON per stack and exits 0 (no unsuppressed error)', () => {
    expect({ status: command.status, stderr: command.stderr }).toEqual({ status: 0, stderr: '' });
    expect(
      fs
        .readdirSync(tmp.dir)
        .filter((f) => /\.(html|json)$/.test(f))
        .sort(),
    ).toEqual(STACKS.flatMap((s) => [`${s}.html`, `${s}.json`]).sort());
  });

  test('--deployed adds the impact of the change to the stacks found in the deployed synth, and only to them', () => {
    const impact = (s: string) =>
      (JSON.parse(fs.readFileSync(path.join(tmp.dir, `${s}.json`), 'utf8')) as { impact?: { counts: { create: number; replace: number } } }).impact;
    const plan = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'synth', 'stacks', 'stage0-single-server', 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, Record<string, unknown>>;
    };
    const resources = Object.values(plan.resource).reduce((n, byId) => n + Object.keys(byId).length, 0);
    expect(impact('stage0-single-server')?.counts).toEqual(expect.objectContaining({ create: resources, replace: 0 }));
    expect(command.stdout).toMatch(/stage0-single-server: .*; last change: 0 to replace, 0 to destroy ->/);
    expect(STACKS.filter((s) => s !== 'stage0-single-server' && impact(s) !== undefined)).toEqual([]);
  });

  test.each(STACKS)(
    '%s renders offline with no console error; the SVG has every role, entry point and allowed flow',
    async (stage) => {
      const context = await browser.newContext({ viewport: { width: 1600, height: 1200 }, offline: true });
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.request().url().startsWith('file://') ? route.continue() : route.abort();
      });
      const file = path.join(tmp.dir, `${stage}.html`);
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      const png = path.join(tmp.dir, `${stage}.png`);
      await page.screenshot({ path: png, fullPage: true });
      const report = JSON.parse(fs.readFileSync(path.join(tmp.dir, `${stage}.json`), 'utf8')) as {
        architecture: {
          roles: { id: string; tier?: number; droplets: { size: string }[]; containers?: { image?: string }[]; networks?: string[] }[];
          entryPoints: { id: string; kind: string }[];
        };
      };

      const roles = await page.$$eval('svg g.role', (gs) => gs.map((g) => g.getAttribute('data-role')));
      const roleText = Object.fromEntries(
        await page.$$eval('svg g.role', (gs) =>
          gs.map((g) => [g.getAttribute('data-role'), [...g.querySelectorAll('text')].map((t) => t.textContent)]),
        ),
      ) as Record<string, string[]>;
      const entries = await page.$$eval('svg g.dns, svg g.reserved-ip', (gs) => gs.map((g) => g.getAttribute('data-entry')));
      const tiers = await page.$$eval('svg g.tier', (gs) => gs.map((g) => g.getAttribute('data-tier')));
      const edges = await page.$$eval('svg g.edge', (gs) =>
        gs.map((g) => ({
          from: g.getAttribute('data-from'),
          to: g.getAttribute('data-to'),
          ports: (g.getAttribute('data-ports') ?? '').split(' '),
          d: g.querySelector('path')?.getAttribute('d') ?? '',
        })),
      );
      const box = await page.$eval('svg', (s) => s.getBoundingClientRect().width);
      await context.close();

      expect(problems).toEqual([]);
      expect(requests).toEqual([`file://${file}`]);
      expect(fs.statSync(png).size).toBeGreaterThan(20_000);
      expect(box).toBeGreaterThan(500);
      expect(report.architecture.roles.length).toBeGreaterThanOrEqual(1);
      expect([...roles].sort()).toEqual(report.architecture.roles.map((r) => r.id).sort());
      // Each role node says how many droplets of which size (or containers of which image), and its networks.
      for (const r of report.architecture.roles) {
        const counts = new Map<string, number>();
        for (const d of r.droplets) counts.set(d.size, (counts.get(d.size) ?? 0) + 1);
        for (const c of r.containers ?? []) counts.set(c.image ?? '', (counts.get(c.image ?? '') ?? 0) + 1);
        for (const [what, n] of counts)
          expect({ role: r.id, line: roleText[r.id].some((t) => t.startsWith(`${n} \u00d7 ${what}`)) }).toEqual({ role: r.id, line: true });
        if (r.networks) expect(roleText[r.id]).toContain(`networks: ${r.networks.join(', ')}`);
      }
      expect([...entries].sort()).toEqual(report.architecture.entryPoints.map((e) => e.id).sort());
      // A column per tier the roles are in.
      const roleTiers = [...new Set(report.architecture.roles.filter((r) => r.tier !== undefined).map((r) => String(r.tier)))].sort();
      expect(roleTiers.filter((t) => !tiers.includes(t))).toEqual([]);
      const drawn = new Set(edges.flatMap((e) => e.ports.map((p: string) => `${e.from} -> ${e.to} ${p}`)));
      const flows = [...treeFlows(stage), ...dockerFlows(path.join(tmp.dir, 'synth'), stage)];
      expect(flows.length).toBeGreaterThanOrEqual(2);
      expect(flows.filter((f) => !drawn.has(f))).toEqual([]);
      // Every edge was routed by ELK (a path with at least a start and an end point).
      expect(edges.filter((e) => !/^M[-0-9.]+,[-0-9.]+ L/.test(e.d))).toEqual([]);
    },
    60_000,
  );
});
