/**
 * @fileoverview Translation of Linux block/blk-ioc.c: I/O contexts and their io_cq's, which the
 * I/O issue path finds without locks through an RCU hint pointer and an RCU radix tree, and which
 * are unlinked under ioc->lock and q->queue_lock and freed after a grace period.
 *
 * Source read: block/blk-ioc.c at Kingxukai/linux commit
 * 0291023e7330da28f2f7453c87c2ab7082d8360f (a Linux tree from after "block: replace call_rcu
 * by kfree_rcu for simple kmem_cache_free callback"; torvalds/linux as stored here predates it).
 * Functions: get_io_context, ioc_exit_icq, ioc_exit_icqs, ioc_destroy_icq, ioc_release_fn,
 * ioc_delay_free, ioc_clear_queue, put_io_context, exit_io_context, alloc_io_context,
 * ioc_lookup_icq, ioc_create_icq, ioc_find_get_icq, blk_ioc_init.
 *
 * The icq cache is plain. ioc_destroy_icq() deletes the icq from the radix tree and clears the
 * hint if it points there, then kfree_rcu(icq, __rcu_head): the icq goes back to the cache it
 * came from once every ioc_lookup_icq() that may have found it has left its read-side section.
 * kfree_rcu() is the runtime's callRcu() with a callback that frees the object into its cache.
 * The kernel records that cache in the icq first ("@icq->q might have gone away by the time RCU
 * callback runs"); a heap object cannot hold this worker's cache handle, so the callback keeps it.
 */

import {
  callRcu,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountInc,
  refcountRead,
  refcountSet,
  spinLock,
  spinLockInit,
  spinTrylock,
  spinUnlock,
  type Heap,
  type KmemCache,
} from '@rcukit/runtime';
import { atomicDecAndTest, atomicSet } from '../lib/bitops.js';
import {
  ICQ_DESTROYED,
  ICQ_EXITED,
  IOPRIO_DEFAULT,
  IoContext,
  current,
  elevatorTypeOf,
  icqIocNode,
  icqQNode,
  icqTree,
  initRadixTree,
  initReleaseWork,
  iocIcqList,
  printkErr,
  queueIcqList,
  queueReleaseWork,
  radixTreeDelete,
  radixTreeInsert,
  radixTreeLookup,
  radixTreeMaybePreload,
  radixTreePreloadEnd,
  type IoContextRef,
  type IoCqRef,
  type IoTaskRef,
  type RequestQueueRef,
} from '../lib/block.js';
import { bugOn } from '../lib/cred.js';
import { lockdepAssertHeld } from '../lib/kernel.js';
import {
  hlistAddHead,
  hlistDelInit,
  initListHead,
  initListNode,
  listAdd,
  listDelInit,
  listEmpty,
  listFirstEntry,
  listForEachEntry,
} from '../lib/list.js';

/** For io context allocations. */
let iocontextCachep: KmemCache<typeof IoContext>;

/** get_io_context (block/blk-ioc.c): increment the reference count of an io_context. */
function getIoContext(ioc: IoContextRef): void {
  bugOn(refcountRead(ioc.refcount) <= 0);
  refcountInc(ioc.refcount); // atomic_long_inc(&ioc->refcount)
}

/** ioc_exit_icq (block/blk-ioc.c): exit an icq. "Called with ioc locked for blk-mq." */
function iocExitIcq(icq: IoCqRef): void {
  const et = elevatorTypeOf(icq.q!);

  if (icq.flags & ICQ_EXITED) return;

  if (et.ops.exitIcq) et.ops.exitIcq(icq);

  icq.flags |= ICQ_EXITED;
}

/** ioc_exit_icqs (block/blk-ioc.c): exit every icq of an io_context. */
function iocExitIcqs(ioc: IoContextRef): void {
  spinLock(ioc.lock); // spin_lock_irq
  for (const icq of listForEachEntry(iocIcqList(ioc))) iocExitIcq(icq); // hlist_for_each_entry
  spinUnlock(ioc.lock);
}

/**
 * ioc_destroy_icq (block/blk-ioc.c): release an icq. "Called with ioc locked for blk-mq, and
 * with both ioc and queue locked for legacy." lockdep_assert_held(&ioc->lock),
 * lockdep_assert_held(&q->queue_lock).
 */
