import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The Node.js globals our plain-JavaScript files (configs, check-node) use. */
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'Buffer',
    'URL',
    'clearTimeout',
    'console',
    'fetch',
    'process',
    'setTimeout',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);

const runnerPackages = ['@actions/core', '@actions/github', '@actions/exec'];
const runnerImportMessage =
  'Only src/runner/ talks to the GitHub runner (@actions/core, @actions/github, @actions/exec). ' +
  'Domain code takes a Logger (src/common/logger.ts); an entry asks src/runner/.';

/**
 * The layering of src/ (docs/design.md, "layout"): the entries in src/actions/ call the domain
 * and src/runner/, which is the only door to the runner (@actions/*); the domain (every other
 * folder) never reaches up into either, so the same code serves the actions, a CLI, the demo and
 * the tests. And no import cycles anywhere in src/.
 */
export const boundaries = [
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.mjs', '.json'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              // `**/` so that the rule holds wherever ESLint runs from (the tests lint a fixture tree).
              target: '**/src/!(actions|runner)/**/*',
              from: ['**/src/actions/**/*', '**/src/runner/**/*'],
              message: 'Domain code never imports the entries (src/actions) or the runner layer.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/runner/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: runnerPackages.flatMap((p) => [p, `${p}/*`]),
              message: runnerImportMessage,
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^@actions\\/(core|github|exec)(\\/|$)/]',
          message: runnerImportMessage,
        },
      ],
    },
  },
];

export default defineConfig(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      '.tmp/',
      '.emulator/',
      '__tests__/fixtures/boundaries/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: nodeGlobals },
  },
  ...boundaries,
);
