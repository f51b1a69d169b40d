/**
 * @fileoverview The reaper: a worker, one per heap and creating thread, that reaps the
 * workers heap.startWorker() started when their lifelines close (heap/reaper.ts says why).
 * It is attached to the heap but never enters a read-side section or takes a lock of its own
 * outside reapThread(), so it holds up no grace period, and nothing it waits on can wedge it.
 */

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { attachHeap } from './heap.js';
import type { ReaperMessage } from './reaper.js';

const heap = attachHeap(workerData, { threadName: 'rcukit-reaper' });
/** Lifelines being watched, with the threadId each one stands for. */
const watched = new Map<MessagePort, number>();

parentPort!.on('message', (message: ReaperMessage) => {
  if (message.kind === 'watch') {
    const { lifeline, threadId } = message;
    watched.set(lifeline, threadId);
    lifeline.once('close', () => {
      if (watched.delete(lifeline)) heap.reapThread(threadId);
    });
    return;
  }
  // 'stop': forget every lifeline first, so closing them here reaps nobody.
  const lifelines = [...watched.keys()];
  watched.clear();
  for (const lifeline of lifelines) lifeline.close();
  heap.detach();
  parentPort!.close();
});
