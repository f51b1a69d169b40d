/**
 * @fileoverview Worker for the lockTaskSighand torture (Linux's __lock_task_sighand): a
 * writer keeps replacing tasks' sighand objects and frees the old ones at once into their
 * SLAB_TYPESAFE_BY_RCU cache (so they are reused immediately, for other tasks); readers lock a
 * task's sighand through rcuReadLock(), spinLock() and the identity recheck, and verify that
 * the sighand they end up holding belongs to that task. Without type-stable memory the
 * spinLock() would hit freed memory; without the recheck a reader would hold another task's
 * sighand.
 *
 * workerData: { shared, role: 'reader' | 'writer', ms, seed, recheck, stopOnViolation }. Runs for
 * `ms`, or until the stop flag is set (a reader with stopOnViolation sets it at its first
 * violation). Posts a TortureResult.
 */

import { Worker, parentPort, workerData } from 'node:worker_threads';
import {
  addressOf,
  attachHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  objectAt,
  rcuReadLock,
  rcuReadUnlock,
  spinLock,
  spinLockInit,
  spinUnlock,
  SLAB_TYPESAFE_BY_RCU,
  type Heap,
  type StructRef,
} from '@rcukit/runtime';

export const Sighand = defineStruct(
  'sighand',
  { siglock: 'spinlock', count: 'refcount', taskId: 'i32', gen: 'i32' },
  { typesafeByRcu: true },
);
export const Task = defineStruct('task', { id: 'i32', sighand: { rcu: () => Sighand } });
/** Root: word 0 = number of tasks, word 1 = stop flag, then one task address per word. */
export const TASKS_ROOT = 'test:tasks';
export const MAX_TASKS = 64;
export const TASKS_ROOT_BYTES = (MAX_TASKS + 2) * 4;
/** taskId of a sighand that has been taken off its task (before it is freed). */
export const DEAD = -1;

export type SighandRef = StructRef<typeof Sighand>;
export type TaskRef = StructRef<typeof Task>;

export function openCaches(heap: Heap) {
  return {
    sighands: kmemCacheCreate(heap, 'sighand', Sighand, {
      flags: SLAB_TYPESAFE_BY_RCU,
      ctor: (s) => spinLockInit(s.siglock),
    }),
    tasks: kmemCacheCreate(heap, 'task', Task),
  };
}

/** Tasks 1..n, each with a sighand of its own, published in the tasks root for the workers. */
export function seedTasks(heap: Heap, n: number) {
  const caches = openCaches(heap);
  const root = heap.root(TASKS_ROOT, TASKS_ROOT_BYTES, 4) >> 2;
  const list = Array.from({ length: n }, (_, k) => {
    const t = kmemCacheAlloc(caches.tasks);
    t.id = k + 1;
    const s = kmemCacheAlloc(caches.sighands);
    s.taskId = t.id;
    t.sighand = s;
    heap.views.i32[root + 2 + k] = addressOf(t);
    return t;
  });
  Atomics.store(heap.views.i32, root, n);
  return { ...caches, list };
}

/** Ask every torture worker of `heap` to stop after its current batch. */
export function stopTorture(heap: Heap): void {
  Atomics.store(heap.views.i32, (heap.root(TASKS_ROOT, TASKS_ROOT_BYTES, 4) >> 2) + 1, 1);
}

/** The kernel's __lock_task_sighand; `recheck: false` is the deliberately broken variant. */
export function lockTaskSighand(task: TaskRef, recheck: boolean, stats: { retries: number }): SighandRef | null {
  for (;;) {
    rcuReadLock();
    const sighand = task.sighand;
    if (sighand === null) {
      rcuReadUnlock();
      return null;
    }
    spinLock(sighand.siglock);
    if (!recheck || sighand === task.sighand) {
      rcuReadUnlock();
      return sighand;
    }
    spinUnlock(sighand.siglock);
    rcuReadUnlock();
    stats.retries++;
  }
}

export interface TortureResult {
  readonly role: string;
  readonly ops: number;
  readonly retries: number;
  readonly violations: string[];
}

/** Run this module as a watched worker of `heap` with the given role and options; resolves to its result. */
export function startTortureWorker(heap: Heap, data: Omit<Data, 'shared'>): Promise<TortureResult> {
  return new Promise((resolve, reject) => {
    const w = heap.watchWorker(new Worker(new URL(import.meta.url), { workerData: { shared: heap.share(), ...data } }));
    let result: TortureResult | null = null;
    w.on('message', (m: TortureResult) => (result = m));
    w.on('error', reject);
    w.on('exit', (code) =>
      result !== null ? resolve(result) : reject(new Error(`worker exited with ${code} and no result`)),
    );
  });
}

export interface Data {
  shared: unknown;
  role: 'reader' | 'writer';
  ms: number;
  seed: number;
  recheck: boolean;
  stopOnViolation?: boolean;
}

function main(data: Data): TortureResult {
  const heap = attachHeap(data.shared, { threadName: `sighand-${data.role}` });
  const { sighands } = openCaches(heap);
  const root = heap.root(TASKS_ROOT, TASKS_ROOT_BYTES, 4) >> 2;
  const n = heap.views.i32[root]!;
  const tasks = Array.from({ length: n }, (_, k) => objectAt(Task, heap, heap.views.i32[root + 2 + k]!));
  let x = data.seed | 1;
  const rand = (m: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % m;
  };
  const stats = { retries: 0 };
  const violations: string[] = [];
  let ops = 0;
  let gen = 0;
  const end = Date.now() + data.ms;
  while (Date.now() < end && Atomics.load(heap.views.i32, root + 1) === 0) {
    for (let k = 0; k < 64; k++, ops++) {
      const task = tasks[rand(n)]!;
      if (data.role === 'writer') {
        const fresh = kmemCacheAlloc(sighands);
        // Initialize, then publish: the rcu_assign_pointer below orders these stores first.
        fresh.taskId = task.id;
        fresh.gen = ++gen;
        const old = lockTaskSighand(task, true, stats)!;
        task.sighand = fresh;
        old.taskId = DEAD;
        spinUnlock(old.siglock);
        // Free at once: the cache is type-stable, readers may still lock it (and must recheck).
        kmemCacheFree(sighands, old);
      } else {
        const s = lockTaskSighand(task, data.recheck, stats);
        if (s === null) {
          violations.push(`task ${task.id} has no sighand`);
        } else {
          if (s.taskId !== task.id && violations.length < 10) {
            violations.push(`locked sighand of task ${s.taskId} (gen ${s.gen}) while asking for task ${task.id}`);
            if (data.stopOnViolation === true) Atomics.store(heap.views.i32, root + 1, 1);
          }
          spinUnlock(s.siglock);
        }
      }
    }
  }
  heap.detach();
  return { role: data.role, ops, retries: stats.retries, violations };
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'role' in workerData) {
  parentPort.postMessage(main(workerData as Data));
}
