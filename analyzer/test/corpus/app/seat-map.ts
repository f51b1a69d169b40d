/**
 * @fileoverview A venue's seat map in shared memory: a heap root holds one word per seat slot,
 * the address of the slot's Seat object or 0. Booking workers find seats through the slots
 * without locks and take the seat's lock to hold it; the box office installs and removes seats.
 * Application code written blind against the public @rcukit/runtime API (corpus of correct code).
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  addressOf,
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
  type Heap,
  type KmemCache,
  type StructRef,
} from '@rcukit/runtime';

export const Seat = defineStruct(
  'seat',
  { row: 'i32', number: 'i32', holder: 'i32', price: 'f64', lock: 'spinlock' },
  { typesafeByRcu: true },
);
type SeatRef = StructRef<typeof Seat>;

export class SeatMapError extends Error {
  override readonly name = 'SeatMapError';
}

function noSuchSlot(slot: number, slots: number): never {
  throw new SeatMapError(`seat slot ${slot} out of range 0..${slots - 1}`);
}

export class SeatMap {
  readonly #heap: Heap;
  readonly #seats: KmemCache<typeof Seat>;
  readonly #slotWord: number;
  readonly #slots: number;

  constructor(heap: Heap, slots: number) {
    this.#heap = heap;
    this.#slots = slots;
    this.#slotWord = heap.root('seat-map-slots', slots * 4) >> 2;
    this.#seats = kmemCacheCreate(heap, 'seats', Seat, {
      flags: SLAB_TYPESAFE_BY_RCU,
      ctor: (seat) => spinLockInit(seat.lock),
    });
  }

  get slots(): number {
    return this.#slots;
  }

  #slotAddress(slot: number): number {
    if (slot < 0 || slot >= this.#slots) noSuchSlot(slot, this.#slots);
    return Atomics.load(this.#heap.views.i32, this.#slotWord + slot);
  }

  /**
   * The seat in `slot`, or null. Only meaningful inside rcuReadLock(): the seat may be removed
   * and its memory reused for another seat at any time.
   * @rcuReadLockHeld
   */
  #seatIn(slot: number): SeatRef | null {
    const address = this.#slotAddress(slot);
    return address === 0 ? null : objectAt(Seat, this.#heap, address);
  }

  install(slot: number, row: number, number: number, price: number): void {
    if (this.#slotAddress(slot) !== 0) throw new SeatMapError(`seat slot ${slot} is taken`);
    const seat = kmemCacheAlloc(this.#seats);
    seat.row = row;
    seat.number = number;
    seat.holder = 0;
    seat.price = price;
    Atomics.store(this.#heap.views.i32, this.#slotWord + slot, addressOf(seat));
  }

  /**
   * Locks the seat in `slot` and returns it, or null when the slot is empty. The slot is read
   * again under the lock: a seat removed and reused meanwhile may be another slot's by now.
   */
  #lockSeat(slot: number): SeatRef | null {
    retry: for (;;) {
      rcuReadLock();
      const seat = this.#seatIn(slot);
      if (seat === null) {
        rcuReadUnlock();
        return null;
      }
      spinLock(seat.lock);
      if (this.#slotAddress(slot) !== addressOf(seat)) {
        spinUnlock(seat.lock);
        rcuReadUnlock();
        continue retry;
      }
      rcuReadUnlock();
      return seat;
    }
  }

  /** Holds the seat in `slot` for `customer`; false when it is empty or held by someone else. */
  hold(slot: number, customer: number): boolean {
    const seat = this.#lockSeat(slot);
    if (seat === null) return false;
    if (seat.holder !== 0 && seat.holder !== customer) {
      spinUnlock(seat.lock);
      return false;
    }
    seat.holder = customer;
    spinUnlock(seat.lock);
    return true;
  }

  /** Releases `customer`'s hold on `slot`; throws when the customer did not hold it. */
  releaseHold(slot: number, customer: number): void {
    const seat = this.#lockSeat(slot);
    if (seat === null) throw new SeatMapError(`seat slot ${slot} is empty`);
    if (seat.holder !== customer) {
      const holder = seat.holder;
      spinUnlock(seat.lock);
      throw new SeatMapError(`seat slot ${slot} is held by ${holder}, not ${customer}`);
    }
    seat.holder = 0;
    spinUnlock(seat.lock);
  }

  /** Removes the seat in `slot`; its memory may serve another seat at once. */
  remove(slot: number): boolean {
    const seat = this.#lockSeat(slot);
    if (seat === null) return false;
    Atomics.store(this.#heap.views.i32, this.#slotWord + slot, 0);
    spinUnlock(seat.lock);
    kmemCacheFree(this.#seats, seat);
    return true;
  }

  /** Whether some slot of `slots` looks free (a hint: the seat may be taken before hold()). */
  anyFree(slots: readonly number[]): boolean {
    rcuReadLock();
    const found = slots.some((slot) => {
      const seat = this.#seatIn(slot);
      return seat !== null && seat.holder === 0;
    });
    rcuReadUnlock();
    return found;
  }

  /** The first slot of `slots` whose seat costs at most `budget`, held for `customer`. */
  holdCheapest(slots: readonly number[], customer: number, budget: number): number | null {
    let candidates: number[];
    {
      using _ = rcuReadLock();
      candidates = slots.filter((slot) => {
        const seat = this.#seatIn(slot);
        return seat !== null && seat.price <= budget && seat.holder === 0;
      });
    }
    const held = candidates.find((slot) => this.#holdWithin(slot, customer, budget));
    return held ?? null;
  }

  #holdWithin(slot: number, customer: number, budget: number): boolean {
    const seat = this.#lockSeat(slot);
    if (seat === null) return false;
    try {
      if (seat.price > budget || seat.holder !== 0) return false;
      seat.holder = customer;
      return true;
    } finally {
      spinUnlock(seat.lock);
    }
  }
}
