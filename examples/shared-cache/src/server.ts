/**
 * @fileoverview A server worker: answers "buy product N" requests from the shared catalog,
 * without taking any catalog lock. Each request is a lookup (a reference on the product),
 * a short critical section on the product's own lock, and a put().
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, spinLock, type SharedHeap } from '@rcukit/runtime';
import { CONTROL_ROOT, Control, ID_SPACE, openCatalog, priceFor } from './catalog.js';

export interface ServerReport {
  readonly requests: number;
  readonly sold: number;
  readonly outOfStock: number;
  readonly notListed: number;
  readonly revenueCents: number;
  /** Lookups that returned another product than the one asked for: must stay 0. */
  readonly wrongProduct: number;
  /** Products whose price did not match their version: must stay 0. */
  readonly tornPrice: number;
  /** Lockless lookups that had to start over (a product moved or was reused under us). */
  readonly restarts: number;
}

/** What main.ts passes: the heap to attach and this server's number. */
const data = workerData as { readonly shared: SharedHeap; readonly index: number };
const heap = attachHeap(data.shared, { threadName: `server-${data.index}` });
const { catalog } = openCatalog(heap);
const control = heap.root(CONTROL_ROOT, 8) >> 2;

let requests = 0;
let sold = 0;
let outOfStock = 0;
let notListed = 0;
let revenueCents = 0;
let wrongProduct = 0;
let tornPrice = 0;

/** Serve one request: buy one unit of product `id`. */
function buy(id: number): void {
  requests++;
  // A lockless lookup: on success we hold a reference, so the product cannot be freed (and
  // so cannot become another product) until we put() it.
  const product = catalog.lookup(id);
  if (product === null) {
    notListed++;
    return;
  }
  try {
    if (product.id !== id) wrongProduct++;
    // The product's own lock orders us with other buyers and with in-place repricing.
    // `using` releases it at the end of the block, however the block is left.
    using _lock = spinLock(product.lock);
    if (product.price !== priceFor(id, product.version)) tornPrice++;
    if (product.stock > 0) {
      product.stock--;
      sold++;
      revenueCents += product.price;
    } else {
      outOfStock++;
    }
  } finally {
    catalog.put(product);
  }
}

Atomics.add(heap.views.i32, control + Control.READY, 1);
let seed = (data.index + 1) * 0x2545f491;
while (Atomics.load(heap.views.i32, control + Control.STOP) === 0) {
  for (let n = 0; n < 256; n++) {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    buy((seed >>> 8) % ID_SPACE);
  }
}

const s = catalog.stats();
const report: ServerReport = {
  requests,
  sold,
  outOfStock,
  notListed,
  revenueCents,
  wrongProduct,
  tornPrice,
  restarts: s.nullsRestarts + s.recheckRestarts + s.refcountRestarts + s.walkBoundRestarts,
};
parentPort!.postMessage(report);
heap.detach();
