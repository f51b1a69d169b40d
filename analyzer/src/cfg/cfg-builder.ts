/**
 * @fileoverview CfgBuilder: builds one ControlFlowGraph from a function-like node.
 *
 * The builder walks statements (here) and expressions (expression-builder.ts) in evaluation
 * order, appending elements to the current block (graph-writer.ts). Structured control flow
 * keeps a stack of contexts (loops, switches, labels, try statements, `using` scopes:
 * contexts.ts), each with paired push…/pop… methods; transitions that create blocks are make…
 * methods. Jumps (break, continue, return, throw) walk the stack to their target and run the
 * finalizers they cross — a `finally` body or the dispose of a `using` declaration — by building
 * a copy of the finalizer on that path. Copying keeps facts exact per path (the lock released
 * in `finally` on the return path is not merged with the lock still held on the normal path);
 * the price is that a finally body's nodes appear in several blocks, which the engine handles
 * by de-duplicating findings.
 *
 * Exceptions: a `throw` statement goes to the innermost catch, or out of the function through
 * its own copies of the finalizers it crosses (so a finding about it points at it). Every call
 * inside a try region gets an edge to the innermost handler (catch, the finally's shared
 * exceptional copy, a dispose). Calls outside any try get no exceptional edge: modelling every
 * call as a possible exit would make every read-side section "unbalanced on an exceptional
 * exit" and drown real findings; for the same reason a call's exception that leaves the
 * function through a finally is no exit the rules check.
 *
 * The type checker's knowledge of control flow comes in through a FlowOracle
 * (flow-oracle.ts): a call that never returns ends its path (one that always throws is a
 * `throw` there), and an exhaustive switch has no way past its last test. cfg/ itself never
 * asks the checker.
 *
 * Nested functions, classes and static blocks are not entered: each gets its own graph. In the
 * enclosing graph a function expression is one element (its creation, where captures happen).
 */

import { ts } from 'ts-morph';
import { functionName, isLoop, type FunctionLike } from '../ast.js';
import type { BasicBlock } from './basic-block.js';
import { planJump, type Jump, type TryContext, type UsingContext } from './contexts.js';
import { ControlFlowGraph } from './control-flow-graph.js';
import { ExpressionBuilder } from './expression-builder.js';
import { NO_FLOW_ORACLE, type FlowOracle } from './flow-oracle.js';

// ---------------------------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------------------------

export class CfgBuilder extends ExpressionBuilder {
  /** Labels waiting for the loop statement they name. */
  private pendingLabels: string[] = [];

  /**
   * Build the graph of `fn`; `index` numbers the function within its file (f0 = top level).
   * `oracle` answers what only the type checker knows (calls that never return, exhaustive
   * switches); without one, every call returns and no switch is exhaustive.
   */
  static build(fn: FunctionLike, index: number, oracle: FlowOracle = NO_FLOW_ORACLE): ControlFlowGraph {
    const b = new CfgBuilder(fn, `f${index}`, oracle);
    return b.run();
  }

  private run(): ControlFlowGraph {
    const fn = this.fn;
    if (ts.isSourceFile(fn)) {
      this.statements(fn.statements);
      this.addEdge(this.current, this.exit, 'normal', { exitNode: fn });
    } else if (ts.isClassStaticBlockDeclaration(fn)) {
      this.blockStatement(fn.body);
      this.addEdge(this.current, this.exit, 'normal', { exitNode: fn });
    } else {
      for (const p of fn.parameters) if (p.initializer !== undefined) this.expr(p.initializer);
      const body = fn.body;
      if (body === undefined) {
        // Overload or abstract declaration: entry goes straight to exit.
      } else if (ts.isBlock(body)) {
        this.blockStatement(body);
      } else {
        // Expression-bodied arrow: the expression is the returned value.
        this.expr(body);
      }
      this.addEdge(this.current, this.exit, 'normal', { exitNode: fn });
    }
    this.current = null;
    this.markReachable();
    return new ControlFlowGraph(this.graphId, fn, functionName(fn), this.entry, this.exit, this.throwExit, this.blocks);
  }

  // -------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------

  private statements(list: readonly ts.Statement[]): void {
    const usingDepth = this.contexts.length;
    for (const s of list) {
      this.statement(s);
      if (ts.isVariableStatement(s) && isUsingList(s.declarationList)) {
        for (const d of s.declarationList.declarations) this.pushUsingContext(d);
      }
    }
    // Leaving the scope normally disposes in reverse order of declaration.
    while (this.contexts.length > usingDepth) this.popUsingContext();
  }

