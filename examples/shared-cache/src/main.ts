/**
 * @fileoverview shared-cache: several worker threads serve purchases from one product catalog
 * in shared memory while another worker changes the catalog under them, with lockless lookups
 * (RCU), type-stable memory and per-product locks.
 *
 *   npx tsc -b examples/shared-cache && node examples/shared-cache/dist/main.js [seconds] [servers]
 *
 * Prints what was served and checks what must hold: no lookup ever returned another product
 * than the one asked for, and no product was seen with a price that does not match its version.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { createHeap, kmemCacheAlloc } from '@rcukit/runtime';
import { CONTROL_ROOT, Control, ID_SPACE, openCatalog, priceFor } from './catalog.js';
import type { ServerReport } from './server.js';
import type { UpdaterReport } from './updater.js';

const seconds = Number(process.argv[2] ?? 2);
const servers = Number(process.argv[3] ?? 3);
if (!(seconds > 0 && seconds <= 600) || !Number.isInteger(servers) || servers < 1 || servers > 32) {
  console.error('usage: node examples/shared-cache/dist/main.js [seconds (0-600]] [servers (1-32)]');
  process.exit(2);
}

// The heap is the shared memory every worker attaches to; `using` detaches at the end.
using heap = createHeap({ threadName: 'shop-main' });
const { products, catalog } = openCatalog(heap);
const control = heap.root(CONTROL_ROOT, 8) >> 2;

// Stock the shop: every other product id is listed.
for (let id = 0; id < ID_SPACE; id += 2) {
  const p = kmemCacheAlloc(products);
  p.id = id;
  p.version = 1;
  p.price = priceFor(id, 1);
  p.stock = 50;
  catalog.insert(p);
}
console.log(`catalog: ${catalog.size} products listed, ${catalog.buckets} buckets`);

function start<T>(file: string, data: Record<string, unknown>): { report: Promise<T>; exit: Promise<unknown> } {
  // watchWorker: if a worker dies, even inside a read-side section or holding a lock, the
  // heap reaps its slot so grace periods and lock waiters are not stuck behind it.
  const worker = heap.watchWorker(
    new Worker(new URL(file, import.meta.url), { workerData: { shared: heap.share(), ...data } }),
  );
  const report = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { report, exit: once(worker, 'exit') };
}

const serverRuns = Array.from({ length: servers }, (_, index) => start<ServerReport>('./server.js', { index }));
const updaterRun = start<UpdaterReport>('./updater.js', {});

// Let them run, then raise STOP; every worker reports and exits.
const i32 = heap.views.i32;
const startedBy = Date.now() + 30_000;
while (Atomics.load(i32, control + Control.READY) < servers + 1 && Date.now() < startedBy) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const t0 = performance.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
Atomics.store(i32, control + Control.STOP, 1);
const reports = await Promise.all(serverRuns.map((s) => s.report));
const updates = await updaterRun.report;
const elapsed = (performance.now() - t0) / 1000;
await Promise.all([...serverRuns.map((s) => s.exit), updaterRun.exit]);

const total = (f: (r: ServerReport) => number) => reports.reduce((a, r) => a + f(r), 0);
const requests = total((r) => r.requests);
console.log(
  `served ${requests.toLocaleString('en-US')} requests in ${elapsed.toFixed(1)} s by ${servers} servers (${Math.round(requests / elapsed).toLocaleString('en-US')}/s)`,
);
console.log(
  `  sold ${total((r) => r.sold).toLocaleString('en-US')} units for $${(total((r) => r.revenueCents) / 100).toLocaleString('en-US')}, ` +
    `${total((r) => r.outOfStock).toLocaleString('en-US')} out of stock, ${total((r) => r.notListed).toLocaleString('en-US')} not listed`,
);
console.log(
  `updater: ${updates.listed} listed, ${updates.delisted} delisted, ${updates.relaunched} relaunched (replaced), ${updates.repriced} repriced in place`,
);
console.log(
  `lockless lookups restarted ${total((r) => r.restarts)} times (a product moved chains or was reused under a reader)`,
);
const wrong = total((r) => r.wrongProduct);
const torn = total((r) => r.tornPrice);
console.log(`checks: ${wrong} wrong products returned, ${torn} torn prices seen`);
console.log(`catalog now: ${catalog.size} products; ${catalog.clear()} delisted at shutdown`);
if (wrong !== 0 || torn !== 0) {
  console.error('FAILED: a lookup returned the wrong product or a torn price');
  process.exitCode = 1;
}
