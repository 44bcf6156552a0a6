/**
 * lib/render/yaml-text.ts must write exactly what the `yaml` package writes: compared on tricky strings in every
 * position we use, on generated values (fast-check), and on every YAML document the four stages render.
 */
import * as fc from 'fast-check';
import { TerraformStack, Testing } from 'cdktf';
import { parse, stringify } from 'yaml';
import { TierDroplet } from '../../../constructs/tier-droplet';
import { CLOUD_CONFIG_YAML } from '../../../lib/render/cloud-config';
import { YamlTextOptions, emitYaml, stringifyYaml } from '../../../lib/render/yaml-text';
import { StageNumber, stageStack } from '../../helpers/stage-plans';

/** The two option sets tierform uses: cloud-config bodies and Prometheus files. */
const OPTION_SETS: ReadonlyArray<[string, YamlTextOptions]> = [
  ['cloud-config', CLOUD_CONFIG_YAML],
  ['prometheus', { lineWidth: 0 }],
];

const TRICKY: readonly string[] = [
  '',
  ' ',
  ' leading',
  'trailing ',
  '\tleading tab',
  'trailing tab\t',
  'a: b',
  'a:b',
  'ends with colon:',
  'a #comment',
  'a#b',
  '#start',
  "it's",
  'say "hi"',
  `both ' and "`,
  'back\\slash',
  'yes',
  'no',
  'true',
  'False',
  'NULL',
  'null',
  '~',
  '0x1',
  '0o17',
  '1e3',
  '-1.5',
  '.inf',
  '.NaN',
  '0644',
  '+1',
  '---',
  '--- x',
  '...',
  '%YAML',
  '- item',
  '-',
  '?',
  '? x',
  '-x',
  '[a]',
  '{a}',
  'a, b',
  '*alias',
  '&anchor',
  '!tag',
  '|',
  '>',
  '@at',
  '`tick',
  'é ü 漢字 😀',
  '${TfToken[TOKEN.12]}',
  '$${literal}',
  'x'.repeat(200),
  'line\n',
  'line',
  'two\nlines',
  'two\nlines\n',
  'trailing newlines\n\n\n',
  '\nleading newline',
  '\n\nleading newlines\nx\n',
  '  indented first line\nsecond\n',
  'a\n  more indented\nb\n',
  'blank\n\nlines\n\n\ninside\n',
  'ends in spaces  \nx',
  'last line spaces\n  ',
  'last line tab\n\t',
  '\n',
  '\n\n',
  ' \n',
  'a\n---\nb\n',
  'a\n...\n%x\n',
  '#!/bin/sh\nset -eu\necho "${VAR}" # comment\n',
  'key: value\n- item\n',
  'carriage\r\nreturn',
  'nul\u0000',
  'bell\u0007',
  'del\u007f',
  'next line\u0085',
  'line sep\u2028x',
  'lone \ud800 surrogate',
  'nbsp\u00a0x',
];

function bothAgree(value: unknown): void {
  for (const [, options] of OPTION_SETS) {
    expect(stringifyYaml(value, options)).toBe(stringify(value, options));
  }
}