  private blockStatement(b: ts.Block): void {
    this.statements(b.statements);
  }

  private statement(s: ts.Statement): void {
    const labels = this.pendingLabels;
    this.pendingLabels = [];
    switch (s.kind) {
      case ts.SyntaxKind.Block:
        this.blockStatement(s as ts.Block);
        return;
      case ts.SyntaxKind.VariableStatement:
        this.variableList((s as ts.VariableStatement).declarationList);
        return;
      case ts.SyntaxKind.ExpressionStatement:
        this.expr((s as ts.ExpressionStatement).expression);
        return;
      case ts.SyntaxKind.IfStatement:
        this.ifStatement(s as ts.IfStatement);
        return;
      case ts.SyntaxKind.WhileStatement:
        this.whileStatement(s as ts.WhileStatement, labels);
        return;
      case ts.SyntaxKind.DoStatement:
        this.doStatement(s as ts.DoStatement, labels);
        return;
      case ts.SyntaxKind.ForStatement:
        this.forStatement(s as ts.ForStatement, labels);
        return;
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.ForInStatement:
        this.forInOfStatement(s as ts.ForOfStatement | ts.ForInStatement, labels);
        return;
      case ts.SyntaxKind.ReturnStatement: {
        const r = s as ts.ReturnStatement;
        if (r.expression !== undefined) this.expr(r.expression);
        this.add(r);
        this.makeJump({ kind: 'return' }, r);
        return;
      }
      case ts.SyntaxKind.ThrowStatement: {
        const t = s as ts.ThrowStatement;
        this.expr(t.expression);
        this.add(t);
        this.makeJump({ kind: 'throw' }, t);
        return;
      }
      case ts.SyntaxKind.BreakStatement:
        this.makeJump({ kind: 'break', label: (s as ts.BreakStatement).label?.text }, s);
        return;
      case ts.SyntaxKind.ContinueStatement:
        this.makeJump({ kind: 'continue', label: (s as ts.ContinueStatement).label?.text }, s);
        return;
      case ts.SyntaxKind.SwitchStatement:
        this.switchStatement(s as ts.SwitchStatement, labels);
        return;
      case ts.SyntaxKind.LabeledStatement: {
        const l = s as ts.LabeledStatement;
        const all = [...labels, l.label.text];
        if (isLoop(l.statement) || ts.isLabeledStatement(l.statement)) {
          this.pendingLabels = all;
          this.statement(l.statement);
          return;
        }
        const after = this.newBlock();
        this.contexts.push({ kind: 'label', labels: all, breakTarget: after });
        this.statement(l.statement);
        this.contexts.pop();
        this.addEdge(this.current, after, 'normal');
        this.current = after;
        return;
      }
      case ts.SyntaxKind.TryStatement:
        this.tryStatement(s as ts.TryStatement);
        return;
      default:
        // Declarations (functions, classes, types), empty and debugger statements: nothing runs
        // here. Function declarations get their own graph.
        return;
    }
  }

  private variableList(list: ts.VariableDeclarationList): void {
    for (const d of list.declarations) {
      if (d.initializer !== undefined) this.expr(d.initializer);
      this.add(d);
    }
  }

  private ifStatement(s: ts.IfStatement): void {
    const thenB = this.newBlock();
    const elseB = this.newBlock();
    const after = this.newBlock();
    after.joinNode = s;
    this.condition(s.expression, thenB, elseB);
    this.current = thenB;
    this.statement(s.thenStatement);
    this.addEdge(this.current, after, 'normal');
    this.current = elseB;
    if (s.elseStatement !== undefined) this.statement(s.elseStatement);
    this.addEdge(this.current, after, 'normal');
    this.current = after;
  }

  private pushLoopContext(
    labels: readonly string[],
    breakTarget: BasicBlock,
    continueTarget: BasicBlock,
    continueIsBack: boolean,
  ): void {
    this.contexts.push({ kind: 'loop', labels, breakTarget, continueTarget, continueIsBack });
  }

  private popLoopContext(): void {
    this.contexts.pop();
  }

  private whileStatement(s: ts.WhileStatement, labels: readonly string[]): void {
    const header = this.makeSuccessor();
    header.joinNode = s;
    const body = this.newBlock();
    const after = this.newBlock();
    this.condition(s.expression, body, after);
    this.current = body;
    this.pushLoopContext(labels, after, header, true);
    this.statement(s.statement);
    this.popLoopContext();
    this.addEdge(this.current, header, 'back');
    this.current = after;
  }

