/**
 * @fileoverview An rcutorture fake writer (the kernel's rcu_torture_fakewriter): waits for
 * grace periods in a loop through every API, updating nothing. It contends for the GP lock
 * with the real writer, so the writer's grace periods are often completed by another thread
 * (batching), which is exactly the path a cookie bug would break.
 */

import { parentPort, workerData } from 'node:worker_threads';
import {
  attachHeap,
  callRcu,
  pollStateSynchronizeRcu,
  rcuBarrierAsync,
  startPollSynchronizeRcu,
  synchronizeRcu,
  synchronizeRcuAsync,
} from '@rcukit/runtime';
import { Ctl, tortureViews, type TortureWorkerData } from '../torture/torture-layout.js';

const data = workerData as TortureWorkerData;
const heap = attachHeap(data.heap, { threadName: data.name });
const { ctl } = tortureViews(heap.buffer, data.rootByte, data.poolSize);

async function main(): Promise<number> {
  let waits = 0;
  let step = data.seed;
  while (Atomics.load(ctl, Ctl.STOP) === 0) {
    switch (step++ & 3) {
      case 0:
        synchronizeRcu();
        break;
      case 1:
        await synchronizeRcuAsync();
        break;
      case 2: {
        const cookie = startPollSynchronizeRcu();
        while (!pollStateSynchronizeRcu(cookie)) await new Promise((r) => setImmediate(r));
        break;
      }
      case 3:
        callRcu(() => {});
        await rcuBarrierAsync();
        break;
    }
    waits++;
    // Leave the CPU to readers and the writer now and then (two cores here).
    if ((waits & 7) === 0) await new Promise((r) => setTimeout(r, 1));
  }
  heap.detach();
  return waits;
}

main().then(
  (waits) => parentPort!.postMessage({ done: true, waits }),
  (error: unknown) => parentPort!.postMessage({ error: String(error instanceof Error ? error.stack : error) }),
);
