/**
 * @fileoverview Whether a pinned candidate was *selected* or merely *walked to*, which decides
 * whether its reference needs an identity re-check.
 *
 * In type-stable memory a candidate may be freed and reused between the load and the
 * increment, so refcountIncNotZero() may pin another object than the one found. That matters
 * when the code chose the object for what it is: it compared its key before the pin (the
 * rculist_nulls lookup), a helper looked it up by key, or it was read from a slot
 * (`slot.account`, `fdt.fd[i]`) whose current occupant it must still be. Then the key or the
 * slot must be re-checked after the pin. A walk that takes every entry it can pin and acts on
 * whatever it pinned (gc_worker reaping expired conntracks, decided again after the pin from
 * the pinned entry's own state) selected nothing: there is no identity to re-check.
 *
 * A candidate is walked to when it is a loop's cursor (`p = p.next`, `n = next(n)`, the
 * variable of a `for…of` over an iteration helper), or is computed from one by a call
 * (`container_of(n)`: nfCtTuplehashToCtrack(n)).
 * A walk that hands the element out (returns it, stores it, keeps it past the loop) picked it,
 * and so does a key comparison seen before the pin (`keyChecked`). A lock
 * is another matter: it does not keep the object alive past the section, so a locked
 * candidate always awaits its re-check (facts.ts, protectedPastSection).
 */

import { ts } from 'ts-morph';
import { isFunctionLike, isLoop, skipParens, walkTree } from '../ast.js';

/**
 * Whether the object in `sym`, loaded at `loadSite`, is an element of a walk: `sym` is the
 * cursor of a loop around the load, or the load is not itself a pointer read and reads such a
 * cursor.
 */
export function isWalkElement(sym: ts.Symbol, loadSite: ts.Node | undefined, checker: ts.TypeChecker): boolean {
  if (loadSite === undefined) return false;
  const loops = enclosingLoops(loadSite);
  let walk = loops.find((l) => isCursorOf(sym, l, checker));
  if (walk === undefined && ts.isCallExpression(skipParens(loadSite as ts.Expression))) {
    // `container_of(n)`: computed from the cursor; a pointer read (`slot.account`) is a slot.
    const read = readSymbols(loadSite, checker);
    walk = loops.find((l) => [...read].some((r) => isCursorOf(r, l, checker)));
  }
  return walk !== undefined && !leavesWalk(sym, walk, checker);
}

/**
 * Whether the element is handed out of the walk: returned or yielded, copied into another
 * variable or a field, or kept in a variable that outlives the loop. A walk that stops at one
 * entry and gives it away has picked it (the first one it could pin in the chain of a key, say):
 * whoever gets it relies on what it is.
 */
function leavesWalk(sym: ts.Symbol, loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const d = sym.valueDeclaration;
  if (d === undefined || d.pos < loop.pos || d.end > loop.end) return true;
  const isSym = (e: ts.Expression | undefined): boolean => {
    const x = e === undefined ? undefined : skipParens(e);
    return x !== undefined && ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === sym;
  };
  return walkTree(loop.statement, (n) => {
    if (isFunctionLike(n)) return 'skip';
    const out =
      ((ts.isReturnStatement(n) || ts.isYieldExpression(n)) && isSym(n.expression)) ||
      (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && isSym(n.right)) ||
      (ts.isVariableDeclaration(n) && isSym(n.initializer));
    return out ? 'stop' : undefined;
  });
}

/** The loops around `n` inside its function, innermost first. */
function enclosingLoops(n: ts.Node): ts.IterationStatement[] {
  const out: ts.IterationStatement[] = [];
  for (let p = n.parent; !isFunctionLike(p) && !ts.isSourceFile(p); p = p.parent) if (isLoop(p)) out.push(p);
  return out;
}

/** The variables an expression reads (property names and callees' own names aside). */
function readSymbols(e: ts.Node, checker: ts.TypeChecker): Set<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  walkTree(e, (n) => {
    if (isFunctionLike(n)) return 'skip';
    if (ts.isPropertyAccessExpression(n)) {
      walkTree(n.expression, (m) => {
        if (ts.isIdentifier(m)) {
          const s = checker.getSymbolAtLocation(m);
          if (s !== undefined) out.add(s);
        }
        return undefined;
      });
      return 'skip';
    }
    if (ts.isIdentifier(n)) {
      const s = checker.getSymbolAtLocation(n);
      if (s !== undefined) out.add(s);
    }
    return undefined;
  });
  return out;
}

/** A call of a function written in the project (an iteration helper), not of a library's method (`found.values()`). */
function isProjectCall(e: ts.Expression, checker: ts.TypeChecker): boolean {
  const x = skipParens(e);
  if (!ts.isCallExpression(x)) return false;
  const decl = checker.getResolvedSignature(x)?.getDeclaration();
  return decl !== undefined && !decl.getSourceFile().isDeclarationFile;
}

/**
 * Whether the loop advances `sym` from itself: an assignment `sym = f(sym)` (`n = next(n)`,
 * `p = p.next`) in its incrementor or body, or `sym` is the variable of a for-of over a call.
 */
function isCursorOf(sym: ts.Symbol, loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  // `for (const x of walkChain(head))`: an iteration helper's elements. (Not an array of
  // candidates collected earlier, which may have been chosen by key.)
  if (ts.isForOfStatement(loop) && isProjectCall(loop.expression, checker)) {
    const init = loop.initializer;
    if (ts.isVariableDeclarationList(init))
      return init.declarations.some((d) => ts.isIdentifier(d.name) && checker.getSymbolAtLocation(d.name) === sym);
  }
  const parts: ts.Node[] = [loop.statement];
  if (ts.isForStatement(loop) && loop.incrementor !== undefined) parts.push(loop.incrementor);
  let found = false;
  for (const part of parts) {
    walkTree(part, (n) => {
      if (found || isFunctionLike(n)) return 'skip';
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isIdentifier(skipParens(n.left)) &&
        checker.getSymbolAtLocation(skipParens(n.left)) === sym &&
        readSymbols(n.right, checker).has(sym)
      )
        found = true;
      return undefined;
    });
  }
  return found;
}