describe('stringifyYaml writes what yaml writes', () => {
  test.each(TRICKY.map((s) => [JSON.stringify(s), s]))('%s in every position', (_, s) => {
    // GIVEN the string as a top-level value, a sequence item, a value in a map in a sequence (write_files), an item
    // of a sequence in a sequence (runcmd), a key at the top and nested, and a value nested deeper
    const doc = {
      value: s,
      list: ['before', s, 'after'],
      write_files: [{ path: '/etc/x', owner: 'root:root', content: s, defer: true }],
      runcmd: [['sh', '-c', s], [s]],
      nested: { deeper: { value: s, list: [s] } },
      ...(s === '' || s.includes('\n') ? {} : { [s]: 'as key', inner: { [s]: s } }),
    };
    // THEN the fast path (or its fallback) gives yaml's bytes
    bothAgree(doc);
  });

  test('the fast path handles the shapes of a cloud-config', () => {
    const doc = {
      package_update: true,
      package_upgrade: false,
      ssh_pwauth: false,
      packages: ['nginx', 'haproxy'],
      write_files: [{ path: '/etc/a', owner: 'root:root', permissions: '0644', defer: true, content: 'a: "b"\n  c\n\n' }],
      runcmd: [
        ['systemctl', 'enable', '--now', 'nginx'],
        ['sh', '-c', 'echo ${X} # not a comment\n'],
      ],
      port: 9100,
    };
    expect(emitYaml(doc)).toBe(stringify(doc, CLOUD_CONFIG_YAML));
  });

  test.each([
    ['an empty list', { a: [] }],
    ['an empty map', { a: {} }],
    ['null', { a: null }],
    ['undefined', { a: undefined, b: 'x' }],
    ['a float', { a: 1.5 }],
    ['-0', { a: -0 }],
    ['an empty key', { '': 'x' }],
    ['a multi-line key', { 'a\nb': 'x' }],
    ['a control character', { a: 'x\u0001' }],
    ['a whitespace-only last line', { a: 'x\n  ' }],
    ['a date', { a: new Date(0) }],
    [
      'a list used twice (yaml writes an anchor and an alias)',
      (() => {
        const shared = ['x'];
        return { a: shared, b: shared };
      })(),
    ],
  ])('leaves %s to yaml, with the same result', (_, doc) => {
    expect(emitYaml(doc)).toBeUndefined();
    bothAgree(doc);
  });

  test('generated values (fast-check): same bytes, and the fast path takes most of them', () => {
    const pieces = fc.constantFrom(
      'a',
      'b',
      ' ',
      '  ',
      '\n',
      '\t',
      ':',
      ': ',
      '#',
      ' #',
      '-',
      '- ',
      '?',
      '"',
      "'",
      '\\',
      '---',
      '...',
      '%',
      '|',
      '>',
      '[',
      ']',
      '{',
      '}',
      ',',
      '*',
      '&',
      '!',
      '@',
      '`',
      '~',
      '0',
      '1',
      '0x1',
      '1e3',
      '.5',
      'yes',
      'null',
      'true',
      'é',
      '漢',
      '😀',
      '${x}',
      '\u2028',
    );
    const text = fc.oneof(
      { weight: 3, arbitrary: fc.array(pieces, { maxLength: 10 }).map((a) => a.join('')) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constantFrom(...TRICKY) },
    );
    // Keys: yaml writes an empty or multi-line key as an explicit key (left to yaml); mostly other keys, then.
    const key = fc.oneof({ weight: 9, arbitrary: text.filter((k) => k !== '' && !k.includes('\n')) }, { weight: 1, arbitrary: text });
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.boolean(),
        fc.integer({ min: -1e6, max: 1e6 }),
        tie('map'),
        tie('list'),
      ),
      map: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 4 }),
      list: fc.array(tie('value'), { minLength: 1, maxLength: 4 }),
    }));
    const top = fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 });
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(top, (doc) => {
        runs++;
        if (emitYaml(doc) !== undefined) fast++;
        for (const [, options] of OPTION_SETS) {
          if (stringifyYaml(doc, options) !== stringify(doc, options)) return false;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
    // Not a vacuous comparison: most generated documents went through the fast path.
    expect(fast / runs).toBeGreaterThan(0.5);
  });
});

describe('every YAML document the stages render goes through the fast path, unchanged', () => {
  const stages: StageNumber[] = [0, 1, 2, 3];
  test.each(stages)('stage %i', (stage) => {
    // GIVEN the stage's droplets, as main.ts builds them
    const stack: TerraformStack = stageStack(Testing.app(), stage, { domain: 'foobar.com', email: 'ops@foobar.com' });
    Testing.synth(stack);
    const droplets = stack.node.findAll().filter((c): c is TierDroplet => c instanceof TierDroplet);
    expect(droplets.length).toBeGreaterThan(0);
    let prometheusFiles = 0;
    for (const droplet of droplets) {
      // WHEN the body is read back and written again by both emitters
      const body = droplet.cloudConfig.render().replace(/^#cloud-config\n(#.*\n)*/, '');
      const data = parse(body);
      // THEN both give the rendered body, and the fast path did not fall back
      expect(emitYaml(data)).toBe(body);
      expect(stringify(data, CLOUD_CONFIG_YAML)).toBe(body);
      for (const file of data.write_files as { path: string; content: string }[]) {
        const header = '# Rendered by tierform (lib/render/prometheus.ts); local edits are overwritten.\n';
        if (!file.content.startsWith(header)) continue;
        prometheusFiles++;
        const yamlText = file.content.slice(header.length);
        const parsed = parse(yamlText);
        expect(emitYaml(parsed)).toBe(yamlText);
        expect(stringify(parsed, { lineWidth: 0 })).toBe(yamlText);
      }
    }
    // Stages 2 and 3 run Prometheus (its configuration and its alert rules).
    if (stage >= 2) expect(prometheusFiles).toBeGreaterThanOrEqual(2);
  });
});
