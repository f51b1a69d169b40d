/**
 * @fileoverview Diagnostic values and a Report built from them, for formatter tests. These are
 * data in the shape the engine produces (analyzer/src/diagnostic.ts), not a stand-in engine.
 */

import path from 'node:path';
import type { Diagnostic, SourceSpan } from '../../src/diagnostic.js';
import type { RuleInfo } from '../../src/engine/api.js';
import type { Report } from '../../src/format/report.js';
import { metaRules } from '../../src/suppress/meta-rules.js';

export const rootDir = path.resolve('/tmp/rcukit-format-test/project');

export function span(
  file: string,
  startLine: number,
  startColumn: number,
  endLine: number,
  endColumn: number,
  start = 0,
): SourceSpan {
  return { file: path.join(rootDir, file), startLine, startColumn, endLine, endColumn, start, end: start + 3 };
}

export const rules: RuleInfo[] = [
  {
    id: 'rcu/missing-revalidation',
    description:
      'An object found by an RCU lookup is used after locking it without checking it is still the same object.',
    defaultSeverity: 'error',
    messages: { usedWithoutRevalidation: '`{{name}}` is used without revalidating its identity' },
    docPath: 'docs/rules/missing-revalidation.md',
    precision: 'high',
  },
  {
    id: 'rcu/deref-outside-read-lock',
    description: 'A type-stable object is dereferenced outside rcuReadLock() without being stabilized.',
    defaultSeverity: 'error',
    messages: { derefOutside: '`{{name}}` is dereferenced outside a read-side section' },
    docPath: 'docs/rules/deref-outside-read-lock.md',
    precision: 'very-high',
  },
  ...metaRules,
];

export const revalidation: Diagnostic = {
  ruleId: 'rcu/missing-revalidation',
  messageId: 'usedWithoutRevalidation',
  severity: 'error',
  message:
    '`sighand` is used at line 14 after `spinLock(sighand.siglock)` at line 11 without revalidating its identity',
  span: span('src/signal.ts', 14, 5, 14, 12, 402),
  related: [
    { message: 'lock taken here', span: span('src/signal.ts', 11, 3, 11, 28, 300) },
    { message: 'read-side section ends here', span: span('src/signal.ts', 15, 3, 15, 18, 420) },
  ],
  fixes: [],
};

export const deref: Diagnostic = {
  ruleId: 'rcu/deref-outside-read-lock',
  messageId: 'derefOutside',
  severity: 'warning',
  message: '`sock` is dereferenced outside a read-side section',
  span: span('src/net/sock table.ts', 3, 1, 3, 9, 40),
  related: [],
  fixes: [
    {
      title: 'Wrap in rcuReadLock()/rcuReadUnlock()',
      edits: [{ file: path.join(rootDir, 'src/net/sock table.ts'), start: 40, end: 40, newText: 'rcuReadLock();\n' }],
    },
  ],
};

export const suppressedOne: Diagnostic = {
  ...revalidation,
  span: span('src/signal.ts', 30, 5, 30, 12, 900),
  related: [],
};

export function sampleReport(overrides: Partial<Report> = {}): Report {
  return {
    tool: { name: 'rcukit', version: '0.1.0' },
    rootDir,
    diagnostics: [revalidation, deref],
    suppressed: [{ diagnostic: suppressedOne, justification: 'held by caller' }],
    baselined: 2,
    staleBaselineEntries: 0,
    fingerprints: new Map([
      [revalidation, 'aaaaaaaaaaaaaaaaaaaa:0'],
      [deref, 'bbbbbbbbbbbbbbbbbbbb:0'],
      [suppressedOne, 'cccccccccccccccccccc:0'],
    ]),
    rules,
    ruleDocs: new Map([['rcu/missing-revalidation', '# rcu/missing-revalidation\n\n❌ bad\n\n✅ good\n']]),
    filesChecked: 7,
    filesInProgram: 40,
    skipped: [],
    ...overrides,
  };
}
