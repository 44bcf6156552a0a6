/**
 * The pack is complete and every rule is tested both ways (issue 10: "every rule has `Noncompliance N` and
 * `Compliance` tests"): the rule files in lib/checks/rules (one rule per file; `_*.ts` are shared helpers) are
 * enumerated from disk, and each must be in the ProductionReadiness pack with its id, level, message,
 * explanation and source, and have a test file that imports it and declares at least one `Noncompliance N` test
 * and one `Compliance` test. A new rule file without its tests, or left out of the pack, fails here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PRODUCTION_READINESS_RULES, RuleLevel } from '../../../lib/checks';

const REPO = path.join(__dirname, '..', '..', '..');
const RULES_DIR = path.join(REPO, 'lib', 'checks', 'rules');
const TESTS_DIR = path.join(__dirname, 'rules');

const ruleFiles = fs
  .readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

/** Titles of the tests a file declares (`test('...'` / `it("..."`), as written. */
function testTitles(source: string): string[] {
  return [...source.matchAll(/\b(?:test|it)\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2]);
}

describe('the rule pack covers every rule file, and every rule is tested both ways', () => {
  test('the rules directory is not empty and every file is one rule of the pack, under its file name', () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(28);
    expect([...PRODUCTION_READINESS_RULES.map((d) => d.rule.name)].sort()).toEqual(ruleFiles);
    for (const name of ruleFiles) {
      // The default export of the file is the very function the pack runs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(path.join(RULES_DIR, name)).default as unknown;
      expect({ name, inPack: PRODUCTION_READINESS_RULES.some((d) => d.rule === exported) }).toEqual({ name, inPack: true });
    }
  });

  test('every pack entry has a unique id, a level, a message, an explanation and a source', () => {
    const ids = PRODUCTION_READINESS_RULES.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of PRODUCTION_READINESS_RULES) {
      expect({
        id: d.id,
        idShape: /^PR-[A-Z]+\d+$/.test(d.id),
        level: [RuleLevel.ERROR, RuleLevel.WARNING].includes(d.level),
        info: d.info.length > 10,
        explanation: d.explanation.length > 20,
        source: d.source.length > 3,
      }).toEqual({ id: d.id, idShape: true, level: true, info: true, explanation: true, source: true });
    }
  });

  test.each(ruleFiles)('%s has a test file with Noncompliance N and Compliance tests', (name) => {
    const file = path.join(TESTS_DIR, `${name}.test.ts`);
    expect({ name, testFile: fs.existsSync(file) }).toEqual({ name, testFile: true });
    const source = fs.readFileSync(file, 'utf8');
    const id = PRODUCTION_READINESS_RULES.find((d) => d.rule.name === name)!.id;
    const titles = testTitles(source);
    expect({
      name,
      importsTheRule: source.includes(`lib/checks/rules/${name}'`),
      describesIt: source.includes(`describe('${id} ${name}`),
      noncompliance: titles.filter((t) => /^Noncompliance \d+: /.test(t)).length >= 1,
      compliance: titles.filter((t) => /^Compliance\b/.test(t)).length >= 1,
    }).toEqual({ name, importsTheRule: true, describesIt: true, noncompliance: true, compliance: true });
  });

  test('the title matcher reads the titles the rule tests use (not vacuous)', () => {
    expect(testTitles('test(\'Noncompliance 1: x\', () => {});\n  test("Compliance: y", async () => {});\ntest(`Not applicable`, f);')).toEqual([
      'Noncompliance 1: x',
      'Compliance: y',
      'Not applicable',
    ]);
  });
});
