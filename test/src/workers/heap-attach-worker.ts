/**
 * @fileoverview Worker for heap tests: attaches to the heap in workerData, then obeys one
 * command from workerData.command and reports the result by postMessage.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap } from '@rcukit/runtime';

interface Command {
  readonly heap: unknown;
  readonly name: string;
  readonly command: 'threads' | 'root' | 'grow-and-write' | 'pass-on';
  readonly rootName?: string;
  readonly bytes?: number;
}

const data = workerData as Command;
const heap = attachHeap(data.heap, { threadName: data.name });
switch (data.command) {
  case 'threads':
    parentPort!.postMessage(heap.threads().map((t) => t.name));
    break;
  case 'root': {
    const at = heap.root(data.rootName!, data.bytes!);
    heap.views.i32[at >> 2] = 0x5eed;
    parentPort!.postMessage(at);
    break;
  }
  case 'grow-and-write': {
    // Grow the shared buffer from this worker and write a marker at its new end, so the
    // creator must remap to see it.
    heap.grow(data.bytes!);
    heap.views.i32[(data.bytes! >> 2) - 1] = 0x7e57;
    parentPort!.postMessage(heap.byteLength);
    break;
  }
  case 'pass-on': {
    // What a worker does to start workers of its own: send the shared heap on. A lifeline
    // left in it would need a transfer list.
    let cloned: string;
    try {
      structuredClone(data.heap);
      cloned = 'ok';
    } catch (error) {
      cloned = String(error);
    }
    parentPort!.postMessage({ lifelineLeft: 'lifeline' in (data.heap as object), cloned });
    break;
  }
}
heap.detach();