function iocDestroyIcq(icq: IoCqRef): void {
  const ioc = icq.ioc!;
  const q = icq.q!;
  const et = elevatorTypeOf(q);

  lockdepAssertHeld(ioc.lock);
  lockdepAssertHeld(q.queueLock);

  if (icq.flags & ICQ_DESTROYED) return;

  radixTreeDelete(icqTree(ioc), icq.q!.id);
  hlistDelInit(icqIocNode(icq));
  listDelInit(icqQNode(icq));

  /*
   * Both setting lookup hint to and clearing it from @icq are done
   * under queue_lock.  If it's not pointing to @icq now, it never
   * will.  Hint assignment itself can race safely.
   */
  if (ioc.icqHint === icq)
    // rcu_access_pointer(ioc->icq_hint) == icq
    ioc.icqHint = null; // rcu_assign_pointer(ioc->icq_hint, NULL)

  iocExitIcq(icq);

  /*
   * @icq->q might have gone away by the time RCU callback runs
   * making it impossible to determine icq_cache.  Record it in @icq.
   */
  const rcuIcqCache = et.icqCache; // icq->__rcu_icq_cache = et->icq_cache
  icq.flags |= ICQ_DESTROYED;
  callRcu(() => kmemCacheFree(rcuIcqCache, icq)); // kfree_rcu(icq, __rcu_head)
}

/**
 * ioc_release_fn (block/blk-ioc.c): "Slow path for ioc release in put_io_context(). Performs
 * double-lock dancing to unlink all icq's and then frees ioc."
 */
function iocReleaseFn(ioc: IoContextRef): void {
  // struct io_context *ioc = container_of(work, struct io_context, release_work);
  spinLock(ioc.lock); // spin_lock_irq

  while (!listEmpty(iocIcqList(ioc))) {
    const icq = listFirstEntry(iocIcqList(ioc)); // hlist_entry(ioc->icq_list.first, struct io_cq, ioc_node)
    const q = icq.q!;

    if (spinTrylock(q.queueLock)) {
      iocDestroyIcq(icq);
      spinUnlock(q.queueLock);
    } else {
      /* Make sure q and icq cannot be freed. */
      rcuReadLock();

      /* Re-acquire the locks in the correct order. */
      spinUnlock(ioc.lock);
      spinLock(q.queueLock);
      spinLock(ioc.lock);

      iocDestroyIcq(icq);

      spinUnlock(q.queueLock);
      rcuReadUnlock();
    }
  }

  spinUnlock(ioc.lock); // spin_unlock_irq

  kmemCacheFree(iocontextCachep, ioc);
}

/**
 * ioc_delay_free (block/blk-ioc.c): "Releasing icqs requires reverse order double locking and
 * we may already be holding a queue_lock. Do it asynchronously from a workqueue."
 */
function iocDelayFree(ioc: IoContextRef): boolean {
  spinLock(ioc.lock); // spin_lock_irqsave
  if (!listEmpty(iocIcqList(ioc))) {
    queueReleaseWork(ioc);
    spinUnlock(ioc.lock);
    return true;
  }
  spinUnlock(ioc.lock);
  return false;
}

/** ioc_clear_queue (block/blk-ioc.c): "break any ioc association with the specified queue". */
export function iocClearQueue(q: RequestQueueRef): void {
  spinLock(q.queueLock); // spin_lock_irq
  while (!listEmpty(queueIcqList(q))) {
    const icq = listFirstEntry(queueIcqList(q)); // list_first_entry(&q->icq_list, struct io_cq, q_node)

    /*
     * Other context won't hold ioc lock to wait for queue_lock, see
     * details in ioc_release_fn().
     */
    spinLock(icq.ioc!.lock);
    iocDestroyIcq(icq);
    spinUnlock(icq.ioc!.lock);
  }
  spinUnlock(q.queueLock);
}

/** put_io_context (block/blk-ioc.c): drop a reference; release the io_context with the last one. */
export function putIoContext(ioc: IoContextRef): void {
  bugOn(refcountRead(ioc.refcount) <= 0);
  if (refcountDecAndTest(ioc.refcount) && !iocDelayFree(ioc)) kmemCacheFree(iocontextCachep, ioc);
}

/** exit_io_context (block/blk-ioc.c): "Called by the exiting task". */
export function exitIoContext(task: IoTaskRef): void {
  spinLock(task.allocLock); // task_lock(task)
  const ioc = task.ioContext!;
  task.ioContext = null;
  spinUnlock(task.allocLock);

  if (atomicDecAndTest(ioc, 'activeRef')) {
    iocExitIcqs(ioc);
    putIoContext(ioc);
  }
}

