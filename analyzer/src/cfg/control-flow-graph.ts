/**
 * @fileoverview ControlFlowGraph: one per function-like node (and one for a file's top level).
 */

import type { FunctionLike } from '../ast.js';
import type { BasicBlock } from './basic-block.js';

export class ControlFlowGraph {
  /** `f1`: index of the function in its file, in source order (the file's top level is f0). */
  readonly id: string;
  readonly fn: FunctionLike;
  /** Display name: `lockTaskSighand`, `Table.lookup`, `<arrow@12>`, `<top>`. */
  readonly name: string;
  readonly entry: BasicBlock;
  /** Normal completion: every return and falling off the end lead here. */
  readonly exit: BasicBlock;
  /** Uncaught explicit `throw` leads here. */
  readonly throwExit: BasicBlock;
  /** All blocks in creation order, reachable or not. */
  readonly blocks: readonly BasicBlock[];

  constructor(
    id: string,
    fn: FunctionLike,
    name: string,
    entry: BasicBlock,
    exit: BasicBlock,
    throwExit: BasicBlock,
    blocks: readonly BasicBlock[],
  ) {
    this.id = id;
    this.fn = fn;
    this.name = name;
    this.entry = entry;
    this.exit = exit;
    this.throwExit = throwExit;
    this.blocks = blocks;
  }

  /** Blocks reachable from the entry, in reverse post-order (a good worklist order for forward problems). */
  reversePostOrder(): BasicBlock[] {
    // Iterative DFS: a long straight-line function must not overflow the JS stack.
    const seen = new Set<BasicBlock>([this.entry]);
    const post: BasicBlock[] = [];
    const stack: Array<{ block: BasicBlock; next: number }> = [{ block: this.entry, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edge = top.block.succs[top.next++];
      if (edge === undefined) {
        post.push(top.block);
        stack.pop();
      } else if (!seen.has(edge.to)) {
        seen.add(edge.to);
        stack.push({ block: edge.to, next: 0 });
      }
    }
    return post.reverse();
  }
}
