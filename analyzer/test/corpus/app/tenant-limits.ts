/**
 * @fileoverview Per-tenant rate limits that an admin thread replaces while request workers read
 * them without locks. Limits live in a plain cache: a replaced record is freed only after a
 * grace period. Application code written blind against the public @rcukit/runtime API (corpus of
 * correct code).
 */

import {
  callRcu,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuDereferenceProtected,
  rcuReadLock,
  rcuReadUnlock,
  spinLock,
  spinLockInit,
  spinUnlock,
  synchronizeRcuAsync,
  type Heap,
  type KmemCache,
  type StructRef,
} from '@rcukit/runtime';

export const Limits = defineStruct('tenant-limits', { maxBytes: 'f64', maxRequests: 'i32', burst: 'i32' });
export const Tenant = defineStruct('tenant', { id: 'i32', updateLock: 'spinlock', limits: { rcu: () => Limits } });
type TenantRef = StructRef<typeof Tenant>;

export interface LimitChange {
  readonly maxBytes?: number;
  readonly maxRequests?: number;
  readonly burst?: number;
}

const DEFAULT_REQUESTS = 100;

export class TenantLimits {
  readonly #limits: KmemCache<typeof Limits>;
  readonly #tenants: KmemCache<typeof Tenant>;
  #replaced = 0;

  constructor(heap: Heap) {
    this.#limits = kmemCacheCreate(heap, 'tenant-limits', Limits);
    this.#tenants = kmemCacheCreate(heap, 'tenants', Tenant);
  }

  get replaced(): number {
    return this.#replaced;
  }

  createTenant(id: number): TenantRef {
    const tenant = kmemCacheAlloc(this.#tenants);
    tenant.id = id;
    spinLockInit(tenant.updateLock);
    tenant.limits = null;
    return tenant;
  }

  /** Copy-on-write update: readers see the old record or the new one, never a mix. */
  async update(tenant: TenantRef, change: LimitChange): Promise<void> {
    const next = kmemCacheAlloc(this.#limits);
    spinLock(tenant.updateLock);
    const old = rcuDereferenceProtected(tenant.limits, tenant.updateLock);
    next.maxBytes = change.maxBytes ?? old?.maxBytes ?? Infinity;
    next.maxRequests = change.maxRequests ?? old?.maxRequests ?? DEFAULT_REQUESTS;
    next.burst = change.burst ?? old?.burst ?? 0;
    tenant.limits = next;
    spinUnlock(tenant.updateLock);
    this.#replaced++;
    if (old === null) return;
    await synchronizeRcuAsync();
    kmemCacheFree(this.#limits, old);
  }

  /** Drops a tenant's limits without waiting: the record goes back after a grace period. */
  clear(tenant: TenantRef): boolean {
    let old;
    spinLock(tenant.updateLock);
    try {
      old = rcuDereferenceProtected(tenant.limits, tenant.updateLock);
      tenant.limits = null;
    } finally {
      spinUnlock(tenant.updateLock);
    }
    if (old === null) return false;
    const cache = this.#limits;
    const record = old;
    callRcu(() => kmemCacheFree(cache, record));
    return true;
  }
}

/** Each tenant's byte limit, for tenants that have limits. */
export function byteLimits(tenants: readonly TenantRef[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const tenant of tenants) {
    if (tenant.id < 0) continue;
    {
      using _ = rcuReadLock();
      const limits = tenant.limits;
      if (limits === null) continue;
      out.set(tenant.id, limits.maxBytes);
    }
  }
  return out;
}

/** Tenants whose usage is over their byte limit. */
export function overLimit(tenants: readonly TenantRef[], usage: ReadonlyMap<number, number>): number[] {
  rcuReadLock();
  try {
    return tenants
      .filter((tenant) => {
        const limits = tenant.limits;
        return limits !== null && (usage.get(tenant.id) ?? 0) > limits.maxBytes;
      })
      .map((tenant) => tenant.id);
  } finally {
    rcuReadUnlock();
  }
}

/** Whether any tenant allows bursts at all. */
export function anyBurst(tenants: readonly TenantRef[]): boolean {
  using _ = rcuReadLock();
  return tenants.some((tenant) => (tenant.limits?.burst ?? 0) > 0);
}

/**
 * Admits requests one by one: the usage comes from an async source, the limit is read in a short
 * section between the awaits, never across one.
 */
export async function admit(
  tenant: TenantRef,
  requests: readonly number[],
  usageOf: (tenantId: number) => Promise<number>,
): Promise<number> {
  let admitted = 0;
  for (const bytes of requests) {
    const used = await usageOf(tenant.id);
    rcuReadLock();
    const limits = tenant.limits;
    const cap = limits === null ? Infinity : limits.maxBytes;
    const maxRequests = limits === null ? Infinity : limits.maxRequests;
    rcuReadUnlock();
    if (used + bytes > cap || admitted >= maxRequests) break;
    admitted++;
    await Promise.resolve();
  }
  return admitted;
}
