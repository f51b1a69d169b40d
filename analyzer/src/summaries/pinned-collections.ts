/**
 * @fileoverview Collections that hold references: a JS Map, Set or array kept in a private
 * class field or in a binding nothing outside its module sees, into which every store in the
 * project puts an object pinned there (a `table.lookup()` result, a reference taken and
 * revalidated, a fresh allocation, an object its caller owns). Each value in it then carries
 * the reference it was stored with, which whoever takes it out drops (`table.put(account)` on
 * eviction); until then a value read out of it is pinned, as an object found in a kernel cache
 * whose entries each hold a reference is.
 *
 * The collection is JS memory of one worker, so only that worker's code can take a value out
 * and drop its reference, and all of that code is in the project: its stores are judged one by
 * one, with the facts at each. One store of an unpinned object (a candidate loaded in a section,
 * a locked object the lock alone keeps), or the collection escaping — handed to a function,
 * returned, aliased, exported, replaced by anything but a new empty collection — and nothing
 * read out of it is pinned.
 *
 * A store may put back what was read out of the same collection (moving an entry to the
 * most-recently-used end), so the verdict is the greatest fixpoint: while a collection is being
 * judged, reads of it are taken as pinned (engine/program-analysis.ts forgets what was
 * analyzed under that assumption when the verdict is no).
 */

import { ts } from 'ts-morph';
import { isNullish, outermostWrapper, skipParens, walkTree, type FunctionLike } from '../ast.js';
import { collectionRef } from '../dataflow/collection-reads.js';
import { isStableResult, pinnedHere } from '../dataflow/helper-results.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';
import { enclosingFunction } from './entry-context.js';
import type { FunctionAnalysis } from './function-analysis.js';

/** What judging a collection needs from the engine. */
export interface CollectionView extends TransferContext {
  /** A fresh analysis of `fn` (entered with its callers' facts where known), not kept. */
  probeAnalysis(fn: FunctionLike): FunctionAnalysis | undefined;
}

/** A store into the collection: the value put in, and the function whose facts judge it. */
interface Store {
  readonly value: ts.Expression;
  readonly fn: FunctionLike;
}

/**
 * Whether every value the project puts into the collection `sym` is pinned at the store, and the
 * collection never escapes. Undefined `stores` (an escape) is a no.
 */
export function judgeCollection(sym: ts.Symbol, view: CollectionView): boolean {
  const stores = storesInto(sym, view);
  if (stores === undefined) return false;
  const analyses = new Map<FunctionLike, FunctionAnalysis | undefined>();
  for (const st of stores) {
    if (!analyses.has(st.fn)) analyses.set(st.fn, view.probeAnalysis(st.fn));
    if (!pinnedValue(st.value, analyses.get(st.fn), view)) return false;
  }
  return true;
}

/** The code that can name the collection: its class for a private member, else its file. */
function scopeOf(decl: ts.Declaration): ts.Node | undefined {
  if (ts.isPropertyDeclaration(decl)) {
    const isPrivate =
      ts.isPrivateIdentifier(decl.name) || (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Private) !== 0;
    return isPrivate ? decl.parent : undefined;
  }
  if (!ts.isVariableDeclaration(decl)) return undefined;
  const statement = decl.parent.parent;
  if (ts.isVariableStatement(statement) && (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Export) !== 0)
    return undefined;
  return decl.getSourceFile();
}

/** Every store into the collection, or undefined when it escapes (or cannot be seen whole). */
function storesInto(sym: ts.Symbol, view: CollectionView): Store[] | undefined {
  const decl = sym.valueDeclaration;
  const scope = decl === undefined ? undefined : scopeOf(decl);
  if (decl === undefined || scope === undefined) return undefined;
  const init = (decl as ts.PropertyDeclaration | ts.VariableDeclaration).initializer;
  const stores: Store[] = [];
  if (init !== undefined && !emptyCollection(init)) return undefined;
  const name = (decl as ts.PropertyDeclaration | ts.VariableDeclaration).name;
  if (!ts.isIdentifier(name) && !ts.isPrivateIdentifier(name)) return undefined;
  const escapes = walkTree(scope, (n) => {
    // `export { cache }`, `export default cache`: seen by code outside the project's view.
    if (
      ts.isIdentifier(n) &&
      n.text === name.text &&
      (ts.isExportSpecifier(n.parent) || ts.isExportAssignment(n.parent))
    )
      return 'stop';
    const isRef =
      (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) &&
      n.text === name.text &&
      n !== name &&
      view.checker.getSymbolAtLocation(n) === sym;
    if (!isRef) return undefined;
    const ref = ts.isPropertyAccessExpression(n.parent) && n.parent.name === n ? n.parent : n;
    const found = useOf(ref, view);
    if (found !== undefined) {
      stores.push(...found);
      return undefined;
    }
    return 'stop';
  });
  return escapes ? undefined : stores;
}

