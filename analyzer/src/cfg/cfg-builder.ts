/**
 * @fileoverview CfgBuilder: builds one ControlFlowGraph from a function-like node.
 *
 * The builder walks statements and expressions in evaluation order, appending elements to the
 * current block. Structured control flow keeps a stack of contexts (loops, switches, labels,
 * try statements, `using` scopes: contexts.ts), each with paired push…/pop… methods;
 * transitions that create blocks are make… methods. Jumps (break, continue, return, throw) walk the stack to
 * their target and run the finalizers they cross — a `finally` body or the dispose of a `using`
 * declaration — by building a copy of the finalizer on that path. Copying keeps facts exact
 * per path (the lock released in `finally` on the return path is not merged with the lock
 * still held on the normal path); the price is that a finally body's nodes appear in several
 * blocks, which the engine handles by de-duplicating findings.
 *
 * Exceptions: an explicit `throw`, and every call inside a try region, get an edge to the
 * innermost handler (catch, the finally's exceptional copy, a dispose). Calls outside any try
 * get no exceptional edge: modelling every call as a possible exit would make every read-side
 * section "unbalanced on an exceptional exit" and drown real findings.
 *
 * Nested functions and classes are not entered: each gets its own graph. In the enclosing
 * graph a function expression is one element (its creation, where captures happen).
 */

import { ts } from 'ts-morph';
import { functionName, skipParens, type FunctionLike } from '../ast.js';
import { BasicBlock, type EdgeKind, type Element } from './basic-block.js';
import { exceptionHandler, planJump, type Context, type Jump, type TryContext, type UsingContext } from './contexts.js';
import { ControlFlowGraph } from './control-flow-graph.js';

// ---------------------------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------------------------

export class CfgBuilder {
  private readonly prefix: string;
  private readonly blocks: BasicBlock[] = [];
  private readonly contexts: Context[] = [];
  /** Where elements go; null after a jump (the next element starts an unreachable block). */
  private current: BasicBlock | null;
  private readonly entry: BasicBlock;
  private readonly exit: BasicBlock;
  private readonly throwExit: BasicBlock;
  /** Labels waiting for the loop statement they name. */
  private pendingLabels: string[] = [];

  private constructor(
    private readonly fn: FunctionLike,
    private readonly graphId: string,
  ) {
    this.prefix = graphId;
    this.entry = this.newBlock('entry');
    this.exit = this.newBlock('exit');
    this.throwExit = this.newBlock('throw');
    this.current = this.entry;
  }

  /** Build the graph of `fn`; `index` numbers the function within its file (f0 = top level). */
  static build(fn: FunctionLike, index: number): ControlFlowGraph {
    const b = new CfgBuilder(fn, `f${index}`);
    return b.run();
  }