  private doStatement(s: ts.DoStatement, labels: readonly string[]): void {
    const body = this.makeSuccessor();
    body.joinNode = s;
    const test = this.newBlock();
    const after = this.newBlock();
    this.pushLoopContext(labels, after, test, false);
    this.statement(s.statement);
    this.popLoopContext();
    this.addEdge(this.current, test, 'normal');
    this.current = test;
    this.condition(s.expression, body, after, 'back');
    this.current = after;
  }

  private forStatement(s: ts.ForStatement, labels: readonly string[]): void {
    if (s.initializer !== undefined) {
      if (ts.isVariableDeclarationList(s.initializer)) this.variableList(s.initializer);
      else this.expr(s.initializer);
    }
    const header = this.makeSuccessor();
    header.joinNode = s;
    const body = this.newBlock();
    const after = this.newBlock();
    if (s.condition !== undefined) this.condition(s.condition, body, after);
    else this.addEdge(this.current, body, 'normal');
    this.current = body;
    const incr = s.incrementor !== undefined ? this.newBlock() : header;
    this.pushLoopContext(labels, after, incr, incr === header);
    this.statement(s.statement);
    this.popLoopContext();
    if (s.incrementor !== undefined) {
      this.addEdge(this.current, incr, 'normal');
      this.current = incr;
      this.expr(s.incrementor);
    }
    this.addEdge(this.current, header, 'back');
    this.current = after;
  }

  private forInOfStatement(s: ts.ForOfStatement | ts.ForInStatement, labels: readonly string[]): void {
    this.expr(s.expression);
    const header = this.makeSuccessor();
    header.joinNode = s;
    // `for await` suspends at every step, including the one that finds the end.
    if (ts.isForOfStatement(s) && s.awaitModifier !== undefined) this.add(s);
    const body = this.newBlock();
    const after = this.newBlock();
    this.addEdge(header, body, 'normal');
    this.addEdge(header, after, 'normal');
    this.current = body;
    if (ts.isVariableDeclarationList(s.initializer)) {
      for (const d of s.initializer.declarations) this.add(d);
    } else {
      this.expr(s.initializer);
    }
    this.pushLoopContext(labels, after, header, true);
    this.statement(s.statement);
    this.popLoopContext();
    this.addEdge(this.current, header, 'back');
    this.current = after;
  }

  private switchStatement(s: ts.SwitchStatement, labels: readonly string[]): void {
    this.expr(s.expression);
    const after = this.newBlock();
    after.joinNode = s;
    const clauses = s.caseBlock.clauses;
    const bodies = clauses.map(() => this.newBlock());
    let defaultIndex = -1;
    // Tests run in source order; default is taken only when every test fails.
    clauses.forEach((c, i) => {
      if (ts.isDefaultClause(c)) {
        defaultIndex = i;
        return;
      }
      this.expr(c.expression);
      const next = this.newBlock();
      this.addEdge(this.current, bodies[i]!, 'true', { condition: c.expression });
      this.addEdge(this.current, next, 'false', { condition: c.expression });
      this.current = next;
    });
    // When every test fails: the default clause, or past the switch, unless the discriminant's
    // type admits no value the cases miss (TypeScript's exhaustiveness: that end is unreachable).
    if (defaultIndex >= 0) this.addEdge(this.current, bodies[defaultIndex]!, 'normal');
    else if (!this.oracle.isExhaustive(s)) this.addEdge(this.current, after, 'normal');
    this.current = null;
    this.contexts.push({ kind: 'switch', labels, breakTarget: after });
    clauses.forEach((c, i) => {
      // Fall-through from the previous clause's body.
      this.addEdge(this.current, bodies[i]!, 'normal');
      this.current = bodies[i]!;
      this.statements(c.statements);
    });
    this.contexts.pop();
    this.addEdge(this.current, after, 'normal');
    this.current = after;
  }

  // -------------------------------------------------------------------------------------------
  // try / catch / finally and `using`
  // -------------------------------------------------------------------------------------------

  private pushTryContext(node: ts.TryStatement): TryContext {
    const ctx: TryContext = {
      kind: 'try',
      node,
      phase: 'try',
      catchEntry: node.catchClause !== undefined ? this.newBlock() : undefined,
      finallyThrowEntry: undefined,
    };
    this.contexts.push(ctx);
    return ctx;
  }

