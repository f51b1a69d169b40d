/**
 * @fileoverview The plugin object against the analyzer's rule list: one rule per rcukit rule
 * (but the syntax-error one, which ESLint reports itself), enabled by configs.recommended at
 * rcukit's default severity, each with a docs URL whose page exists in this repository, and each
 * listed in the plugin's README.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { allRules } from '@rcukit/analyzer/check';
import plugin from '@rcukit/eslint-plugin';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const expected = allRules().filter((r) => r.id !== 'rcukit/syntax-error');

describe('@rcukit/eslint-plugin', () => {
  test('has one rule per rcukit rule, named after its id', () => {
    expect(Object.keys(plugin.rules).sort()).toEqual(expected.map((r) => r.id.split('/')[1]).sort());
  });

  test('configs.recommended enables every rule at the rcukit default severity', () => {
    const rules = plugin.configs.recommended.rules ?? {};
    expect(plugin.configs.recommended.plugins?.['@rcukit']).toBe(plugin);
    for (const r of expected) {
      expect(rules[`@rcukit/${r.id.split('/')[1]!}`], r.id).toBe(r.defaultSeverity === 'error' ? 'error' : 'warn');
    }
  });

  test('every rule links to its doc page, which exists at that path in the repository', () => {
    for (const [name, rule] of Object.entries(plugin.rules)) {
      const url = rule.meta?.docs?.url;
      expect(url, name).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/main\//);
      const file = url!.replace(/^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/main\//, '').replace(/#.*$/, '');
      expect(existsSync(path.join(repoRoot, file)), `${name}: ${file}`).toBe(true);
    }
  });

  test('the README lists every rule with its rcukit id', () => {
    for (const r of expected) expect(readme, r.id).toContain(`| \`@rcukit/${r.id.split('/')[1]!}\` | \`${r.id}\``);
  });
});
