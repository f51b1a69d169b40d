/**
 * @fileoverview ExpressionBuilder: the CFG builder's walk over expressions, appending elements in
 * evaluation order (operands before the operation that consumes them) and splitting blocks
 * where an expression branches (`&&`, `||`, `??`, `?:`, `?.`) or, inside a try region, where a
 * call may throw. A call the FlowOracle says never returns ends its path; one it says always
 * throws leaves the way a `throw` statement would.
 *
 * No recursion along a left operand. Generated code holds `+` chains tens of thousands of terms
 * long (`tsc` accepts 20,000), member and call chains as long, and `a || b || …` tests as long;
 * TypeScript parses all of them iteratively, and so must we. `expr` walks down the left spine
 * of a chain (binary operators that evaluate their left operand first, member accesses, calls)
 * with a work stack, then finishes each link from the innermost out, as TypeScript's binder
 * does for binary expressions; `condition` does the same for `&&`/`||`/`!`. What still
 * recurses is nesting on the right (`a + (b + (…))`, `c ? x : c2 ? y : …`), which TypeScript's
 * own parser reaches first by recursing once per level.
 */

import { ts } from 'ts-morph';
import { isValueWrapper, skipParens } from '../ast.js';
import type { BasicBlock, EdgeKind } from './basic-block.js';
import { GraphWriter } from './graph-writer.js';

/** A link of a left spine: finished (its other operands and itself appended) once its left side is. */
type SpineLink = ts.BinaryExpression | ts.PropertyAccessExpression | ts.ElementAccessExpression | ts.CallExpression;

/** A right operand of `&&`/`||` waiting for its left side: where it starts and where it goes. */
interface PendingTest {
  readonly right: ts.Expression;
  readonly start: BasicBlock;
  readonly t: BasicBlock;
  readonly f: BasicBlock;
  readonly trueKind: EdgeKind;
}

export abstract class ExpressionBuilder extends GraphWriter {
  /** Leave from here as a `throw` statement would (to the innermost catch, or out of the function). */
  protected abstract throwFrom(node: ts.Node): void;

