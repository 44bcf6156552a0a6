/**
 * jest reports the line a failure is on: ts-jest maps the transpiled code back to the source only when tsconfig.json
 * has `sourceMap: true`. Without it, type-only lines (interfaces, type aliases) vanish and every line after them is off.
 */
interface Erased {
  readonly a: number;
}
type AlsoErased = {
  readonly b: string;
};

test('a stack trace names the line in the TypeScript source', () => {
  const value: Erased & AlsoErased = { a: 1, b: 'x' };
  const here = new Error(`at ${value.a}`); // line 14
  const frame = (here.stack ?? '').split('\n').find((l) => l.includes('source-maps.test.ts'));
  expect(frame).toMatch(/source-maps\.test\.ts:14:\d+\)?$/);
});
