/**
 * The layer rules of docs/decisions.md ("Layers"), checked on the source: renderers live in lib/render and import
 * nothing of cdktf or of the layers above; lib/fragments only composes renderer output; nothing below the constructs
 * imports constructs/.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** Every .ts file under `dir` (relative to the repository root), recursively. */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The module specifiers a file imports or re-exports. */
function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]);
}

/** Where a relative specifier points, relative to the repository root; packages as they are. */
function target(file: string, specifier: string): string {
  return specifier.startsWith('.') ? path.normalize(path.join(path.dirname(file), specifier)) : specifier;
}

const RENDER = sources('lib/render');
const ROLES = sources('lib/fragments');

test('finds the layers', () => {
  expect(RENDER).toEqual(expect.arrayContaining(['lib/render/guards.ts', 'lib/render/haproxy.ts']));
  expect(ROLES).toEqual(expect.arrayContaining(['lib/fragments/base.ts', 'lib/fragments/haproxy.ts']));
});

test('lib/render imports only itself, lib/terraform-text and plain packages (no cdktf, no constructs)', () => {
  const outside = RENDER.flatMap((file) =>
    imports(file)
      .map((spec) => target(file, spec))
      .filter((t) => !t.startsWith('lib/render/') && t !== 'lib/terraform-text' && !['ipaddr.js', 'yaml'].includes(t))
      .map((t) => `${file} imports ${t}`),
  );
  expect(outside).toEqual([]);
});

test('lib/fragments imports only lib/render and itself', () => {
  const outside = ROLES.flatMap((file) =>
    imports(file)
      .map((spec) => target(file, spec))
      .filter((t) => !t.startsWith('lib/render/') && !t.startsWith('lib/fragments/'))
      .map((t) => `${file} imports ${t}`),
  );
  expect(outside).toEqual([]);
});

test('renderers live in lib/render only: lib/fragments defines no render* function', () => {
  const renderers = ROLES.flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\bfunction\s+(render\w*)/g)].map((m) => `${file}: ${m[1]}`),
  );
  expect(renderers).toEqual([]);
});

/**
 * Layers above the constructs may import them: lib/stages and lib/stacks compose them, lib/report reads the tree.
 * Everything else in lib/ is below them.
 */
const ABOVE_CONSTRUCTS = ['lib/stages/', 'lib/stacks/', 'lib/report/'];

test('nothing below the constructs imports constructs/', () => {
  const below = sources('lib').filter((file) => !ABOVE_CONSTRUCTS.some((dir) => file.startsWith(dir)));
  expect(below).toEqual(expect.arrayContaining(['lib/errors.ts', 'lib/render/guards.ts']));
  expect(below.filter((file) => imports(file).some((spec) => target(file, spec).startsWith('constructs/')))).toEqual([]);
});
