/**
 * @fileoverview Debug mode (createHeap({ debug: true })): each report fires on the misuse it
 * names, with its stable code and both stacks, and stays quiet on the correct code beside it.
 * Off (`debug: false`), the same misuses pass unnoticed and objects keep the plain accessors.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CacheDestroyedError,
  InvalidBlockingError,
  InvalidHeapOptionsError,
  LockOrderError,
  SLAB_TYPESAFE_BY_RCU,
  Spinlock,
  StaleObjectError,
  addressOf,
  SuspiciousRcuUsageError,
  UseAfterFreeError,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
  rcuDereferenceProtected,
  rcuHashTableCreate,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountIncNotZero,
  spinLock,
  spinLockInit,
  spinUnlock,
  synchronizeRcu,
  type Heap,
  type RcukitError,
} from '@rcukit/runtime';
import { exited, startWorker } from '../worker-helpers.js';

const sighandFields = {
  siglock: 'spinlock',
  refcnt: 'refcount',
  key: 'i32',
  count: 'i32',
  node: 'hlistNulls',
} as const;
const Sighand = defineStruct('dbg_sighand', sighandFields, { typesafeByRcu: true });
const Task = defineStruct('dbg_task', { allocLock: 'spinlock', sighand: { rcu: () => Sighand } });
const Plain = defineStruct('dbg_plain', { value: 'i32' });

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

function setup(debug: boolean | { fuzz: boolean } = true) {
  const h = (heap = createHeap({ debug }));
  const sighands = kmemCacheCreate(h, 'dbg_sighand', Sighand, {
    flags: SLAB_TYPESAFE_BY_RCU,
    ctor: (s) => spinLockInit(s.siglock),
  });
  const tasks = kmemCacheCreate(h, 'dbg_task', Task, { ctor: (t) => spinLockInit(t.allocLock) });
  const task = kmemCacheAlloc(tasks);
  const sighand = kmemCacheAlloc(sighands);
  sighand.count = 1; // fresh and unpublished: no protection needed yet
  task.sighand = sighand; // published: from here on it needs one
  return { h, sighands, tasks, task, sighand };
}

function thrown(fn: () => unknown): RcukitError {
  try {
    fn();
  } catch (error) {
    return error as RcukitError;
  }
  throw new Error('expected a throw');
}

describe('SuspiciousRcuUsageError', () => {
  it('reports a published type-stable object used outside any protection, with where it was loaded and used', () => {
    const { task } = setup();
    const error = thrown(() => task.sighand!.count);
    expect(error).toBeInstanceOf(SuspiciousRcuUsageError);
    expect(error.code).toBe('ERR_SUSPICIOUS_RCU_USAGE');
    expect(error.message).toMatch(/read of dbg_sighand\.count/);
    const [, obtained, used] = error.message.split(/object obtained at:|used at:/);
    expect(obtained).toMatch(/debug-mode\.test\.ts/);
    expect(used).toMatch(/debug-mode\.test\.ts/);
  });

  it('stays quiet inside a section, under the object lock, with a reference, and under a claim that holds', () => {
    const { task, sighand } = setup();
    rcuReadLock();
    const s = task.sighand!;
    expect(s.count).toBe(1);
    spinLock(s.siglock);
    rcuReadUnlock();
    s.count++; // stabilized by its lock, revalidation aside
    spinUnlock(s.siglock);

    expect(() => sighand.count).toThrow(SuspiciousRcuUsageError); // the lock is dropped

    spinLock(task.allocLock);
    const old = rcuDereferenceProtected(task.sighand, task.allocLock)!;
    expect(old.count).toBe(2);
    spinUnlock(task.allocLock);
    expect(() => old.count).toThrow(SuspiciousRcuUsageError); // the claim no longer holds
  });

  it('checks the rcuDereferenceProtected() claim when it is made', () => {
    const { task } = setup();
    const error = thrown(() => rcuDereferenceProtected(task.sighand, task.allocLock));
    expect(error).toBeInstanceOf(SuspiciousRcuUsageError);
    expect(error.message).toMatch(/dbg_task\.allocLock is not held by this thread/);
    expect(rcuDereferenceProtected(task.sighand, true)!.count).toBe(1);
  });

  it('knows the reference an RcuHashTable lookup takes for its caller, and its put()', () => {
    const { h, sighands } = setup();
    const table = rcuHashTableCreate(h, 'dbg_table', {
      cache: sighands,
      key: 'key',
      refcount: 'refcnt',
      node: 'node',
    });
    const s = kmemCacheAlloc(sighands);
    s.key = 7;
    expect(table.insert(s)).toBe(true);
    expect(() => s.count).toThrow(SuspiciousRcuUsageError); // published: the table's reference is not ours
    const found = table.lookup(7)!;
    expect(found.key).toBe(7);
    table.put(found);
    expect(() => found.key).toThrow(SuspiciousRcuUsageError);
    rcuReadLock();
    expect(refcountIncNotZero(s.refcnt)).toBe(true);
    rcuReadUnlock();
    expect(s.key).toBe(7); // this thread's own reference
    expect(refcountDecAndTest(s.refcnt)).toBe(false);
    expect(() => s.key).toThrow(SuspiciousRcuUsageError);
    table.clear();
  });

  it('is off with debug: false: the same misuse passes, and objects keep the plain accessors', () => {
    const { task } = setup(false);
    expect(task.sighand!.count).toBe(1);
    expect(Object.getPrototypeOf(task)).toBe(Task.objectClass.prototype);
    expect(heap!.debug).toBeNull();
  });
});

describe('StaleObjectError', () => {
  /** Free `obj` from another worker, as a concurrent updater would. */
  async function freeElsewhere(h: Heap, obj: object): Promise<void> {
    const struct = { name: 'dbg_sighand', fields: sighandFields };
    const data = { heap: h.share(), cache: 'dbg_sighand', struct, lock: 'siglock', address: addressOf(obj) };
    expect(await exited(startWorker('stale-free-worker', data))).toBe(0);
  }

  it('reports an object used under its lock after another thread freed it since this one loaded it', async () => {
    const { h, task, sighands, sighand } = setup();
    rcuReadLock();
    try {
      const s = task.sighand!;
      task.sighand = kmemCacheAlloc(sighands); // the updater replaces it ...
      await freeElsewhere(h, sighand); // ... and another thread frees the old one
      expect(s.count).toBe(1); // a lockless read in the section is a reader's business
      spinLock(s.siglock);
      const error = thrown(() => s.count);
      expect(error).toBeInstanceOf(StaleObjectError);
      expect(error.code).toBe('ERR_STALE_OBJECT');
      expect(error.message).toMatch(/^read of dbg_sighand\.count .* under its lock .*\(1 free since\)/);
      const [, obtained, used] = error.message.split(/object obtained at:|used at:/);
      expect(obtained).toMatch(/debug-mode\.test\.ts/);
      expect(used).toMatch(/debug-mode\.test\.ts/);
      // The re-check sees another object there: the code gives it up, as it should.
      expect(s === task.sighand).toBe(false);
      spinUnlock(s.siglock);
    } finally {
      rcuReadUnlock();
    }
  });

  it('stays quiet once the pointer, loaded again under the lock, leads to the same object', async () => {
    const { h, task, sighand } = setup();
    rcuReadLock();
    try {
      const s = task.sighand!;
      await freeElsewhere(h, sighand); // freed; here it is still (or again) what the task points to
      spinLock(s.siglock);
      expect(s === task.sighand).toBe(true); // the re-check: a fresh load of the pointer
      s.count = 2;
      spinUnlock(s.siglock);
    } finally {
      rcuReadUnlock();
    }
  });

  it("takes a read of a table's key field under the lock as the revalidation", async () => {
    const { h, task, sighands, sighand } = setup();
    rcuHashTableCreate(h, 'dbg_stale_table', { cache: sighands, key: 'key', refcount: 'refcnt', node: 'node' });
    rcuReadLock();
    try {
      const s = task.sighand!;
      await freeElsewhere(h, sighand);
      spinLock(s.siglock);
      expect(s.key).toBe(0); // compared with the key looked up: the identity is checked
      expect(s.count).toBe(1);
      spinUnlock(s.siglock);
    } finally {
      rcuReadUnlock();
    }
  });

  it('takes a read of a key field the struct declares as the revalidation, and no other field', async () => {
    const connFields = { lock: 'spinlock', refs: 'refcount', tuple: 'i32', bytes: 'i32' } as const;
    const Conn = defineStruct('dbg_conn', connFields, { typesafeByRcu: true, key: 'tuple' });
    const Slot = defineStruct('dbg_conn_slot', { conn: { rcu: () => Conn } });
    const h = (heap = createHeap({ debug: true }));
    const conns = kmemCacheCreate(h, 'dbg_conn', Conn, {
      flags: SLAB_TYPESAFE_BY_RCU,
      ctor: (c) => spinLockInit(c.lock),
    });
    const slot = kmemCacheAlloc(kmemCacheCreate(h, 'dbg_conn_slot', Slot));
    const c = kmemCacheAlloc(conns);
    c.tuple = 5;
    slot.conn = c;
    const struct = { name: 'dbg_conn', fields: connFields };
    const data = { heap: h.share(), cache: 'dbg_conn', struct, lock: 'lock', address: addressOf(c) };
    rcuReadLock();
    try {
      const found = slot.conn;
      expect(await exited(startWorker('stale-free-worker', data))).toBe(0);
      spinLock(found.lock);
      expect(() => found.bytes).toThrow(StaleObjectError); // not the key: no revalidation
      expect(found.tuple).toBe(5); // the key compared under the lock: the identity is checked
      expect(found.bytes).toBe(0);
      spinUnlock(found.lock);
    } finally {
      rcuReadUnlock();
    }
  });

  it('leaves the thread that freed the object to itself', () => {
    const { task, sighands, sighand } = setup();
    rcuReadLock();
    try {
      const s = task.sighand!;
      kmemCacheFree(sighands, sighand);
      spinLock(s.siglock);
      expect(s.count).toBe(1);
      spinUnlock(s.siglock);
    } finally {
      rcuReadUnlock();
    }
  });

  it('costs nothing without debug mode: no generation word, the same slot size', () => {
    const on = setup();
    const strideOn = on.sighands.stride;
    heap!.detach();
    heap = null;
    const off = setup(false);
    const size = Sighand.layout.size;
    expect(strideOn).toBe(Math.ceil((Math.ceil(size / 4) * 4 + 4) / 8) * 8); // the fields, then the word
    expect(off.sighands.stride).toBe(Math.ceil(size / 8) * 8);
  });
});

