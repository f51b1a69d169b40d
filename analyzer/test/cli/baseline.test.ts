/**
 * @fileoverview Baselines: fingerprints survive line shifts but not edits of the offending line,
 * matching is a multiset, and bad baseline files are named errors.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostic.js';
import { BaselineError, matchBaseline, readBaseline, writeBaseline } from '../../src/baseline/baseline-file.js';
import { fingerprintAll, lineReader } from '../../src/baseline/fingerprint.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rcukit-baseline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = '/p/src/a.ts';
const relative = (abs: string) => path.posix.relative('/p', abs);

/** A finding on the line of `text` that contains `needle`. */
function at(text: string, needle: string, ruleId = 'rcu/a'): Diagnostic {
  const start = text.indexOf(needle);
  const line = text.slice(0, start).split('\n').length;
  return {
    ruleId,
    messageId: 'm',
    severity: 'error',
    message: `${ruleId} at line ${line}`,
    span: { file, startLine: line, startColumn: 1, endLine: line, endColumn: 2, start, end: start + needle.length },
    related: [],
    fixes: [],
  };
}

function fingerprints(text: string, ds: Diagnostic[]): string[] {
  const map = fingerprintAll(
    ds,
    relative,
    lineReader(() => text),
  );
  return ds.map((d) => map.get(d)!);
}

const before = ['import x from "y";', '', 'function f() {', '  spinLock(s.siglock);', '  return s.count;', '}'].join(
  '\n',
);
const shifted = [
  '// a new header comment',
  'import x from "y";',
  'import z from "w";',
  '',
  'function f() {',
  '    spinLock(s.siglock);',
  '  return s.count;',
  '}',
].join('\n');
const edited = before.replace('return s.count;', 'return s.count + 1;');

describe('fingerprints', () => {
  it('do not change when lines are added above or indentation changes', () => {
    const [a] = fingerprints(before, [at(before, 'return s.count')]);
    const [b] = fingerprints(shifted, [at(shifted, 'return s.count')]);
    expect(b).toBe(a);
  });

  it('change when the offending line itself changes, or the rule differs', () => {
    const [a] = fingerprints(before, [at(before, 'return s.count')]);
    const [b] = fingerprints(edited, [at(edited, 'return s.count')]);
    const [c] = fingerprints(before, [at(before, 'return s.count', 'rcu/b')]);
    expect(b).not.toBe(a);
    expect(c).not.toBe(a);
  });

  it('number identical findings on identical lines in file order', () => {
    const text = 'use(s.count);\nuse(s.count);\n';
    const first = at(text, 'use');
    const second = { ...first, span: { ...first.span, startLine: 2, start: 14, end: 17 } };
    const [f1, f2] = fingerprints(text, [second, first]);
    expect(f2!.endsWith(':0')).toBe(true);
    expect(f1!.endsWith(':1')).toBe(true);
    expect(f1!.split(':')[0]).toBe(f2!.split(':')[0]);
  });
});

describe('baseline matching', () => {
  it('drops findings listed in the baseline, keeps new ones, and counts stale entries', () => {
    const old = at(before, 'return s.count');
    const fp = new Map(
      fingerprintAll(
        [old],
        relative,
        lineReader(() => before),
      ),
    );
    const entries = [
      { ruleId: 'rcu/a', file: 'src/a.ts', fingerprint: fp.get(old)!, message: old.message },
      { ruleId: 'rcu/gone', file: 'src/a.ts', fingerprint: 'x:0', message: '' },
    ];
    // The same finding after the file shifted, plus a new one.
    const moved = at(shifted, 'return s.count');
    const fresh = at(shifted, 'spinLock', 'rcu/b');
    const now = fingerprintAll(
      [moved, fresh],
      relative,
      lineReader(() => shifted),
    );
    const m = matchBaseline([moved, fresh], entries, (d) => now.get(d)!, relative);
    expect(m.fresh).toEqual([fresh]);
    expect(m.baselined).toBe(1);
    expect(m.stale).toBe(1);
  });

  it('is a multiset: one entry absorbs one finding', () => {
    const d = at(before, 'return s.count');
    const entries = [{ ruleId: 'rcu/a', file: 'src/a.ts', fingerprint: 'h:0', message: '' }];
    const m = matchBaseline([d, d], entries, () => 'h:0', relative);
    expect(m.baselined).toBe(1);
    expect(m.fresh).toHaveLength(1);
  });

  it('round-trips through the file, sorted for stable diffs', () => {
    const f = path.join(tmp, 'b.json');
    writeBaseline(f, [
      { ruleId: 'rcu/b', file: 'src/z.ts', fingerprint: '2:0', message: 'two' },
      { ruleId: 'rcu/a', file: 'src/a.ts', fingerprint: '1:0', message: 'one' },
    ]);
    expect(readBaseline(f, 'b.json').map((e) => e.file)).toEqual(['src/a.ts', 'src/z.ts']);
  });

  it.each([
    ['missing.json', undefined, 'missing.json: baseline file not found (create it with --update-baseline)'],
    ['broken.json', '{"version": 1, ', 'broken.json: invalid JSON in baseline'],
    ['other.json', '{"version": 2, "findings": []}', 'other.json: not an rcukit baseline'],
    [
      'entry.json',
      '{"version": 1, "findings": [{"ruleId": "rcu/a"}]}',
      'entry.json: "findings[0]" needs string "ruleId", "file" and "fingerprint"',
    ],
  ])('rejects %s with a message naming it', (name, content, message) => {
    const f = path.join(tmp, name);
    if (content !== undefined) writeFileSync(f, content);
    expect(() => readBaseline(f, name)).toThrow(BaselineError);
    expect(() => readBaseline(f, name)).toThrow(message);
  });
});
