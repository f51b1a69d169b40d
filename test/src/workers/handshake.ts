/**
 * @fileoverview Shared-memory handshakes for test workers: a thread publishes a word with
 * Atomics.store + Atomics.notify, another blocks in Atomics.wait until the word says what it
 * waits for. Waits are bounded, so a broken handshake fails a test instead of hanging it.
 */

/** Generous: a loaded 2-core machine may not schedule a worker for seconds. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

/** Store `value` and wake every thread waiting on the word. */
export function publish(i32: Int32Array, index: number, value: number): void {
  Atomics.store(i32, index, value);
  Atomics.notify(i32, index);
}

/** Add `delta` and wake every thread waiting on the word; returns the new value. */
export function publishAdd(i32: Int32Array, index: number, delta: number): number {
  const next = Atomics.add(i32, index, delta) + delta;
  Atomics.notify(i32, index);
  return next;
}

/**
 * Block (Atomics.wait) until `ready(word)` holds. For workers only: the main thread of a test
 * must not block its event loop; it uses waitForWord() from the test helpers.
 */
export function blockUntil(
  i32: Int32Array,
  index: number,
  ready: (value: number) => boolean,
  what: string,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): number {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(i32, index);
    if (ready(v)) return v;
    const left = deadline - Date.now();
    if (left <= 0)
      throw new Error(`handshake timed out after ${timeoutMs} ms waiting for ${what} (word ${index} = ${v})`);
    // Sleeps until the word changes from v (a publish() notifies), or the deadline.
    Atomics.wait(i32, index, v, left);
  }
}
