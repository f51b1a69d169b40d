/**
 * @fileoverview rcu/inc-not-zero-unchecked: refcountIncNotZero() whose result is ignored, whose
 * failure branch goes on as if the reference were taken (wrong polarity), or whose key re-check
 * was made before the increment — which proves nothing, since the object may be freed and
 * reused between the check and the increment (the kernel's __nf_conntrack_find_get re-checks
 * the tuple after nf_conntrack_get_not_zero, never before).
 */

import { ts } from 'ts-morph';
import { defineRule, type RuleContext } from './define-rule.js';
import { isComparisonOperand, lineOf, rootIdentifier, skipParens } from '../ast.js';
import { constAliases } from './rule-utils/const-aliases.js';
import { verdictReliance } from './rule-utils/verdict-reliance.js';

/**
 * `return !refcountIncNotZero(p.ref)` (an odd number of `!`): a verdict on parameter `p` that
 * is true exactly when no reference was taken. The increment call and the parameter's index.
 */
function invertedVerdicts(ctx: RuleContext<string>): Array<{ inc: ts.CallExpression; param: number; obj: string }> {
  const fn = ctx.analysis.cfg.fn;
  if (ts.isSourceFile(fn) || ts.isClassStaticBlockDeclaration(fn)) return [];
  const out: Array<{ inc: ts.CallExpression; param: number; obj: string }> = [];
  for (const e of ctx.events) {
    if (e.kind !== 'exit' || e.how !== 'return' || !ts.isReturnStatement(e.node) || e.node.expression === undefined)
      continue;
    let x = skipParens(e.node.expression);
    let negations = 0;
    while (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) {
      negations++;
      x = skipParens(x.operand);
    }
    if (negations % 2 === 0 || !ts.isCallExpression(x) || ctx.primitives.callKind(x) !== 'refcountIncNotZero') continue;
    const root = rootIdentifier(x.arguments[0]);
    const decl = root === undefined ? undefined : ctx.checker.getSymbolAtLocation(root)?.valueDeclaration;
    const param = fn.parameters.findIndex((p) => p === decl);
    if (param >= 0) out.push({ inc: x, param, obj: root!.text });
  }
  return out;
}

/** The increment's name as written (refcountIncNotZero, or the limited one that means the same here). */
function incrementName(node: ts.Node): string {
  if (!ts.isCallExpression(node)) return 'refcountIncNotZero';
  const callee = skipParens(node.expression);
  return ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText();
}

