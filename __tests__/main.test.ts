/**
 * The example app: `cdktf synth` (the CLI, running cdktf.json's `app`) and `npm run synth` (the same entry
 * point without the CLI) must write identical stacks, and every stage must be there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir, run } from './helpers/tools';

const ROOT = path.resolve(__dirname, '..');
const STAGES = [
  'docker-app-local',
  'docker-apps',
  'docker-host',
  'stage0-single-server',
  'stage1-load-balanced',
  'stage2-secured-monitored',
  'stage3-high-availability',
];
const ENV = { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1', CI: 'true' };

function stackFiles(outdir: string): Record<string, string> {
  const dir = path.join(outdir, 'stacks');
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((s) => [s, fs.readFileSync(path.join(dir, s, 'cdk.tf.json'), 'utf8')]),
  );
}

describe('main.ts', () => {
  let cli: Record<string, string>;
  let fast: Record<string, string>;
  const tmp = makeTempDir('synth');

  beforeAll(() => {
    const cliOut = path.join(tmp.dir, 'cli');
    const fastOut = path.join(tmp.dir, 'fast');
    const c = run(path.join(ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', cliOut], { cwd: ROOT, env: ENV, timeout: 120_000 });
    expect({ status: c.status, output: c.status === 0 ? '' : c.output }).toEqual({ status: 0, output: '' });
    const f = run(process.execPath, ['scripts/run-ts.js', 'main.ts'], { cwd: ROOT, env: { ...ENV, CDKTF_OUTDIR: fastOut } });
    expect({ status: f.status, output: f.status === 0 ? '' : f.output }).toEqual({ status: 0, output: '' });
    cli = stackFiles(cliOut);
    fast = stackFiles(fastOut);
  });

  afterAll(() => tmp.cleanup());

  test('synthesizes one stack per stage and the Docker stacks', () => {
    expect(Object.keys(fast)).toEqual(STAGES);
  });

  test('cdktf synth and the fast path write byte-identical stacks', () => {
    expect(Object.keys(cli)).toEqual(Object.keys(fast));
    for (const stage of Object.keys(fast)) {
      expect({ stage, same: cli[stage] === fast[stage] }).toEqual({ stage, same: true });
    }
  });

  test('the region comes from TIERFORM_REGION', () => {
    const out = path.join(tmp.dir, 'fra1');
    const r = run(process.execPath, ['scripts/run-ts.js', 'main.ts'], { cwd: ROOT, env: { ...ENV, CDKTF_OUTDIR: out, TIERFORM_REGION: 'fra1' } });
    expect(r.status).toBe(0);
    const json = JSON.parse(stackFiles(out)['stage1-load-balanced']);
    expect(new Set(Object.values(json.resource.digitalocean_droplet).map((d) => (d as { region: string }).region))).toEqual(new Set(['fra1']));
  });

  test('the web tier of stages 1 to 3 has TIERFORM_WEB_COUNT droplets', () => {
    const out = path.join(tmp.dir, 'web3');
    const r = run(process.execPath, ['scripts/run-ts.js', 'main.ts'], { cwd: ROOT, env: { ...ENV, CDKTF_OUTDIR: out, TIERFORM_WEB_COUNT: '3' } });
    expect(r.status).toBe(0);
    const stacks = stackFiles(out);
    for (const stage of ['stage1-load-balanced', 'stage2-secured-monitored', 'stage3-high-availability']) {
      const prefix = `foobar-s${stage[5]}-web-`;
      const names = Object.values(JSON.parse(stacks[stage]).resource.digitalocean_droplet).map((d) => (d as { name: string }).name);
      expect({ stage, web: names.filter((n) => n.startsWith(prefix)).sort() }).toEqual({ stage, web: [0, 1, 2].map((i) => `${prefix}${i}`) });
    }
    const bad = run(process.execPath, ['scripts/run-ts.js', 'main.ts'], {
      cwd: ROOT,
      env: { ...ENV, CDKTF_OUTDIR: path.join(tmp.dir, 'web-bad'), TIERFORM_WEB_COUNT: 'three' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("TIERFORM_WEB_COUNT must be a whole number, got 'three'");
  });

  test('a bad override fails synth with a clear message', () => {
    const r = run(process.execPath, ['scripts/run-ts.js', 'main.ts'], {
      cwd: ROOT,
      env: { ...ENV, CDKTF_OUTDIR: path.join(tmp.dir, 'bad'), TIERFORM_REGION: 'mars1' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("stage0-single-server: 'region' is not a DigitalOcean region that accepts new droplets, got 'mars1'.");
  });
});
