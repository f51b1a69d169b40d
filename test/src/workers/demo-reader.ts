/**
 * @fileoverview Reader worker of the `npm start` demo: reads the current config record under
 * rcuReadLock() as fast as it can until told to stop, checking every read, then reports.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
import {
  checkWord,
  DemoWord,
  SlotState,
  SlotWord,
  type DemoReaderData,
  type DemoReaderReport,
} from '../demo/demo-config.js';
import { publishAdd } from './handshake.js';

const data = workerData as DemoReaderData;
const heap = attachHeap(data.heap, { threadName: data.name });
const i32 = heap.views.i32;
const root = data.rootByte >> 2;
let reads = 0;
let versionsSeen = 0;
let firstVersion = -1;
let lastVersion = -1;
let maxStaleness = 0;
let retiredReads = 0;
let tornReads = 0;

publishAdd(i32, root + DemoWord.READY, 1);
while (Atomics.load(i32, root + DemoWord.STOP) === 0) {
  for (let n = 0; n < 256; n++) {
    rcuReadLock();
    // rcu_dereference: the seq-cst load of the pointer orders the slot reads after it, and
    // pairs with the writer's publishing store, which follows its writes of the slot.
    const slot = root + DemoWord.SLOTS + Atomics.load(i32, root + DemoWord.CURRENT) * SlotWord.COUNT;
    const stateBefore = Atomics.load(i32, slot + SlotWord.STATE);
    const version = i32[slot + SlotWord.VERSION]!;
    const a = i32[slot + SlotWord.A]!;
    const b = i32[slot + SlotWord.B]!;
    const check = i32[slot + SlotWord.CHECK]!;
    // Read again at the end of the section: the writer retires a slot only after a grace
    // period, so it must still be live here, however long this section took.
    const stateAfter = Atomics.load(i32, slot + SlotWord.STATE);
    const latest = Atomics.load(i32, root + DemoWord.LATEST);
    rcuReadUnlock();

    reads++;
    if (stateBefore !== SlotState.LIVE || stateAfter !== SlotState.LIVE) retiredReads++;
    if (check !== checkWord(version, a, b)) tornReads++;
    if (version !== lastVersion) {
      if (firstVersion < 0) firstVersion = version;
      versionsSeen++;
      lastVersion = version;
    }
    if (latest - version > maxStaleness) maxStaleness = latest - version;
  }
}
const report: DemoReaderReport = {
  name: data.name,
  reads,
  versionsSeen,
  firstVersion,
  lastVersion,
  maxStaleness,
  retiredReads,
  tornReads,
};
parentPort!.postMessage(report);
heap.detach();