/** `new Map()`, `new Set()`, `[]`: a collection with nothing in it yet. */
function emptyCollection(e: ts.Expression): boolean {
  const x = skipParens(e);
  if (ts.isArrayLiteralExpression(x)) return x.elements.length === 0;
  return ts.isNewExpression(x) && (x.arguments === undefined || x.arguments.length === 0);
}

/**
 * What one mention of the collection does: the stores it makes (none for a read), or undefined
 * when the collection escapes there.
 */
function useOf(ref: ts.Expression, view: CollectionView): Store[] | undefined {
  const u = outermostWrapper(ref);
  const p = u.parent;
  const fn = (): FunctionLike => enclosingFunction(u);
  if (ts.isPropertyAccessExpression(p) && p.expression === u) {
    const method = view.primitives.collectionMethod(p);
    if (method === undefined) return undefined;
    const call = outermostWrapper(p).parent;
    if (
      method.kind === 'read' ||
      !ts.isCallExpression(call) ||
      outermostWrapper(call.expression) !== outermostWrapper(p)
    )
      return method.kind === 'read' ? [] : undefined;
    return method.stored(call).map((value) => ({ value, fn: fn() }));
  }
  if (ts.isElementAccessExpression(p) && p.expression === u) {
    const w = outermostWrapper(p);
    const a = w.parent;
    if (ts.isBinaryExpression(a) && a.left === w && isAssignment(a.operatorToken.kind))
      return [{ value: a.right, fn: fn() }];
    if (ts.isPrefixUnaryExpression(a) || ts.isPostfixUnaryExpression(a) || ts.isDeleteExpression(a)) return undefined;
    return [];
  }
  if (ts.isForOfStatement(p) && p.expression === u) return [];
  if (ts.isSpreadElement(p) && ts.isArrayLiteralExpression(p.parent)) return [];
  // `this.#entries = new Map()` (a reset): nothing in it yet.
  if (ts.isBinaryExpression(p) && p.left === u && p.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    return emptyCollection(p.right) ? [] : undefined;
  return undefined;
}

function isAssignment(op: ts.SyntaxKind): boolean {
  return op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
}

/**
 * Whether a value stored is pinned there (or holds no type-stable object): a variable kept by a
 * reference at the store, a helper's stabilized result or another pinned collection's value, or
 * a record or tuple literal whose parts are.
 */
function pinnedValue(value: ts.Expression, analysis: FunctionAnalysis | undefined, view: CollectionView): boolean {
  const x = skipParens(value);
  if (isNullish(x)) return true;
  if (ts.isArrayLiteralExpression(x))
    return x.elements.every((el) => !ts.isSpreadElement(el) && pinnedValue(el, analysis, view));
  if (ts.isObjectLiteralExpression(x))
    return x.properties.every((pr) =>
      ts.isPropertyAssignment(pr)
        ? pinnedValue(pr.initializer, analysis, view)
        : ts.isShorthandPropertyAssignment(pr)
          ? pinnedValue(pr.name, analysis, view)
          : false,
    );
  if (!view.primitives.isTypeStableExpr(x)) return holdsNoReference(x, view);
  if (!ts.isIdentifier(x)) {
    if (ts.isCallExpression(x) && view.primitives.callKind(x) === 'kmemCacheAlloc') return true;
    return isStableResult(x, view);
  }
  const sym = view.checker.getSymbolAtLocation(x);
  if (sym === undefined || analysis === undefined) return false;
  // The facts where the value is handed to the store (`set(k, v)`, `a[i] = v`), on every path.
  const states = analysis.events.flatMap((e) => (e.kind === 'use' && e.node === x ? [e.state] : []));
  return states.length > 0 && states.every((st) => pinnedHere(st, sym));
}

/**
 * A value of another type: it holds no type-stable reference unless one of its own properties
 * is one (a record kept whole: `{ account, expires }` stored through a variable).
 */
function holdsNoReference(x: ts.Expression, view: CollectionView): boolean {
  const t = view.checker.getTypeAtLocation(x);
  if ((t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Union | ts.TypeFlags.Intersection)) === 0) return true;
  if (collectionRef(x, view.checker, view.primitives) !== undefined) return false;
  for (const prop of view.checker.getPropertiesOfType(view.checker.getNonNullableType(t))) {
    const pt = view.checker.getTypeOfSymbolAtLocation(prop, x);
    if (view.primitives.isTypeStableType(pt)) return false;
  }
  return true;
}
