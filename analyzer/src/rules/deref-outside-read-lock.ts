/**
 * @fileoverview rcu/deref-outside-read-lock: a type-stable object dereferenced where neither
 * rcuReadLock() is held on every path nor the object is stabilized (locked, referenced, fresh,
 * or owned by the caller). Its memory may be freed and reused for another object at any instant.
 *
 * A type-stable parameter is the caller's contract: pinned by the caller, as a pointer argument
 * is in the kernel (unless the function is entered in a read-side section, where a parameter
 * may be a candidate the caller found). So the dereferences of parameters are checked where
 * the contract is kept — at each call inside the project: an object passed to a function that
 * dereferences that parameter outside a section of its own (the summary's pinnedParams) must be
 * pinned there, or the call made inside a section.
 */

import { ts } from 'ts-morph';
import { constAliasedField, declaredOutside, skipParens } from '../ast.js';
import { type FactState, isStable } from '../dataflow/facts.js';
import { isOwnerLoad } from '../dataflow/owner-loads.js';
import { pinningLock } from '../dataflow/pinned-paths.js';
import type { Primitives } from '../primitives/primitives.js';
import { normalizeLockText } from '../summaries/annotations.js';
import { defineRule } from './define-rule.js';
import { containerLockHeld } from '../dataflow/container-lock.js';
import { bundleValues } from '../dataflow/param-bundles.js';

/** An RCU pointer read (`task.sighand`, `const { sighand } = task`), as opposed to a collection's element or a call's result. */
function isPointerLoad(site: ts.Node | undefined, primitives: Primitives): boolean {
  if (site === undefined) return false;
  if (ts.isBindingElement(site)) return ts.isIdentifier(site.name) && primitives.isTypeStableExpr(site.name);
  return (
    (ts.isPropertyAccessExpression(site) || ts.isElementAccessExpression(site)) && primitives.isTypeStableExpr(site)
  );
}

/**
 * Whether the argument is an object nobody pinned: a candidate loaded in a section that is still
 * open on some path (one whose section has ended is rcu/reference-escape's), or an RCU pointer
 * read outside any section. Returns the load site for the message, or undefined when it is pinned
 * or not known to be an RCU load (a collection's element, a parameter the caller itself holds).
 */
function unpinnedLoad(
  arg: ts.Expression,
  state: FactState,
  checker: ts.TypeChecker,
  primitives: Primitives,
): { load: ts.Node; sym: ts.Symbol | undefined } | undefined {
  const x = skipParens(arg);
  if (!ts.isIdentifier(x))
    return isPointerLoad(x, primitives) && !stableLoad(x, state, checker, primitives)
      ? { load: x, sym: undefined }
      : undefined;
  // `{ sk }` in an argument bundle names the variable, not the property.
  const sym = ts.isShorthandPropertyAssignment(x.parent)
    ? checker.getShorthandAssignmentValueSymbol(x.parent)
    : checker.getSymbolAtLocation(x);
  const o = sym === undefined ? undefined : state.objs.get(sym);
  if (sym === undefined || o === undefined || o.loadSite === undefined || isStable(state, sym)) return undefined;
  // Not type-stable (freed after a grace period): rcu/reference-escape's once its section ends.
  if (o.graceFreed !== undefined) return undefined;
  if (o.origin === 'rcu') return o.sectionEnded === undefined ? { load: o.loadSite, sym } : undefined;
  return o.origin === 'unknown' && isPointerLoad(o.loadSite, primitives) ? { load: o.loadSite, sym } : undefined;
}

/**
 * A pointer load that needs no section: the current thread's own `@ownerWrites` pointer
 * (`current().sighand`), or a re-read of a pointer a held lock pins (`task.sighand` while
 * `task.sighand.siglock` is held, re-checked).
 */
function stableLoad(load: ts.Expression, state: FactState, checker: ts.TypeChecker, primitives: Primitives): boolean {
  return pinningLock(state, load) !== undefined || isOwnerLoad(load, primitives, checker);
}

