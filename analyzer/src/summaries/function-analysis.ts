/**
 * @fileoverview Analyzing one function: build its CFG, solve the facts dataflow to a fixpoint
 * from the state its annotations promise, replay each reachable block once to collect events
 * for the rules, and infer the function's summary for its callers (infer-summary.ts).
 */

import { ts } from 'ts-morph';
import { isFunctionLike, isTopLevelCode, skipParens, walkTree, type FunctionLike } from '../ast.js';
import type { BasicBlock, Edge } from '../cfg/basic-block.js';
import { CfgBuilder } from '../cfg/cfg-builder.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';
import { dumpIfRequested } from '../cfg/debug-dot.js';
import type { FactEvent } from '../dataflow/events.js';
import { type FactState, emptyState, newObj, withLock, withObj } from '../dataflow/facts.js';
import { RcuTransfer, type TransferContext } from '../dataflow/rcu-transfer.js';
import { solveForward } from '../dataflow/solver.js';
import type { Primitives } from '../primitives/primitives.js';
import { type Annotations, NO_ANNOTATIONS, RCU_LOCK_NAME, readAnnotations } from './annotations.js';
import { checkerFlowOracle } from './flow-oracle.js';
import { inferSummary } from './infer-summary.js';
import type { FunctionSummary } from './summary.js';

export interface FunctionAnalysis {
  readonly cfg: ControlFlowGraph;
  readonly annotations: Annotations;
  readonly initial: FactState;
  /** Events in replay order (block by block in reverse post-order). */
  readonly events: readonly FactEvent[];
  readonly summary: FunctionSummary;
  /**
   * The summary's `requiresRead` was inferred (not annotated): unprotected dereferences of
   * parameters are the callers' business, reported at call sites that hold no read lock.
   */
  readonly inferredRequiresRead: boolean;
  /** The solver hit its iteration cap; findings may be incomplete. */
  readonly capped: boolean;
}

/** The facts at entry that the function's annotations promise. */
function initialState(fn: FunctionLike, ann: Annotations, checker: ts.TypeChecker, primitives: Primitives): FactState {
  const releasesRcu = ann.releases.includes(RCU_LOCK_NAME);
  let s = emptyState(ann.rcuReadLockHeld || releasesRcu ? 1 : 0);
  if (isTopLevelCode(fn)) return s;
  const params = new Map<string, ts.Symbol>();
  for (const p of fn.parameters) {
    if (!ts.isIdentifier(p.name)) continue;
    const sym = checker.getSymbolAtLocation(p.name);
    if (sym !== undefined) params.set(p.name.text, sym);
  }
  for (const key of [...ann.mustHold, ...ann.releases.filter((l) => l !== RCU_LOCK_NAME)]) {
    const dot = key.indexOf('.');
    const obj = dot < 0 ? undefined : params.get(key.slice(0, dot));
    s = withLock(s, {
      key,
      obj,
      field: dot < 0 ? undefined : key.slice(dot + 1),
      site: fn,
      must: true,
      when: undefined,
    });
  }
  // A cache's constructor or destructor gets an object nobody else can see (a slab being built,
  // or torn down): it owns its parameter.
  const callbackParams = primitives.slab.isCacheCallback(fn) ? [...params.keys()] : [];
  for (const name of [...ann.owned, ...putParams(fn, primitives), ...callbackParams]) {
    const sym = params.get(name);
    if (sym !== undefined) s = withObj(s, sym, newObj('owned', fn, 0));
  }
  return s;
}

/**
 * A function that opens by asserting `rcuReadLockHeld()` (`if (!rcuReadLockHeld()) throw …`,
 * the lockdep-style check of rcu_dereference_check) states its precondition in code: it is
 * treated as annotated `@rcuReadLockHeld`.
 */
function assertsReadLockHeld(fn: ts.FunctionLikeDeclaration, primitives: Primitives): boolean {
  const body = fn.body;
  if (body === undefined || !ts.isBlock(body)) return false;
  for (const st of body.statements.slice(0, 3)) {
    if (!ts.isIfStatement(st)) continue;
    const c = skipParens(st.expression);
    if (!ts.isPrefixUnaryExpression(c) || c.operator !== ts.SyntaxKind.ExclamationToken) continue;
    const call = skipParens(c.operand);
    if (!ts.isCallExpression(call) || primitives.callKind(call) !== 'rcuReadLockHeld') continue;
    const then = ts.isBlock(st.thenStatement) ? st.thenStatement.statements[0] : st.thenStatement;
    if (then !== undefined && (ts.isThrowStatement(then) || ts.isReturnStatement(then))) return true;
  }
  return false;
}

/**
 * Parameters the function drops a reference on (`refcountDecAndTest(p.refcnt)`): only a holder
 * of a reference may drop it, so such a parameter is owned by the caller (sockPut, fput).
 */
function putParams(fn: ts.FunctionLikeDeclaration, primitives: Primitives): string[] {
  const names = new Set(fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : '')));
  const found: string[] = [];
  const visit = (n: ts.Node): 'skip' | undefined => {
    if (isFunctionLike(n)) return 'skip';
    if (ts.isCallExpression(n) && n.arguments.length > 0) {
      const a = n.arguments[0]!;
      if (
        ts.isPropertyAccessExpression(a) &&
        ts.isIdentifier(a.expression) &&
        names.has(a.expression.text) &&
        primitives.callKind(n) === 'refcountDecAndTest'
      ) {
        found.push(a.expression.text);
      }
    }
    return undefined;
  };
  if (fn.body !== undefined) walkTree(fn.body, visit, 'children');
  return found;
}

export function analyzeFunction(fn: FunctionLike, index: number, ctx: TransferContext): FunctionAnalysis {
  const cfg = CfgBuilder.build(fn, index, checkerFlowOracle(ctx.checker));
  dumpIfRequested(cfg);
  let annotations = isTopLevelCode(fn) ? NO_ANNOTATIONS : readAnnotations(fn);
  if (!annotations.rcuReadLockHeld && !isTopLevelCode(fn) && assertsReadLockHeld(fn, ctx.primitives))
    annotations = { ...annotations, rcuReadLockHeld: true };
  const initial = initialState(fn, annotations, ctx.checker, ctx.primitives);
  const transfer = new RcuTransfer(ctx, fn, initial);
  const solution = solveForward(cfg, transfer);

  // Replay: each reachable block once from its fixpoint entry state, edges once each.
  const events: FactEvent[] = [];
  transfer.sink = (e) => events.push(e);
  const incoming = new Map<BasicBlock, Array<{ edge: Edge; state: FactState }>>();
  for (const block of cfg.reversePostOrder()) {
    const entry = solution.entry.get(block);
    if (entry === undefined) continue;
    const out = transfer.transferBlock(block, entry);
    for (const edge of block.succs) {
      const along = transfer.transferEdge(edge, out);
      if (along === null) continue;
      let list = incoming.get(edge.to);
      if (list === undefined) incoming.set(edge.to, (list = []));
      list.push({ edge, state: along });
    }
  }
  transfer.sink = undefined;
  // Joins last: a loop header's back edge is known only once its body has been replayed.
  for (const [block, ins] of incoming) if (ins.length > 1) events.push({ kind: 'join', block, incoming: ins });

  const { summary, inferredRequiresRead } = inferSummary(fn, cfg, annotations, initial, events, ctx);
  return { cfg, annotations, initial, events, summary, inferredRequiresRead, capped: solution.capped };
}