describe('UseAfterFreeError and CacheDestroyedError', () => {
  it('reports a freed object of a plain cache, and quarantines it so it is not handed out at once', () => {
    const h = (heap = createHeap({ debug: true }));
    const plain = kmemCacheCreate(h, 'dbg_plain', Plain);
    const o = kmemCacheAlloc(plain);
    o.value = 5;
    kmemCacheFree(plain, o);
    const error = thrown(() => o.value);
    expect(error).toBeInstanceOf(UseAfterFreeError);
    expect(error.code).toBe('ERR_USE_AFTER_FREE');
    const again = kmemCacheAlloc(plain);
    expect(again).not.toBe(o);
    expect(() => o.value).toThrow(UseAfterFreeError);
    kmemCacheFree(plain, again);
    kmemCacheDestroy(plain); // the quarantine drains first: nothing counts as live
  });

  it('reports an object used after its cache was destroyed, and refuses the handle in any mode', () => {
    for (const debug of [true, false]) {
      const h = (heap = createHeap({ debug }));
      const plain = kmemCacheCreate(h, 'dbg_plain', Plain);
      const o = kmemCacheAlloc(plain);
      kmemCacheFree(plain, o);
      kmemCacheDestroy(plain);
      expect(() => kmemCacheAlloc(plain)).toThrow(CacheDestroyedError);
      if (debug) expect(thrown(() => (o.value = 1)).code).toBe('ERR_CACHE_DESTROYED');
      h.detach();
      heap = null;
    }
  });
});

