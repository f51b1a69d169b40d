/**
 * @fileoverview The shared heap: one shared WebAssembly.Memory holding all allocator and RCU
 * state, and the calling thread's attachment to it.
 *
 * Each thread attaches to at most one heap at a time (createHeap() attaches its creator);
 * rcuReadLock(), spinLock() and the other kernel-named calls act on the calling thread's
 * heap, as the kernel's act on the one kernel. A Heap object is local to one thread: it is a
 * cache of views over the shared buffer, never the truth. Share it with heap.share() and
 * attachHeap() in the other worker.
 *
 * Why a WebAssembly.Memory and not a plain SharedArrayBuffer: its buffer is a SharedArrayBuffer
 * all the same (typed arrays, Atomics.wait and notify work on it), but WebAssembly code can
 * reach it too, and the hot paths' atomic operations run there (heap/atomics.ts says why).
 *
 * The memory grows up to a maximum, in WebAssembly's 64 KiB steps. Each growth gives
 * memory.buffer a new, longer SharedArrayBuffer over the same bytes. Views are fixed-length
 * typed arrays, rebuilt when the memory has grown (Atomics through a length-tracking view cost
 * several times more), so code that reads an address must first call heap.ensureMapped() if
 * the address may lie beyond what this thread last saw. WebAssembly code sees every growth at
 * once.
 */

import { EventEmitter } from 'node:events';
import {
  threadId as currentThreadId,
  isMainThread,
  type MessagePort,
  type Worker,
  type WorkerOptions,
} from 'node:worker_threads';
import {
  CACHE_LINE,
  HEAP_MAGIC,
  Header,
  LAYOUT_VERSION,
  MAX_THREADS_LIMIT,
  PAGE_SIZE,
  ROOT_NAME_BYTES,
  Root,
  Slot,
  INTENT_WORDS,
  alignUp,
} from './layout.js';
import {
  HeapAttachmentError,
  HeapLayoutVersionError,
  InvalidArgumentError,
  InvalidHeapOptionsError,
  NotAHeapError,
  OutOfMemoryError,
  RootMismatchError,
  type RcukitError,
} from '../errors.js';
import { ThreadRegistry, type ThreadInfo } from './thread-registry.js';
import { LockResult, lockWordAcquire, lockWordRelease } from './lock-word.js';
import { setCurrentThread, threadLocal, type ThreadContext } from './thread-context.js';
import { instantiateHeapAtomics, type HeapAtomics } from './atomics.js';
import { WASM_PAGE_SIZE, wasm, type WasmMemory } from './wasm-api.js';
import { initRcuWords, rcuThreadChanged } from '../rcu/read-side.js';
import { intentAttach, intentRecover } from './intent-log.js';
import { debugFlags, type DebugOptions } from '../debug/debug-options.js';
import { DebugThread } from '../debug/debug-thread.js';
import { setDebugBindings } from '../debug/debug-bindings.js';
import { reportHeldAtDetach, reportHeldAtExit } from '../debug/blocking.js';
import { LOCKDEP_BYTES } from '../debug/lock-order.js';
import { holdLifeline, startReapedWorker, stopReaper } from './reaper.js';
import { describeValue, isSharedHeap } from './share-value.js';

export interface HeapOptions {
  /** Bytes allocated now (rounded up to 64 KiB). Default 1 MiB. */
  initialBytes?: number;
  /** The heap grows on demand up to this many bytes (rounded down to whole pages). Default 256 MiB. */
  maxBytes?: number;
  /** How many threads may be attached at once (1..255). Default 64. */
  maxThreads?: number;
  /** Size of the static area that roots are carved from. Default 64 KiB. */
  staticBytes?: number;
  /** How many named roots the directory holds. Default 128. */
  rootCount?: number;
  /** A grace period waiting longer than this on one reader emits a 'stall' event. Default 10 000 ms; 0 disables. */
  stallTimeoutMs?: number;
  /**
   * Initial value of the grace-period counter. Tests set it just below the 32-bit wrap to
   * exercise wrap-around; the default starts a few hundred grace periods before the wrap
   * for the same reason the kernel starts jiffies near it: wrap bugs show up at once.
   */
  initialGpCounter?: number;
  /** Name of the creating thread in the registry and in stall reports. */
  threadName?: string;
  /**
   * Debug mode for this heap and every thread that attaches to it (runtime/docs/debug-mode.md):
   * `true`, or `{ fuzz: true }` to add random delays. Default: the RCUKIT_DEBUG environment
   * variable (`1` on, `fuzz` on with fuzzing), else off.
   */
  debug?: boolean | DebugOptions;
}

