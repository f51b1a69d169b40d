/**
 * @fileoverview rcu/free-without-grace-period: an object of a cache that is NOT type-stable,
 * unlinked from a place RCU readers reach and then freed — by kmemCacheFree(), or by a project
 * helper that always frees its argument (`fdbRcuFree(f)`) — before a grace period has elapsed
 * (`synchronizeRcu()`, `await synchronizeRcuAsync()`), instead of from `callRcu(() => …)`.
 * A reader that loaded the pointer just before the unlink may still be using the object; in a
 * cache without SLAB_TYPESAFE_BY_RCU its memory may become anything at all.
 *
 * Freeing an object of a type-stable cache at once is the point of such caches and is silent:
 * readers revalidate what they find. Type-stability is read from the object's type (the
 * TypeStable brand, which the runtime ties to SLAB_TYPESAFE_BY_RCU) or the cache's folded flags.
 *
 * What unlinks the object a variable holds (docs/rules/free-without-grace-period.md says it
 * with examples): overwriting an RCU pointer field that holds it — one it was loaded from,
 * stored into, or found equal to on this path (`if (ioc.icqHint === icq) ioc.icqHint = null`);
 * overwriting a pointer of its type in an object reached from it (`for (const lun of
 * lunsOf(group)) lun.group = null`: members found through an object point back at it);
 * `hlistNullsDelRcu` / `hlistNullsDelInitRcu` / `hlistNullsReplaceRcu` of its node. An object
 * allocated here and not published on any path (stored only into other fresh objects) is exempt.
 *
 * Flow: a may-analysis (rule-utils/mark-flow) carries, per variable, the fields that hold it,
 * the variables it was reached from, and where it was unlinked on some path; a grace period
 * clears every unlink.
 */

import { ts } from 'ts-morph';
import { isEqualityOperator, isFunctionLike, rootIdentifier, skipParens, walkTree } from '../ast.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';
import type { Primitives } from '../primitives/primitives.js';
import { defineRule } from './define-rule.js';
import { freedArguments, freesIntoPlainCache } from './rule-utils/frees-argument.js';
import { type Marks, definition, runMarkFlow, withMark } from './rule-utils/mark-flow.js';
import {
  isRcuPointerField,
  publishedByCall,
  publishesArgument,
  rcuFieldBindings,
  rcuFieldStore,
  runtimeImportName,
  unlinkedByCall,
  waitsForGracePeriod,
} from './rule-utils/slab-sites.js';

interface Held {
  /** RCU pointer fields (normalized: `task.cred`) that hold it on some path: loaded from, stored into, found equal to. */
  readonly heldIn: ReadonlySet<string>;
  /** The variables its value was reached from (`for (const lun of lunsOf(group))`: group), transitively. */
  readonly reachedFrom: ReadonlySet<ts.Symbol>;
  /** Where it was unlinked, on some path reaching here with no grace period since. */
  readonly unlinked: ts.Node | undefined;
  /** Allocated here and, on every path, not yet stored where readers can reach it: never needs a grace period. */
  readonly fresh: boolean;
}

const NONE: ReadonlySet<never> = new Set();
const NOTHING: Held = { heldIn: NONE, reachedFrom: NONE, unlinked: undefined, fresh: false };

/**
 * The pointer an updater's read loads: `rcuDereferenceProtected(task.cred, lock)` reads
 * `task.cred` as a plain load does (the kernel's rcu_dereference_protected() is that load, with
 * a lockdep claim beside it).
 */
function updaterLoad(e: ts.Expression, primitives: Primitives): ts.Expression {
  if (ts.isCallExpression(e) && e.arguments.length > 0 && primitives.callKind(e) === 'rcuDereferenceProtected')
    return skipParens(e.arguments[0]!);
  return e;
}