  /** Branch on `e`: truthy to `t`, falsy to `f`, splitting `&&`, `||` and `!`. */
  protected condition(e: ts.Expression, t: BasicBlock, f: BasicBlock, trueKind: EdgeKind = 'true'): void {
    const pending: PendingTest[] = [];
    let x = skipParens(e);
    for (;;) {
      if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) {
        // A do-while back edge stays a back edge whichever way it is reached.
        if (trueKind === 'back') {
          this.negatedBackTest(skipParens(x.operand), t, f);
          break;
        }
        [t, f] = [f, t];
        trueKind = 'true';
        x = skipParens(x.operand);
      } else if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
        const mid = this.newBlock();
        pending.push({ right: x.right, start: mid, t, f, trueKind });
        t = mid;
        trueKind = 'true';
        x = skipParens(x.left);
      } else if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
        const mid = this.newBlock();
        pending.push({ right: x.right, start: mid, t, f, trueKind });
        f = mid;
        x = skipParens(x.left);
      } else {
        this.test(x, t, f, trueKind);
        break;
      }
    }
    for (let p = pending.pop(); p !== undefined; p = pending.pop()) {
      this.current = p.start;
      this.condition(p.right, p.t, p.f, p.trueKind);
    }
  }

  /** One test that does not split: a constant, or an expression evaluated then branched on. */
  private test(x: ts.Expression, t: BasicBlock, f: BasicBlock, trueKind: EdgeKind): void {
    if (x.kind === ts.SyntaxKind.TrueKeyword) {
      this.addEdge(this.current, t, trueKind === 'back' ? 'back' : 'normal');
    } else if (x.kind === ts.SyntaxKind.FalseKeyword) {
      this.addEdge(this.current, f, 'normal');
    } else {
      this.expr(x);
      const from = this.cur();
      this.addEdge(from, t, trueKind === 'back' ? 'back' : 'true', { condition: x });
      this.addEdge(from, f, 'false', { condition: x });
    }
    this.current = null;
  }

  /** `do … while (!x)`: x truthy leaves the loop, falsy goes back. */
  private negatedBackTest(x: ts.Expression, t: BasicBlock, f: BasicBlock): void {
    this.expr(x);
    const from = this.cur();
    this.addEdge(from, f, 'true', { condition: x });
    this.addEdge(from, t, 'back', { condition: x });
    this.current = null;
  }

  /** Evaluate `e` for its value, appending elements in evaluation order. */
  protected expr(e: ts.Node): void {
    const spine: SpineLink[] = [];
    let x = e;
    for (;;) {
      if (isValueWrapper(x)) x = x.expression;
      else if (ts.isBinaryExpression(x) && evaluatesLeftFirst(x.operatorToken.kind)) {
        spine.push(x);
        x = x.left;
      } else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isCallExpression(x)) {
        spine.push(x);
        x = x.expression;
      } else break;
    }
    this.exprOther(x);
    for (let link = spine.pop(); link !== undefined; link = spine.pop()) this.finishLink(link);
  }

  /** The rest of a spine link once its left operand (object, callee) is evaluated. */
  private finishLink(link: SpineLink): void {
    if (ts.isPropertyAccessExpression(link)) {
      this.optionalStep(link, link.questionDotToken !== undefined);
    } else if (ts.isElementAccessExpression(link)) {
      this.expr(link.argumentExpression);
      this.optionalStep(link, link.questionDotToken !== undefined);
    } else if (ts.isCallExpression(link)) {
      for (const a of link.arguments) this.expr(a);
      this.optionalStep(link, link.questionDotToken !== undefined);
      this.afterCall(link);
    } else if (link.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) {
      // `a ?? b`: b only when a is nullish.
      this.skippable(link, link.right);
    } else {
      this.expr(link.right);
      this.add(link);
    }
  }

  /** Every other expression: one level of the walk. */
  private exprOther(e: ts.Node): void {
    switch (e.kind) {
      case ts.SyntaxKind.Identifier:
      case ts.SyntaxKind.ThisKeyword:
        this.add(e);
        return;
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ClassExpression:
        // Own graph; here only the creation (captures) happens.
        this.add(e);
        return;
      case ts.SyntaxKind.BinaryExpression:
        this.binary(e as ts.BinaryExpression);
        return;
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
      case ts.SyntaxKind.NewExpression: {
        const n = e as ts.NewExpression;
        this.expr(n.expression);
        for (const a of n.arguments ?? []) this.expr(a);
        this.add(n);
        this.afterCall(undefined);
        return;
      }
      case ts.SyntaxKind.AwaitExpression:
      case ts.SyntaxKind.YieldExpression: {
        const a = e as ts.AwaitExpression | ts.YieldExpression;
        if (a.expression !== undefined) this.expr(a.expression);
        this.add(a);
        this.afterCall(undefined);
        return;
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        for (const p of (e as ts.ObjectLiteralExpression).properties) {
          if (ts.isPropertyAssignment(p)) this.expr(p.initializer);
          else if (ts.isShorthandPropertyAssignment(p)) this.add(p.name);
          else if (ts.isSpreadAssignment(p)) this.expr(p.expression);
          // Methods and accessors are functions with their own graphs.
        }
        this.add(e);
        return;
      default:
        if (isTypeOnly(e) || isLeaf(e)) return;
        // Literals, array literals, templates, unary operators, spread, delete, typeof, void…:
        // operands in order, then the node.
        ts.forEachChild(e, (c) => {
          if (!isTypeOnly(c)) this.expr(c);
        });
        this.add(e);
        return;
    }
  }

  /** Append a member access or call; with `?.` the step may be skipped (the base was nullish). */
  private optionalStep(node: ts.Node, optional: boolean): void {
    if (!optional) {
      this.add(node);
      return;
    }
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

  /**
   * After a call (or `new`, `await`, `yield`): inside a try region it may throw, so the block
   * ends with an edge to the handler. A call that never returns (FlowOracle) ends the path: what
   * follows is unreachable, and the path is no exit the rules check, as sparse treats a noreturn
   * call like BUG(). Its exceptional edge stays. A never-returning call that always throws
   * (`fail()` whose body ends in `throw`) is that throw: an exit the rules check, at the call.
   */
  private afterCall(call: ts.CallExpression | undefined): void {
    const ends = call !== undefined && this.oracle.endsPath(call);
    if (ends && this.oracle.alwaysThrows(call)) {
      this.throwFrom(call);
      return;
    }
    const handler = this.handlerFor('call');
    if (handler !== undefined) this.addEdge(this.cur(), handler, 'exception');
    if (ends) {
      this.current = null;
      return;
    }
    if (handler !== undefined) this.makeSuccessor();
  }

  /** `left ?? right` and the logical assignments: `left` is evaluated already; `right` may be skipped. */
  private skippable(b: ts.BinaryExpression, right: ts.Expression): void {
    const before = this.cur();
    const rhs = this.newBlock();
    const after = this.newBlock();
    after.joinNode = b;
    this.addEdge(before, rhs, 'normal');
    this.addEdge(before, after, 'normal');
    this.current = rhs;
    this.expr(right);
    this.addEdge(this.current, after, 'normal');
    this.current = after;
    this.add(b);
  }

  /** Binary operators off the left spine: `&&`, `||`, and assignments. */
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
      this.add(b);
      return;
    }
    if (
      op === ts.SyntaxKind.QuestionQuestionEqualsToken ||
      op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ||
      op === ts.SyntaxKind.BarBarEqualsToken
    ) {
      this.expr(b.left);
      this.skippable(b, b.right);
      return;
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
      this.add(b);
      return;
    }
    // `o.f = v`, `x += v`: the object, then the value, then the store (the assignment element).
    const target = skipParens(b.left);
    if (ts.isPropertyAccessExpression(target)) this.expr(target.expression);
    else if (ts.isElementAccessExpression(target)) {
      this.expr(target.expression);
      this.expr(target.argumentExpression);
    } else this.expr(target);
    this.expr(b.right);
    this.add(b);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * Operators whose left operand is evaluated first and in full, then the right (unless `??`
 * skips it): every binary operator except `&&`/`||` (branches: `condition`) and assignments
 * (whose left side is a target, not a value).
 */
function evaluatesLeftFirst(op: ts.SyntaxKind): boolean {
  return (
    op !== ts.SyntaxKind.AmpersandAmpersandToken &&
    op !== ts.SyntaxKind.BarBarToken &&
    !(op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment)
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
