/**
 * @fileoverview `write-after-publish`: move one initializing field store of an object to just
 * after the statement that publishes it. A publish is an RCU pointer assignment
 * (`task.sighand = s`, the runtime's rcu_assign_pointer), `table.insert(s)` / `table.replace(s)`,
 * or an `hlistNulls…Rcu` add or replace; an initializing store is an earlier statement of the
 * same block that writes a field of the published variable (`s.action = a`, `s.n++`). Where
 * the publish is the condition of an `if` (`if (table.insert(s)) …`, which publishes on its true
 * branch only), the store moves to the start of that branch.
 *
 * Judged lines: the moved store, now after the publish. Rule: rcu/publish-before-init. A store
 * to an object this function did not allocate (a referenced object it makes current, as an
 * election makes a peer the leader) ran under that object's lock, or on an object it holds:
 * moved after the publish, it now runs where the checker sees a store the object's lock
 * guards, made without it, so rcu/unguarded-access and rcu/unstable-write count there too.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../../ast.js';
import { rootIdentifier } from '../../../ast.js';
import { writtenProperty } from '../../../rules/rule-utils/mark-flow.js';
import { publishedByCall, rcuFieldStore } from '../../../rules/rule-utils/slab-sites.js';
import type { FunctionScope, MutantDraft, MutationOperator } from '../operator.js';

interface Publish {
  readonly sym: ts.Symbol;
  /** The store or call that publishes. */
  readonly site: ts.Node;
  readonly statement: ts.Statement;
}

function publishesOf(scope: FunctionScope): Publish[] {
  const out: Publish[] = [];
  for (const n of scope.ownNodes()) {
    let obj: ts.Expression | undefined;
    const store = rcuFieldStore(n, scope.primitives, scope.checker);
    if (store !== undefined) obj = skipParens(store.value);
    else if (ts.isCallExpression(n)) obj = publishedByCall(n, scope.primitives);
    const id = obj !== undefined && ts.isIdentifier(skipParens(obj)) ? (skipParens(obj) as ts.Identifier) : undefined;
    const sym = id === undefined ? undefined : scope.checker.getSymbolAtLocation(id);
    const statement = scope.listStatement(n);
    // A self-pointer (`anonVma.root = anonVma`) publishes nothing: no reader can reach the object there.
    const self = store !== undefined && sym !== undefined && scope.rootSymbol(store.field) === sym;
    if (sym !== undefined && statement !== undefined && !self) out.push({ sym, site: n, statement });
  }
  return out;
}

/** `x.f = …` / `x.f += …` / `x.f++` as a whole statement, writing a field of `sym`. */
function storesTo(scope: FunctionScope, st: ts.Statement, sym: ts.Symbol): boolean {
  if (!ts.isExpressionStatement(st)) return false;
  const target = writtenProperty(skipParens(st.expression));
  const root = target === undefined ? undefined : rootIdentifier(target);
  return root !== undefined && scope.checker.getSymbolAtLocation(root) === sym;
}

const PUBLISH = 'rcu/publish-before-init';
const UNGUARDED = ['rcu/unguarded-access', 'rcu/unstable-write'];

/** Whether `sym` holds an object this function allocated (kmemCacheAlloc, or a constructor helper's result). */
function allocatedHere(scope: FunctionScope, sym: ts.Symbol): boolean {
  const decl = sym.valueDeclaration;
  if (decl === undefined || !ts.isVariableDeclaration(decl) || decl.initializer === undefined) return false;
  const init = skipParens(decl.initializer);
  return (
    ts.isCallExpression(init) &&
    (scope.kindOf(init) === 'kmemCacheAlloc' || scope.summaryOf(init)?.returnsFresh === true)
  );
}

export const writeAfterPublish: MutationOperator = {
  id: 'write-after-publish',
  rules: [PUBLISH, ...UNGUARDED],
  summary: 'Move one initializing field store of an object to just after the statement that publishes it.',
  generate(scope) {
    const out: MutantDraft[] = [];
    for (const pub of publishesOf(scope)) {
      const parent = pub.statement.parent;
      if (!ts.isBlock(parent) && !ts.isSourceFile(parent) && !ts.isCaseOrDefaultClause(parent)) continue;
      const list = parent.statements;
      const rules = allocatedHere(scope, pub.sym) ? [PUBLISH] : [PUBLISH, ...UNGUARDED];
      for (const st of list.slice(0, list.indexOf(pub.statement))) {
        if (!storesTo(scope, st, pub.sym)) continue;
        const target = pub.statement;
        // `if (table.insert(s)) …` publishes on its true branch only: the store goes there.
        if (
          ts.isIfStatement(target) &&
          target.expression.pos <= pub.site.pos &&
          pub.site.end <= target.expression.end
        ) {
          const then = target.thenStatement;
          const edits = ts.isBlock(then)
            ? [
                { start: st.pos, end: st.end, text: '' },
                { start: then.getStart(scope.sf) + 1, end: then.getStart(scope.sf) + 1, text: ` ${scope.src(st)}` },
              ]
            : [
                { start: st.pos, end: st.end, text: '' },
                { start: then.getStart(scope.sf), end: then.end, text: `{ ${scope.src(st)} ${scope.src(then)} }` },
              ];
          out.push({
            edits,
            description: `move \`${scope.show(st)}\` into \`${scope.show(target)}\``,
            judged: [{ inserted: 1 }],
            rules,
          });
          continue;
        }
        const edits = scope.moveAfter(st, target);
        out.push({
          edits,
          description: `move \`${scope.show(st)}\` below \`${scope.show(target)}\``,
          judged: [{ inserted: 1 }],
          rules,
        });
      }
    }
    return out;
  },
};
