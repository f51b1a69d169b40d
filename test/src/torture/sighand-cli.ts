/**
 * @fileoverview The lockTaskSighand torture as a program (workers/sighand-torture.ts): one
 * writer replacing and freeing tasks' sighands, two readers locking them, for a given time.
 * Prints each worker's result; exits 1 when a reader held another task's sighand. `npm run
 * eval` runs mutants of the worker under debug mode with it (the debug-mode cross-check).
 *
 *   node test/dist/torture/sighand-cli.js [ms]
 */

import { Worker } from 'node:worker_threads';
import { addressOf, createHeap, kmemCacheAlloc, type Heap } from '@rcukit/runtime';
import { TASKS_ROOT, TASKS_ROOT_BYTES, openCaches, type TortureResult } from '../workers/sighand-torture.js';

const ms = Number(process.argv[2] ?? 800);
if (!(ms > 0 && ms <= 600_000)) {
  console.error('usage: node test/dist/torture/sighand-cli.js [ms (0-600000]]');
  process.exit(2);
}

const heap = createHeap({ maxBytes: 32 << 20, maxThreads: 16 });
const { sighands, tasks } = openCaches(heap);
const root = heap.root(TASKS_ROOT, TASKS_ROOT_BYTES, 4) >> 2;
const n = 8; // few tasks: a sighand freed by one task is soon reused for another
for (let k = 0; k < n; k++) {
  const t = kmemCacheAlloc(tasks);
  t.id = k + 1;
  const s = kmemCacheAlloc(sighands);
  s.taskId = t.id;
  t.sighand = s;
  heap.views.i32[root + 2 + k] = addressOf(t);
}
Atomics.store(heap.views.i32, root, n);

function start(h: Heap, data: object): Promise<TortureResult> {
  return new Promise((resolve, reject) => {
    const w = h.watchWorker(
      new Worker(new URL('../workers/sighand-torture.js', import.meta.url), {
        workerData: { shared: h.share(), ...data },
      }),
    );
    let result: TortureResult | null = null;
    w.on('message', (m: TortureResult) => (result = m));
    w.on('error', reject);
    w.on('exit', (code) =>
      result !== null ? resolve(result) : reject(new Error(`worker exited with ${code} and no result`)),
    );
  });
}

const results = await Promise.all([
  start(heap, { role: 'writer', ms, seed: 7, recheck: true }),
  start(heap, { role: 'reader', ms, seed: 11, recheck: true }),
  start(heap, { role: 'reader', ms, seed: 13, recheck: true }),
]);
for (const r of results)
  console.log(`${r.role}: ${r.ops} operations, ${r.retries} retries, ${r.violations.length} violations`);
const violations = results.flatMap((r) => r.violations);
for (const v of violations) console.error(`violation: ${v}`);
heap.detach();
process.exitCode = violations.length > 0 ? 1 : 0;