export interface AttachOptions {
  /** Name of this thread in the registry and in stall reports (at most 32 bytes shown). */
  threadName?: string;
}

/** What a worker needs to attach: pass it in workerData or postMessage. */
export interface SharedHeap {
  readonly kind: 'rcukit-heap';
  readonly memory: WasmMemory;
  /**
   * Set by heap.startWorker() only: the worker's end of the channel whose closing tells the
   * heap's reaper that the worker has stopped (heap/reaper.ts). attachHeap() takes it out.
   */
  readonly lifeline?: MessagePort;
}

/** Reported when a grace period has waited on one reader longer than stallTimeoutMs. */
export interface RcuStall {
  readonly reader: ThreadInfo;
  /**
   * True when the reader is a worker this thread created that has stopped (it died inside
   * its section and nobody reaped it): it will never leave. Reap it with heap.reapThread(),
   * or watchWorker() workers from the start.
   */
  readonly readerExited: boolean;
  /** How long the grace period has been waiting on this reader, in ms. */
  readonly waitedMs: number;
}

export interface HeapEvents {
  stall: [RcuStall];
  /** Debug mode's reports that do not throw (runtime/docs/debug-mode.md). */
  debug: [RcukitError];
}

/**
 * Fixed-length views of every element kind over the heap's buffer, replaced together, in
 * place, when the buffer has grown (Heap.ensureMapped()). One holder per Heap object: struct
 * objects, caches and lock words keep a reference to it, never to a view, so they see the
 * new views after a remap.
 */
export interface HeapViews {
  i8: Int8Array;
  u8: Uint8Array;
  i16: Int16Array;
  u16: Uint16Array;
  i32: Int32Array;
  u32: Uint32Array;
  f32: Float32Array;
  f64: Float64Array;
  i64: BigInt64Array;
  u64: BigUint64Array;
}

const DEFAULTS = {
  initialBytes: 1 << 20,
  maxBytes: 256 << 20,
  maxThreads: 64,
  staticBytes: 64 << 10,
  rootCount: 128,
  stallTimeoutMs: 10_000,
} as const;

/** Just below 2^31 as an odd number: the counter wraps within a few hundred grace periods. */
export const DEFAULT_INITIAL_GP_COUNTER = 0x7fffff01 | 1;

const encoder = new TextEncoder();

export class Heap extends EventEmitter<HeapEvents> {
  /** The shared memory itself; `buffer` is its current SharedArrayBuffer. */
  readonly memory: WasmMemory;
  readonly views: HeapViews;
  readonly registry: ThreadRegistry;
  /** This thread's WebAssembly atomics over the memory (heap/atomics.ts). */
  readonly atomics: HeapAtomics;
  /** Header.MAX_PAGES whole pages: the memory's own maximum is rounded up to 64 KiB. */
  readonly maxByteLength: number;
  /**
   * Debug mode's record of the calling thread (debug/debug-thread.ts), or null when the heap
   * is not in debug mode (Header.DEBUG_FLAGS, fixed at createHeap()).
   */
  debug: DebugThread | null = null;
  #attached = false;
  /** The worker's process 'exit' listener while attached (#reapSelfOnExit()). */
  #onExit: (() => void) | null = null;

  private constructor(memory: WasmMemory) {
    super();
    this.memory = memory;
    this.views = makeViews(this.buffer);
    const i32 = this.views.i32;
    this.maxByteLength = i32[Header.MAX_PAGES]! * PAGE_SIZE;
    this.registry = new ThreadRegistry(this.views, i32[Header.REGISTRY_BYTE]!, i32[Header.MAX_THREADS]!);
    this.atomics = instantiateHeapAtomics(memory);
  }

