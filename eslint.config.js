import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'bench/results/**', 'test/fixtures/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/cli/**'], message: 'Nothing imports cli/.' }] }],
    },
  },
  {
    files: ['platform/**/*.ts', 'ca/**/*.ts', 'enrollment/**/*.ts', 'radius-bridge/**/*.ts', 'ztna-broker/**/*.ts'],
    ignores: ['platform/config/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only platform/config reads process.env.' }] },
  },
);
