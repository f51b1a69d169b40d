/**
 * @fileoverview BasicBlock and Edge: the nodes and arcs of one function's control-flow graph.
 *
 * A block holds the *elements* the dataflow transfer functions visit, in evaluation order:
 * expression and declaration nodes (post-order, so operands come before the operation that
 * consumes them), plus synthetic elements for things the source does not spell as a node
 * (the implicit dispose of a `using` declaration at the end of its scope).
 */

import type { ts } from 'ts-morph';

/** How control moves along an edge. */
export type EdgeKind =
  /** Plain fall-through or jump. */
  | 'normal'
  /** Taken when `condition` is truthy. */
  | 'true'
  /** Taken when `condition` is falsy. */
  | 'false'
  /** Out of a call or throw inside a try region, to its catch/finally/dispose handler. */
  | 'exception'
  /** From a loop body back to its header (or to its condition, for do-while). */
  | 'back';

/** One element a transfer function visits. */
export type Element =
  /** An expression, a variable declaration, a return/throw statement, a catch binding. */
  | { readonly kind: 'node'; readonly node: ts.Node }
  /** `using x = …` reaching the end of its scope (normally or by a jump or throw): x[Symbol.dispose](). */
  | { readonly kind: 'dispose'; readonly node: ts.VariableDeclaration };

export interface Edge {
  readonly from: BasicBlock;
  readonly to: BasicBlock;
  readonly kind: EdgeKind;
  /** For 'true'/'false' edges: the tested expression (parentheses and `!` already peeled). */
  readonly condition?: ts.Expression;
  /**
   * For edges into the function's exit: the return statement, or the function node itself
   * for falling off the end. For edges into the throw exit: the throw statement.
   */
  readonly exitNode?: ts.Node;
}

/**
 * A maximal straight-line run of elements.
 * Invariant: control enters only at the first element and leaves only after the last, except
 * that the builder ends a block after every call inside a try region so that the exception
 * edge leaves from the state after that call.
 */
export class BasicBlock {
  /** Readable id, `f1_b3`: function 1 of the file, block 3. */
  readonly id: string;
  /** Elements in evaluation order. */
  readonly elements: Element[] = [];
  /** Outgoing edges, in creation order. */
  readonly succs: Edge[] = [];
  /** Incoming edges, in creation order (including those from unreachable blocks). */
  readonly preds: Edge[] = [];
  /** False when no path from the entry reaches this block (code after return, etc.). Flagged, not dropped. */
  reachable = false;
  /** The construct this block joins the paths of (if statement, loop, switch, try), for messages. */
  joinNode: ts.Node | undefined;
  /** 'entry', 'exit', 'throw' for the three special blocks. */
  readonly role: 'entry' | 'exit' | 'throw' | undefined;

  constructor(id: string, role?: 'entry' | 'exit' | 'throw') {
    this.id = id;
    this.role = role;
  }
}