  /**
   * @internal Whether the worker with this threadId is one this thread created (seen by
   * process 'worker' events since it first attached to a heap) that has stopped.
   */
  threadExited(threadId: number): boolean {
    const known = createdWorkers.get(threadId);
    return known !== undefined && (known.exited || known.worker.deref()?.threadId === -1);
  }

  /** @internal Used by createHeap() and attachHeap(). */
  static open(memory: WasmMemory, threadName: string): Heap {
    knowCreatedWorkers();
    const heap = new Heap(memory);
    heap.#attach(threadName);
    return heap;
  }

  /** The memory's current SharedArrayBuffer (a new, longer one after each growth). */
  get buffer(): SharedArrayBuffer {
    return this.memory.buffer as unknown as SharedArrayBuffer;
  }

  get i32(): Int32Array {
    return this.views.i32;
  }

  /**
   * Current size of the heap in bytes (shared: any worker may have grown it), never more
   * than maxByteLength. One load of Header.BYTE_LENGTH: a stale value only means a remap
   * comes later, and a lock acquired after another worker's growth orders its update first.
   */
  get byteLength(): number {
    return this.views.i32[Header.BYTE_LENGTH]!;
  }

  /** What another worker passes to attachHeap(). */
  share(): SharedHeap {
    return { kind: 'rcukit-heap', memory: this.memory };
  }

  /** Rebuild the views if the buffer has grown past them. Cheap when it has not. */
  ensureMapped(byteEnd: number = this.byteLength): void {
    if (byteEnd > this.views.u8.length) {
      const next = makeViews(this.buffer);
      this.views.i8 = next.i8;
      this.views.u8 = next.u8;
      this.views.i16 = next.i16;
      this.views.u16 = next.u16;
      this.views.i32 = next.i32;
      this.views.u32 = next.u32;
      this.views.f32 = next.f32;
      this.views.f64 = next.f64;
      this.views.i64 = next.i64;
      this.views.u64 = next.u64;
    }
  }

