/**
 * The probe of issue 9: every realistic mistake in __tests__/helpers/bad-input-cases.ts (170 across every construct
 * and stage) must end in the library's error (TierformError) naming a construct path of the App, a prop in quotes
 * and a fix: never a crash (TypeError, constructs' or cdktf's own errors), never a plan, never a vague message.
 * The figures are printed (crashes / accepted / vague), so a regression shows which case it was.
 */
import { TierformError } from '../../lib/errors';
import { BAD_INPUT_CASES, Fixture } from '../helpers/bad-input-cases';
import { SSH_KEYS } from '../helpers/stacks';

type Outcome = { readonly kind: 'clear' | 'vague' | 'crash' | 'accepted'; readonly detail: string };

/** `<construct path>: … '<prop>' … got … . <Fix.>` — the house wording (lib/errors.ts). */
function judge(f: Fixture, error: unknown): Outcome {
  if (!(error instanceof TierformError)) return { kind: 'crash', detail: `${(error as Error)?.name}: ${(error as Error)?.message}` };
  const message = error.message;
  const path = /^([A-Za-z0-9_/-]+): /.exec(message)?.[1];
  const pathExists = path !== undefined && f.app.node.findAll().some((c) => c.node.path === path);
  const namesProp = /'[A-Za-z][A-Za-z0-9_.]*'/.test(message) || /\b(backends|roles|database|upstream)\b/.test(message);
  const hasFix = /[.:] [A-Z][^]*\.$/.test(message) || /: give|: keep|: put|Give|Put|Create|Watch|Pass/.test(message);
  return pathExists && namesProp && hasFix ? { kind: 'clear', detail: message } : { kind: 'vague', detail: message };
}

function probe(c: (typeof BAD_INPUT_CASES)[number]): Outcome {
  const f = new Fixture();
  try {
    c.build(f);
    f.synth();
  } catch (e) {
    return judge(f, e);
  }
  return { kind: 'accepted', detail: 'synthesized a plan' };
}

describe('probe: realistic mistakes across every construct and stage', () => {
  const outcomes = BAD_INPUT_CASES.map((c) => [c.name, probe(c)] as const);

  afterAll(() => {
    const count = (kind: Outcome['kind']) => outcomes.filter(([, o]) => o.kind === kind).length;

    console.log(
      `bad-input probe: ${outcomes.length} cases, ${count('clear')} clear, ${count('vague')} vague, ${count('crash')} crashes, ${count('accepted')} accepted`,
    );
  });

  test('has more than 100 cases', () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThan(100);
    expect(new Set(BAD_INPUT_CASES.map((c) => c.name)).size).toBe(BAD_INPUT_CASES.length);
  });

  test('the fixture synthesizes valid input (so "accepted" would be seen)', () => {
    const f = new Fixture();
    const web = f.web();
    f.lb({ backends: [web], https: { domain: 'site.example', email: 'ops@site.example', hstsMaxAgeSeconds: 0 } });
    f.monitoring({ roles: [web] });
    f.web(
      {
        name: 'site-web2',
        adminCidrs: ['0.0.0.0/1', '128.0.0.0/1'],
        allowSshFromAnywhere: { reason: 'probe control' },
        serverNames: ['*.site.example', 'site.example'],
      },
      'Web2',
    );
    expect(() => f.synth()).not.toThrow();
    expect(SSH_KEYS.length).toBe(1);
  });

  test('no case crashes', () => {
    expect(outcomes.filter(([, o]) => o.kind === 'crash')).toEqual([]);
  });

  test('no bad case is accepted', () => {
    expect(outcomes.filter(([, o]) => o.kind === 'accepted')).toEqual([]);
  });

  test('at most 3 vague messages (none today)', () => {
    const vague = outcomes.filter(([, o]) => o.kind === 'vague');
    expect(vague).toEqual([]);
  });
});