  private run(): ControlFlowGraph {
    const fn = this.fn;
    if (ts.isSourceFile(fn)) {
      this.statements(fn.statements);
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
  // Blocks and edges
  // -------------------------------------------------------------------------------------------

  private newBlock(role?: 'entry' | 'exit' | 'throw'): BasicBlock {
    const b = new BasicBlock(`${this.prefix}_b${this.blocks.length}`, role);
    this.blocks.push(b);
    return b;
  }

  private addEdge(
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
  private cur(): BasicBlock {
    if (this.current === null) this.current = this.newBlock();
    return this.current;
  }

  private add(node: ts.Node): void {
    this.cur().elements.push({ kind: 'node', node });
  }

  private addElement(el: Element): void {
    this.cur().elements.push(el);
  }

  /** Continue in a fresh block that `from` (the current block) falls into. */
  private makeSuccessor(kind: EdgeKind = 'normal'): BasicBlock {
    const next = this.newBlock();
    this.addEdge(this.current, next, kind);
    this.current = next;
    return next;
  }

  private markReachable(): void {
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
        return this.blockStatement(s as ts.Block);
      case ts.SyntaxKind.VariableStatement:
        return this.variableList((s as ts.VariableStatement).declarationList);
      case ts.SyntaxKind.ExpressionStatement:
        return this.expr((s as ts.ExpressionStatement).expression);
      case ts.SyntaxKind.IfStatement:
        return this.ifStatement(s as ts.IfStatement);
      case ts.SyntaxKind.WhileStatement:
        return this.whileStatement(s as ts.WhileStatement, labels);
      case ts.SyntaxKind.DoStatement:
        return this.doStatement(s as ts.DoStatement, labels);
      case ts.SyntaxKind.ForStatement:
        return this.forStatement(s as ts.ForStatement, labels);
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.ForInStatement:
        return this.forInOfStatement(s as ts.ForOfStatement | ts.ForInStatement, labels);
      case ts.SyntaxKind.ReturnStatement: {
        const r = s as ts.ReturnStatement;
        if (r.expression !== undefined) this.expr(r.expression);
        this.add(r);
        return this.makeJump({ kind: 'return' }, r);
      }
      case ts.SyntaxKind.ThrowStatement: {
        const t = s as ts.ThrowStatement;
        this.expr(t.expression);
        this.add(t);
        this.makeThrow(t);
        this.current = null;
        return;
      }
      case ts.SyntaxKind.BreakStatement:
        return this.makeJump({ kind: 'break', label: (s as ts.BreakStatement).label?.text }, s);
      case ts.SyntaxKind.ContinueStatement:
        return this.makeJump({ kind: 'continue', label: (s as ts.ContinueStatement).label?.text }, s);
      case ts.SyntaxKind.SwitchStatement:
        return this.switchStatement(s as ts.SwitchStatement, labels);
      case ts.SyntaxKind.LabeledStatement: {
        const l = s as ts.LabeledStatement;
        const all = [...labels, l.label.text];
        if (isLoop(l.statement) || ts.isLabeledStatement(l.statement)) {
          this.pendingLabels = all;
          return this.statement(l.statement);
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
        return this.tryStatement(s as ts.TryStatement);
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
    this.addEdge(this.current, defaultIndex >= 0 ? bodies[defaultIndex]! : after, 'normal');
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
      this.makeThrow(ctx.node.finallyBlock);
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
      this.makeThrow(ctx.decl);
      this.current = saved;
    }
  }

  /** An exception leaves the current block: to the innermost handler, or out of the function. */
  private makeThrow(node: ts.Node): void {
    const handler = this.handlerFor('throw');
    if (handler !== undefined) this.addEdge(this.current, handler, 'exception');
    else this.addEdge(this.current, this.throwExit, 'exception', { exitNode: node });
    this.current = null;
  }

  /** The block an exception thrown here goes to (contexts.ts), if any. */
  private handlerFor(what: 'throw' | 'call'): BasicBlock | undefined {
    return exceptionHandler(this.contexts, what, () => this.newBlock());
  }

  /**
   * A jump to a loop/switch/label target or to the exit: run each finalizer crossed (with the
   * context stack cut below it, so that a jump inside a finally body resolves outward), then
   * add the edge.
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
    } else if (plan.target !== undefined) {
      this.addEdge(this.cur(), plan.target, plan.edgeKind);
    }
    // A break/continue with no target is a syntax error tsc reports; nothing to connect.
    this.current = null;
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  /** Branch on `e`: truthy to `t`, falsy to `f`, splitting `&&`, `||` and `!`. */
  private condition(e: ts.Expression, t: BasicBlock, f: BasicBlock, trueKind: EdgeKind = 'true'): void {
    const x = skipParens(e);
    if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) {
      return this.conditionSwapped(x.operand, t, f, trueKind);
    }
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      const mid = this.newBlock();
      this.condition(x.left, mid, f);
      this.current = mid;
      return this.condition(x.right, t, f, trueKind);
    }
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
      const mid = this.newBlock();
      this.condition(x.left, t, mid, trueKind);
      this.current = mid;
      return this.condition(x.right, t, f, trueKind);
    }
    if (x.kind === ts.SyntaxKind.TrueKeyword) {
      this.addEdge(this.current, t, trueKind === 'back' ? 'back' : 'normal');
      this.current = null;
      return;
    }
    if (x.kind === ts.SyntaxKind.FalseKeyword) {
      this.addEdge(this.current, f, 'normal');
      this.current = null;
      return;
    }
    this.expr(x);
    const from = this.cur();
    this.addEdge(from, t, trueKind === 'back' ? 'back' : 'true', { condition: x });
    this.addEdge(from, f, 'false', { condition: x });
    this.current = null;
  }

  private conditionSwapped(e: ts.Expression, t: BasicBlock, f: BasicBlock, trueKind: EdgeKind): void {
    // !e: e truthy goes to f. A do-while back edge stays a back edge whichever way it is reached.
    if (trueKind === 'back') {
      const x = skipParens(e);
      this.expr(x);
      const from = this.cur();
      this.addEdge(from, f, 'true', { condition: x });
      this.addEdge(from, t, 'back', { condition: x });
      this.current = null;
      return;
    }
    this.condition(e, f, t);
  }

  /** Evaluate `e` for its value, appending elements in evaluation order. */
  private expr(e: ts.Node): void {
    switch (e.kind) {
      case ts.SyntaxKind.ParenthesizedExpression:
      case ts.SyntaxKind.AsExpression:
      case ts.SyntaxKind.NonNullExpression:
      case ts.SyntaxKind.SatisfiesExpression:
      case ts.SyntaxKind.TypeAssertionExpression:
        return this.expr((e as ts.ParenthesizedExpression).expression);
      case ts.SyntaxKind.Identifier:
      case ts.SyntaxKind.ThisKeyword:
        return this.add(e);
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ClassExpression:
        // Own graph; here only the creation (captures) happens.
        return this.add(e);
      case ts.SyntaxKind.BinaryExpression:
        return this.binary(e as ts.BinaryExpression);
      case ts.SyntaxKind.ConditionalExpression: {
        const c = e as ts.ConditionalExpression;
        const t = this.newBlock();
        const f = this.newBlock();
        const after = this.newBlock();
        after.joinNode = c;
        this.condition(c.condition, t, f);
        this.current = t;
        this.expr(c.whenTrue);
        this.addEdge(this.current, after, 'normal');
        this.current = f;
        this.expr(c.whenFalse);
        this.addEdge(this.current, after, 'normal');
        this.current = after;
        return;
      }
      case ts.SyntaxKind.PropertyAccessExpression: {
        const p = e as ts.PropertyAccessExpression;
        this.expr(p.expression);
        return this.optionalStep(p, p.questionDotToken !== undefined);
      }
      case ts.SyntaxKind.ElementAccessExpression: {
        const p = e as ts.ElementAccessExpression;
        this.expr(p.expression);
        this.expr(p.argumentExpression);
        return this.optionalStep(p, p.questionDotToken !== undefined);
      }
      case ts.SyntaxKind.CallExpression: {
        const c = e as ts.CallExpression;
        this.expr(c.expression);
        for (const a of c.arguments) this.expr(a);
        this.optionalStep(c, c.questionDotToken !== undefined);
        return this.afterCall();
      }
      case ts.SyntaxKind.NewExpression: {
        const n = e as ts.NewExpression;
        this.expr(n.expression);
        for (const a of n.arguments ?? []) this.expr(a);
        this.add(n);
        return this.afterCall();
      }
      case ts.SyntaxKind.AwaitExpression:
      case ts.SyntaxKind.YieldExpression: {
        const a = e as ts.AwaitExpression | ts.YieldExpression;
        if (a.expression !== undefined) this.expr(a.expression);
        this.add(a);
        return this.afterCall();
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        for (const p of (e as ts.ObjectLiteralExpression).properties) {
          if (ts.isPropertyAssignment(p)) this.expr(p.initializer);
          else if (ts.isShorthandPropertyAssignment(p)) this.add(p.name);
          else if (ts.isSpreadAssignment(p)) this.expr(p.expression);
          // Methods and accessors are functions with their own graphs.
        }
        return this.add(e);
      default:
        if (isTypeOnly(e) || isLeaf(e)) return;
        // Literals, array literals, templates, unary operators, spread, delete, typeof, void…:
        // operands in order, then the node.
        ts.forEachChild(e, (c) => {
          if (!isTypeOnly(c)) this.expr(c);
        });
        return this.add(e);
    }
  }

  /** Append a member access or call; with `?.` the step may be skipped (the base was nullish). */
  private optionalStep(node: ts.Node, optional: boolean): void {
    if (!optional) return this.add(node);
    const before = this.cur();
    const step = this.newBlock();
    const after = this.newBlock();
    after.joinNode = node;
    this.addEdge(before, step, 'normal');
    this.addEdge(before, after, 'normal');
    this.current = step;
    this.add(node);
    this.addEdge(this.current, after, 'normal');
    this.current = after;
  }

  /** Inside a try region a call may throw: end the block with an edge to the handler. */
  private afterCall(): void {
    const handler = this.handlerFor('call');
    if (handler === undefined) return;
    this.addEdge(this.cur(), handler, 'exception');
    this.makeSuccessor();
  }

  private binary(b: ts.BinaryExpression): void {
    const op = b.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const rhs = this.newBlock();
      const after = this.newBlock();
      after.joinNode = b;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) this.condition(b.left, rhs, after);
      else this.condition(b.left, after, rhs);
      this.current = rhs;
      this.expr(b.right);
      this.addEdge(this.current, after, 'normal');
      this.current = after;
      return this.add(b);
    }
    if (
      op === ts.SyntaxKind.QuestionQuestionToken ||
      op === ts.SyntaxKind.QuestionQuestionEqualsToken ||
      op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ||
      op === ts.SyntaxKind.BarBarEqualsToken
    ) {
      this.expr(b.left);
      const before = this.cur();
      const rhs = this.newBlock();
      const after = this.newBlock();
      after.joinNode = b;
      this.addEdge(before, rhs, 'normal');
      this.addEdge(before, after, 'normal');
      this.current = rhs;
      this.expr(b.right);
      this.addEdge(this.current, after, 'normal');
      this.current = after;
      return this.add(b);
    }
    if (
      op === ts.SyntaxKind.EqualsToken &&
      (ts.isIdentifier(skipParens(b.left)) ||
        ts.isObjectLiteralExpression(b.left) ||
        ts.isArrayLiteralExpression(b.left))
    ) {
      // A plain store to a variable: only the right side is evaluated first.
      if (!ts.isIdentifier(skipParens(b.left))) this.expr(b.left);
      this.expr(b.right);
      return this.add(b);
    }
    if (isAssignmentOperator(op)) {
      // `o.f = v`: the object, then the value, then the store (the assignment element).
      const target = skipParens(b.left);
      if (ts.isPropertyAccessExpression(target)) this.expr(target.expression);
      else if (ts.isElementAccessExpression(target)) {
        this.expr(target.expression);
        this.expr(target.argumentExpression);
      } else this.expr(target);
      this.expr(b.right);
      return this.add(b);
    }
    this.expr(b.left);
    this.expr(b.right);
    this.add(b);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isUsingList(list: ts.VariableDeclarationList): boolean {
  // NodeFlags.AwaitUsing is Using | Const, so one test covers both.
  return (list.flags & ts.NodeFlags.Using) !== 0;
}

function isLoop(s: ts.Statement): boolean {
  return (
    ts.isWhileStatement(s) ||
    ts.isDoStatement(s) ||
    ts.isForStatement(s) ||
    ts.isForOfStatement(s) ||
    ts.isForInStatement(s)
  );
}

function isTypeOnly(n: ts.Node): boolean {
  return ts.isTypeNode(n) || ts.isTypeParameterDeclaration(n) || n.kind === ts.SyntaxKind.QuestionDotToken;
}

/** Literals and keywords: values with no effect and nothing a rule looks at. */
function isLeaf(n: ts.Node): boolean {
  return (
    (n.kind >= ts.SyntaxKind.FirstLiteralToken && n.kind <= ts.SyntaxKind.LastTemplateToken) ||
    n.kind === ts.SyntaxKind.NullKeyword ||
    n.kind === ts.SyntaxKind.TrueKeyword ||
    n.kind === ts.SyntaxKind.FalseKeyword ||
    n.kind === ts.SyntaxKind.SuperKeyword
  );
}

function isAssignmentOperator(op: ts.SyntaxKind): boolean {
  return op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
}
