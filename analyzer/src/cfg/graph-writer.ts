/**
 * @fileoverview GraphWriter: the block-and-edge bookkeeping under the CFG builder — the blocks
 * in creation order (which the fixtures' edge lists name), the current block elements go to,
 * the builder's context stack (contexts.ts), and the final reachability pass. The walks live in
 * expression-builder.ts (evaluation order of expressions) and cfg-builder.ts (statements).
 */

import type { FunctionLike } from '../ast.js';
import { BasicBlock, type EdgeKind, type Element } from './basic-block.js';
import { exceptionHandler, type Context } from './contexts.js';
import type { FlowOracle } from './flow-oracle.js';
import type { ts } from 'ts-morph';

export abstract class GraphWriter {
  protected readonly blocks: BasicBlock[] = [];
  protected readonly contexts: Context[] = [];
  /** Where elements go; null after a jump (the next element starts an unreachable block). */
  protected current: BasicBlock | null;
  protected readonly entry: BasicBlock;
  protected readonly exit: BasicBlock;
  protected readonly throwExit: BasicBlock;

  protected constructor(
    protected readonly fn: FunctionLike,
    protected readonly graphId: string,
    protected readonly oracle: FlowOracle,
  ) {
    this.entry = this.newBlock('entry');
    this.exit = this.newBlock('exit');
    this.throwExit = this.newBlock('throw');
    this.current = this.entry;
  }

  protected newBlock(role?: 'entry' | 'exit' | 'throw'): BasicBlock {
    const b = new BasicBlock(`${this.graphId}_b${this.blocks.length}`, role);
    this.blocks.push(b);
    return b;
  }

  protected addEdge(
    from: BasicBlock | null,
    to: BasicBlock,
    kind: EdgeKind,
    extra: { condition?: ts.Expression; exitNode?: ts.Node } = {},
  ): void {
    if (from === null) return;
    const edge = { from, to, kind, ...extra };
    from.succs.push(edge);
    to.preds.push(edge);
  }

  /** The block elements go to, starting an (unreachable) block after a jump. */
  protected cur(): BasicBlock {
    if (this.current === null) this.current = this.newBlock();
    return this.current;
  }

  protected add(node: ts.Node): void {
    this.cur().elements.push({ kind: 'node', node });
  }

  protected addElement(el: Element): void {
    this.cur().elements.push(el);
  }

  /** Continue in a fresh block that `from` (the current block) falls into. */
  protected makeSuccessor(kind: EdgeKind = 'normal'): BasicBlock {
    const next = this.newBlock();
    this.addEdge(this.current, next, kind);
    this.current = next;
    return next;
  }

  /** The block an exception thrown here goes to (contexts.ts), if any. */
  protected handlerFor(what: 'throw' | 'call'): BasicBlock | undefined {
    return exceptionHandler(this.contexts, what, () => this.newBlock());
  }

  protected markReachable(): void {
    const stack = [this.entry];
    this.entry.reachable = true;
    while (stack.length > 0) {
      const b = stack.pop()!;
      for (const e of b.succs) {
        if (!e.to.reachable) {
          e.to.reachable = true;
          stack.push(e.to);
        }
      }
    }
  }
}
