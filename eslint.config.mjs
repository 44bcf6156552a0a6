// eslint (typescript-eslint, type-aware where it pays) for every TypeScript file; prettier owns the layout
// (eslint-config-prettier turns off the rules that would fight it). `npm run lint` runs both; CI calls it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdktf.out/', '.gen/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are tsc's job (noUnusedLocals/Parameters); underscore marks an intentionally unused one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always'],
      // A `let` first assigned after a closure that reads it (a handler built before the object it calls) is fine.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Regexes over rendered configs match their indentation literally ('    server '): clearer than ' {4}'.
      'no-regex-spaces': 'off',
      'no-var': 'error',
    },
  },
  {
    // The raw-construct side of the synth benchmark builds generated L1 configs from JSON.
    files: ['bench/l1.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['__tests__/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