export default defineRule({
  id: 'rcu/inc-not-zero-unchecked',
  meta: {
    description:
      'Require the result of refcountIncNotZero() to be tested, with the right polarity, and the key to be re-checked after the increment.',
    messages: {
      resultIgnored:
        'The result of `{{increment}}()` at line {{line}} is ignored; when it returns false no reference was taken and the object is being freed.',
      wrongPolarity:
        '`{{object}}` is {{how}} at line {{useLine}} on the path where `{{increment}}()` at line {{line}} failed: no reference was taken there.',
      verdictInverted:
        "This function answers true at line {{line}} when `{{increment}}()` on `{{object}}` failed, but `{{caller}}()` takes a true answer as the reference taken: it tests the call at line {{callLine}} and drops a reference on `{{arg}}` at line {{useLine}}. Answer with the increment's result itself.",
      recheckBeforeIncrement:
        'The key of `{{object}}` is checked at line {{checkLine}}, before `{{increment}}()` at line {{line}}; the object may be reused in between. Re-check it after the increment.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    for (const v of invertedVerdicts(ctx)) {
      const r = verdictReliance(ctx.visibleCallersOf(), v.param, ctx.checker, ctx.primitives);
      if (r === undefined) continue;
      ctx.report({
        node: v.inc,
        messageId: 'verdictInverted',
        data: {
          increment: incrementName(v.inc),
          line: ctx.line(v.inc),
          object: v.obj,
          caller: r.caller,
          callLine: ctx.line(r.call),
          arg: r.arg,
          useLine: ctx.line(r.release),
        },
        related: [
          { node: r.call, message: `${r.caller}() tests the answer here` },
          { node: r.release, message: `${r.caller}() drops the reference it takes a true answer to mean` },
        ],
      });
    }
    const done = new Set<ts.Node>();
    // Walked only where a failed increment meets a return: the walk asks the checker for symbols.
    let aliases: Map<ts.Symbol, ts.Symbol[]> | undefined;
    for (const e of ctx.events) {
      if (e.kind === 'exit') {
        if (![...e.state.objs.values()].some((o) => o.incFailed !== undefined && o.refHeld === undefined)) continue;
        // `return cred` where the increment failed on `nonconstCred`, the same object under
        // another name (the returned name itself knows nothing of it: a parameter nothing was
        // done to under that name; one that does is reported as its use).
        const x = e.how === 'return' && ts.isReturnStatement(e.node) ? e.node.expression : undefined;
        const id = x === undefined ? undefined : skipParens(x);
        const sym = id !== undefined && ts.isIdentifier(id) ? ctx.checker.getSymbolAtLocation(id) : undefined;
        if (id === undefined || sym === undefined || e.state.objs.get(sym)?.incFailed !== undefined) continue;
        aliases ??= constAliases(ctx.analysis.cfg.fn, ctx.checker);
        for (const a of aliases.get(sym) ?? []) {
          const o = e.state.objs.get(a);
          if (o?.incFailed === undefined || o.refHeld !== undefined || done.has(o.incFailed)) continue;
          done.add(o.incFailed);
          ctx.report({
            node: o.incFailed,
            messageId: 'wrongPolarity',
            data: {
              increment: incrementName(o.incFailed),
              object: sym.name,
              how: 'returned',
              useLine: ctx.line(id),
              line: ctx.line(o.incFailed),
            },
            related: [
              { node: id, message: `returned here, though the increment on \`${a.name}\` (the same object) failed` },
            ],
          });
        }
        continue;
      }
      if (e.kind === 'incIgnored') {
        ctx.report({
          node: e.node,
          messageId: 'resultIgnored',
          data: { increment: incrementName(e.node), line: ctx.line(e.node) },
        });
        continue;
      }
      if (e.kind !== 'use' && e.kind !== 'deref' && e.kind !== 'refPut') continue;
      const sym = e.sym;
      if (sym === undefined) continue;
      const o = e.state.objs.get(sym);
      if (o === undefined) continue;
      const checked = o.pending?.checkedBefore;
      const isRecheck = e.kind === 'deref' && isComparisonOperand(e.node);
      if (
        checked !== undefined &&
        o.pending !== undefined &&
        (e.kind === 'use' || e.kind === 'deref') &&
        !isRecheck &&
        !done.has(o.pending.site)
      ) {
        done.add(o.pending.site);
        ctx.report({
          node: o.pending.site,
          messageId: 'recheckBeforeIncrement',
          data: {
            increment: incrementName(o.pending.site),
            object: sym.name,
            checkLine: lineOf(checked),
            line: ctx.line(o.pending.site),
          },
          related: [{ node: checked, message: 'key checked here, before the increment' }],
        });
        continue;
      }
      if (o.incFailed === undefined || o.refHeld !== undefined || done.has(o.incFailed)) continue;
      // On the failure path the object may still be read inside the section (to move on); it
      // must not be kept, returned, handed on, or put.
      const how =
        e.kind === 'refPut'
          ? e.through === undefined
            ? 'released'
            : `released through \`${e.through}()\``
          : e.kind === 'use'
            ? e.how === 'return'
              ? 'returned'
              : 'handed on'
            : e.state.readMin <= 0
              ? 'dereferenced outside the read-side section'
              : undefined;
      if (how === undefined) continue;
      done.add(o.incFailed);
      ctx.report({
        node: o.incFailed,
        messageId: 'wrongPolarity',
        data: {
          increment: incrementName(o.incFailed),
          object: sym.name,
          how,
          useLine: ctx.line(e.node),
          line: ctx.line(o.incFailed),
        },
        related: [{ node: e.node, message: `${how} here although the increment failed` }],
      });
    }
  },
});
