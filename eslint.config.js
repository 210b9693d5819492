import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.services/**',
      'coverage/**',
      'bench/results/**',
      '**/screenshots/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Command-line tools and scripts talk to the terminal.
    files: ['tools/**', 'bench/**', 'scripts/**', 'deploy/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['client-ui/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