  /**
   * The Int32Array index of the 32-bit word at `byteOffset`, mapped in this thread. Throws
   * RangeError, naming `label`, for an offset that is unaligned or outside the heap.
   */
  wordIndex(byteOffset: number, label: string): number {
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || (byteOffset & 3) !== 0) {
      throw new RangeError(`${label}: byte offset ${byteOffset} is not a 4-byte aligned heap offset`);
    }
    this.ensureMapped(byteOffset + 4);
    if (byteOffset + 4 > this.byteLength)
      throw new RangeError(`${label}: byte offset ${byteOffset} is outside the heap`);
    return byteOffset >> 2;
  }

  /**
   * Grow the shared buffer to at least `bytes` (whole pages). Growing is shared: every
   * worker sees the new length and remaps on its next ensureMapped().
   * Throws OutOfMemoryError past maxByteLength.
   */
  grow(bytes: number): void {
    const target = alignUp(bytes, PAGE_SIZE);
    if (target > this.maxByteLength) {
      throw new OutOfMemoryError(
        `heap cannot grow to ${target} bytes: its maximum is ${this.maxByteLength} bytes (maxBytes in createHeap())`,
      );
    }
    // memory.grow() adds to whatever length the memory has now: another worker may have
    // grown it meanwhile, so ask again until it is long enough. It throws past the memory's
    // maximum, which only a racing grower's rounding can reach; then the length decides.
    for (let length = this.buffer.byteLength; length < target; length = this.buffer.byteLength) {
      try {
        this.memory.grow(Math.ceil((target - length) / WASM_PAGE_SIZE));
      } catch (error) {
        if (this.buffer.byteLength < target) throw error;
      }
    }
    // Publish the new length after the growth, raising it only (racing growers).
    const usable = Math.min(this.buffer.byteLength, this.maxByteLength);
    const i32 = this.views.i32;
    for (let seen = Atomics.load(i32, Header.BYTE_LENGTH); seen < usable;) {
      const was = Atomics.compareExchange(i32, Header.BYTE_LENGTH, seen, usable);
      if (was === seen) break;
      seen = was;
    }
    this.ensureMapped();
  }

  /**
   * A named allocation in the static area: created zero-filled on first call, found by every
   * later call from any worker. This is how workers find shared roots (a published pointer,
   * a lock, a table's buckets). Returns its byte offset. `align` must be a power of two.
   */
  root(name: string, bytes: number, align = 8): number {
    const nameBytes = encoder.encode(name);
    if (nameBytes.length === 0 || nameBytes.length > ROOT_NAME_BYTES) {
      throw new InvalidArgumentError(`root name "${name}" must be 1 to ${ROOT_NAME_BYTES} bytes of UTF-8`);
    }
    if (!Number.isInteger(bytes) || bytes <= 0)
      throw new InvalidArgumentError(`root "${name}": size ${bytes} must be a positive integer`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0 || align > PAGE_SIZE) {
      throw new InvalidArgumentError(`root "${name}": alignment ${align} must be a power of two up to ${PAGE_SIZE}`);
    }
    const self = this.#self();
    const i32 = this.views.i32;
    const u8 = this.views.u8;
    const padded = new Uint8Array(ROOT_NAME_BYTES);
    padded.set(nameBytes);
    this.#lockRegistry(self);
    try {
      const base = i32[Header.ROOTS_BYTE]! >> 2;
      const count = i32[Header.ROOTS_COUNT]!;
      let free = -1;
      for (let i = 0; i < count; i++) {
        const entry = base + i * Root.WORDS;
        const nameAt = (entry + Root.NAME) * 4;
        if (u8[nameAt] === 0) {
          if (free < 0) free = i;
          continue;
        }
        if (equalBytes(u8, nameAt, padded)) {
          const size = i32[entry + Root.SIZE]!;
          if (size !== bytes) {
            throw new RootMismatchError(`root "${name}" exists with ${size} bytes; asked for ${bytes}`);
          }
          return i32[entry + Root.BYTE]!;
        }
      }
      if (free < 0) throw new OutOfMemoryError(`root directory is full (${count} roots): cannot add "${name}"`);
      const top = alignUp(i32[Header.STATIC_TOP]!, align);
      const end = i32[Header.STATIC_BYTE]! + i32[Header.STATIC_SIZE]!;
      if (top + bytes > end) {
        throw new OutOfMemoryError(
          `static area is full: root "${name}" needs ${bytes} bytes, ${Math.max(0, end - top)} left (staticBytes in createHeap())`,
        );
      }
      const entry = base + free * Root.WORDS;
      i32[entry + Root.BYTE] = top;
      i32[entry + Root.SIZE] = bytes;
      i32[Header.STATIC_TOP] = top + bytes;
      // The name goes in last: a concurrent lookup sees either no entry or a complete one
      // (it also holds the registry lock, so this is belt and braces).
      u8.set(padded, (entry + Root.NAME) * 4);
      return top;
    } finally {
      this.#unlockRegistry(self);
    }
  }

  /** The threads attached now. */
  threads(): ThreadInfo[] {
    return this.registry.list();
  }

  /**
   * Reap the registry slot of a thread that has exited: ends any read-side section it died
   * in (grace periods complete again) and makes every lock it held owner-dead for the next
   * locker. Returns false when no live slot has that threadId. Only call this for a thread
   * that has really exited.
   */
  reapThread(threadId: number): boolean {
    const slot = this.registry.findThread(threadId);
    if (slot < 0) return false;
    // One reaper per slot; REAPING keeps the dead thread's locks its own until its half-done
    // updates are undone (heap/intent-log.ts says why that is the right state to return to).
    const tag = this.registry.claimForReap(slot);
    if (tag === 0) return false;
    this.ensureMapped();
    const i32 = this.views.i32;
    intentRecover(i32, this.views.u8, this.#intentBase(slot), tag, (lockIndex) => {
      lockWordRelease(this, lockIndex, tag);
    });
    this.registry.release(slot);
    return true;
  }

  /** Word index of a registry slot's intent log. */
  #intentBase(slot: number): number {
    return (this.views.i32[Header.INTENT_BYTE]! >> 2) + slot * INTENT_WORDS;
  }

  /**
   * Reap `worker`'s slot when it exits, however it exits (return, throw, terminate()).
   * Call from the thread that created the worker.
   */
  watchWorker(worker: Worker): Worker {
    const threadId = worker.threadId;
    worker.once('exit', () => this.reapThread(threadId));
    return worker;
  }

  /**
   * `new Worker(filename, options)`, watched, and reaped as soon as it stops even while this
   * thread is blocked in synchronizeRcu(), a lock wait or kmemCacheDestroy(), which keep
   * watchWorker()'s 'exit' event from running. `options.workerData` must be heap.share(), or
   * hold it as one of its own properties: the worker attaches with it as usual. The first
   * call starts the heap's reaper thread (one registry slot), which lasts until this thread
   * detaches (heap/reaper.ts says how it works).
   */
  startWorker(filename: string | URL, options: WorkerOptions = {}): Worker {
    this.#self();
    return startReapedWorker(this, filename, options);
  }

  /** Detach the calling thread: frees its registry slot. Its read-side sections must be closed. */
  detach(): void {
    const self = threadLocal.current;
    if (!this.#attached || self === null || self.heap !== this) return;
    if (self.readNesting !== 0) {
      throw new HeapAttachmentError(
        `cannot detach from the heap inside a read-side section (nesting ${self.readNesting})`,
      );
    }
    if (this.debug !== null) reportHeldAtDetach(this.debug);
    stopReaper(this);
    this.registry.release(self.slot);
    this.#attached = false;
    if (this.#onExit !== null) process.off('exit', this.#onExit);
    this.#onExit = null;
    setCurrentThread(null);
    rcuThreadChanged();
    if (this.debug !== null) setDebugBindings(false);
  }

  /**
   * A worker that ends while attached (process.exit(), an uncaught exception, its script
   * done, even inside a read-side section) reaps its own slot on the way out, as reapThread()
   * would: a parent blocked in synchronizeRcu() or a lock wait never runs the 'exit' listener
   * of watchWorker(), so this is the only reaping that needs no one else. (terminate() runs
   * no JavaScript in the worker: that death is reaped by watchWorker() or reapThread().)
   */
  #reapSelfOnExit(): void {
    const self = threadLocal.current;
    if (!this.#attached || self === null || self.heap !== this) return;
    if (this.registry.claimForReap(self.slot) !== self.tag) return;
    if (this.debug !== null) reportHeldAtExit(this.debug, this.registry.info(self.slot).name);
    this.ensureMapped();
    intentRecover(this.views.i32, this.views.u8, this.#intentBase(self.slot), self.tag, (lockIndex) => {
      lockWordRelease(this, lockIndex, self.tag);
    });
    this.registry.release(self.slot);
    this.#attached = false;
    setCurrentThread(null);
  }

  [Symbol.dispose](): void {
    this.detach();
  }

  #attach(threadName: string): void {
    if (threadLocal.current !== null) {
      throw new HeapAttachmentError(
        `thread ${currentThreadId} is already attached to a heap; detach() it before creating or attaching another`,
      );
    }
    const { slot, tag } = this.registry.register(currentThreadId, threadName);
    intentAttach(this.views.i32, this.#intentBase(slot));
    const context: ThreadContext = {
      heap: this,
      atomics: this.atomics,
      slot,
      tag,
      ctrWord: this.registry.word(slot, Slot.CTR),
      readNesting: 0,
      qsbr: false,
      qsbrChecked: false,
      atRelease: [],
    };
    setCurrentThread(context);
    rcuThreadChanged();
    this.#attached = true;
    if (!isMainThread) {
      this.#onExit = () => this.#reapSelfOnExit();
      process.once('exit', this.#onExit);
    }
    const flags = this.views.i32[Header.DEBUG_FLAGS]!;
    if (flags !== 0) {
      this.debug = new DebugThread(this, flags);
      setDebugBindings(true);
    }
  }

  #self(): ThreadContext {
    const self = threadLocal.current;
    if (self === null || self.heap !== this) {
      throw new HeapAttachmentError(`thread ${currentThreadId} is not attached to this heap`);
    }
    return self;
  }

  #lockRegistry(self: ThreadContext): void {
    // OWNER_DEAD is fine here: the registry lock guards only the root directory, whose
    // entries are written name-last and so are never half-visible.
    const result = lockWordAcquire(this, Header.REGISTRY_LOCK, self.tag, this.registry);
    if (result === LockResult.SELF) throw new HeapAttachmentError('registry lock taken recursively');
  }

  #unlockRegistry(self: ThreadContext): void {
    lockWordRelease(this, Header.REGISTRY_LOCK, self.tag);
  }
}

