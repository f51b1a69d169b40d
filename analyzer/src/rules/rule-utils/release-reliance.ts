/**
 * @fileoverview Which of the locks a private helper is entered holding its callers leave to it
 * to release: the release helper (unlock_task_sighand, nf_conntrack_double_unlock) as the
 * project uses it, read off its callers rather than its body, so that a helper that stops
 * releasing is reported where the release went missing.
 *
 * A lock is left to the helper when every call holds it, no caller releases it anywhere but
 * through a call of the helper, and at least two different callers return still holding it
 * without handing it on. One caller that leaks the lock after the call may have forgotten its
 * own unlock; several that all end their critical section with this call, and release the lock
 * no other way, use the helper as its release. A correct program never meets this: there the
 * helper releases the lock, or its callers do (or hand it on to theirs).
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../ast.js';
import { heldKey } from '../../dataflow/pinned-paths.js';
import { normalizeLockText } from '../../summaries/annotations.js';
import { factsAt } from '../../summaries/entry-context.js';
import type { CallerSite, FunctionAnalysis } from '../../summaries/function-analysis.js';
import { substituteLock } from '../../summaries/summary.js';

export interface LeftToHelper {
  /** The callers that return holding the lock, for messages. */
  readonly leakers: readonly string[];
}

/** The entry locks of `helper` (in its terms) that its callers leave to it to release. */
export function locksLeftToHelper(
  helper: FunctionAnalysis,
  callers: readonly CallerSite[] | undefined,
): Map<string, LeftToHelper> {
  const out = new Map<string, LeftToHelper>();
  const entry = helper.entry;
  if (entry?.from !== 'callers' || callers === undefined || callers.length < 2) return out;
  const calls = new Set<ts.Node>(callers.map((c) => c.call));
  const text = (e: ts.Expression): string => normalizeLockText(skipParens(e).getText());
  for (const key of entry.locks.keys()) {
    const leakers = new Set<string>();
    let relied = true;
    for (const { call, analysis: caller } of callers) {
      const st = factsAt(caller, call);
      const named = substituteLock(key, helper.summary, call, text);
      const mine = st === undefined || named === undefined ? undefined : heldKey(st, named, undefined, undefined);
      if (mine === undefined || st?.locks.get(mine)?.must !== true) {
        relied = false;
        break;
      }
      const releasesItself = caller.events.some(
        (e) => e.kind === 'spinUnlock' && e.key === mine && !calls.has(e.node) && e.state.locks.has(mine),
      );
      if (releasesItself) {
        relied = false;
        break;
      }
      if (leaks(caller, mine)) leakers.add(caller.summary.name);
    }
    if (relied && leakers.size >= 2) out.set(key, { leakers: [...leakers] });
  }
  return out;
}

/** The caller returns holding `key`, which it neither held on entry nor hands on to its own callers. */
function leaks(caller: FunctionAnalysis, key: string): boolean {
  if (caller.initial.locks.has(key) || caller.summary.returnsLockedField !== undefined) return false;
  const s = caller.summary;
  const acquired =
    s.acquires.includes(key) || s.acquiresWhen?.whenTrue.includes(key) || s.acquiresWhen?.whenFalse.includes(key);
  const handedOn =
    acquired === true &&
    (caller.annotations.acquires.includes(key) ||
      (caller.callersKnown && caller.unreleased?.locks.includes(key) !== true));
  if (handedOn) return false;
  return caller.events.some((e) => e.kind === 'exit' && e.how === 'return' && e.state.locks.has(key));
}
