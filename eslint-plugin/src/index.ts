/**
 * @fileoverview @rcukit/eslint-plugin: rcukit's checker as ESLint rules, type-aware through
 * typescript-eslint's parser services. The default export is the plugin; `configs.recommended`
 * is a flat config object that registers it as `@rcukit` and enables every rule, for TypeScript
 * files, at its rcukit default (`error`, or `warn` for an unused suppression).
 */

import type { ESLint, Linter, Rule } from 'eslint';
import { makeRule, pluginRuleInfos } from './rules.js';

const infos = pluginRuleInfos();

const rules: Record<string, Rule.RuleModule> = Object.fromEntries(
  infos.map(({ name, info }) => [name, makeRule(info)]),
);

const plugin = {
  meta: { name: '@rcukit/eslint-plugin', version: '0.1.0' },
  rules,
  configs: {} as { recommended: Linter.Config },
} satisfies ESLint.Plugin;

plugin.configs.recommended = {
  name: '@rcukit/recommended',
  // The TypeScript files, which typescript-eslint's parser gives type information; the parser
  // itself is the user's to configure, with the project service.
  files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
  plugins: { '@rcukit': plugin },
  rules: Object.fromEntries(
    infos.map(({ name, info }) => [`@rcukit/${name}`, info.defaultSeverity === 'error' ? 'error' : 'warn']),
  ),
};

export default plugin;
