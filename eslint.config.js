// @ts-check
/**
 * Lint for the whole workspace: typescript-eslint's type-aware strict set over the TypeScript
 * sources of every package and the tests. Formatting is Prettier's job (`npm run format:check`),
 * so no stylistic rules here.
 */
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/*.d.ts',
      'runtime/src/**/heap-atomics-wasm.ts',
      'vscode-extension/out/**',
      // Analyzer fixtures and corpora are inputs to the checker, written as users write code,
      // some of them wrong on purpose; the checker, not the linter, judges them.
      'fixtures/**',
      'analyzer/test/fixtures/**',
      'analyzer/test/corpus/**',
      'examples/checker-demo/**',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // With noUncheckedIndexedAccess every checked index reads `xs[i]!`; the assertion is the
      // stated invariant, not a shortcut.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Messages quote line numbers and counts.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // TypeScript checks names; the core rule does not know Node's or the DOM's globals.
      'no-undef': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },
);