const norm = (e: ts.Node): string => e.getText().replace(/\s+|\?|!/g, '');

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): ReadonlySet<T> {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out.size === a.size ? a : out;
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function withItem<T>(a: ReadonlySet<T>, x: T): ReadonlySet<T> {
  return a.has(x) ? a : new Set([...a, x]);
}

function withoutItem<T>(a: ReadonlySet<T>, x: T): ReadonlySet<T> {
  if (!a.has(x)) return a;
  const out = new Set(a);
  out.delete(x);
  return out;
}

/** Whether anything in this function can unlink: an RCU pointer store or an hlist_nulls unlink. */
function mayUnlink(cfg: ControlFlowGraph, primitives: Primitives, checker: ts.TypeChecker): boolean {
  for (const b of cfg.blocks)
    for (const el of b.elements) {
      if (el.kind !== 'node') continue;
      if (rcuFieldStore(el.node, primitives, checker) !== undefined) return true;
      if (ts.isCallExpression(el.node) && unlinkedByCall(el.node, primitives) !== undefined) return true;
    }
  return false;
}

export default defineRule({
  id: 'rcu/free-without-grace-period',
  meta: {
    description:
      'Disallow freeing an object of a cache that is not type-stable after unlinking it from RCU readers without a grace period in between.',
    messages: {
      freeWithoutGracePeriod:
        '`{{object}}` is freed at line {{line}} after it was unlinked at line {{unlinkLine}}, with no grace period in between: readers that loaded it before the unlink may still be using it, and its cache `{{cache}}` is not type-stable. Call synchronizeRcu() (or await synchronizeRcuAsync()) first, or free it from callRcu(() => kmemCacheFree(...)).',
      freedLater:
        '`{{object}}` is freed at line {{line}} in a callback that `{{deferral}}` runs later, but not after a grace period: it was unlinked at line {{unlinkLine}}, readers that loaded it before the unlink may still be using it, and its cache `{{cache}}` is not type-stable. Defer it with callRcu(() => ...) instead.',
      freedByHelper:
        '`{{object}}` is freed at line {{line}} by `{{call}}`, which frees it into `{{cache}}` at once (line {{freeLine}}), after it was unlinked at line {{unlinkLine}}, with no grace period in between: readers that loaded it before the unlink may still be using it, and that cache is not type-stable. Call synchronizeRcu() (or await synchronizeRcuAsync()) first, or call it from callRcu(() => ...).',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const { checker, primitives } = ctx;
    const cfg = ctx.analysis.cfg;
    if (!mayUnlink(cfg, primitives, checker)) return;
    const symOf = (id: ts.Identifier | undefined): ts.Symbol | undefined =>
      id === undefined ? undefined : checker.getSymbolAtLocation(id);
    const clearAll = (m: Marks<Held>): Marks<Held> => {
      let out = m;
      for (const [sym, h] of m) if (h.unlinked !== undefined) out = withMark(out, sym, { ...h, unlinked: undefined });
      return out;
    };
    const unlink = (m: Marks<Held>, sym: ts.Symbol, site: ts.Node): Marks<Held> => {
      const h = m.get(sym) ?? NOTHING;
      return h.unlinked !== undefined ? m : withMark(m, sym, { ...h, unlinked: site });
    };
    /**
     * The variables an expression's value is reached from: the locals and parameters it names
     * (not inside a runtime call's arguments: `kmemCacheAlloc(cache)` is fresh), and theirs.
     */
    const reachedFrom = (m: Marks<Held>, e: ts.Expression, self: ts.Symbol): ReadonlySet<ts.Symbol> => {
      const out = new Set<ts.Symbol>();
      const visit = (n: ts.Node): void => {
        if (isFunctionLike(n)) return;
        if (ts.isCallExpression(n) && primitives.callKind(n) !== undefined) return;
        if (ts.isPropertyAccessExpression(n)) {
          visit(n.expression);
          return;
        }
        if (ts.isIdentifier(n)) {
          const s = symOf(n);
          const d = s?.valueDeclaration;
          if (s === undefined || s === self || d === undefined) return;
          if (!ts.isParameter(d) && !ts.isVariableDeclaration(d) && !ts.isBindingElement(d)) return;
          out.add(s);
          for (const t of m.get(s)?.reachedFrom ?? NONE) if (t !== self) out.add(t);
          return;
        }
        ts.forEachChild(n, visit);
      };
      visit(e);
      return out;
    };
    const report = (
      m: Marks<Held>,
      node: ts.CallExpression,
      obj: ts.Expression | undefined,
      free: ts.CallExpression,
    ): void => {
      const x = obj === undefined ? undefined : skipParens(obj);
      const sym = x !== undefined && ts.isIdentifier(x) ? symOf(x) : undefined;
      const h = sym === undefined ? undefined : m.get(sym);
      if (x === undefined || h?.unlinked === undefined || h.fresh) return;
      const byHelper = free !== node;
      const cacheArg = free.arguments[0];
      // Mechanical fix where the file already imports callRcu: free from an RCU callback.
      const callRcu = runtimeImportName(ctx.sourceFile, 'callRcu', primitives, checker);
      ctx.report({
        node,
        messageId: byHelper ? 'freedByHelper' : 'freeWithoutGracePeriod',
        data: {
          object: ctx.text(x),
          line: ctx.line(node),
          unlinkLine: ctx.line(h.unlinked),
          cache: cacheArg === undefined ? 'cache' : ctx.text(cacheArg),
          call: ctx.text(node),
          freeLine: ctx.line(free),
        },
        related: [
          { node: h.unlinked, message: 'unlinked here' },
          ...(byHelper ? [{ node: free, message: 'freed here, at once' }] : []),
        ],
        fixes:
          callRcu === undefined
            ? []
            : [
                {
                  title: `${byHelper ? 'Call it' : 'Free it'} from ${callRcu}(() => ...) after a grace period`,
                  inserts: [
                    { pos: node.getStart(ctx.sourceFile), text: `${callRcu}(() => ` },
                    { pos: node.getEnd(), text: ')' },
                  ],
                },
              ],
      });
    };
    runMarkFlow<Held>(cfg, {
      step(m, node, replay) {
        const bound = rcuFieldBindings(node, primitives, checker);
        if (bound.length > 0) {
          let out = m;
          for (const b of bound)
            out = withMark(out, b.sym, {
              heldIn: new Set([b.field.replace(/\s+|\?|!/g, '')]),
              reachedFrom: NONE,
              unlinked: undefined,
              fresh: false,
            });
          return out;
        }
        const def = definition(node, checker);
        if (def !== undefined) {
          const init = def.init === undefined ? undefined : skipParens(def.init);
          const loaded = init === undefined ? undefined : updaterLoad(init, primitives);
          if (loaded !== undefined && isRcuPointerField(loaded, primitives, checker))
            return withMark(m, def.sym, {
              heldIn: new Set([norm(loaded)]),
              reachedFrom: reachedFrom(m, loaded, def.sym),
              unlinked: undefined,
              fresh: false,
            });
          const src = init !== undefined && ts.isIdentifier(init) ? symOf(init) : undefined;
          if (src !== undefined) return withMark(m, def.sym, m.get(src));
          // Fresh from the cache, or from a project helper that returns what it just allocated.
          if (
            init !== undefined &&
            ts.isCallExpression(init) &&
            (primitives.callKind(init) === 'kmemCacheAlloc' || ctx.summaryOfCall(init)?.returnsFresh === true)
          )
            return withMark(m, def.sym, { ...NOTHING, fresh: true });
          const from = init ?? def.of;
          const r = from === undefined ? NONE : reachedFrom(m, from, def.sym);
          return withMark(m, def.sym, r.size === 0 ? undefined : { ...NOTHING, reachedFrom: r });
        }
        const store = rcuFieldStore(node, primitives, checker);
        if (store !== undefined) return stored(m, node, store.field, skipParens(store.value));
        if (ts.isAwaitExpression(node)) {
          const x = skipParens(node.expression);
          return ts.isCallExpression(x) && primitives.callKind(x) === 'synchronizeRcuAsync' ? clearAll(m) : m;
        }
        if (!ts.isCallExpression(node)) return m;
        const kind = primitives.callKind(node);
        if (kind === 'synchronizeRcu' || (kind === undefined && waitsForGracePeriod(node, primitives)))
          return clearAll(m);
        const unlinkedArg = unlinkedByCall(node, primitives);
        if (unlinkedArg !== undefined) {
          const sym = symOf(rootIdentifier(unlinkedArg));
          return sym === undefined ? m : unlink(m, sym, node);
        }
        if (replay) checkFrees(m, node, kind);
        return published(m, node, kind);
      },
      edge(m, edge) {
        // `if (ioc.icqHint === icq)`: on the equal branch the field holds the object.
        const c = edge.condition === undefined ? undefined : skipParens(edge.condition);
        if (c === undefined || !ts.isBinaryExpression(c) || !isEqualityOperator(c.operatorToken.kind)) return m;
        const op = c.operatorToken.kind;
        const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
        if (equal !== (edge.kind === 'true')) return m;
        const [l, r] = [skipParens(c.left), skipParens(c.right)];
        const [field, id] = isRcuPointerField(l, primitives, checker) ? [l, r] : [r, l];
        const sym = ts.isIdentifier(id) && isRcuPointerField(field, primitives, checker) ? symOf(id) : undefined;
        if (sym === undefined) return m;
        const h = m.get(sym) ?? NOTHING;
        return withMark(m, sym, { ...h, heldIn: withItem(h.heldIn, norm(field)) });
      },
      join: (a, b) => ({
        heldIn: union(a.heldIn, b.heldIn),
        reachedFrom: union(a.reachedFrom, b.reachedFrom),
        unlinked: a.unlinked ?? b.unlinked,
        fresh: a.fresh && b.fresh,
      }),
      equals: (a, b) =>
        a.unlinked === b.unlinked &&
        a.fresh === b.fresh &&
        sameSet(a.heldIn, b.heldIn) &&
        sameSet(a.reachedFrom, b.reachedFrom),
    });

    /** A call that frees: kmemCacheFree, a helper that always frees an argument, or a deferral without a grace period. */
    function checkFrees(m: Marks<Held>, node: ts.CallExpression, kind: string | undefined): void {
      if (kind === 'kmemCacheFree') {
        if (freesIntoPlainCache(node, primitives, checker)) report(m, node, node.arguments[1], node);
      } else if (kind === undefined && primitives.hostCall(node) === 'defersCallback') {
        deferred(m, node);
      } else if (kind === undefined) {
        for (const [i, f] of freedArguments(node, primitives, checker))
          if (f.always) report(m, node, node.arguments[i], f.free);
      }
    }

    /** `table.insert(x)`, `hlistNullsAddHeadRcu(heap, x.node, …)`, a helper that publishes `x`: no longer fresh. */
    function published(m: Marks<Held>, node: ts.CallExpression, kind: string | undefined): Marks<Held> {
      let out = m;
      const clear = (sym: ts.Symbol | undefined): void => {
        const h = sym === undefined ? undefined : out.get(sym);
        if (sym !== undefined && h?.fresh === true) out = withMark(out, sym, { ...h, fresh: false });
      };
      const arg = publishedByCall(node, primitives);
      if (arg !== undefined) clear(symOf(rootIdentifier(arg)));
      else if (kind === undefined)
        node.arguments.forEach((a, i) => {
          const x = skipParens(a);
          const sym = ts.isIdentifier(x) ? symOf(x) : undefined;
          if (sym !== undefined && out.get(sym)?.fresh === true && publishesArgument(node, i, primitives, checker))
            clear(sym);
        });
      return out;
    }

    /** The frees into a plain cache inside a callback body: direct, or by a helper that always frees. */
    function freesIn(
      body: ts.Node,
    ): Array<{ call: ts.CallExpression; obj: ts.Expression | undefined; free: ts.CallExpression }> {
      const out: Array<{ call: ts.CallExpression; obj: ts.Expression | undefined; free: ts.CallExpression }> = [];
      walkTree(body, (n) => {
        if (ts.isCallExpression(n)) {
          const k = primitives.callKind(n);
          if (k === 'kmemCacheFree' && freesIntoPlainCache(n, primitives, checker))
            out.push({ call: n, obj: n.arguments[1], free: n });
          else if (k === undefined)
            for (const [i, f] of freedArguments(n, primitives, checker))
              if (f.always) out.push({ call: n, obj: n.arguments[i], free: f.free });
        }
        return undefined;
      });
      return out;
    }

    /** Whether a callback body waits for a grace period itself, or defers to callRcu: what it frees after that is its business. */
    function waitsInside(body: ts.Node): boolean {
      return walkTree(body, (n) => {
        if (!ts.isCallExpression(n)) return undefined;
        const k = primitives.callKind(n);
        if (k === 'synchronizeRcu' || k === 'synchronizeRcuAsync' || k === 'callRcu') return 'stop';
        return k === undefined && waitsForGracePeriod(n, primitives) ? 'stop' : undefined;
      });
    }

    /** `synchronizeRcuAsync().then(cb)` (or a chain from it, or a const holding it): cb runs after a grace period. */
    function afterGracePeriod(e: ts.Expression, depth = 0): boolean {
      const x = skipParens(e);
      if (depth > 8) return false;
      if (ts.isCallExpression(x)) {
        if (primitives.callKind(x) === 'synchronizeRcuAsync') return true;
        const callee = skipParens(x.expression);
        return (
          ts.isPropertyAccessExpression(callee) &&
          primitives.hostCall(x) === 'defersCallback' &&
          afterGracePeriod(callee.expression, depth + 1)
        );
      }
      const d = ts.isIdentifier(x) ? symOf(x)?.valueDeclaration : undefined;
      return (
        d !== undefined &&
        ts.isVariableDeclaration(d) &&
        d.initializer !== undefined &&
        (d.parent.flags & ts.NodeFlags.Const) !== 0 &&
        afterGracePeriod(d.initializer, depth + 1)
      );
    }

    /**
     * `setTimeout(() => kmemCacheFree(c, x))`, `queueMicrotask`, a promise reaction, a listener: the
     * callback runs later, but nothing makes readers that loaded `x` before its unlink finish first.
     */
    function deferred(m: Marks<Held>, call: ts.CallExpression): void {
      const callee = skipParens(call.expression);
      if (ts.isPropertyAccessExpression(callee) && afterGracePeriod(callee.expression)) return;
      for (const a of call.arguments) {
        const cb = skipParens(a);
        if (!(ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) || waitsInside(cb.body)) continue;
        for (const { call: at, obj, free } of freesIn(cb.body)) {
          const x = obj === undefined ? undefined : skipParens(obj);
          const sym = x !== undefined && ts.isIdentifier(x) ? symOf(x) : undefined;
          const h = sym === undefined ? undefined : m.get(sym);
          // Only what the callback captured: its own variables are other objects.
          const decl = sym?.valueDeclaration;
          if (h?.unlinked === undefined || h.fresh || decl === undefined || (decl.pos >= cb.pos && decl.end <= cb.end))
            continue;
          const cacheArg = free.arguments[0];
          ctx.report({
            node: at,
            messageId: 'freedLater',
            data: {
              object: ctx.text(x!),
              line: ctx.line(at),
              deferral: ctx.text(callee),
              unlinkLine: ctx.line(h.unlinked),
              cache: cacheArg === undefined ? 'cache' : ctx.text(cacheArg),
            },
            related: [
              { node: h.unlinked, message: 'unlinked here' },
              ...(free !== at ? [{ node: free, message: 'freed here, at once' }] : []),
            ],
          });
        }
      }
    }

    /** `holder.f = value`, f an RCU pointer field: what f held is unlinked, and now f holds `value`. */
    function stored(
      m: Marks<Held>,
      node: ts.Node,
      fieldAccess: ts.PropertyAccessExpression,
      value: ts.Expression,
    ): Marks<Held> {
      const field = norm(fieldAccess);
      const valueSym = ts.isIdentifier(value) ? symOf(value) : undefined;
      let out = m;
      for (const [sym, h] of m) {
        if (sym === valueSym || !h.heldIn.has(field)) continue;
        out = withMark(out, sym, { ...h, heldIn: withoutItem(h.heldIn, field), unlinked: h.unlinked ?? node });
      }
      // A member reached from an object, its pointer of that object's type overwritten: a back-pointer cleared.
      const holder = symOf(rootIdentifier(fieldAccess.expression));
      const members = holder === undefined ? NONE : (m.get(holder)?.reachedFrom ?? NONE);
      const target = members.size === 0 ? undefined : primitives.slab.structOfExpr(fieldAccess);
      if (target !== undefined)
        for (const x of members)
          if (x !== valueSym && primitives.slab.structOfType(checker.getTypeOfSymbol(x)) === target)
            out = unlink(out, x, node);
      if (valueSym !== undefined) {
        // Stored into an object readers cannot reach yet (fresh itself), it is not published by that store.
        const h = out.get(valueSym) ?? NOTHING;
        const hidden = holder !== undefined && out.get(holder)?.fresh === true;
        out = withMark(out, valueSym, { ...h, heldIn: withItem(h.heldIn, field), fresh: h.fresh && hidden });
      }
      return out;
    }
  },
});
