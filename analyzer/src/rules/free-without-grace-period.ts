/**
 * @fileoverview rcu/free-without-grace-period: an object of a cache that is NOT type-stable,
 * unlinked from a place RCU readers reach (an RCU pointer field overwritten, hlistNullsDelRcu,
 * hlistNullsReplaceRcu) and then freed with kmemCacheFree() before a grace period has elapsed
 * (`synchronizeRcu()`, `await synchronizeRcuAsync()`), instead of from `callRcu(() => …)`.
 * A reader that loaded the pointer just before the unlink may still be using the object; in a
 * cache without SLAB_TYPESAFE_BY_RCU its memory may become anything at all.
 *
 * Freeing an object of a type-stable cache at once is the point of such caches and is silent:
 * readers revalidate what they find. Type-stability is read from the object's type (the
 * TypeStable brand, which the runtime ties to SLAB_TYPESAFE_BY_RCU) or the cache's folded flags.
 *
 * Flow: a may-analysis (rule-utils/mark-flow) remembers which RCU field each variable was
 * loaded from and where it was unlinked on some path; a grace period clears every mark.
 */

import { ts } from 'ts-morph';
import { rootIdentifier, skipParens } from '../ast.js';
import { SLAB_TYPESAFE_BY_RCU_BIT } from '../primitives/slab-model.js';
import { defineRule } from './define-rule.js';
import { type Marks, definition, runMarkFlow, withMark } from './rule-utils/mark-flow.js';
import {
  isRcuPointerField,
  rcuFieldBindings,
  rcuFieldStore,
  runtimeImportName,
  unlinkedByCall,
  waitsForGracePeriod,
} from './rule-utils/slab-sites.js';

interface Held {
  /** The RCU field it was loaded from (`task.sighand`), normalized. */
  readonly loadedFrom: string | undefined;
  /** Where it was unlinked, on some path reaching here with no grace period since. */
  readonly unlinked: ts.Node | undefined;
}

const norm = (e: ts.Node): string => e.getText().replace(/\s+|\?/g, '');

export default defineRule({
  id: 'rcu/free-without-grace-period',
  meta: {
    description:
      'Disallow freeing an object of a cache that is not type-stable after unlinking it from RCU readers without a grace period in between.',
    messages: {
      freeWithoutGracePeriod:
        '`{{object}}` is freed at line {{line}} after it was unlinked at line {{unlinkLine}}, with no grace period in between: readers that loaded it before the unlink may still be using it, and its cache `{{cache}}` is not type-stable. Call synchronizeRcu() (or await synchronizeRcuAsync()) first, or free it from callRcu(() => kmemCacheFree(...)).',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const { checker, primitives } = ctx;
    const symOf = (id: ts.Identifier | undefined): ts.Symbol | undefined =>
      id === undefined ? undefined : checker.getSymbolAtLocation(id);
    const clearAll = (m: Marks<Held>): Marks<Held> => {
      let out = m;
      for (const [sym, h] of m) if (h.unlinked !== undefined) out = withMark(out, sym, { ...h, unlinked: undefined });
      return out;
    };
    const typeStableCache = (cacheArg: ts.Expression | undefined, obj: ts.Expression): boolean => {
      if (primitives.isTypeStableExpr(obj)) return true;
      const x = cacheArg === undefined ? undefined : skipParens(cacheArg);
      const d = x !== undefined && ts.isIdentifier(x) ? symOf(x)?.valueDeclaration : undefined;
      const init =
        d !== undefined && ts.isVariableDeclaration(d) && d.initializer !== undefined
          ? skipParens(d.initializer)
          : undefined;
      const cache = init === undefined ? undefined : primitives.slab.caches().find((c) => c.call === init);
      // Unknown flags: the brand already said no, and the runtime ties the two together.
      return cache?.flags !== undefined && (cache.flags & SLAB_TYPESAFE_BY_RCU_BIT) !== 0;
    };
    runMarkFlow<Held>(ctx.analysis.cfg, {
      step(m, node, replay) {
        const bound = rcuFieldBindings(node, primitives, checker);
        if (bound.length > 0) {
          let out = m;
          for (const b of bound)
            out = withMark(out, b.sym, { loadedFrom: b.field.replace(/\s+|\?/g, ''), unlinked: undefined });
          return out;
        }
        const def = definition(node, checker);
        if (def !== undefined) {
          const init = def.init === undefined ? undefined : skipParens(def.init);
          if (init !== undefined && isRcuPointerField(init, primitives, checker))
            return withMark(m, def.sym, { loadedFrom: norm(init), unlinked: undefined });
          const src = init !== undefined && ts.isIdentifier(init) ? symOf(init) : undefined;
          return withMark(m, def.sym, src === undefined ? undefined : m.get(src));
        }
        const store = rcuFieldStore(node, primitives, checker);
        if (store !== undefined) {
          // `task.sighand = next`: whatever was loaded from task.sighand is now unlinked.
          const from = norm(store.field);
          let out = m;
          for (const [sym, h] of m)
            if (h.loadedFrom === from && h.unlinked === undefined) out = withMark(out, sym, { ...h, unlinked: node });
          return out;
        }
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
          const h = sym === undefined ? undefined : m.get(sym);
          return sym === undefined ? m : withMark(m, sym, { loadedFrom: h?.loadedFrom, unlinked: h?.unlinked ?? node });
        }
        if (kind !== 'kmemCacheFree' || !replay) return m;
        const obj = node.arguments[1] === undefined ? undefined : skipParens(node.arguments[1]);
        const sym = obj !== undefined && ts.isIdentifier(obj) ? symOf(obj) : undefined;
        const h = sym === undefined ? undefined : m.get(sym);
        if (h?.unlinked === undefined || typeStableCache(node.arguments[0], obj!)) return m;
        const cacheArg = node.arguments[0];
        // Mechanical fix where the file already imports callRcu: free from an RCU callback.
        const callRcu = runtimeImportName(ctx.sourceFile, 'callRcu', primitives, checker);
        ctx.report({
          node,
          messageId: 'freeWithoutGracePeriod',
          data: {
            object: ctx.text(obj!),
            line: ctx.line(node),
            unlinkLine: ctx.line(h.unlinked),
            cache: cacheArg === undefined ? 'cache' : ctx.text(cacheArg),
          },
          related: [{ node: h.unlinked, message: 'unlinked here' }],
          fixes:
            callRcu === undefined
              ? []
              : [
                  {
                    title: `Free it from ${callRcu}(() => ...) after a grace period`,
                    inserts: [
                      { pos: node.getStart(ctx.sourceFile), text: `${callRcu}(() => ` },
                      { pos: node.getEnd(), text: ')' },
                    ],
                  },
                ],
        });
        return m;
      },
      join: (a, b) => ({
        loadedFrom: a.loadedFrom === b.loadedFrom ? a.loadedFrom : (a.loadedFrom ?? b.loadedFrom),
        unlinked: a.unlinked ?? b.unlinked,
      }),
      equals: (a, b) => a.loadedFrom === b.loadedFrom && a.unlinked === b.unlinked,
    });
  },
});
