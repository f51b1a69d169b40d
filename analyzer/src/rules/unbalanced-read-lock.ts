/**
 * @fileoverview rcu/unbalanced-read-lock: read-lock depth that differs where paths meet (after
 * an if, at a loop's back edge), between the returns of one function, on an uncaught throw, and
 * rcuReadUnlock() with no section open. A function whose every return holds more sections than
 * its entry is an acquire helper: inferred for a private helper (every caller is in the project
 * and applies its summary), but any other function must declare `@acquires rcu`, or each
 * return is reported — the way sparse reports a context imbalance without `__acquires`.
 */

import { ts } from 'ts-morph';
import type { BasicBlock } from '../cfg/basic-block.js';
import { correlatedDepth, type FactState, type ReadWhen } from '../dataflow/facts.js';
import { defineRule, insertBeforeStatement } from './define-rule.js';
import { lineOf } from '../ast.js';
import { RCU_LOCK_NAME } from '../summaries/annotations.js';
import { kindOfReturned, type ResultKind } from '../dataflow/result-kinds.js';
import { exitAnchor, keywordOf, leakAnchor } from './rule-utils/nodes.js';

function exact(s: FactState): boolean {
  return !s.readTainted && s.readMin === s.readMax;
}

/** A comparable description of a state's read depth, or undefined when it is already tainted. */
function signature(s: FactState): string | undefined {
  if (s.readTainted) return undefined;
  if (s.readMin === s.readMax) return String(s.readMin);
  const w = s.readWhen;
  return w === undefined ? undefined : `${w.sym.name}?${w.whenTrue}:${w.whenFalse}`;
}

/** Whether a path's depth is the one `w` gives for what the path assumes of its condition. */
function explainedBy(s: FactState, w: ReadWhen): boolean {
  const r = s.readWhen;
  if (r !== undefined && s.readMin !== s.readMax)
    return r.sym === w.sym && r.whenTrue === w.whenTrue && r.whenFalse === w.whenFalse && r.possible === undefined;
  const v = s.assume.get(w.sym);
  return v !== undefined && s.readMin === (v ? w.whenTrue : w.whenFalse);
}

function depthText(s: FactState): string {
  const w = s.readWhen;
  if (s.readMin === s.readMax || w === undefined) return String(s.readMin);
  if (w.stale === true)
    return `${w.whenTrue} if \`${w.sym.name}\` was true before it was reassigned and ${w.whenFalse} otherwise`;
  return `${w.whenTrue} when \`${w.sym.name}\` is true and ${w.whenFalse} otherwise`;
}

/**
 * The line a path last ran before an edge: the last element of the edge's block, or of the
 * block before it when that one is empty (a `break` or `continue` alone in its branch).
 */
function lastLineOf(block: BasicBlock, fallback: ts.Node): number {
  let b: BasicBlock | undefined = block;
  for (let hops = 0; b !== undefined && hops < 16; hops++) {
    const el = b.elements[b.elements.length - 1];
    if (el !== undefined) return lineOf(el.node);
    b = b.preds.length === 1 ? b.preds[0]!.from : undefined;
  }
  return lineOf(fallback);
}

