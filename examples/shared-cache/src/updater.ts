/**
 * @fileoverview The updater worker: keeps the catalog changing while servers read it. It lists
 * new products, delists others (their memory is reused at once for the next new product),
 * relaunches products (replace: a new object with a new version and fresh stock), and reprices
 * or restocks in place under the product's lock.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, kmemCacheAlloc, kmemCacheFree, spinLock, type SharedHeap } from '@rcukit/runtime';
import { CONTROL_ROOT, Control, ID_SPACE, openCatalog, priceFor } from './catalog.js';

export interface UpdaterReport {
  readonly listed: number;
  readonly delisted: number;
  readonly relaunched: number;
  readonly repriced: number;
}

/** What main.ts passes: the heap to attach. */
const data = workerData as { readonly shared: SharedHeap };
const heap = attachHeap(data.shared, { threadName: 'updater' });
const { products, catalog } = openCatalog(heap);
const control = heap.root(CONTROL_ROOT, 8) >> 2;

let listed = 0;
let delisted = 0;
let relaunched = 0;
let repriced = 0;

/** A new product object, every field a reader looks at set BEFORE it is published. */
function newProduct(id: number, version: number) {
  const p = kmemCacheAlloc(products);
  p.id = id;
  p.version = version;
  p.price = priceFor(id, version);
  p.stock = 50;
  return p;
}

Atomics.add(heap.views.i32, control + Control.READY, 1);
let seed = 0x5eed;
while (Atomics.load(heap.views.i32, control + Control.STOP) === 0) {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0;
  const id = (seed >>> 8) % ID_SPACE;
  switch ((seed >>> 4) & 3) {
    case 0: {
      // List it, or delist it if it is listed. delete() frees the product at once unless a
      // server holds it; that server's put() frees it then.
      if (catalog.delete(id)) {
        delisted++;
      } else {
        const p = newProduct(id, 1);
        if (catalog.insert(p)) listed++;
        else kmemCacheFree(products, p); // listed meanwhile by someone else: not ours to publish
      }
      break;
    }
    case 1: {
      // Relaunch: readers see the old object or the new one, never no product.
      const old = catalog.lookup(id);
      const version = old === null ? 1 : old.version + 1;
      if (old !== null) catalog.put(old);
      catalog.replace(newProduct(id, version));
      relaunched++;
      break;
    }
    default: {
      // Reprice and restock in place, under the product's lock (servers read both under it).
      const p = catalog.lookup(id);
      if (p === null) break;
      try {
        using _lock = spinLock(p.lock);
        p.version++;
        p.price = priceFor(id, p.version);
        p.stock += 5;
        repriced++;
      } finally {
        catalog.put(p);
      }
    }
  }
}

const report: UpdaterReport = { listed, delisted, relaunched, repriced };
parentPort!.postMessage(report);
heap.detach();
