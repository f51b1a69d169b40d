/**
 * @fileoverview Operators that delete one lock or unlock: a release dropped on the path through
 * it (`drop-read-unlock-one-path`, `drop-spin-unlock-one-path`), or a read-side section never
 * entered (`drop-read-lock`). Each removes one call statement, or turns one `using` guard into
 * a `const` (the guard is still taken, never released) or removes it (for a dropped lock).
 *
 * Judged lines: a leak has no line of its own — the deleted call is gone — so it counts where
 * the rule says an imbalance shows: at an exit after the site (return, throw, the closing
 * brace), at the join or loop header of a statement enclosing the site, or inside the outermost
 * loop around it (a lock carried into the next iteration is taken twice). A missing read lock
 * shows at the dereferences and unlocks after the site.
 */

import type { ts } from 'ts-morph';
import { oneLine } from '../edits.js';
import type { FunctionScope, MutantDraft, MutationOperator } from '../operator.js';

/** One mutant per release: each `rcuReadUnlock()` / `spinUnlock(l)` statement removed, each `using` guard made `const`. */
function dropReleases(
  scope: FunctionScope,
  unlock: 'rcuReadUnlock' | 'spinUnlock',
  lock: 'rcuReadLock' | 'spinLock',
): MutantDraft[] {
  const out: MutantDraft[] = [];
  for (const call of scope.calls(unlock)) {
    const st = scope.callStatement(call);
    if (st === undefined) continue;
    out.push({
      edits: [scope.removeStatement(st)],
      description: `delete \`${scope.show(st)}\``,
      judged: scope.leakRegion(st),
    });
  }
  for (const guard of scope.usingGuards(lock)) out.push(usingToConst(scope, guard));
  return out;
}

function usingToConst(scope: FunctionScope, guard: ts.VariableStatement): MutantDraft {
  const list = guard.declarationList;
  const start = list.getStart(scope.sf);
  // The `using` keyword is the list's first token.
  const edit = { start, end: start + 'using'.length, text: 'const' };
  const before = scope.show(guard);
  return {
    edits: [edit],
    description: `\`${before}\` → \`${oneLine(`const${before.slice('using'.length)}`)}\``,
    judged: scope.leakRegion(guard),
  };
}

export const dropReadUnlockOnePath: MutationOperator = {
  id: 'drop-read-unlock-one-path',
  rules: ['rcu/unbalanced-read-lock'],
  summary:
    'Delete one rcuReadUnlock() statement, or make one `using` read guard a `const`; the section stays open on the paths through it.',
  generate: (scope) => dropReleases(scope, 'rcuReadUnlock', 'rcuReadLock'),
};

export const dropSpinUnlockOnePath: MutationOperator = {
  id: 'drop-spin-unlock-one-path',
  rules: ['rcu/unbalanced-spinlock'],
  summary:
    'Delete one spinUnlock() statement, or make one `using` spinlock guard a `const`; the lock stays held on the paths through it.',
  generate: (scope) => dropReleases(scope, 'spinUnlock', 'spinLock'),
};

export const dropReadLock: MutationOperator = {
  id: 'drop-read-lock',
  // Either rule: the dereferences inside the lost section are unprotected, and an unlock that
  // still follows ends a section that is not open. Both are the checker naming this bug.
  rules: ['rcu/deref-outside-read-lock', 'rcu/unbalanced-read-lock'],
  summary: 'Delete one rcuReadLock() statement or `using` read guard; what it protected runs outside any section.',
  generate(scope) {
    const out: MutantDraft[] = [];
    const calls = scope
      .calls('rcuReadLock')
      .map((c) => scope.callStatement(c))
      .filter((s) => s !== undefined);
    const sites: ts.Statement[] = [...calls, ...scope.usingGuards('rcuReadLock')];
    sites.sort((a, b) => a.pos - b.pos);
    for (const st of sites)
      out.push({
        edits: [scope.removeStatement(st)],
        description: `delete \`${scope.show(st)}\``,
        judged: scope.leakRegion(st),
      });
    return out;
  },
};