  private tryStatement(s: ts.TryStatement): void {
    const ctx = this.pushTryContext(s);
    const normalEnd = this.newBlock();
    normalEnd.joinNode = s;
    this.blockStatement(s.tryBlock);
    this.addEdge(this.current, normalEnd, 'normal');
    if (s.catchClause !== undefined && ctx.catchEntry !== undefined) {
      ctx.phase = 'catch';
      this.current = ctx.catchEntry;
      if (s.catchClause.variableDeclaration !== undefined) this.add(s.catchClause.variableDeclaration);
      this.blockStatement(s.catchClause.block);
      this.addEdge(this.current, normalEnd, 'normal');
    }
    this.popTryContext(ctx);
    this.current = normalEnd;
    if (s.finallyBlock !== undefined) this.makeFinallyBlock(s.finallyBlock);
  }

  private popTryContext(ctx: TryContext): void {
    this.contexts.pop();
    if (ctx.finallyThrowEntry !== undefined && ctx.node.finallyBlock !== undefined) {
      // The exceptional copy of finally: run it, then rethrow to the next handler out.
      const saved = this.current;
      this.current = ctx.finallyThrowEntry;
      this.makeFinallyBlock(ctx.node.finallyBlock);
      this.makeRethrow();
      this.current = saved;
    }
  }

  /** One copy of a finally body on the current path. Its own jumps see only the contexts outside the try. */
  private makeFinallyBlock(block: ts.Block): void {
    this.blockStatement(block);
  }

  private pushUsingContext(decl: ts.VariableDeclaration): void {
    this.contexts.push({ kind: 'using', decl, throwEntry: undefined });
  }

  private popUsingContext(): void {
    const ctx = this.contexts.pop() as UsingContext;
    this.addElement({ kind: 'dispose', node: ctx.decl });
    if (ctx.throwEntry !== undefined) {
      const saved = this.current;
      this.current = ctx.throwEntry;
      this.addElement({ kind: 'dispose', node: ctx.decl });
      this.makeRethrow();
      this.current = saved;
    }
  }

  /**
   * The end of a shared exceptional copy (a finally body, a dispose): the exception goes on to
   * the next handler out, or leaves the function. Only a call's exception gets here (a `throw`
   * statement runs its own copies: makeJump), and a call's exception leaving the function is
   * no exit the rules check — the same call outside any try has no exceptional edge at all —
   * so the edge to the throw exit names no exit node.
   */
  private makeRethrow(): void {
    const handler = this.handlerFor('throw');
    this.addEdge(this.current, handler ?? this.throwExit, 'exception');
    this.current = null;
  }

  protected throwFrom(node: ts.Node): void {
    this.makeJump({ kind: 'throw' }, node);
  }

  /**
   * A jump to a loop/switch/label target, to the exit, or (`throw`) to the innermost catch or
   * out of the function: run each finalizer crossed (with the context stack cut below it, so
   * that a jump inside a finally body resolves outward), then add the edge. A throw that
   * leaves the function is an exit the rules check, anchored at the throw itself.
   */
  private makeJump(jump: Jump, node: ts.Node): void {
    const saved = this.contexts.slice();
    const plan = planJump(saved, jump);
    for (const { index, context } of plan.crossed) {
      if (context.kind === 'try') {
        this.contexts.length = index;
        this.makeFinallyBlock(context.node.finallyBlock!);
      } else {
        this.addElement({ kind: 'dispose', node: context.decl });
      }
    }
    this.contexts.length = 0;
    this.contexts.push(...saved);
    if (jump.kind === 'return') {
      this.addEdge(this.cur(), this.exit, 'normal', { exitNode: node });
    } else if (jump.kind === 'throw') {
      if (plan.target !== undefined) this.addEdge(this.cur(), plan.target, 'exception');
      else this.addEdge(this.cur(), this.throwExit, 'exception', { exitNode: node });
    } else if (plan.target !== undefined) {
      this.addEdge(this.cur(), plan.target, plan.edgeKind);
    }
    // A break/continue with no target is a syntax error tsc reports; nothing to connect.
    this.current = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isUsingList(list: ts.VariableDeclarationList): boolean {
  // NodeFlags.AwaitUsing is Using | Const, so one test covers both.
  return (list.flags & ts.NodeFlags.Using) !== 0;
}
