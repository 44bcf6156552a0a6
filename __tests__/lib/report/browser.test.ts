/**
 * The readiness reports in a real browser: `npm run report` writes them, Debian's Chromium (headless, driven by
 * playwright-core, no browser download) renders each to PNG. The SVG must hold a node for every role and an edge
 * for every flow the construct tree allowed (connections.flows), the page must log no console error, and it must
 * work offline: every request it makes is refused and recorded, and there must be none but the page itself.
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

describe('readiness reports in Chromium', () => {
  const tmp = makeTempDir('report');
  let browser: Browser;
  let command: ReturnType<typeof run>;

  beforeAll(async () => {
    command = run(process.execPath, [path.join(REPO, 'scripts', 'report.js'), '--out', tmp.dir], {
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

  test.each(STAGES)(
    '%s renders offline with no console error; the SVG has every role and every allowed flow',
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
      const report = JSON.parse(fs.readFileSync(path.join(tmp.dir, `${stage}.json`), 'utf8')) as { architecture: { roles: { id: string }[] } };

      const roles = await page.$$eval('svg g.role', (gs) => gs.map((g) => g.getAttribute('data-role')));
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
      expect([...roles].sort()).toEqual(report.architecture.roles.map((r) => r.id).sort());
      const drawn = new Set(edges.flatMap((e) => e.ports.map((p: string) => `${e.from} -> ${e.to} ${p}`)));
      const flows = treeFlows(stage);
      expect(flows.length).toBeGreaterThanOrEqual(2);
      expect(flows.filter((f) => !drawn.has(f))).toEqual([]);
      // Every edge was routed by ELK (a path with at least a start and an end point).
      expect(edges.filter((e) => !/^M[-0-9.]+,[-0-9.]+ L/.test(e.d))).toEqual([]);
    },
    60_000,
  );
});
