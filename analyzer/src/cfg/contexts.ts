/**
 * @fileoverview The CFG builder's context stack, as ESLint's code-path-state keeps its
 * ChoiceContext, loop and TryContext records: what each structured statement pushes while its
 * body is built (a loop, a switch or a label to break to, a try with its handlers, a `using`
 * scope to dispose), and the two questions the builder asks of the stack — where does a jump
 * go and which finalizers does it cross, and where does an exception thrown here go.
 *
 * The stack is plain data, ordered outermost first; cfg-builder.ts pushes and pops it and
 * builds the blocks. Nothing here builds code: a handler block created on first use comes from
 * the builder's `newBlock`.
 */

import type { ts } from 'ts-morph';
import type { BasicBlock, EdgeKind } from './basic-block.js';

/** A loop statement: `break` leaves it, `continue` starts its next iteration. */
export interface LoopContext {
  readonly kind: 'loop';
  readonly labels: readonly string[];
  readonly breakTarget: BasicBlock;
  readonly continueTarget: BasicBlock;
  /** Whether a jump to continueTarget is a back edge (the loop header) or not (for's incrementor, do-while's test). */
  readonly continueIsBack: boolean;
}

/** A switch (unlabeled `break` leaves it) or a labeled statement that is not a loop (`break label` leaves it). */
export interface BreakableContext {
  readonly kind: 'switch' | 'label';
  readonly labels: readonly string[];
  readonly breakTarget: BasicBlock;
}

/** A try statement while its try block or catch clause is built. */
export interface TryContext {
  readonly kind: 'try';
  readonly node: ts.TryStatement;
  /** 'try' while building the try block, 'catch' while building the catch clause. */
  phase: 'try' | 'catch';
  readonly catchEntry: BasicBlock | undefined;
  /** Entry of the finally copy taken on exceptional paths; created on first use. */
  finallyThrowEntry: BasicBlock | undefined;
}

/** A `using` declaration from its statement to the end of its scope, where it is disposed. */
export interface UsingContext {
  readonly kind: 'using';
  readonly decl: ts.VariableDeclaration;
  /** Entry of the dispose taken on exceptional paths; created on first use. */
  throwEntry: BasicBlock | undefined;
}

export type Context = LoopContext | BreakableContext | TryContext | UsingContext;

/** A jump statement: `return`, `throw`, or `break` / `continue` with an optional label. */
export type Jump =
  | { readonly kind: 'return' }
  | { readonly kind: 'throw' }
  | { readonly kind: 'break' | 'continue'; readonly label: string | undefined };

/** What a jump does, read off the stack before any code is built for it. */
export interface JumpPlan {
  /**
   * The finalizers the jump crosses, innermost first: a try with a `finally` (its body runs on
   * the way out) or a `using` scope (its dispose runs), each with its index in the stack.
   */
  readonly crossed: ReadonlyArray<{ readonly index: number; readonly context: TryContext | UsingContext }>;
  /**
   * The block the jump ends in (for `throw`, the innermost catch); undefined for `return` (the
   * exit), an uncaught `throw` (the throw exit) and a jump with no target.
   */
  readonly target: BasicBlock | undefined;
  readonly edgeKind: EdgeKind;
}

/** Where `jump` goes from the top of `contexts`, and what it crosses on the way. */
export function planJump(contexts: readonly Context[], jump: Jump): JumpPlan {
  const crossed: Array<{ index: number; context: TryContext | UsingContext }> = [];
  for (let i = contexts.length - 1; i >= 0; i--) {
    const c = contexts[i]!;
    if (jump.kind === 'throw') {
      // Caught here while in the try block; from its catch clause it goes on outward.
      if (c.kind === 'try' && c.phase === 'try' && c.catchEntry !== undefined)
        return { crossed, target: c.catchEntry, edgeKind: 'exception' };
    } else if (jump.kind !== 'return' && c.kind !== 'try' && c.kind !== 'using') {
      const matches =
        jump.label !== undefined
          ? c.labels.includes(jump.label)
          : jump.kind === 'break'
            ? c.kind === 'loop' || c.kind === 'switch'
            : c.kind === 'loop';
      if (matches) {
        if (jump.kind === 'continue' && c.kind === 'loop')
          return { crossed, target: c.continueTarget, edgeKind: c.continueIsBack ? 'back' : 'normal' };
        return { crossed, target: c.breakTarget, edgeKind: 'normal' };
      }
    }
    if ((c.kind === 'try' && c.node.finallyBlock !== undefined) || c.kind === 'using')
      crossed.push({ index: i, context: c });
  }
  return { crossed, target: undefined, edgeKind: 'normal' };
}

/**
 * The block an exception raised at the top of `contexts` goes to: the innermost catch (while
 * in its try block), the shared exceptional copy of a finally body or dispose, created with
 * `newBlock` on first use. For a call: none unless some try is open, since calls outside try
 * regions get no exceptional edges (see cfg-builder.ts). A `throw` statement is a jump
 * (planJump) and runs copies of its own; 'throw' here is the rethrow at the end of a shared copy.
 */
export function exceptionHandler(
  contexts: readonly Context[],
  what: 'throw' | 'call',
  newBlock: () => BasicBlock,
): BasicBlock | undefined {
  if (what === 'call' && !contexts.some((c) => c.kind === 'try')) return undefined;
  for (let i = contexts.length - 1; i >= 0; i--) {
    const c = contexts[i]!;
    if (c.kind === 'try') {
      if (c.phase === 'try' && c.catchEntry !== undefined) return c.catchEntry;
      if (c.node.finallyBlock !== undefined) return (c.finallyThrowEntry ??= newBlock());
    } else if (c.kind === 'using') {
      return (c.throwEntry ??= newBlock());
    }
  }
  return undefined;
}