/** alloc_io_context (block/blk-ioc.c). */
function allocIoContext(): IoContextRef | null {
  // kmem_cache_alloc_node(__GFP_ZERO) cannot return NULL here: the runtime throws when the heap is full.
  const ioc = kmemCacheAlloc(iocontextCachep);

  refcountSet(ioc.refcount, 1); // atomic_long_set(&ioc->refcount, 1)
  atomicSet(ioc, 'activeRef', 1);
  spinLockInit(ioc.lock);
  initRadixTree(icqTree(ioc)); // INIT_RADIX_TREE(&ioc->icq_tree, GFP_ATOMIC)
  initListHead(iocIcqList(ioc)); // INIT_HLIST_HEAD(&ioc->icq_list)
  initReleaseWork(ioc, iocReleaseFn); // INIT_WORK(&ioc->release_work, ioc_release_fn)
  ioc.ioprio = IOPRIO_DEFAULT;

  return ioc;
}

/**
 * ioc_lookup_icq (block/blk-ioc.c): the io_cq of current's io_context and `q`. "Must be called
 * from io issue path": the issue path keeps the queue and the task valid, and "the found icq is
 * guaranteed to be valid until the io is done".
 */
export function iocLookupIcq(q: RequestQueueRef): IoCqRef | null {
  const ioc = current().ioContext!;
  let icq: IoCqRef | null;

  /*
   * icq's are indexed from @ioc using radix tree and hint pointer,
   * both of which are protected with RCU, io issue path ensures that
   * both request_queue and current task are valid, the found icq
   * is guaranteed to be valid until the io is done.
   */
  rcuReadLock();
  out: {
    icq = ioc.icqHint; // rcu_dereference(ioc->icq_hint)
    if (icq && icq.q === q) break out;

    icq = radixTreeLookup(icqTree(ioc), q.id);
    if (icq && icq.q === q) ioc.icqHint = icq; /* allowed to race */
    else icq = null;
  }
  // out:
  rcuReadUnlock();
  return icq;
}

/**
 * ioc_create_icq (block/blk-ioc.c): create and link the io_cq of current's io_context and `q`.
 * "The caller is responsible for ensuring @ioc won't go away and @q is alive."
 */
function iocCreateIcq(q: RequestQueueRef): IoCqRef | null {
  const ioc = current().ioContext!;
  const et = elevatorTypeOf(q);

  /* allocate stuff */
  // kmem_cache_alloc_node(GFP_ATOMIC | __GFP_ZERO) cannot return NULL here: the runtime throws instead.
  let icq: IoCqRef | null = kmemCacheAlloc(et.icqCache);

  if (radixTreeMaybePreload() < 0) {
    kmemCacheFree(et.icqCache, icq);
    return null;
  }

  icq.ioc = ioc;
  icq.q = q;
  initListNode(icqQNode(icq)); // INIT_LIST_HEAD(&icq->q_node)
  initListNode(icqIocNode(icq)); // INIT_HLIST_NODE(&icq->ioc_node)

  /* lock both q and ioc and try to link @icq */
  spinLock(q.queueLock); // spin_lock_irq
  spinLock(ioc.lock);

  if (!radixTreeInsert(icqTree(ioc), q.id, icq)) {
    hlistAddHead(icqIocNode(icq), iocIcqList(ioc));
    listAdd(icqQNode(icq), queueIcqList(q));
    if (et.ops.initIcq) et.ops.initIcq(icq);
  } else {
    kmemCacheFree(et.icqCache, icq);
    icq = iocLookupIcq(q);
    if (!icq) printkErr('cfq: icq link failed!');
  }

  spinUnlock(ioc.lock);
  spinUnlock(q.queueLock);
  radixTreePreloadEnd();
  return icq;
}

/** ioc_find_get_icq (block/blk-ioc.c): current's io_cq for `q`, creating the io_context and the icq as needed. */
export function iocFindGetIcq(q: RequestQueueRef): IoCqRef | null {
  let ioc = current().ioContext;
  let icq: IoCqRef | null = null;

  if (!ioc) {
    ioc = allocIoContext();
    if (!ioc) return null;

    spinLock(current().allocLock); // task_lock(current)
    if (current().ioContext) {
      kmemCacheFree(iocontextCachep, ioc);
      ioc = current().ioContext!;
    } else {
      current().ioContext = ioc;
    }

    getIoContext(ioc);
    spinUnlock(current().allocLock);
  } else {
    getIoContext(ioc);
    icq = iocLookupIcq(q);
  }

  if (!icq) {
    icq = iocCreateIcq(q);
    if (!icq) {
      putIoContext(ioc);
      return null;
    }
  }
  return icq;
}

/** blk_ioc_init (block/blk-ioc.c): the blkdev_ioc cache (SLAB_PANIC: no other flag). */
export function blkIocInit(heap: Heap): number {
  iocontextCachep = kmemCacheCreate(heap, 'blkdev_ioc', IoContext);
  return 0;
}
