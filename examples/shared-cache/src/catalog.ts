/**
 * @fileoverview The shared product catalog: what every worker of the example declares the same
 * way, and how it opens the catalog in the shared heap.
 *
 * Products live in a SLAB_TYPESAFE_BY_RCU cache: a deleted product's memory may be reused at
 * once for another product, which is what lets the catalog free objects without waiting for
 * readers. The RCU hash table takes care of the consequences on the lookup side (reference,
 * key re-check, restarts); the code here only has to keep two rules:
 * - initialize every field a reader looks at BEFORE inserting the product (insert publishes it);
 * - touch a product only while holding a reference from lookup(), and put() it afterwards.
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheCreate,
  rcuHashTableCreate,
  spinLockInit,
  type Heap,
} from '@rcukit/runtime';

export const Product = defineStruct(
  'product',
  {
    /** Protects stock, and price/version for in-place repricing. */
    lock: 'spinlock',
    /** One reference for the catalog, one per reader holding the product. */
    refcnt: 'refcount',
    /** The product id: the table's key. */
    id: 'i32',
    /** Price in cents; always priceFor(id, version). */
    price: 'i32',
    version: 'i32',
    stock: 'i32',
    /** Links the product into its hash chain. */
    node: 'hlistNulls',
  },
  { typesafeByRcu: true },
);

/** Product ids the shop may ever list; about half are listed at any time. */
export const ID_SPACE = 2_000;

/** A price that can be checked: a reader seeing price !== priceFor(id, version) saw a torn update. */
export function priceFor(id: number, version: number): number {
  return 100 + ((id * 37 + version * 11) % 5_000);
}

/** Every worker calls this: the first creates the cache and the table, the others find them. */
export function openCatalog(heap: Heap) {
  const products = kmemCacheCreate(heap, 'products', Product, {
    flags: SLAB_TYPESAFE_BY_RCU,
    // Runs once per slab, never per allocation: a reader may be spinning on the lock of a
    // product that was just freed and reused, so allocation must not reset it.
    ctor: (p) => spinLockInit(p.lock),
  });
  const catalog = rcuHashTableCreate(heap, 'catalog', {
    cache: products,
    key: 'id',
    refcount: 'refcnt',
    node: 'node',
    buckets: 1024,
  });
  return { products, catalog };
}

/** Control words in the heap: the main thread raises STOP; workers count themselves READY. */
export const Control = { READY: 0, STOP: 1 } as const;
export const CONTROL_ROOT = 'shop-control';