export default defineRule({
  id: 'rcu/unbalanced-read-lock',
  meta: {
    description: 'Require rcuReadLock() and rcuReadUnlock() to balance on every path.',
    messages: {
      depthDiffersAtJoin:
        'Paths meet here holding different numbers of read-side sections: {{a}} on the path through line {{lineA}}, {{b}} on the path through line {{lineB}}.',
      depthDiffersAtBackEdge:
        'An iteration of this loop ends holding {{b}} read-side section(s) (through line {{lineB}}) but the loop was entered holding {{a}}.',
      unlockWithoutLock: '`rcuReadUnlock()` at line {{line}} ends a read-side section that is not open.',
      returnsUnbalanced:
        'This return holds {{here}} read-side section(s) but the return at line {{otherLine}} holds {{other}}; callers cannot know whether the read lock is held.',
      returnsUnbalancedByResult:
        'This return holds {{here}} read-side section(s) but the return at line {{otherLine}} holds {{other}}, so whether the read lock is held depends on the kind of result. `{{name}}` may be called from outside the project, so that must be declared (`@releases rcu on failure`, `@acquires rcu on success`); otherwise balance the returns.',
      conditionalAtReturn:
        'This return holds {{whenTrue}} read-side section(s) when `{{cond}}` is true and {{whenFalse}} otherwise; the section opened under that condition is never closed on one side.',
      heldAtThrow:
        'The exception thrown at line {{line}} leaves the function holding {{count}} read-side section(s) more than it was called with.',
      returnsHoldingAfterFinally:
        'The `finally` block ends here leaving {{count}} read-side section(s) open when the function returns (the return at line {{line}}).',
      returnsHoldingNeverReleased:
        'This return leaves {{count}} read-side section(s) open, and no caller of `{{name}}` closes it: the section leaks. Call rcuReadUnlock() before returning (a helper that returns holding the read lock is one whose callers release it).',
      returnsHoldingUndeclared:
        'This return leaves {{count}} read-side section(s) open, but `{{name}}` does not declare `@acquires rcu` and may be called from outside the project: a function that returns holding the read lock must say so (as `__acquires(RCU)` does for sparse). Call rcuReadUnlock() before returning, or declare the contract.',
    },
  },
  defaultSeverity: 'error',
  precision: 'very-high',
  check(ctx) {
    const entry = ctx.analysis.initial.readMin;
    const returns: Array<{ node: ts.Node; depth: number; kind: ResultKind }> = [];
    for (const e of ctx.events) {
      if (e.kind === 'join') {
        const anchorNode = e.block.joinNode ?? e.block.elements[0]?.node;
        if (anchorNode === undefined) continue;
        const fwd = e.incoming.filter((i) => i.edge.kind !== 'back');
        const back = e.incoming.filter((i) => i.edge.kind === 'back');
        if (back.length > 0) {
          // A loop header: the body's own states inherit the header's join, so compare ranges
          // of the back edges with the exact depth the loop was entered with.
          if (fwd.length === 0 || !fwd.every((i) => exact(i.state) && i.state.readMin === fwd[0]!.state.readMin))
            continue;
          const d = fwd[0]!.state.readMin;
          const bad = back.find((i) => i.state.readMin !== d || i.state.readMax !== d);
          if (bad === undefined) continue;
          ctx.report({
            node: keywordOf(anchorNode),
            messageId: 'depthDiffersAtBackEdge',
            data: {
              a: d,
              // A bound the loop widened is unbounded (each iteration adds one): say which way.
              b:
                bad.state.readMax !== d
                  ? Number.isFinite(bad.state.readMax)
                    ? bad.state.readMax
                    : `more than ${d}`
                  : Number.isFinite(bad.state.readMin)
                    ? bad.state.readMin
                    : `fewer than ${d}`,
              lineB: lastLineOf(bad.edge.from, anchorNode),
            },
          });
          continue;
        }
        // Each incoming depth is exact, or exact per side of one unchanging condition.
        if (!fwd.every((i) => signature(i.state) !== undefined)) continue;
        const first = fwd[0]!;
        const other = fwd.find((i) => signature(i.state) !== signature(first.state));
        // `if (fast) rcuReadLock(); … if (fast) rcuReadUnlock();` is balanced per condition,
        // when that condition explains the depth of every path that meets here.
        if (other === undefined) continue;
        const w = correlatedDepth(first.state, other.state);
        if (w !== undefined && fwd.every((i) => explainedBy(i.state, w))) continue;
        ctx.report({
          node: keywordOf(anchorNode),
          messageId: 'depthDiffersAtJoin',
          data: {
            a: depthText(first.state),
            lineA: lastLineOf(first.edge.from, anchorNode),
            b: depthText(other.state),
            lineB: lastLineOf(other.edge.from, anchorNode),
          },
        });
      } else if (e.kind === 'readUnlock') {
        if (e.state.readMax <= 0 && !e.state.readTainted) {
          ctx.report({ node: e.node, messageId: 'unlockWithoutLock', data: { line: ctx.line(e.node) } });
        }
      } else if (e.kind === 'exit') {
        const w = e.state.readWhen;
        if (!e.state.readTainted && w !== undefined && w.whenTrue !== w.whenFalse) {
          ctx.report({
            node: exitAnchor(e.node),
            messageId: 'conditionalAtReturn',
            data: { whenTrue: w.whenTrue, whenFalse: w.whenFalse, cond: w.sym.name },
          });
          continue;
        }
        if (!exact(e.state)) continue;
        if (e.how === 'throw') {
          if (e.state.readMin > entry) {
            ctx.report({
              node: exitAnchor(e.node),
              messageId: 'heldAtThrow',
              data: { line: ctx.line(e.node), count: e.state.readMin - entry },
            });
          }
        } else {
          const expr = ts.isReturnStatement(e.node) ? e.node.expression : undefined;
          returns.push({
            node: e.node,
            depth: e.state.readMin,
            kind: kindOfReturned(expr, ctx.checker, ctx.primitives),
          });
        }
      }
    }
    // Returns disagreeing: report those that differ from the depth the function was entered with.
    const depths = new Set(returns.map((r) => r.depth));
    // Returns agreeing on holding more: an acquire helper, inferred only where every caller is
    // in the project (a private helper) and one of them closes the section; anything else must
    // declare it, as sparse requires.
    const only = depths.size === 1 ? [...depths][0]! : undefined;
    const declared = ctx.analysis.annotations.acquires.includes(RCU_LOCK_NAME);
    const opened = ctx.events.find((e) => e.kind === 'readLock');
    const reported = new Set<number>();
    // Every return through one `finally` is reported once, at its end, where the unlock was due.
    const report = (
      r: { node: ts.Node; depth: number },
      messageId:
        'returnsHoldingUndeclared' | 'returnsHoldingNeverReleased' | 'returnsUnbalanced' | 'returnsUnbalancedByResult',
      data: Record<string, string | number>,
    ): void => {
      const anchor = leakAnchor(r.node);
      if (reported.has(anchor.pos)) return;
      reported.add(anchor.pos);
      const viaFinally = anchor !== exitAnchor(r.node);
      ctx.report({
        node: anchor,
        messageId: viaFinally ? 'returnsHoldingAfterFinally' : messageId,
        data: { count: r.depth - entry, line: lineOf(r.node), ...data },
        related: [
          ...(viaFinally ? [{ node: r.node, message: 'the function returns here' }] : []),
          ...(opened === undefined || messageId === 'returnsUnbalanced' || messageId === 'returnsUnbalancedByResult'
            ? []
            : [{ node: opened.node, message: 'read-side section opened here' }]),
        ],
        fixes:
          r.depth === entry + 1 && !viaFinally
            ? insertBeforeStatement(r.node, 'rcuReadUnlock();', 'Call rcuReadUnlock() before this return')
            : [],
      });
    };
    if (only !== undefined && only > entry && !declared) {
      const messageId = !ctx.analysis.callersKnown
        ? 'returnsHoldingUndeclared'
        : ctx.analysis.unreleased?.read === true
          ? 'returnsHoldingNeverReleased'
          : undefined;
      if (messageId !== undefined) for (const r of returns) report(r, messageId, { name: ctx.analysis.summary.name });
    }
    // Returns that differ only by the kind of result (the read lock left on failure): inferred
    // for a private helper, declared by any other (FunctionSummary.readDeltaByResult).
    const split = ctx.analysis.summary.readDeltaByResult;
    const bySplit =
      split !== undefined &&
      returns.every(
        (r) => r.kind !== 'mixed' && r.depth - entry === (r.kind === 'object' ? split.onObject : split.onOther),
      );
    const splitAccepted = bySplit && (ctx.analysis.callersKnown || ctx.analysis.annotations.readByResult !== undefined);
    if (depths.size > 1 && !splitAccepted) {
      for (const r of returns) {
        if (r.depth === entry) continue;
        const other = returns.find((o) => o.depth !== r.depth)!;
        report(r, bySplit ? 'returnsUnbalancedByResult' : 'returnsUnbalanced', {
          name: ctx.analysis.summary.name,
          here: r.depth,
          other: other.depth,
          otherLine: lineOf(exitAnchor(other.node)),
        });
      }
    }
  },
});
