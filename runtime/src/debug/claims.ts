/**
 * @fileoverview Debug mode's rcuDereferenceProtected(): it checks the claim at the call (the
 * named spinlock is held by this thread; the named refcount is above zero) and records it for
 * the object, so that later uses outside a read-side section are quiet exactly while the
 * claim still holds (debug/object-checks.ts checks it again at each use).
 */

import { SuspiciousRcuUsageError } from '../errors.js';
import { Refcount } from '../refcount.js';
import type { RcuDereferenceProtected } from '../rcu/dereference-protected.js';
import { threadLocal } from '../heap/thread-context.js';
import { StructObjectBase } from '../struct-object.js';
import { callSiteText, captureCallSite } from './call-site.js';

export function rcuDereferenceProtectedDebug<T>(value: T, protectedBy: Parameters<RcuDereferenceProtected>[1]): T {
  const d = threadLocal.current?.heap.debug ?? null;
  if (d === null || value === null || value === undefined) return value;
  const site = captureCallSite(rcuDereferenceProtectedDebug);
  let broken: string | null = null;
  if (protectedBy instanceof Refcount) {
    if (Atomics.load(protectedBy.heap.views.i32, protectedBy.index) <= 0)
      broken = `the claimed reference ${protectedBy.label} is not held (its count is 0)`;
  } else if (protectedBy !== true && !protectedBy.heldByMe) {
    broken = `the claimed lock ${protectedBy.label} is not held by this thread`;
  }
  if (broken !== null) {
    throw new SuspiciousRcuUsageError(
      `suspicious RCU usage: rcuDereferenceProtected(): ${broken}\n  claimed at:\n${callSiteText(site)}`,
    );
  }
  if (value instanceof StructObjectBase) {
    d.claims.set(value, { claim: protectedBy, site });
    d.obtained.set(value, site);
  }
  return value;
}
