/**
 * @fileoverview The ESLint plugin against `rcukit check`, both run as a user runs them (the
 * real ESLint 9 CLI with the plugin's recommended config, and the rcukit CLI): the same
 * findings, at the same spans, with the same messages and severities, and the engine's fixes
 * offered as suggestions, with the language server's read-section wraps. Nothing expected is
 * written here: `rcukit check` is the expectation.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { readSectionWrapFixes, readSectionWrapRules } from '@rcukit/analyzer';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const targets = [
  'examples/checker-demo',
  'examples/shared-cache',
  'test/user-path/app',
  'eslint-plugin/test/fixtures/suppressions',
];

interface CliFinding {
  ruleId: string;
  severity: 'error' | 'warning';
  message: string;
  span: {
    file: string;
    startLine: number;
    startColumn: number;
    endLine: number;
    endColumn: number;
    start: number;
    end: number;
  };
  fixes: { title: string }[];
}
interface EslintResult {
  filePath: string;
  messages: {
    ruleId: string | null;
    severity: number;
    message: string;
    line: number;
    column: number;
    endLine?: number;
    endColumn?: number;
    suggestions?: { desc: string }[];
  }[];
}

function run(args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
  // Both exit 1 when they find errors; anything else is a failure to run.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** One line per finding: where, which rule (by ESLint name), how severe, what it says, which fixes. */
type Row = string;

describe('@rcukit/eslint-plugin under the ESLint CLI agrees with rcukit check', () => {
  let cli: Row[];
  let eslint: Row[];

  beforeAll(() => {
    const report = JSON.parse(run(['analyzer/dist/cli/main.js', 'check', ...targets, '--format', 'json'])) as {
      diagnostics: CliFinding[];
    };
    const wraps = (d: CliFinding): string[] => {
      if (!readSectionWrapRules.has(d.ruleId)) return [];
      const file = path.resolve(repoRoot, d.span.file);
      return readSectionWrapFixes(file, readFileSync(file, 'utf8'), d.span.start, d.span.end).map((f) => f.title);
    };
    cli = report.diagnostics.map((d) =>
      [
        path.resolve(repoRoot, d.span.file),
        `${d.span.startLine}:${d.span.startColumn}-${d.span.endLine}:${d.span.endColumn}`,
        `@rcukit/${d.ruleId.slice(d.ruleId.indexOf('/') + 1)}`,
        d.severity,
        d.message,
        [...d.fixes.map((f) => f.title), ...wraps(d)].join(' | '),
      ].join('  '),
    );
    const results = JSON.parse(
      run([
        'node_modules/eslint/bin/eslint.js',
        '--no-config-lookup',
        '--config',
        'eslint-plugin/test/eslint.config.js',
        '--format',
        'json',
        ...targets,
      ]),
    ) as EslintResult[];
    eslint = results.flatMap((r) =>
      r.messages.map((m) =>
        [
          r.filePath,
          `${m.line}:${m.column}-${m.endLine}:${m.endColumn}`,
          m.ruleId ?? `(no rule: ${m.message})`,
          m.severity === 2 ? 'error' : 'warning',
          m.message,
          (m.suggestions ?? []).map((s) => s.desc).join(' | '),
        ].join('  '),
      ),
    );
  }, 420_000);

  test('rcukit check reports findings in these projects, about suppressions and with fixes among them', () => {
    expect(cli.length).toBeGreaterThan(0);
    expect(cli.some((r) => r.includes('@rcukit/unused-suppression'))).toBe(true);
    // The last column lists the fixes: a row that does not end in the separator has one.
    expect(cli.some((r) => !r.endsWith('  '))).toBe(true);
  });

  test('ESLint reports the same findings, spans, severities, messages and fixes', () => {
    expect([...eslint].sort()).toEqual([...cli].sort());
  });
});
