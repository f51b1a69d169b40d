/**
 * @fileoverview `return-unpinned`: a function that returns an object it pinned (locked or
 * referenced, then re-checked) returns it unpinned instead. Two forms per returned object:
 * - early return: its first `return x` after the pins, with the `rcuReadUnlock()` statements
 *   that lead to it, copied to just before the object's first pin, as
 *   `if ((true as boolean)) { rcuReadUnlock(); return x; }` (a bare `return` would leave the
 *   rest unreachable, where TypeScript narrows nothing and rejects the mutant; the checker's
 *   graph folds the constant);
 * - dropped pin: the object's one pin removed — its statement, or its test (the code goes on
 *   as if the lock or reference had been taken: see assumeSuccess). Not generated where the
 *   object has two pins (a reference, then its lock): dropping one leaves it pinned.
 * Objects stable by origin (allocated here, `@owned`) have no pins (see pins.ts).
 *
 * Judged lines: the returns of the object, and the inserted return. A helper called under the
 * caller's read lock (`@rcuReadLockHeld`, or inferred) may return an RCU pointer by contract, so
 * for it the escape shows where a caller lets the result leave the section: every line from a
 * call to the function in its file to the end of the calling function counts too.
 * Rule: rcu/reference-escape ("returning it" is what its doc forbids for a reference that is
 * neither locked nor referenced).
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../../ast.js';
import { constant, type FunctionScope, type JudgedSpan, type MutantDraft, type MutationOperator } from '../operator.js';
import { assumeSuccess, resultUsed } from './inc-not-zero.js';
import { pinsOf, type Pin } from './pins.js';

/** The `rcuReadUnlock();` statements just before `ret` in its block: the way out of the section. */
function exitSequence(scope: FunctionScope, ret: ts.ReturnStatement): ts.Statement[] {
  const p = ret.parent;
  if (!ts.isBlock(p) && !ts.isCaseOrDefaultClause(p)) return [];
  const list = p.statements;
  const out: ts.Statement[] = [];
  for (let i = list.indexOf(ret) - 1; i >= 0; i--) {
    const st = list[i]!;
    if (!ts.isExpressionStatement(st) || scope.kindOf(skipParens(st.expression)) !== 'rcuReadUnlock') break;
    out.unshift(st);
  }
  return out;
}

/** Remove a pin: its statement when it is one, else its test (assumed to succeed). */
function dropPin(scope: FunctionScope, pin: Pin): { edits: MutantDraft['edits']; description: string } | undefined {
  const st = scope.callStatement(pin.call);
  if (st !== undefined) return { edits: [scope.removeStatement(st)], description: `delete \`${scope.show(st)}\`` };
  const decl = pin.call.parent;
  // `using _ = spinLock(x.lock)`: the whole guard.
  const list = decl.parent;
  const guard =
    ts.isVariableDeclaration(decl) &&
    decl.initializer === pin.call &&
    ts.isVariableDeclarationList(list) &&
    list.declarations.length === 1;
  if (guard && ts.isVariableStatement(list.parent)) {
    return { edits: [scope.removeStatement(list.parent)], description: `delete \`${scope.show(list.parent)}\`` };
  }
  if (!resultUsed(pin.call)) return undefined;
  const { edits, description } = assumeSuccess(scope, pin.call, false);
  return { edits, description };
}

export const returnUnpinned: MutationOperator = {
  id: 'return-unpinned',
  rules: ['rcu/reference-escape'],
  summary: 'Return a pinned object before its first pin (leaving the section as its return did), or drop its only pin.',
  generate(scope) {
    const out: MutantDraft[] = [];
    const pins = pinsOf(scope);
    // A helper the caller calls inside its section hands on what it returns: its callers judge it.
    const helper = scope.summary?.requiresRead === true;
    const callers: JudgedSpan[] = helper
      ? scope.callersInFile().map(({ call, caller }) => ({ from: call.getStart(scope.sf), to: caller.end }))
      : [];
    // Returns of a pinned object, grouped by the object.
    const byObject = new Map<ts.Symbol, ts.ReturnStatement[]>();
    for (const n of scope.ownNodes()) {
      if (!ts.isReturnStatement(n) || n.expression === undefined || !ts.isIdentifier(skipParens(n.expression)))
        continue;
      const sym = scope.checker.getSymbolAtLocation(skipParens(n.expression));
      if (sym === undefined || !pins.some((p) => p.sym === sym && p.call.end <= n.getStart(scope.sf))) continue;
      byObject.set(sym, [...(byObject.get(sym) ?? []), n]);
    }
    for (const [sym, rets] of byObject) {
      const mine = pins.filter((p) => p.sym === sym && p.call.end <= rets[0]!.getStart(scope.sf));
      const first = mine[0]!;
      const judged: JudgedSpan[] = [...rets.map((r) => ({ from: r.getStart(scope.sf), to: r.end })), ...callers];
      const exit = exitSequence(scope, rets[0]!);
      const body = [...exit.map((s) => scope.src(s)), scope.src(rets[0]!)].join(' ');
      const text = `if (${constant(true)}) { ${body} }`;
      const at = first.statement.getStart(scope.sf);
      out.push({
        edits: [{ start: at, end: at, text: `${text}\n${scope.indentOf(first.statement)}` }],
        description: `\`${text}\` inserted above \`${scope.show(first.statement)}\``,
        judged: [{ inserted: 0 }, ...callers],
      });
      if (mine.length !== 1) continue;
      const dropped = dropPin(scope, first);
      if (dropped !== undefined) out.push({ ...dropped, judged });
    }
    return out;
  },
};
