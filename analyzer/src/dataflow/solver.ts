/**
 * @fileoverview A generic forward dataflow solver over a ControlFlowGraph: worklist in reverse
 * post-order, join at block entries, iterate to a fixpoint. Terminates because every lattice
 * the engine uses has finite height (fact maps only gain keys the function mentions) or is
 * widened: a block whose entry keeps changing gets `widen(old, joined)` instead of the plain
 * join from its WIDEN_AFTER-th change on. An iteration cap guards against a transfer function
 * that breaks that.
 */

import type { BasicBlock, Edge } from '../cfg/basic-block.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';

export interface ForwardProblem<S> {
  /** State at the function entry. */
  readonly initial: S;
  /** State after the block's elements, given the state at its entry. */
  transferBlock(block: BasicBlock, entry: S): S;
  /** State along an edge (branch refinement); null when the edge cannot be taken. */
  transferEdge(edge: Edge, out: S): S | null;
  join(a: S, b: S): S;
  equals(a: S, b: S): boolean;
  /**
   * Over-approximate `next` (the join of `prev` and a new incoming state) so that repeated
   * growth stops: applied at a block whose entry already changed WIDEN_AFTER times (in
   * practice a loop header). Optional for lattices of finite height.
   */
  widen?(prev: S, next: S): S;
}

/** Changes of one block's entry state before the solver widens it. */
export const WIDEN_AFTER = 4;

export interface Solution<S> {
  /** State at each reachable block's entry (joined over incoming edges). */
  readonly entry: ReadonlyMap<BasicBlock, S>;
  /** State at each reachable block's exit. */
  readonly exit: ReadonlyMap<BasicBlock, S>;
  /** Whether the iteration cap stopped the solver before a fixpoint (facts may be incomplete). */
  readonly capped: boolean;
}

export function solveForward<S>(cfg: ControlFlowGraph, problem: ForwardProblem<S>): Solution<S> {
  const order = cfg.reversePostOrder();
  const rank = new Map<BasicBlock, number>();
  order.forEach((b, i) => rank.set(b, i));
  const entry = new Map<BasicBlock, S>();
  const exit = new Map<BasicBlock, S>();
  entry.set(cfg.entry, problem.initial);

  // Worklist ordered by RPO rank: a block runs after its forward predecessors. Flags per rank
  // and a cursor at the lowest queued rank keep each pick cheap in long functions.
  const queued = new Uint8Array(order.length);
  const changes = new Uint32Array(order.length);
  let count = 1;
  let cursor = 0;
  queued[0] = 1;
  let budget = 64 * order.length + 1000;
  let capped = false;
  while (count > 0) {
    if (budget-- <= 0) {
      capped = true;
      break;
    }
    while (queued[cursor] === 0) cursor++;
    const block = order[cursor]!;
    queued[cursor] = 0;
    count--;
    const out = problem.transferBlock(block, entry.get(block)!);
    exit.set(block, out);
    for (const e of block.succs) {
      const along = problem.transferEdge(e, out);
      if (along === null) continue;
      const old = entry.get(e.to);
      const r = rank.get(e.to)!;
      let joined = old === undefined ? along : problem.join(old, along);
      if (old !== undefined && problem.widen !== undefined && changes[r]! >= WIDEN_AFTER)
        joined = problem.widen(old, joined);
      if (old === undefined || !problem.equals(old, joined)) {
        entry.set(e.to, joined);
        changes[r] = changes[r]! + 1;
        if (queued[r] === 0) {
          queued[r] = 1;
          count++;
          if (r < cursor) cursor = r;
        }
      }
    }
  }
  return { entry, exit, capped };
}
