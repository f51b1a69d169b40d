/**
 * @fileoverview `unlock-before-last-use`: move a `spinUnlock(x.lock)` or `rcuReadUnlock()`
 * statement above the nearest earlier statement of the same block that uses what it protects —
 * for a spinlock, its object `x`; for the read lock, any type-stable reference. The moved-past
 * statements then run without the protection they had.
 *
 * Not for the lock of an object that is stable without it (allocated here, `@owned`, or
 * referenced: see FunctionScope.isReferenced): its identity does not depend on the lock, so a
 * late use is no RCU bug (for a fresh object none at all; otherwise a race on a field the lock
 * protects, which is rcu/unguarded-access's to report but not a bug of RCU's this operator
 * seeds).
 *
 * The operator stops (no mutant) where moving would make a different bug instead: when a
 * statement it would move past takes the lock itself or opens a section, releases it too (a
 * double unlock), or can leave the block (`return`, `throw`, a `break` or `continue` out of it:
 * the paths through it would then skip the unlock or pass it twice, an imbalance rather than a
 * late use) — the statement that uses the object or any statement between.
 *
 * Judged lines: the statements moved past, where the use now happens unprotected.
 */

import { ts } from 'ts-morph';
import { isFunctionLike, skipParens } from '../../../ast.js';
import type { FunctionScope, MutantDraft, MutationOperator } from '../operator.js';

function lockKey(scope: FunctionScope, call: ts.CallExpression): string | undefined {
  const a = call.arguments[0];
  return a === undefined ? undefined : skipParens(a).getText(scope.sf).replace(/\s+/g, '');
}

/**
 * A moved spinUnlock: the operator's rules, and also rcu/unstable-write (a write left inside
 * the section with no lock held) and rcu/unbalanced-spinlock (a call moved past to a helper
 * that declares `@mustHold` of the lock, now made without it: callRequiresLock — moving an
 * unlock earlier past statements that neither take, release nor leave creates no other
 * imbalance). Neither applies to a moved rcuReadUnlock().
 */
const SPIN_RULES = [
  'rcu/deref-outside-read-lock',
  'rcu/missing-revalidation',
  'rcu/reference-escape',
  'rcu/unstable-write',
  'rcu/unbalanced-spinlock',
  'rcu/unguarded-access',
] as const;

export const unlockBeforeLastUse: MutationOperator = {
  id: 'unlock-before-last-use',
  // The use after a spinUnlock is unprotected (deref-outside-read-lock outside a section), a
  // write no lock covers inside one (unstable-write), or no longer covered by the re-check it
  // followed (missing-revalidation); a use after rcuReadUnlock() of an object loaded in the
  // section is what rcu/reference-escape reports (rcu/deref-outside-read-lock defers to it for
  // such objects, as its doc says), and a use of an object still locked but not revalidated is
  // missing-revalidation's (the lock does not keep it past the section). These judge a moved
  // rcuReadUnlock(); a moved spinUnlock is judged by SPIN_RULES, a superset.
  rules: ['rcu/deref-outside-read-lock', 'rcu/missing-revalidation', 'rcu/reference-escape'],
  summary:
    'Move one spinUnlock(x.lock) / rcuReadUnlock() statement above the previous statement of its block that uses x ' +
    '(a type-stable reference, for the read lock).',
  generate(scope) {
    const out: MutantDraft[] = [];
    for (const call of scope.calls('spinUnlock', 'rcuReadUnlock')) {
      const st = scope.callStatement(call);
      if (
        st === undefined ||
        (!ts.isBlock(st.parent) && !ts.isSourceFile(st.parent) && !ts.isCaseOrDefaultClause(st.parent))
      )
        continue;
      const list = st.parent.statements;
      const i = list.indexOf(st);
      const isRead = scope.kindOf(call) === 'rcuReadUnlock';
      const key = isRead ? undefined : lockKey(scope, call);
      const obj = isRead ? undefined : scope.rootSymbol(call.arguments[0]);
      // An object stable without its lock (fresh, owned, referenced): a late use is no RCU bug.
      if (!isRead && (obj === undefined || scope.isReferenced(obj, call.getStart(scope.sf)))) continue;
      const lockCall = (n: ts.Node): n is ts.CallExpression =>
        ['spinLock', 'spinTrylock', 'spinUnlock'].includes(scope.kindOf(n) ?? '');
      const sameLock = (n: ts.Node): boolean => lockCall(n) && lockKey(scope, n) === key;
      const sectionEdge = (n: ts.Node): boolean =>
        ts.isCallExpression(n) && (scope.kindOf(n) === 'rcuReadLock' || scope.kindOf(n) === 'rcuReadUnlock');
      // A use inside a callback is a use (it may run right there, as forEach's does).
      const usesStable = (n: ts.Node): boolean => scope.containsDeep(n, (x) => isStableRef(scope, x));
      for (let j = i - 1; j >= 0; j--) {
        const prev = list[j]!;
        // A statement that takes or releases the same protection (a `using` guard included):
        // moving past it is another bug.
        if (scope.contains(prev, isRead ? sectionEdge : sameLock)) break;
        // Moving past a statement that can leave the block, whether or not it uses the object,
        // unbalances the paths through it: another bug.
        if (leavesStatement(prev)) break;
        if (!(isRead ? usesStable(prev) : scope.mentions(prev, obj!))) continue;
        out.push({
          edits: scope.moveBefore(st, prev),
          description: `move \`${scope.show(st)}\` above \`${scope.show(prev)}\``,
          ...(isRead ? {} : { rules: SPIN_RULES }),
          // From the moved unlock's new line to the last statement it moved past.
          judged: [{ from: prev.getStart(scope.sf), to: list[i - 1]!.end }],
        });
        break;
      }
    }
    return out;
  },
};

/** An identifier that names a reference into type-stable memory (not a property name). */
function isStableRef(scope: FunctionScope, id: ts.Node): boolean {
  if (!ts.isIdentifier(id)) return false;
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p)) && p.name === id)
    return false;
  return scope.primitives.isTypeStableExpr(id);
}

/** Whether control can leave `st` other than by finishing it: a return, a throw, a break or continue to outside it. */
export function leavesStatement(st: ts.Statement): boolean {
  let found = false;
  const visit = (n: ts.Node, inLoop: boolean, inSwitch: boolean): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isReturnStatement(n) || ts.isThrowStatement(n)) found = true;
    else if (ts.isBreakStatement(n))
      found = n.label !== undefined ? !labelledWithin(n.label.text, n, st) : !(inLoop || inSwitch);
    else if (ts.isContinueStatement(n)) found = n.label !== undefined ? !labelledWithin(n.label.text, n, st) : !inLoop;
    else
      ts.forEachChild(n, (c) =>
        visit(c, inLoop || ts.isIterationStatement(n, false), inSwitch || ts.isSwitchStatement(n)),
      );
  };
  visit(st, false, false);
  return found;
}

function labelledWithin(label: string, from: ts.Node, st: ts.Node): boolean {
  for (let x: ts.Node = from.parent; x !== st.parent; x = x.parent)
    if (ts.isLabeledStatement(x) && x.label.text === label) return true;
  return false;
}