describe('LockOrderError', () => {
  function named(h: Heap, name: string): Spinlock {
    return new Spinlock(h, h.root(name, 4, 4), name);
  }

  it('reports the acquisition that closes a cycle, naming both chains, before any deadlock', () => {
    const h = (heap = createHeap({ debug: true }));
    const a = named(h, 'lock-a');
    const b = named(h, 'lock-b');
    spinLock(a);
    spinLock(b);
    spinUnlock(b);
    spinUnlock(a);
    spinLock(b);
    const error = thrown(() => spinLock(a));
    expect(error).toBeInstanceOf(LockOrderError);
    expect(error.code).toBe('ERR_LOCK_ORDER');
    expect(error.message).toMatch(/this chain: lock-b -> lock-a/);
    expect(error.message).toMatch(/lock-a -> lock-b, established at:/);
    spinUnlock(b);
    // The same order again is fine.
    spinLock(a);
    spinLock(b);
    spinUnlock(b);
    spinUnlock(a);
  });

  it('keeps the graph in the heap: an order another worker established counts', async () => {
    const h = (heap = createHeap({ debug: true }));
    const worker = startWorker('lock-order-worker', { heap: h.share(), order: ['lock-c', 'lock-d'] });
    expect(await exited(worker)).toBe(0);
    const c = named(h, 'lock-c');
    const d = named(h, 'lock-d');
    spinLock(d);
    const error = thrown(() => spinLock(c));
    expect(error).toBeInstanceOf(LockOrderError);
    expect(error.message).toMatch(/lock-c -> lock-d, established by another thread/);
    spinUnlock(d);
  });

  it('puts every bucket lock of a table in one class, so an order on one bucket counts for all', () => {
    const h = (heap = createHeap({ debug: true }));
    const bucket = (k: number) => new Spinlock(h, h.root(`b${k}`, 4, 4), `tbl.bucket[${k}].lock`);
    const x = named(h, 'lock-x');
    spinLock(bucket(1));
    spinLock(x);
    spinUnlock(x);
    spinUnlock(bucket(1));
    spinLock(x);
    const error = thrown(() => spinLock(bucket(2)));
    expect(error).toBeInstanceOf(LockOrderError);
    expect(error.message).toMatch(/tbl\.bucket\[\]\.lock -> lock-x, established at:/);
    spinUnlock(x);
  });

  it('reports taking a lock this thread already holds, with where it took it first', () => {
    const h = (heap = createHeap({ debug: true }));
    const a = named(h, 'lock-a');
    spinLock(a);
    const error = thrown(() => spinLock(a));
    expect(error).toBeInstanceOf(LockOrderError);
    expect(error.message).toMatch(/first taken at:[\s\S]*debug-mode\.test\.ts[\s\S]*taken again at:/);
    spinUnlock(a);
  });
});

