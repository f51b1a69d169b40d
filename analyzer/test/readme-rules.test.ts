/**
 * @fileoverview The README's rule table is generated from the rules' metadata; this test fails
 * when they drift apart, and prints the table to paste.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listRules } from '../src/index.js';

const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));

function ruleTable(): string {
  const rows = listRules().map(
    (r) => `| [\`${r.id}\`](analyzer/${r.docPath}) | ${r.defaultSeverity} | ${r.description} |`,
  );
  return ['| rule | default | what it reports |', '| --- | --- | --- |', ...rows].join('\n');
}

it('README lists every rule with its metadata', () => {
  const readme = readFileSync(readmePath, 'utf8');
  const block = /<!-- rules:start[^>]*-->\n([\s\S]*?)\n<!-- rules:end -->/.exec(readme);
  expect(block, 'README.md has no <!-- rules:start --> … <!-- rules:end --> block').not.toBeNull();
  expect(block![1], 'README rule table is stale; replace it with the expected text').toBe(ruleTable());
});
