/**
 * @fileoverview Operators on the identity re-check after a pin (see pins.ts for what counts as
 * one):
 * - `neutralize-recheck`: every comparison of one re-check condition replaced by the constant
 *   it has when the identity holds (`a === b` → `true`, `a !== b` → `false`), so the code always
 *   goes on as if the object were still the one looked up (written `(true as boolean)`: see
 *   `constant` in operator.ts);
 * - `delete-recheck`: the `if` of a re-check replaced by the branch that runs when the identity
 *   holds (nothing, for `if (x !== t.x) { retry }`), where the condition decides it;
 * - `move-recheck-before-pin`: the re-check `if` moved to just before the pin's statement in the
 *   same block, without the releases of the pin in it (before the pin there is nothing to
 *   release): the check-then-lock race.
 *
 * Judged lines, and the rules: rcu/missing-revalidation at a use from the re-check's (old or
 * new) place to the end of the function. For a reference pin, rcu/inc-not-zero-unchecked is
 * accepted too, on the pin's line: when an earlier key test is left, its doc's
 * recheckBeforeIncrement ("re-check it after the increment") names exactly this bug. A moved
 * re-check whose success branch uses the object (`if (s === t.s) { …; return s; }`) makes that
 * use happen before the pin, which is what rcu/reference-escape reports: accepted for the move.
 * So it is for a neutralized or deleted re-check: where the re-check is what makes a re-loaded
 * pointer the pinned object (`if (file === reloaded) return reloaded;`), without it the function
 * returns an object it never pinned. Likewise a moved re-check whose success branch writes the
 * object (`if (s === t.s) s.pending = 0;` above `spinLock(s.siglock)`) makes that write happen
 * before the pin, unlocked, on memory that may already be another object's: what
 * rcu/unstable-write reports, accepted for the move too.
 */

import { ts } from 'ts-morph';
import { applyEdits, lineBreaksOf, oneLine, type TextEdit } from '../edits.js';
import { constant, type FunctionScope, type MutantDraft, type MutationOperator } from '../operator.js';
import { foldCondition, holdsValue, pinsOf, rechecksOf, releasesOf, type Pin, type Recheck } from './pins.js';

const REVALIDATION = 'rcu/missing-revalidation';
const INC = 'rcu/inc-not-zero-unchecked';
const ESCAPE = 'rcu/reference-escape';
const WRITE = 'rcu/unstable-write';

function rulesFor(pin: Pin): string[] {
  return pin.kind === 'ref' ? [REVALIDATION, INC] : [REVALIDATION];
}

function judged(scope: FunctionScope, r: Recheck, from: number) {
  const pinStart = r.pin.statement.getStart(scope.sf);
  return [
    { from: pinStart, to: pinStart },
    { from, to: scope.end },
  ];
}

function recheckStatement(r: Recheck): ts.IfStatement | undefined {
  const p = r.condition.parent;
  return ts.isIfStatement(p) && p.expression === r.condition ? p : undefined;
}

export const neutralizeRecheck: MutationOperator = {
  id: 'neutralize-recheck',
  rules: [REVALIDATION, INC, ESCAPE],
  summary:
    'Replace every identity comparison of one re-check after a pin by the constant it has when the identity holds.',
  generate(scope) {
    const out: MutantDraft[] = [];
    for (const r of rechecksOf(scope, pinsOf(scope))) {
      const edits = r.comparisons.map((c) => ({
        start: c.getStart(scope.sf),
        end: c.end,
        text: constant(holdsValue(c)),
      }));
      const what = r.comparisons.map((c) => `\`${scope.show(c)}\` → \`${constant(holdsValue(c))}\``).join(', ');
      out.push({
        edits,
        description: what,
        judged: judged(scope, r, r.condition.getStart(scope.sf)),
        rules: [...rulesFor(r.pin), ESCAPE],
      });
    }
    return out;
  },
};

export const deleteRecheck: MutationOperator = {
  id: 'delete-recheck',
  rules: [REVALIDATION, INC, ESCAPE],
  summary: 'Replace the `if` of a re-check by the branch taken when the identity holds.',
  generate(scope) {
    const out: MutantDraft[] = [];
    for (const r of rechecksOf(scope, pinsOf(scope))) {
      const st = recheckStatement(r);
      if (st === undefined) continue;
      const holds = new Map<ts.Node, boolean>(r.comparisons.map((c) => [c, holdsValue(c)]));
      const v = foldCondition(r.condition, holds);
      if (v === undefined) continue;
      const kept = v ? st.thenStatement : st.elseStatement;
      const start = st.getStart(scope.sf);
      let text: string;
      if (kept === undefined) text = lineBreaksOf(scope.text.slice(start, st.end));
      else {
        const ks = kept.getStart(scope.sf);
        text =
          lineBreaksOf(scope.text.slice(start, ks)) +
          scope.text.slice(ks, kept.end) +
          lineBreaksOf(scope.text.slice(kept.end, st.end));
      }
      const edit = kept === undefined ? scope.removeStatement(st) : scope.replaceStatement(st, text, true);
      out.push({
        edits: [edit],
        description: `\`${scope.show(st)}\` → ${kept === undefined ? '(deleted)' : `\`${oneLine(scope.src(kept))}\``}`,
        judged: judged(scope, r, start),
        rules: [...rulesFor(r.pin), ESCAPE],
      });
    }
    return out;
  },
};

export const moveRecheckBeforePin: MutationOperator = {
  id: 'move-recheck-before-pin',
  rules: [REVALIDATION, INC, ESCAPE, WRITE],
  summary: "Move a re-check `if` above its pin's statement (same block), dropping the pin's releases from it.",
  generate(scope) {
    const out: MutantDraft[] = [];
    for (const r of rechecksOf(scope, pinsOf(scope))) {
      const st = recheckStatement(r);
      const pinSt = r.pin.statement;
      if (st === undefined || st.parent !== pinSt.parent || pinSt.end > st.getStart(scope.sf)) continue;
      const base = st.getStart(scope.sf);
      const inner: TextEdit[] = releasesOf(scope, st, r.pin).map((rel) => {
        const e = scope.removeStatement(rel);
        return { start: e.start - base, end: e.end - base, text: e.text };
      });
      const moved = applyEdits(scope.src(st), inner);
      out.push({
        edits: scope.moveBefore(st, pinSt, moved),
        description: `move \`${scope.show(st)}\` above \`${scope.show(pinSt)}\`${inner.length > 0 ? `, without its ${inner.length} release(s)` : ''}`,
        judged: [{ from: pinSt.getStart(scope.sf), to: scope.end }],
        rules: [...rulesFor(r.pin), ESCAPE, WRITE],
      });
    }
    return out;
  },
};
