/**
 * @fileoverview check/pipeline.ts, the steps `rcukit check` and the language server share:
 * severities over the rules' defaults (meta-rules included), inline suppressions and the
 * findings about the comments, de-duplication across targets, order by position.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesRoot } from '../src/eval/fixture-check.js';
import { allRules, runPipeline, severityLookup, type CheckRequest } from '../src/check/pipeline.js';

const file = join(fixturesRoot(), 'pipeline-virtual', 'p.ts');

const code = `import type { Spinlock, TypeStable } from '@rcukit/runtime';
interface Sighand { siglock: Spinlock; action: number }
interface Task { sighand: TypeStable<Sighand> | null }
export function a(t: Task): number {
  // rcukit-ignore-next-line rcu/deref-outside-read-lock -- the caller holds rcuReadLock()
  const x = t.sighand?.action ?? 0;
  // rcukit-ignore-next-line rcu/deref-outside-read-lock
  const y = t.sighand?.action ?? 0;
  return x + y + (t.sighand?.action ?? 0);
}
`;

/** The request the server makes for one open buffer, or the CLI for one loose file. */
function request(extra: Partial<CheckRequest> = {}): CheckRequest {
  return {
    cwd: join(fixturesRoot(), 'pipeline-virtual'),
    targets: [{ project: undefined, files: [file] }],
    severities: {},
    overlays: new Map([[file, code]]),
    ...extra,
  };
}

const found = (r: ReturnType<typeof runPipeline>) => r.diagnostics.map((d) => `${d.ruleId}@${d.span.startLine}`);

describe('the check pipeline', () => {
  it('applies suppressions, reports the comments that need it, and sorts by position', () => {
    const r = runPipeline(request());
    expect(found(r)).toEqual(['rcukit/suppression-without-reason@7', 'rcu/deref-outside-read-lock@9']);
    expect(r.suppressed.map((s) => [s.diagnostic.span.startLine, s.justification])).toEqual([
      [6, 'the caller holds rcuReadLock()'],
      [8, ''],
    ]);
  });

  it('takes severities for engine and meta rules alike; off reports nothing', () => {
    const r = runPipeline(
      request({ severities: { 'rcukit/suppression-without-reason': 'off', 'rcu/deref-outside-read-lock': 'warning' } }),
    );
    expect(r.diagnostics.map((d) => `${d.ruleId}:${d.severity}@${d.span.startLine}`)).toEqual([
      'rcu/deref-outside-read-lock:warning@9',
    ]);
    const off = runPipeline(request({ severities: { 'rcu/deref-outside-read-lock': 'off' } }));
    // The rule did not run, so its suppressions are not "unused"; the one without a reason still is one.
    expect(found(off)).toEqual(['rcukit/suppression-without-reason@7']);
  });

  it('reports a file reached through two targets once', () => {
    const twice = request({
      targets: [
        { project: undefined, files: [file] },
        { project: undefined, files: [file] },
      ],
    });
    expect(found(runPipeline(twice))).toEqual(found(runPipeline(request())));
  });

  it('knows every rule, with defaults for ids the map does not set', () => {
    const rules = allRules();
    const severityOf = severityLookup({ 'rcu/missing-revalidation': 'warning' }, rules);
    expect(severityOf('rcu/missing-revalidation')).toBe('warning');
    expect(severityOf('rcukit/unused-suppression')).toBe('warning');
    expect(severityOf('rcukit/syntax-error')).toBe('error');
  });
});