/** Workers created by this thread, by threadId, for stall reports (Heap.threadExited()). */
const createdWorkers = new Map<number, { worker: WeakRef<Worker>; exited: boolean }>();
let knowingWorkers = false;

function knowCreatedWorkers(): void {
  if (knowingWorkers) return;
  knowingWorkers = true;
  process.on('worker', (worker: Worker) => {
    const known = { worker: new WeakRef(worker), exited: false };
    createdWorkers.set(worker.threadId, known);
    worker.once('exit', () => {
      known.exited = true;
    });
  });
}

/** Create a heap and attach the calling thread to it. */
export function createHeap(options: HeapOptions = {}): Heap {
  const o = validateOptions(options);
  const debug = debugFlags(options.debug);
  // A debug heap's lock-order graph is a root of its own (debug/lock-order.ts).
  if (debug !== 0) {
    o.staticBytes += LOCKDEP_BYTES;
    o.rootCount += 1;
  }
  const registryByte = PAGE_SIZE;
  const registryBytes = alignUp(o.maxThreads * Slot.WORDS * 4, CACHE_LINE);
  const intentByte = registryByte + registryBytes;
  const rootsByte = intentByte + alignUp(o.maxThreads * INTENT_WORDS * 4, CACHE_LINE);
  const rootsBytes = o.rootCount * Root.WORDS * 4;
  const staticByte = alignUp(rootsByte + rootsBytes, CACHE_LINE);
  const pagesByte = alignUp(staticByte + o.staticBytes, PAGE_SIZE);
  const initial = Math.max(alignUp(o.initialBytes, PAGE_SIZE), pagesByte);
  if (initial > o.maxBytes) {
    throw new InvalidHeapOptionsError(
      `maxBytes ${o.maxBytes} is smaller than the ${initial} bytes the heap needs (header, registry, static area, initialBytes)`,
    );
  }
  const memory = new wasm.Memory({
    initial: Math.ceil(initial / WASM_PAGE_SIZE),
    maximum: Math.ceil(o.maxBytes / WASM_PAGE_SIZE),
    shared: true,
  });
  const i32 = new Int32Array(memory.buffer, 0, Header.WORDS);
  i32[Header.LAYOUT_VERSION] = LAYOUT_VERSION;
  i32[Header.MAX_THREADS] = o.maxThreads;
  i32[Header.REGISTRY_BYTE] = registryByte;
  i32[Header.INTENT_BYTE] = intentByte;
  i32[Header.ROOTS_BYTE] = rootsByte;
  i32[Header.ROOTS_COUNT] = o.rootCount;
  i32[Header.STATIC_BYTE] = staticByte;
  i32[Header.STATIC_SIZE] = o.staticBytes;
  i32[Header.STATIC_TOP] = staticByte;
  i32[Header.PAGES_BYTE] = pagesByte;
  i32[Header.MAX_PAGES] = Math.floor(o.maxBytes / PAGE_SIZE);
  i32[Header.BYTE_LENGTH] = Math.min(memory.buffer.byteLength, i32[Header.MAX_PAGES]! * PAGE_SIZE);
  i32[Header.STALL_TIMEOUT_MS] = o.stallTimeoutMs;
  i32[Header.DEBUG_FLAGS] = debug;
  initRcuWords(i32, o.initialGpCounter);
  // The magic goes in last: a heap is recognizable only once it is complete. (Nobody else can
  // see the memory yet; this keeps the rule simple for future initializers.)
  Atomics.store(i32, Header.MAGIC, HEAP_MAGIC);
  return Heap.open(memory, options.threadName ?? defaultThreadName());
}