/**
 * The spinlock an updater's `rcuDereferenceProtected(p, lock)` claims, keyed as lock facts are
 * (a const alias of `x.lock` names `x.lock`); undefined for a refcount or `true`, which the
 * facts cannot check.
 */
function claimedLock(
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  primitives: Primitives,
): { key: string; arg: ts.Expression } | undefined {
  if (primitives.callKind(call) !== 'rcuDereferenceProtected') return undefined;
  const arg = call.arguments[1];
  if (call.arguments[0] === undefined || arg === undefined || !primitives.isSpinlockExpr(arg)) return undefined;
  let x = skipParens(arg);
  if (ts.isIdentifier(x)) x = constAliasedField(checker.getSymbolAtLocation(x)?.valueDeclaration) ?? x;
  return { key: normalizeLockText(x.getText()), arg };
}

export default defineRule({
  id: 'rcu/deref-outside-read-lock',
  meta: {
    description: 'Disallow dereferencing a type-stable object outside rcuReadLock() unless the object is stabilized.',
    messages: {
      derefOutsideReadLock:
        '`{{object}}` is dereferenced at line {{line}} {{where}}; it lives in type-stable memory and may be freed and reused at any instant. Hold rcuReadLock(), or stabilize it first (take its lock and revalidate, or take a reference).',
      callRequiresReadLock: '`{{callee}}()` requires the RCU read lock, but at line {{line}} it is {{where}}.',
      claimedLockNotHeld:
        '`rcuDereferenceProtected()` at line {{line}} claims that `{{lock}}` protects `{{value}}`, but `{{lock}}` is {{where}}: the pointer is read as an updater without the lock that orders its writers. Take `{{lock}}` first, or read the pointer inside rcuReadLock().',
      loadedOutsideSection:
        '`{{object}}` was loaded from `{{from}}` at line {{loadLine}}, outside any read-side section, and is dereferenced at line {{line}} inside one: a section protects only the pointers read inside it, so the object may have been freed and its memory reused before this section began. Load it inside the section, or stabilize it first (take its lock and revalidate, or take a reference).',
      argNotPinned:
        '`{{object}}` (loaded from `{{from}}` at line {{loadLine}}) is passed at line {{line}} to `{{callee}}()`, which dereferences it outside any read-side section of its own; here it is {{where}} and not pinned. Hold rcuReadLock() across the call, or stabilize it first (take its lock and revalidate, or take a reference).',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const fn = ctx.analysis.cfg.fn;
    const where = (s: FactState): string =>
      s.readMax > 0 ? 'where rcuReadLock() is held on some paths only' : 'outside any read-side section';
    // Loads made by an updater under a container's lock (`const old = slot.account` with the
    // directory locked): what it then hands to a put or release helper is the reference it
    // just unlinked, not a candidate.
    const updaterLoads = new Set<ts.Node>();
    for (const e of ctx.events) {
      if (e.kind === 'deref' && e.state.readMin <= 0 && containerLockHeld(e.state, ctx.checker, ctx.primitives))
        updaterLoads.add(e.node);
    }
    // One finding per object: a caller whose own dereference of it is reported is not told again at a call.
    const reported = new Set<ts.Symbol>();
    for (const e of ctx.events) {
      if (e.kind === 'site' && ts.isCallExpression(e.node)) {
        const claim = claimedLock(e.node, ctx.checker, ctx.primitives);
        const held = claim === undefined ? undefined : e.state.locks.get(claim.key);
        if (claim === undefined || held?.must === true) continue;
        ctx.report({
          node: claim.arg,
          messageId: 'claimedLockNotHeld',
          data: {
            line: ctx.line(e.node),
            lock: claim.key,
            value: ctx.text(e.node.arguments[0]!),
            where: held === undefined ? 'not held here' : 'held on some paths only',
          },
        });
        continue;
      }
      if (e.kind === 'call') {
        if (e.state.readMin > 0) continue;
        if (e.summary.requiresRead) {
          ctx.report({
            node: e.node,
            messageId: 'callRequiresReadLock',
            data: {
              callee: e.summary.name,
              line: ctx.line(e.node),
              where: e.state.readMax > 0 ? 'not held on every path' : 'not held',
            },
          });
          continue;
        }
        if (e.summary.pinnedParams.length === 0 || containerLockHeld(e.state, ctx.checker, ctx.primitives)) continue;
        for (const j of e.summary.pinnedParams) {
          // Handing a reference to a put (`refcountDecAndTest` on it) gives it up: a refcount
          // question, not a dereference of a candidate.
          if (e.summary.releasesRefOf.includes(j)) continue;
          const given = e.node.arguments[j];
          // An argument bundle (`{ vma, state }`): each type-stable value it carries is an argument.
          const arg =
            given === undefined
              ? undefined
              : (bundleValues(given, ctx.checker, ctx.primitives).find(
                  (v) => unpinnedLoad(v, e.state, ctx.checker, ctx.primitives) !== undefined,
                ) ?? given);
          const unpinned = arg === undefined ? undefined : unpinnedLoad(arg, e.state, ctx.checker, ctx.primitives);
          if (arg === undefined || unpinned === undefined || updaterLoads.has(unpinned.load)) continue;
          if (unpinned.sym !== undefined && reported.has(unpinned.sym)) continue;
          if (unpinned.sym !== undefined) reported.add(unpinned.sym);
          ctx.report({
            node: e.node,
            messageId: 'argNotPinned',
            data: {
              object: ctx.text(arg),
              from: ctx.text(unpinned.load),
              loadLine: ctx.line(unpinned.load),
              line: ctx.line(e.node),
              callee: e.summary.name,
              where: where(e.state),
            },
            related: [{ node: unpinned.load, message: 'loaded here' }],
          });
          break;
        }
        continue;
      }
      if (e.kind !== 'deref') continue;
      if (e.state.readMin > 0) {
        // An RCU pointer read before the section began, dereferenced inside it.
        const o = e.sym === undefined ? undefined : e.state.objs.get(e.sym);
        if (
          e.sym === undefined ||
          o?.origin !== 'unknown' ||
          o.loadSite === undefined ||
          !isPointerLoad(o.loadSite, ctx.primitives) ||
          reported.has(e.sym) ||
          isStable(e.state, e.sym) ||
          containerLockHeld(e.state, ctx.checker, ctx.primitives)
        )
          continue;
        reported.add(e.sym);
        ctx.report({
          node: e.node,
          messageId: 'loadedOutsideSection',
          data: {
            object: e.sym.name,
            from: ctx.text(o.loadSite),
            loadLine: ctx.line(o.loadSite),
            line: ctx.line(e.node),
          },
          related: [{ node: o.loadSite, message: 'loaded here, outside any read-side section' }],
        });
        continue;
      }
      if (containerLockHeld(e.state, ctx.checker, ctx.primitives)) continue;
      if (e.sym !== undefined) {
        if (isStable(e.state, e.sym)) continue;
        const o = e.state.objs.get(e.sym);
        // A captured variable nothing is known of here (a callback run later): the enclosing
        // function's capture analysis (rcu/reference-escape) covers it.
        if (o === undefined && declaredOutside(e.sym, fn)) continue;
        // Loaded in a section that has since ended: rcu/reference-escape says it better. A
        // plain RCU-freed object is never this rule's (its memory is not type-stable).
        if (o?.origin === 'rcu' && (o.sectionEnded !== undefined || o.graceFreed !== undefined)) continue;
      }
      // In a chain `a.b.c` report the innermost unprotected step once.
      const inner = e.base;
      // `rcuDereferenceProtected(task.sighand, lock)!.siglock`: read by its updater, stable.
      if (ts.isCallExpression(inner) && ctx.primitives.callKind(inner) === 'rcuDereferenceProtected') continue;
      if (stableLoad(inner, e.state, ctx.checker, ctx.primitives)) continue;
      if (
        (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner)) &&
        ctx.primitives.isTypeStableExpr(inner.expression)
      )
        continue;
      if (e.sym !== undefined) reported.add(e.sym);
      ctx.report({
        node: e.node,
        messageId: 'derefOutsideReadLock',
        data: { object: ctx.text(e.base), line: ctx.line(e.node), where: where(e.state) },
      });
    }
  },
});
