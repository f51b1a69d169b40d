/**
 * @fileoverview rcu/lock-without-ctor: taking a type-stable object's spinlock without holding a
 * reference on it, when its cache's constructor does not initialize that lock. Without a
 * reference the object may be freed and reused under the locker at any instant; the lock is
 * still a lock only if it is set up once per slab (the constructor) and never re-initialized
 * per allocation — the kernel's rule for SLAB_TYPESAFE_BY_RCU caches whose objects are locked
 * from a lookup (sighand_ctor initializes siglock for __lock_task_sighand).
 *
 * The cache is found through the struct: the lock field's declaration leads to its defineStruct,
 * and from there to the project's kmemCacheCreate calls for that struct. When no cache (or no
 * resolvable constructor) is found the rule stays silent.
 */

import { ts } from 'ts-morph';
import { skipParens, walkTree } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';
import { SLAB_TYPESAFE_BY_RCU_BIT, type CacheDecl } from '../primitives/slab-model.js';
import { defineRule } from './define-rule.js';
import { functionBodyOf } from './rule-utils/slab-sites.js';

export default defineRule({
  id: 'rcu/lock-without-ctor',
  meta: {
    description:
      "Disallow taking a type-stable object's spinlock without a reference when the cache's constructor does not initialize that lock.",
    messages: {
      noCtor:
        '`{{call}}` at line {{line}} locks `{{object}}` without holding a reference, but cache `{{cache}}` has no constructor: the lock of a freed and reused object is not guaranteed to be a valid lock. Initialize `{{field}}` in a ctor (spinLockInit) or take a reference first.',
      ctorMissesLock:
        '`{{call}}` at line {{line}} locks `{{object}}` without holding a reference, but the constructor of cache `{{cache}}` does not initialize `{{field}}`: the lock of a freed and reused object is not guaranteed to be a valid lock. Call spinLockInit({{param}}.{{field}}) in the ctor, or take a reference first.',
    },
  },
  defaultSeverity: 'error',
  precision: 'high',
  check(ctx) {
    const slab = ctx.primitives.slab;
    for (const e of ctx.events) {
      if (e.kind !== 'spinLock' || !ts.isCallExpression(e.node)) continue;
      const kind = ctx.primitives.callKind(e.node);
      if (kind !== 'spinLock' && kind !== 'spinTrylock') continue;
      const arg = lockExpression(e.node.arguments[0], ctx.checker);
      if (arg === undefined || !ts.isPropertyAccessExpression(arg) || !ctx.primitives.isTypeStableExpr(arg.expression))
        continue;
      // Held by reference (refcountIncNotZero on every path, a table lookup), fresh, or owned: no reuse possible.
      const o = e.sym === undefined ? undefined : e.state.objs.get(e.sym);
      if (
        o !== undefined &&
        (o.origin === 'fresh' || o.origin === 'owned' || o.origin === 'stable' || o.refHeld !== undefined)
      )
        continue;
      const struct = slab.structOfField(arg);
      if (struct === undefined) continue;
      const field = arg.name.text;
      const caches = slab
        .cachesOf(struct)
        .filter(
          (c) => c.flags === undefined || (c.flags & SLAB_TYPESAFE_BY_RCU_BIT) !== 0 || struct.typesafeByRcu === true,
        );
      const bad = caches
        .map((c) => ({ c, why: ctorVerdict(c, field, ctx.primitives) }))
        .find((x) => x.why !== 'ok' && x.why !== 'unknown');
      if (bad === undefined) continue;
      const name = cacheName(bad.c);
      const data = {
        call: ctx.text(e.node),
        line: ctx.line(e.node),
        object: ctx.text(arg.expression),
        cache: name,
        field,
      };
      const related: Array<{ node: ts.Node; message: string }> = [{ node: bad.c.call, message: 'cache created here' }];
      if (bad.why === 'noCtor') {
        ctx.report({ node: e.node, messageId: 'noCtor', data, related });
      } else {
        const ctor = bad.c.ctor!;
        const p = ctor.parameters[0];
        related.push({ node: ctor, message: 'constructor here' });
        ctx.report({
          node: e.node,
          messageId: 'ctorMissesLock',
          data: { ...data, param: p !== undefined && ts.isIdentifier(p.name) ? p.name.text : 'obj' },
          related,
        });
      }
    }
  },
});

/** `sk.lock`, also through a const alias (`const lock = sk.lock; spinLock(lock)`). */
function lockExpression(arg: ts.Expression | undefined, checker: ts.TypeChecker): ts.Expression | undefined {
  const x = arg === undefined ? undefined : skipParens(arg);
  if (x === undefined || !ts.isIdentifier(x)) return x;
  const d = checker.getSymbolAtLocation(x)?.valueDeclaration;
  const constDecl =
    d !== undefined &&
    ts.isVariableDeclaration(d) &&
    ts.isVariableDeclarationList(d.parent) &&
    (d.parent.flags & ts.NodeFlags.Const) !== 0;
  return constDecl && d.initializer !== undefined ? skipParens(d.initializer) : x;
}

function cacheName(c: CacheDecl): string {
  const a = c.call.arguments[1];
  return a !== undefined && ts.isStringLiteralLike(a) ? a.text : (a?.getText() ?? 'cache');
}

/**
 * Whether the cache's constructor initializes `field`: a `spinLockInit(p.field)` call in its
 * body (or in project helpers it calls, up to three levels down). 'unknown' when the
 * ctor is given but cannot be resolved to a function.
 */
function ctorVerdict(c: CacheDecl, field: string, primitives: Primitives): 'ok' | 'noCtor' | 'missesLock' | 'unknown' {
  if (c.ctorProp === undefined) return 'noCtor';
  if (c.ctor === undefined || c.ctor.body === undefined) return 'unknown';
  return initializesLock(c.ctor.body, field, primitives, 0) ? 'ok' : 'missesLock';
}

function initializesLock(body: ts.Node, field: string, primitives: Primitives, depth: number): boolean {
  return walkTree(body, (n) => {
    if (!ts.isCallExpression(n)) return undefined;
    const kind = primitives.callKind(n);
    const a = n.arguments[0] === undefined ? undefined : skipParens(n.arguments[0]);
    if (kind === 'spinLockInit' && a !== undefined && ts.isPropertyAccessExpression(a) && a.name.text === field)
      return 'stop';
    if (kind === undefined && depth < 3) {
      const body = functionBodyOf(primitives.calleeSymbol(n)?.valueDeclaration);
      if (body !== undefined && initializesLock(body, field, primitives, depth + 1)) return 'stop';
    }
    return undefined;
  });
}