/** Attach the calling thread to a heap shared by another worker. */
export function attachHeap(shared: unknown, options: AttachOptions = {}): Heap {
  const memory = isSharedHeap(shared) ? shared.memory : shared;
  if (isSharedHeap(shared)) holdLifeline(shared);
  if (!(memory instanceof wasm.Memory)) {
    throw new NotAHeapError(
      `attachHeap() expects what heap.share() returned (or its WebAssembly.Memory); got ${describeValue(shared)}` +
        (shared instanceof SharedArrayBuffer
          ? ': a heap is a shared WebAssembly.Memory, whose buffer alone cannot be attached'
          : ''),
    );
  }
  const buffer = memory.buffer;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new NotAHeapError(`attachHeap(): the WebAssembly.Memory is not shared, so it cannot be a heap`);
  }
  if (buffer.byteLength < PAGE_SIZE) {
    throw new NotAHeapError(`attachHeap(): a memory of ${buffer.byteLength} bytes is too small to be a heap`);
  }
  const header = new Int32Array(buffer, 0, Header.WORDS);
  const magic = Atomics.load(header, Header.MAGIC);
  if (magic !== HEAP_MAGIC) {
    throw new NotAHeapError(
      `attachHeap(): the memory does not start with the heap magic (found 0x${(magic >>> 0).toString(16)}); it was not made by createHeap()`,
    );
  }
  const version = header[Header.LAYOUT_VERSION];
  if (version !== LAYOUT_VERSION) {
    throw new HeapLayoutVersionError(
      `attachHeap(): heap layout version ${version} differs from this runtime's ${LAYOUT_VERSION}; ` +
        `all workers must use the same @rcukit/runtime version`,
    );
  }
  return Heap.open(memory, options.threadName ?? defaultThreadName());
}

