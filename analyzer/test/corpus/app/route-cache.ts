/**
 * @fileoverview A worker's route cache: routes live in a shared table keyed by destination, each
 * pointing at the gateway it sends through; a worker keeps the routes it used last referenced in
 * a small LRU map. Application code written blind against the public @rcukit/runtime API (corpus
 * of correct code).
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheCreate,
  kmemCacheFree,
  rcuDereferenceProtected,
  rcuHashTableCreate,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountInc,
  refcountIncNotZero,
  spinLock,
  spinLockInit,
  spinUnlock,
  type Heap,
  type KmemCache,
  type RcuHashTable,
  type StructRef,
} from '@rcukit/runtime';

export const Gateway = defineStruct('gateway', { addr: 'u32', mtu: 'i32', refs: 'refcount' }, { typesafeByRcu: true });
export const Route = defineStruct(
  'route',
  {
    dst: 'i32',
    metric: 'i32',
    lock: 'spinlock',
    refs: 'refcount',
    node: 'hlistNulls',
    /** Holds a reference on the gateway; replaced under `lock`. */
    via: { rcu: () => Gateway },
  },
  { typesafeByRcu: true },
);
type GatewayRef = StructRef<typeof Gateway>;
type RouteRef = StructRef<typeof Route>;

export class RouteCache {
  readonly #gateways: KmemCache<typeof Gateway>;
  readonly #table: RcuHashTable<typeof Route>;
  readonly #recent = new Map<number, RouteRef>();
  readonly #capacity: number;
  #hits = 0;
  #misses = 0;

  constructor(heap: Heap, capacity = 64) {
    this.#gateways = kmemCacheCreate(heap, 'gateways', Gateway, { flags: SLAB_TYPESAFE_BY_RCU });
    const routes = kmemCacheCreate(heap, 'routes', Route, {
      flags: SLAB_TYPESAFE_BY_RCU,
      ctor: (route) => spinLockInit(route.lock),
    });
    this.#table = rcuHashTableCreate(heap, 'routes-by-dst', { cache: routes, key: 'dst', refcount: 'refs', node: 'node' });
    this.#capacity = capacity;
  }

  get hitRate(): number {
    const total = this.#hits + this.#misses;
    return total === 0 ? 0 : this.#hits / total;
  }

  /** The cached route to `dst`, referenced by the cache (not by the caller), or null. */
  #cached(dst: number): RouteRef | null {
    const route = this.#recent.get(dst);
    if (route === undefined) return null;
    // Most recently used last: Map keeps insertion order.
    this.#recent.delete(dst);
    this.#recent.set(dst, route);
    this.#hits++;
    return route;
  }

  #fetch(dst: number): RouteRef | null {
    const route = this.#table.lookup(dst);
    this.#misses++;
    if (route === null) return null;
    this.#recent.set(dst, route);
    while (this.#recent.size > this.#capacity) {
      const [oldest, evicted] = this.#recent.entries().next().value as [number, RouteRef];
      this.#recent.delete(oldest);
      this.#table.put(evicted);
    }
    return route;
  }

  /** The metric of the route to `dst`, or -1 when there is none. */
  metricTo(dst: number): number {
    const route = this.#cached(dst) ?? this.#fetch(dst);
    return route === null ? -1 : route.metric;
  }

  /** A route for the caller to keep: a reference of its own, dropped with release(). */
  #pinOne(dst: number): RouteRef | null {
    const cached = this.#recent.get(dst);
    if (cached !== undefined) {
      refcountInc(cached.refs);
      return cached;
    }
    return this.#table.lookup(dst);
  }

  /** The route to `primary`, or failing that to `fallback`; the caller release()s it. */
  resolve(primary: number, fallback: number): RouteRef | null {
    return this.#pinOne(primary) ?? this.#pinOne(fallback);
  }

  release(route: RouteRef): void {
    this.#table.put(route);
  }

  /** Points `route` (referenced by the caller) at `gateway` (referenced by the caller). */
  setGateway(route: RouteRef, gateway: GatewayRef): void {
    refcountInc(gateway.refs);
    spinLock(route.lock);
    const old = rcuDereferenceProtected(route.via, route.lock);
    route.via = gateway;
    spinUnlock(route.lock);
    if (old !== null) this.putGateway(old);
  }

  putGateway(gateway: GatewayRef): void {
    if (refcountDecAndTest(gateway.refs)) kmemCacheFree(this.#gateways, gateway);
  }

  /** Drops every cached route. */
  flush(): void {
    for (const route of this.#recent.values()) this.#table.put(route);
    this.#recent.clear();
  }
}

/**
 * The gateway `route` sends through, with a reference for the caller, or null when it has none or
 * its gateway keeps changing under us.
 */
export function pinGateway(route: RouteRef, maxTries = 4): GatewayRef | null {
  for (let tries = 0; tries < maxTries; tries++) {
    rcuReadLock();
    const gateway = route.via;
    if (gateway === null) {
      rcuReadUnlock();
      return null;
    }
    const pinned = refcountIncNotZero(gateway.refs);
    if (!pinned) {
      rcuReadUnlock();
      continue;
    }
    if (gateway === route.via) {
      rcuReadUnlock();
      return gateway;
    }
    rcuReadUnlock();
    dropGateway(gateway);
  }
  return null;
}

let gatewayCache: KmemCache<typeof Gateway> | null = null;

export function useGatewayCache(cache: KmemCache<typeof Gateway>): void {
  gatewayCache = cache;
}

function dropGateway(gateway: GatewayRef): void {
  if (!refcountDecAndTest(gateway.refs)) return;
  if (gatewayCache === null) throw new Error('gateway cache not set');
  kmemCacheFree(gatewayCache, gateway);
}

/** The MTU towards `dst` through its route's gateway, or `fallback`. */
export function mtuTo(cache: RouteCache, dst: number, fallback: number): number {
  const route = cache.resolve(dst, 0);
  if (route === null) return fallback;
  try {
    const gateway = pinGateway(route);
    if (gateway === null) return fallback;
    const mtu = gateway.mtu;
    dropGateway(gateway);
    return mtu;
  } finally {
    cache.release(route);
  }
}
