// ESLint for src/, test/ and bench/ (npm test runs it: `npm run lint`). typescript-eslint's
// recommended rules, type-aware where a rule needs types (promises left floating, awaits of values
// that are not promises), plus the few this code base asks for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/**', 'node_modules/**', 'export/**', '.spark-in-space/**'] }, js.configs.recommended, ...tseslint.configs.recommended, {
  files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
  languageOptions: { parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname } },
  rules: {
    // a promise nobody awaits loses its error: say `void` where that is meant
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/await-thenable': 'error',
    '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    eqeqeq: ['error', 'always'],
    'no-control-regex': 'off', // the schema and the renderers match control characters on purpose
  },
});
