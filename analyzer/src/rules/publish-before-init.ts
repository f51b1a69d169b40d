/**
 * @fileoverview rcu/publish-before-init: a field of a freshly allocated object written after the
 * object was published to readers — stored into an RCU pointer field (`task.sighand = s`, the
 * runtime's rcu_assign_pointer), inserted into an RCU hash table (`table.insert(obj)`,
 * `table.replace(obj)`), or linked with hlistNullsAddHeadRcu — directly or inside a project
 * helper the object is handed to. The publish is a release store:
 * it orders the writes *before* it, never those after, so a reader that finds the object may see
 * those fields unset. Initialize everything first, then publish.
 *
 * Flow: a may-analysis over the CFG (rule-utils/mark-flow) marks each variable holding a
 * kmemCacheAlloc() result (directly or from a helper whose summary says it returns one), then where it was published on some path; a write to its fields on
 * a marked path is reported with the publish site. `if (table.insert(obj))` publishes only on
 * its true branch, also through a variable holding the verdict. Lock and refcount fields cannot
 * be assigned; their calls are not writes.
 */

import { ts } from 'ts-morph';
import { rootIdentifier, skipParens } from '../ast.js';
import { defineRule } from './define-rule.js';
import { type Marks, definition, runMarkFlow, withMark, writtenProperty } from './rule-utils/mark-flow.js';
import { publishedByCall, publishesArgument, rcuFieldStore } from './rule-utils/slab-sites.js';

interface Fresh {
  /** The kmemCacheAlloc call. */
  readonly alloc: ts.Node;
  /** Where it was published, on some path reaching here. */
  readonly published: ts.Node | undefined;
  /** For a boolean holding `table.insert(obj)`'s verdict: that call (its false branch publishes nothing). */
  readonly verdictOf?: ts.CallExpression;
}

export default defineRule({
  id: 'rcu/publish-before-init',
  meta: {
    description:
      'Disallow writing fields of a freshly allocated object after it was published through an RCU pointer or an RCU hash table.',
    messages: {
      writeAfterPublish:
        '`{{target}}` is written at line {{line}} after `{{object}}` was published at line {{publishLine}} ({{how}}): a reader that finds it there may see this field unset. Initialize every field before publishing.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const { checker, primitives } = ctx;
    const symOf = (id: ts.Identifier | undefined): ts.Symbol | undefined =>
      id === undefined ? undefined : checker.getSymbolAtLocation(id);
    /** Mark the object `sym` holds as published at `site`, in every variable that aliases it. */
    const publish = (m: Marks<Fresh>, sym: ts.Symbol | undefined, site: ts.Node): Marks<Fresh> => {
      const f = sym === undefined ? undefined : m.get(sym);
      if (f === undefined) return m;
      let out = m;
      for (const [other, g] of m)
        if (g.alloc === f.alloc && g.published === undefined) out = withMark(out, other, { ...g, published: site });
      return out;
    };
    runMarkFlow<Fresh>(ctx.analysis.cfg, {
      step(m, node, replay) {
        const def = definition(node, checker);
        if (def !== undefined) {
          const init = def.init === undefined ? undefined : skipParens(def.init);
          // Fresh from the cache, or from a project helper that returns what it just allocated (`newProduct()`).
          if (
            init !== undefined &&
            ts.isCallExpression(init) &&
            (primitives.callKind(init) === 'kmemCacheAlloc' || ctx.summaryOfCall(init)?.returnsFresh === true)
          ) {
            return withMark(m, def.sym, { alloc: init, published: undefined });
          }
          if (init !== undefined && ts.isCallExpression(init) && primitives.callKind(init) === 'tableInsert') {
            return withMark(m, def.sym, { alloc: init, published: undefined, verdictOf: init });
          }
          const src = init !== undefined && ts.isIdentifier(init) ? symOf(init) : undefined;
          return withMark(m, def.sym, src === undefined ? undefined : m.get(src));
        }
        // A write to a published object's field (an RCU pointer field too), judged before this element publishes anything.
        const target = replay ? writtenProperty(node) : undefined;
        const root = target === undefined ? undefined : rootIdentifier(target);
        const sym = symOf(root);
        const f = sym === undefined ? undefined : m.get(sym);
        if (f?.published !== undefined && target !== undefined) {
          ctx.report({
            node,
            messageId: 'writeAfterPublish',
            data: {
              target: ctx.text(target),
              line: ctx.line(node),
              object: root!.text,
              publishLine: ctx.line(f.published),
              how: howPublished(f.published),
            },
            related: [
              { node: f.published, message: 'published here' },
              { node: f.alloc, message: 'allocated here' },
            ],
          });
        }
        const store = rcuFieldStore(node, primitives, checker);
        if (store !== undefined) {
          const v = skipParens(store.value);
          const value = ts.isIdentifier(v) ? symOf(v) : undefined;
          // A self-pointer (`anonVma.root = anonVma`) of an unpublished object: no reader can reach it there.
          const holderSym = symOf(rootIdentifier(store.field));
          const holder = holderSym === undefined ? undefined : m.get(holderSym);
          const fresh = value === undefined ? undefined : m.get(value);
          const self = fresh !== undefined && holder?.alloc === fresh.alloc && holder.published === undefined;
          return value !== undefined && !self ? publish(m, value, node) : m;
        }
        if (ts.isCallExpression(node)) {
          const arg = publishedByCall(node, primitives);
          if (arg !== undefined) return publish(m, symOf(rootIdentifier(arg)), node);
          if (primitives.callKind(node) !== undefined) return m;
          // A project helper that publishes what it is given (`hashConn(ct)`).
          let out = m;
          node.arguments.forEach((a, i) => {
            const x = skipParens(a);
            const argSym = ts.isIdentifier(x) ? symOf(x) : undefined;
            if (argSym !== undefined && out.has(argSym) && publishesArgument(node, i, primitives, checker))
              out = publish(out, argSym, node);
          });
          return out;
        }
        return m;
      },
      edge(m, edge) {
        // `if (table.insert(obj))`, or `const ok = table.insert(obj); if (ok)`: on the false branch nothing was inserted.
        const cond = edge.condition === undefined ? undefined : skipParens(edge.condition);
        const tested = cond !== undefined && ts.isIdentifier(cond) ? symOf(cond) : undefined;
        const c = tested !== undefined ? m.get(tested)?.verdictOf : cond;
        if (
          edge.kind !== 'false' ||
          c === undefined ||
          !ts.isCallExpression(c) ||
          primitives.callKind(c) !== 'tableInsert'
        )
          return m;
        let out = m;
        for (const [sym, f] of m) if (f.published === c) out = withMark(out, sym, { ...f, published: undefined });
        return out;
      },
      join: (a, b) => ({
        alloc: a.alloc,
        published: a.published ?? b.published,
        verdictOf: a.verdictOf === b.verdictOf ? a.verdictOf : undefined,
      }),
      equals: (a, b) => a.alloc === b.alloc && a.published === b.published && a.verdictOf === b.verdictOf,
    });
  },
});

function howPublished(site: ts.Node): string {
  if (ts.isBinaryExpression(site)) return `stored into RCU pointer \`${site.left.getText()}\``;
  if (ts.isCallExpression(site)) {
    const callee = site.expression;
    return `\`${ts.isPropertyAccessExpression(callee) ? `${callee.expression.getText()}.${callee.name.text}` : callee.getText()}()\``;
  }
  return 'published';
}