describe('blocking where it must not', () => {
  it('refuses synchronizeRcu() and kmemCacheDestroy() while a spinlock is held, naming the lock', () => {
    const { task, tasks } = setup();
    spinLock(task.allocLock);
    const error = thrown(() => synchronizeRcu());
    expect(error).toBeInstanceOf(InvalidBlockingError);
    expect(error.message).toMatch(/synchronizeRcu\(\) while holding a spinlock[\s\S]*dbg_task\.allocLock/);
    expect(() => kmemCacheDestroy(tasks)).toThrow(InvalidBlockingError);
    spinUnlock(task.allocLock);
    synchronizeRcu();
  });

  it("reports a read-side section left open across an await through the heap's 'debug' event", async () => {
    const h = (heap = createHeap({ debug: true }));
    const reports: RcukitError[] = [];
    h.on('debug', (e) => reports.push(e));
    rcuReadLock();
    rcuReadUnlock();
    await Promise.resolve();
    expect(reports).toEqual([]); // a section closed before the job ended
    rcuReadLock();
    await Promise.resolve();
    rcuReadUnlock();
    expect(reports.map((r) => r.code)).toEqual(['ERR_INVALID_BLOCKING']);
    expect(reports[0]!.message).toMatch(/section left open across an await[\s\S]*debug-mode\.test\.ts/);
  });

  it("reports a spinlock still held when the thread detaches, through the 'debug' event", () => {
    const h = createHeap({ debug: true });
    const reports: RcukitError[] = [];
    h.on('debug', (e) => reports.push(e));
    spinLock(new Spinlock(h, h.root('held', 4, 4), 'held-at-detach'));
    h.detach();
    expect(reports.map((r) => r.code)).toEqual(['ERR_INVALID_BLOCKING']);
    expect(reports[0]!.message).toMatch(/detached from the heap while holding spinlocks\n {2}held-at-detach/);
  });

  it('reports a spinlock still held when a worker exits without detach(), on the real stderr at exit', () => {
    // Its own process: the report bypasses worker.stderr (a stream the exiting worker can no
    // longer flush) and goes straight to file descriptor 2.
    const program = fileURLToPath(new URL('../../dist/workers/exit-holding-lock-worker.js', import.meta.url));
    const run = spawnSync(process.execPath, [program], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout).toBe("worker exit 0; main's spinLock: ERR_SPINLOCK_OWNER_DEAD\n");
    expect(run.stderr).toMatch(
      /ERR_INVALID_BLOCKING: worker "exit-holding-lock" exited without detach\(\) while holding spinlocks[^\n]*\n {2}held-at-exit, taken at:\n.*exit-holding-lock-worker/,
    );
    expect(run.status).toBe(0);
  });
});

describe('turning it on', () => {
  it('accepts true, false and { fuzz }, and names a bad value', () => {
    const { task } = setup({ fuzz: true });
    rcuReadLock();
    expect(task.sighand!.count).toBe(1);
    rcuReadUnlock();
    heap!.detach();
    heap = null;
    expect(() => createHeap({ debug: 'yes' as unknown as boolean })).toThrow(InvalidHeapOptionsError);
    expect(() => createHeap({ debug: { fuzz: 1 as unknown as boolean } })).toThrow(/debug\.fuzz must be a boolean/);
  });
});
