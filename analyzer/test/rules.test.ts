/**
 * @fileoverview Rule fixtures: every file under analyzer/test/fixtures/rules/ is analyzed once (one program),
 * and each file's findings must match its inline expectations exactly — rule ids and spans,
 * never message wording.
 */

import { basename, dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compare,
  describeResult,
  FixtureSuite,
  fixturesRoot,
  listFixtureFiles,
  parseExpectations,
} from '../src/eval/fixture-check.js';
import { listRules } from '../src/index.js';

const root = fixturesRoot();
const files = listFixtureFiles(join(root, 'rules'));
let suite: FixtureSuite;

beforeAll(() => {
  suite = new FixtureSuite(root);
});

describe('rule fixtures', () => {
  for (const file of files) {
    it(relative(join(root, 'rules'), file), () => {
      const r = suite.check(file);
      expect(describeResult(r), describeResult(r)).toBe('');
    });
  }

  it('every registered rule has bad and good fixtures, and is expected somewhere', () => {
    for (const rule of listRules()) {
      const name = rule.id.slice(rule.id.indexOf('/') + 1);
      const own = files.filter((f) => basename(dirname(f)) === name);
      expect(own.length, `analyzer/test/fixtures/rules/${name}/`).toBeGreaterThan(0);
      const expected = files
        .flatMap((f) => parseExpectations(suite.project.getSourceFileOrThrow(f).getFullText()))
        .filter((e) => e.ruleId === rule.id);
      expect(expected.length, `${rule.id} expected in some fixture`).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('expectation parser', () => {
  it('reads caret spans under the nearest code line, and trailing expect comments', () => {
    const text = ['const a = b.c;', '//        ^^^ rcu/x', '//  ^ rcu/y', 'f(); // expect: rcu/z'].join('\n');
    expect(parseExpectations(text)).toEqual([
      { ruleId: 'rcu/x', line: 1, startColumn: 11, endColumn: 14 },
      { ruleId: 'rcu/y', line: 1, startColumn: 5, endColumn: 6 },
      { ruleId: 'rcu/z', line: 4, startColumn: undefined, endColumn: undefined },
    ]);
  });

  it('reads known limits, which pass as marked and fail once fixed', () => {
    const text = [
      'a.b;',
      '//^^^ rcu/x (known false negative: not tracked)',
      'c.d;',
      '//^^^ rcu/y (known false positive: invariant)',
    ].join('\n');
    const [fn, fp] = parseExpectations(text);
    expect([fn!.known, fp!.known]).toEqual(['fn', 'fp']);
    const span = (line: number) => ({
      file: 'f',
      startLine: line,
      startColumn: 3,
      endLine: line,
      endColumn: 6,
      start: 0,
      end: 0,
    });
    const d = (ruleId: string, line: number) => ({
      ruleId,
      messageId: 'm',
      severity: 'error' as const,
      message: '',
      span: span(line),
      related: [],
      fixes: [],
    });
    const asMarked = compare('f', text, [d('rcu/y', 3)]);
    expect([asMarked.missing, asMarked.unexpected, asMarked.knownMissing.length, asMarked.knownFalse.length]).toEqual([
      [],
      [],
      1,
      1,
    ]);
    const fixed = compare('f', text, [d('rcu/x', 1)]);
    expect(describeResult(fixed)).toMatch(/known false negative rcu\/x at 1 is found now/);
    expect(describeResult(fixed)).toMatch(/missing rcu\/y/);
  });
});