/** The heap the calling thread is attached to. */
export function currentHeap(): Heap {
  const self = threadLocal.current;
  if (self === null)
    throw new HeapAttachmentError(`thread ${currentThreadId} is not attached to a heap (createHeap() or attachHeap())`);
  return self.heap;
}

function validateOptions(options: HeapOptions): Required<Omit<HeapOptions, 'threadName' | 'debug'>> {
  const given: unknown = options; // as a JavaScript caller may pass it
  if (given === null || typeof given !== 'object')
    throw new InvalidHeapOptionsError(`createHeap() options must be an object`);
  const int = (key: keyof typeof DEFAULTS, min: number, max: number): number => {
    const value = options[key] ?? DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidHeapOptionsError(
        `createHeap(): ${key} must be an integer from ${min} to ${max}; got ${String(value)}`,
      );
    }
    return value;
  };
  const initialGpCounter = options.initialGpCounter ?? DEFAULT_INITIAL_GP_COUNTER;
  if (
    !Number.isInteger(initialGpCounter) ||
    (initialGpCounter | 0) !== initialGpCounter ||
    (initialGpCounter & 1) === 0
  ) {
    throw new InvalidHeapOptionsError(
      `createHeap(): initialGpCounter must be an odd 32-bit signed integer; got ${initialGpCounter}`,
    );
  }
  return {
    initialBytes: int('initialBytes', PAGE_SIZE, 2 ** 31 - PAGE_SIZE),
    maxBytes: int('maxBytes', PAGE_SIZE * 4, 2 ** 31 - PAGE_SIZE),
    maxThreads: int('maxThreads', 1, MAX_THREADS_LIMIT),
    staticBytes: int('staticBytes', 0, 1 << 30),
    rootCount: int('rootCount', 1, 1 << 16),
    stallTimeoutMs: int('stallTimeoutMs', 0, 2 ** 31 - 1),
    initialGpCounter,
  };
}

function makeViews(buffer: SharedArrayBuffer): HeapViews {
  const length = buffer.byteLength;
  return {
    i8: new Int8Array(buffer, 0, length),
    u8: new Uint8Array(buffer, 0, length),
    i16: new Int16Array(buffer, 0, length >> 1),
    u16: new Uint16Array(buffer, 0, length >> 1),
    i32: new Int32Array(buffer, 0, length >> 2),
    u32: new Uint32Array(buffer, 0, length >> 2),
    f32: new Float32Array(buffer, 0, length >> 2),
    f64: new Float64Array(buffer, 0, length >> 3),
    i64: new BigInt64Array(buffer, 0, length >> 3),
    u64: new BigUint64Array(buffer, 0, length >> 3),
  };
}

function equalBytes(u8: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (u8[at + i] !== bytes[i]) return false;
  return true;
}

function defaultThreadName(): string {
  return isMainThread ? 'main' : `worker-${currentThreadId}`;
}
