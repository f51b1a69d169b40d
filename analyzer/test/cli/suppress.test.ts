/**
 * @fileoverview Inline suppressions: which comments are directives, what they suppress, and the
 * findings about the comments themselves (no reason, suppresses nothing, names no rule).
 */

import { describe, expect, it } from 'vitest';
import type { Diagnostic, Severity } from '../../src/diagnostic.js';
import { applySuppressions } from '../../src/suppress/apply-suppressions.js';
import { findSuppressionComments } from '../../src/suppress/suppression-comments.js';

const file = '/p/src/a.ts';

function finding(ruleId: string, line: number): Diagnostic {
  return {
    ruleId,
    messageId: 'm',
    severity: 'error',
    message: `${ruleId} at ${line}`,
    span: { file, startLine: line, startColumn: 3, endLine: line, endColumn: 9, start: line * 10, end: line * 10 + 6 },
    related: [],
    fixes: [],
  };
}

const known = new Set([
  'rcu/a',
  'rcu/b',
  'rcu/off-rule',
  'rcukit/unused-suppression',
  'rcukit/suppression-without-reason',
  'rcukit/invalid-suppression',
]);
const defaults: Record<string, Severity> = { 'rcu/off-rule': 'off', 'rcukit/unused-suppression': 'warning' };
const severityOf = (id: string): Severity => defaults[id] ?? 'error';

describe('finding suppression comments', () => {
  it('reads rule ids and the reason, and aims at the next line', () => {
    const text = ['const x = 1;', '  // rcukit-ignore-next-line rcu/a, rcu/b -- held by caller', '  use(x);'].join(
      '\n',
    );
    expect(findSuppressionComments(file, text)).toMatchObject([
      { ruleIds: ['rcu/a', 'rcu/b'], reason: 'held by caller', line: 2, column: 3, targetLine: 3 },
    ]);
  });

  it('accepts block comments, and a multi-line one aims past its last line', () => {
    const text = [
      '/* rcukit-ignore-next-line rcu/a',
      '   -- reason on the second line */',
      'use(x);',
      'f(/* rcukit-ignore-next-line rcu/b -- inline */ y);',
    ].join('\n');
    expect(findSuppressionComments(file, text)).toMatchObject([
      { ruleIds: ['rcu/a'], reason: 'reason on the second line', line: 1, targetLine: 3 },
      { ruleIds: ['rcu/b'], reason: 'inline', line: 4, targetLine: 5 },
    ]);
  });

  it('ignores the word in strings, templates, regexes and other words', () => {
    const text = [
      'const s = "// rcukit-ignore-next-line rcu/a -- no";',
      'const t = `${s} // rcukit-ignore-next-line rcu/a -- no`;',
      'const r = /\\/\\/ rcukit-ignore-next-line/;',
      '// rcukit-ignore-next-line-please rcu/a -- no',
      '// see rcukit-ignore-next-line rcu/a -- not at the start',
    ].join('\n');
    expect(findSuppressionComments(file, text)).toEqual([]);
  });

  it('reports a missing reason as undefined and an empty id list as empty', () => {
    const text = [
      '// rcukit-ignore-next-line rcu/a',
      'x;',
      '// rcukit-ignore-next-line -- only a reason',
      'y;',
      '// rcukit-ignore-next-line rcu/a --   ',
      'z;',
    ].join('\n');
    expect(findSuppressionComments(file, text).map((c) => [c.ruleIds, c.reason])).toEqual([
      [['rcu/a'], undefined],
      [[], 'only a reason'],
      [['rcu/a'], undefined],
    ]);
  });

  it('finds comments before a closing brace and at the end of the file', () => {
    const tail =
      'if (a) {\n  b();\n  // rcukit-ignore-next-line rcu/b -- before brace\n}\n// rcukit-ignore-next-line rcu/a -- at the end';
    expect(findSuppressionComments(file, tail).map((c) => c.reason)).toEqual(['before brace', 'at the end']);
  });

  it.each([200, 20_000])(
    'finds comments in code nested %i blocks deep (past what the parser can take, line by line)',
    (depth) => {
      const nested =
        'function f() {\n' +
        '{'.repeat(depth) +
        '\n  // rcukit-ignore-next-line rcu/a -- deep\nx;\n' +
        '}'.repeat(depth) +
        '\n}\n';
      expect(findSuppressionComments(file, nested)).toMatchObject([
        { reason: 'deep', line: 3, column: 3, targetLine: 4 },
      ]);
    },
  );
});

describe('applying suppressions', () => {
  const apply = (text: string, diagnostics: Diagnostic[]) =>
    applySuppressions(diagnostics, new Map([[file, findSuppressionComments(file, text)]]), severityOf, known);

  it('suppresses exactly the named rules on exactly the next line', () => {
    const text = ['// rcukit-ignore-next-line rcu/a -- reason', 'line2;', 'line3;'].join('\n');
    const onTarget = finding('rcu/a', 2);
    const otherRule = finding('rcu/b', 2);
    const otherLine = finding('rcu/a', 3);
    const out = apply(text, [onTarget, otherRule, otherLine]);
    expect(out.suppressed).toEqual([{ diagnostic: onTarget, justification: 'reason' }]);
    expect(out.kept).toEqual([otherRule, otherLine]);
    expect(out.commentFindings).toEqual([]);
  });

  it('reports a suppression without a reason, but still applies it', () => {
    const out = apply('// rcukit-ignore-next-line rcu/a\nx;', [finding('rcu/a', 2)]);
    expect(out.kept).toEqual([]);
    expect(out.commentFindings.map((d) => [d.ruleId, d.messageId, d.severity, d.span.startLine])).toEqual([
      ['rcukit/suppression-without-reason', 'missingReason', 'error', 1],
    ]);
  });

  it('reports a suppression that suppresses nothing, and one naming an unknown rule', () => {
    const out = apply('// rcukit-ignore-next-line rcu/a, rcu/nope -- stale\nx;', []);
    expect(out.commentFindings.map((d) => [d.ruleId, d.messageId, d.severity])).toEqual([
      ['rcukit/unused-suppression', 'unused', 'warning'],
      ['rcukit/unused-suppression', 'unknownRule', 'warning'],
    ]);
    expect(out.commentFindings[0]!.message).toContain('rcu/a');
    expect(out.commentFindings[1]!.message).toContain('rcu/nope');
  });

  it('reports only the unused half of a two-rule suppression', () => {
    const out = apply('// rcukit-ignore-next-line rcu/a rcu/b -- both?\nx;', [finding('rcu/b', 2)]);
    expect(out.kept).toEqual([]);
    expect(out.commentFindings.map((d) => d.message)).toEqual([
      'suppression of rcu/a suppresses nothing on line 2; remove it',
    ]);
  });

  it('does not call a suppression of a disabled rule unused, and honours meta-rule severities', () => {
    expect(apply('// rcukit-ignore-next-line rcu/off-rule -- off in config\nx;', []).commentFindings).toEqual([]);
    const quiet = applySuppressions(
      [],
      new Map([[file, findSuppressionComments(file, '// rcukit-ignore-next-line rcu/a\nx;')]]),
      (id) => (id.startsWith('rcukit/') ? 'off' : 'error'),
      known,
    );
    expect(quiet.commentFindings).toEqual([]);
  });

  it('reports a directive that names no rule as invalid, suppressing nothing', () => {
    const out = apply('// rcukit-ignore-next-line -- everything please\nx;', [finding('rcu/a', 2)]);
    expect(out.kept).toHaveLength(1);
    expect(out.commentFindings.map((d) => d.ruleId)).toEqual(['rcukit/invalid-suppression']);
  });
});
