/**
 * @fileoverview The lockTaskSighand torture as a program (workers/sighand-torture.ts): one
 * writer replacing and freeing tasks' sighands, two readers locking them, for a given time.
 * Prints each worker's result; exits 1 when a reader held another task's sighand. `npm run
 * eval` runs mutants of the worker under debug mode with it (the debug-mode cross-check).
 *
 *   node test/dist/torture/sighand-cli.js [ms]
 */

import { createHeap } from '@rcukit/runtime';
import { seedTasks, startTortureWorker } from '../workers/sighand-torture.js';

const ms = Number(process.argv[2] ?? 800);
if (!(ms > 0 && ms <= 600_000)) {
  console.error('usage: node test/dist/torture/sighand-cli.js [ms (0-600000]]');
  process.exit(2);
}

const heap = createHeap({ maxBytes: 32 << 20, maxThreads: 16 });
// Few tasks: a sighand freed by one task is soon reused for another.
seedTasks(heap, 8);

const results = await Promise.all([
  startTortureWorker(heap, { role: 'writer', ms, seed: 7, recheck: true }),
  startTortureWorker(heap, { role: 'reader', ms, seed: 11, recheck: true }),
  startTortureWorker(heap, { role: 'reader', ms, seed: 13, recheck: true }),
]);
for (const r of results)
  console.log(`${r.role}: ${r.ops} operations, ${r.retries} retries, ${r.violations.length} violations`);
const violations = results.flatMap((r) => r.violations);
for (const v of violations) console.error(`violation: ${v}`);
heap.detach();
process.exitCode = violations.length > 0 ? 1 : 0;
