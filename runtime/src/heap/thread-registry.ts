/**
 * @fileoverview The registry of threads attached to a heap: one slot per thread, in shared
 * memory, holding its reader counter (used by RCU), its identity (threadId, name) and a
 * generation that makes owner tags unique over time.
 *
 * Slots are claimed without a lock (compareExchange FREE -> CLAIMING) so that a thread needs
 * no owner tag before it has one. A slot becomes LIVE only after its generation is bumped:
 * an owner tag naming an earlier generation of the slot is then dead for good. Generations
 * count per slot and never wrap; a slot that has used all of them is retired, so a heap
 * serves maxThreads × OWNER_GEN_MASK attaches in its lifetime (about 268 M at 64 threads).
 */

import { OWNER_GEN_MASK, SLOT_NAME_BYTES, Slot, SlotState, ownerTag, ownerTagSlot, slotWord } from './layout.js';
import { TooManyThreadsError } from '../errors.js';

/** A slot on its way from FREE to LIVE: not yet anyone's owner tag. */
const CLAIMING = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ThreadInfo {
  /** Registry slot index. */
  readonly slot: number;
  readonly threadId: number;
  readonly name: string;
  /** True while the thread is inside a read-side section (default flavor) or online (QSBR). */
  readonly rcuActive: boolean;
  readonly flavor: 'memb' | 'qsbr';
}

export class ThreadRegistry {
  readonly #registryByte: number;
  readonly #maxThreads: number;

  constructor(
    private readonly views: { i32: Int32Array; u8: Uint8Array },
    registryByte: number,
    maxThreads: number,
  ) {
    this.#registryByte = registryByte;
    this.#maxThreads = maxThreads;
  }

  get maxThreads(): number {
    return this.#maxThreads;
  }

  /** Word index of a field of a slot. */
  word(slot: number, field: number): number {
    return slotWord(this.#registryByte, slot, field);
  }

  /** Claim a slot for the calling thread. Returns the slot index and its owner tag. */
  register(threadId: number, name: string): { slot: number; tag: number } {
    const i32 = this.views.i32;
    for (let slot = 0; slot < this.#maxThreads; slot++) {
      const state = this.word(slot, Slot.STATE);
      if (Atomics.compareExchange(i32, state, SlotState.FREE, CLAIMING) !== SlotState.FREE) continue;
      // Only the claimer writes GEN, so a plain read-increment is enough here.
      const generation = Atomics.load(i32, this.word(slot, Slot.GEN)) + 1;
      if (generation > OWNER_GEN_MASK) {
        Atomics.store(i32, state, SlotState.RETIRED);
        continue;
      }
      Atomics.store(i32, this.word(slot, Slot.GEN), generation);
      Atomics.store(i32, this.word(slot, Slot.THREAD_ID), threadId);
      Atomics.store(i32, this.word(slot, Slot.CTR), 0);
      Atomics.store(i32, this.word(slot, Slot.STALL_REPORTED), 0);
      this.#writeName(slot, name);
      // Publish last: a slot is LIVE only with its new generation and identity in place.
      Atomics.store(i32, state, SlotState.LIVE);
      return { slot, tag: ownerTag(slot, generation) };
    }
    throw new TooManyThreadsError(
      `cannot attach thread ${threadId} ("${name}"): all ${this.#maxThreads} registry slots of the heap are taken or retired ` +
        `(raise maxThreads in createHeap(), or detach threads that are done; a slot retires after ${OWNER_GEN_MASK} attaches)`,
    );
  }

  /**
   * Free a slot. Used both for an orderly detach and for reaping a dead thread: the reader
   * counter is cleared first and its waiters woken, so a grace period stuck on this thread
   * completes; then the slot is freed, which makes every lock word naming it owner-dead.
   */
  release(slot: number): void {
    const i32 = this.views.i32;
    const ctr = this.word(slot, Slot.CTR);
    Atomics.store(i32, ctr, 0);
    Atomics.notify(i32, ctr);
    Atomics.store(i32, this.word(slot, Slot.STATE), SlotState.FREE);
  }

  /**
   * Mark a LIVE slot as being reaped: returns its owner tag, or 0 when it is not LIVE (another
   * reaper got it first). Its owner stays alive for lock words until release().
   */
  claimForReap(slot: number): number {
    const i32 = this.views.i32;
    if (Atomics.compareExchange(i32, this.word(slot, Slot.STATE), SlotState.LIVE, SlotState.REAPING) !== SlotState.LIVE)
      return 0;
    return ownerTag(slot, Atomics.load(i32, this.word(slot, Slot.GEN)));
  }

  /** Slot of the live thread with this threadId, or -1. */
  findThread(threadId: number): number {
    const i32 = this.views.i32;
    for (let slot = 0; slot < this.#maxThreads; slot++) {
      if (
        Atomics.load(i32, this.word(slot, Slot.STATE)) === SlotState.LIVE &&
        Atomics.load(i32, this.word(slot, Slot.THREAD_ID)) === threadId
      ) {
        return slot;
      }
    }
    return -1;
  }

  /** Whether the thread an owner tag names is still attached. */
  isOwnerAlive(tag: number): boolean {
    const slot = ownerTagSlot(tag);
    if (slot < 0 || slot >= this.#maxThreads) return false;
    const i32 = this.views.i32;
    const state = Atomics.load(i32, this.word(slot, Slot.STATE));
    return (
      (state === SlotState.LIVE || state === SlotState.REAPING) &&
      ownerTag(slot, Atomics.load(i32, this.word(slot, Slot.GEN))) === tag
    );
  }

  isLive(slot: number): boolean {
    return Atomics.load(this.views.i32, this.word(slot, Slot.STATE)) === SlotState.LIVE;
  }

  info(slot: number): ThreadInfo {
    const i32 = this.views.i32;
    return {
      slot,
      threadId: Atomics.load(i32, this.word(slot, Slot.THREAD_ID)),
      name: this.name(slot),
      rcuActive: Atomics.load(i32, this.word(slot, Slot.CTR)) !== 0,
      flavor: Atomics.load(i32, this.word(slot, Slot.FLAVOR)) === 1 ? 'qsbr' : 'memb',
    };
  }

  /** The live threads, for diagnostics. */
  list(): ThreadInfo[] {
    const out: ThreadInfo[] = [];
    for (let slot = 0; slot < this.#maxThreads; slot++) if (this.isLive(slot)) out.push(this.info(slot));
    return out;
  }

  name(slot: number): string {
    const start = this.word(slot, Slot.NAME) * 4;
    const bytes = this.views.u8.slice(start, start + SLOT_NAME_BYTES);
    const end = bytes.indexOf(0);
    return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
  }

  #writeName(slot: number, name: string): void {
    const start = this.word(slot, Slot.NAME) * 4;
    const target = this.views.u8.subarray(start, start + SLOT_NAME_BYTES);
    target.fill(0);
    // Truncation may split a multi-byte character; the decoder then shows U+FFFD, which is fine
    // for a diagnostic label.
    encoder.encodeInto(name, target);
  }
}
