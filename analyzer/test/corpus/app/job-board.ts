/**
 * @fileoverview A job board shared by worker threads: producers post jobs into a table keyed by
 * job id, workers claim and finish them under each job's spinlock. Application code written
 * blind against the public @rcukit/runtime API (corpus of correct code).
 */

import {
  SLAB_TYPESAFE_BY_RCU,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  rcuHashTableCreate,
  spinLock,
  spinLockInit,
  spinTrylock,
  spinUnlock,
  type Heap,
  type KmemCache,
  type RcuHashTable,
} from '@rcukit/runtime';

export const Job = defineStruct(
  'job',
  { id: 'i32', state: 'i32', owner: 'i32', attempts: 'i32', lock: 'spinlock', refs: 'refcount', node: 'hlistNulls' },
  { typesafeByRcu: true },
);

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;
const FAILED = 3;
type JobState = typeof QUEUED | typeof RUNNING | typeof DONE | typeof FAILED;
export type Outcome = 'done' | 'failed' | 'retry';

export class JobBoardError extends Error {
  override readonly name = 'JobBoardError';
}

function fail(message: string): never {
  throw new JobBoardError(message);
}

function unreachable(value: never): never {
  throw new JobBoardError(`unexpected value ${String(value)}`);
}

function asState(raw: number): JobState {
  if (raw === QUEUED || raw === RUNNING || raw === DONE || raw === FAILED) return raw;
  return fail(`corrupt job state ${raw}`);
}

function stateName(state: JobState): string {
  switch (state) {
    case QUEUED:
      return 'queued';
    case RUNNING:
      return 'running';
    case DONE:
      return 'done';
    case FAILED:
      return 'failed';
    default:
      return unreachable(state);
  }
}

export class JobBoard {
  readonly #jobs: KmemCache<typeof Job>;
  readonly #table: RcuHashTable<typeof Job>;
  #claimed = 0;
  #finished = 0;

  constructor(heap: Heap) {
    this.#jobs = kmemCacheCreate(heap, 'jobs', Job, {
      flags: SLAB_TYPESAFE_BY_RCU,
      ctor: (job) => spinLockInit(job.lock),
    });
    this.#table = rcuHashTableCreate(heap, 'jobs-by-id', { cache: this.#jobs, key: 'id', refcount: 'refs', node: 'node' });
  }

  get claimed(): number {
    return this.#claimed;
  }

  get finished(): number {
    return this.#finished;
  }

  get pending(): number {
    return this.#table.size;
  }

  post(id: number): boolean {
    const job = kmemCacheAlloc(this.#jobs);
    job.id = id;
    job.state = QUEUED;
    job.owner = 0;
    job.attempts = 0;
    if (this.#table.insert(job)) return true;
    kmemCacheFree(this.#jobs, job);
    return false;
  }

  claim(id: number, worker: number): boolean {
    const job = this.#table.lookup(id);
    if (job === null) return false;
    try {
      spinLock(job.lock);
      try {
        if (job.state !== QUEUED) return false;
        job.state = RUNNING;
        job.owner = worker;
        job.attempts += 1;
      } finally {
        spinUnlock(job.lock);
      }
      this.#claimed++;
      return true;
    } finally {
      this.#table.put(job);
    }
  }

  /** Like claim(), but gives up after `tries` failed attempts to take a busy job's lock. */
  tryClaim(id: number, worker: number, tries = 3): boolean {
    const job = this.#table.lookup(id);
    if (job === null) return false;
    try {
      for (let i = 0; i < tries; i++) {
        if (!spinTrylock(job.lock)) continue;
        const queued = job.state === QUEUED;
        if (queued) {
          job.state = RUNNING;
          job.owner = worker;
          job.attempts += 1;
          this.#claimed++;
        }
        spinUnlock(job.lock);
        return queued;
      }
      return false;
    } finally {
      this.#table.put(job);
    }
  }

  finish(id: number, worker: number, outcome: Outcome): void {
    const job = this.#table.lookup(id);
    if (job === null) fail(`job ${id} vanished while worker ${worker} ran it`);
    spinLock(job.lock);
    if (job.owner !== worker || job.state !== RUNNING) {
      const seen = stateName(asState(job.state));
      spinUnlock(job.lock);
      this.#table.put(job);
      fail(`job ${id} is ${seen}, not running on worker ${worker}`);
    }
    let remove = false;
    switch (outcome) {
      case 'done':
        job.state = DONE;
        remove = true;
        break;
      case 'failed':
        job.state = FAILED;
        remove = true;
        break;
      case 'retry':
        job.state = QUEUED;
        job.owner = 0;
        break;
      default:
        unreachable(outcome);
    }
    spinUnlock(job.lock);
    if (remove) {
      this.#table.delete(id);
      this.#finished++;
    }
    this.#table.put(job);
  }

  describe(id: number): string {
    const state = this.#table.read(id, 'state');
    if (state === undefined) return `job ${id}: unknown`;
    return `job ${id}: ${stateName(asState(state))}`;
  }

  /** Claims every queued job of `ids` for `worker`; returns the ones it got. */
  claimAll(ids: readonly number[], worker: number): number[] {
    return ids.filter((id) => this.claim(id, worker));
  }

  /** How many of `ids` look queued right now (a hint: each read is validated on its own). */
  countQueued(ids: readonly number[]): number {
    return ids.reduce((n, id) => (this.#table.read(id, 'state') === QUEUED ? n + 1 : n), 0);
  }

  /** The attempts made on each job still on the board, read under its lock. */
  attempts(ids: readonly number[]): Map<number, number> {
    const out = new Map<number, number>();
    ids.forEach((id) => {
      const job = this.#table.lookup(id);
      if (job === null) return;
      spinLock(job.lock);
      const n = job.attempts;
      spinUnlock(job.lock);
      this.#table.put(job);
      out.set(id, n);
    });
    return out;
  }
}
