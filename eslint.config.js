import js from '@eslint/js';
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

const coreImportMessage =
  'Domain code never imports @actions/core: take a Logger (src/common/logger.ts). ' +
  'Only src/actions/** and src/runner/** talk to the runner.';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/', '.emulator/'] },
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
  {
    // DESIGN §2: the Azure and Kubernetes logic serves the actions, a CLI, the demo and the tests,
    // so it must not depend on the runner. Static and dynamic imports are both refused.
    files: ['src/**/*.ts'],
    ignores: ['src/actions/**', 'src/runner/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@actions/core', '@actions/core/*'], message: coreImportMessage }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^@actions\\/core(\\/|$)/]',
          message: coreImportMessage,
        },
      ],
    },
  },
);
