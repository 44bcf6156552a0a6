/** Jest runs TypeScript through ts-jest in transpile-only mode (isolatedModules in tsconfig.json);
 * `npm test` type-checks the whole tree with `tsc --noEmit` first, so no type error slips past. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFilesAfterEnv: ['<rootDir>/__tests__/setup.ts'],
  testTimeout: 120000,
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
