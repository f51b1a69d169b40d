/**
 * @fileoverview Polled grace periods: getStateSynchronizeRcu / startPollSynchronizeRcu /
 * pollStateSynchronizeRcu, as in the kernel.
 *
 * A cookie is the GP_CTR value the next grace period will flip to (GP_CTR + 4 when the cookie
 * is taken). A grace period that flips to it or later started after the cookie was taken, so
 * once GP_COMPLETED has reached the cookie, every read-side section that began before the
 * cookie has ended. Comparisons are modular (`((a - b) | 0) >= 0`), so cookies stay correct
 * across the 32-bit wrap of the counter; like the kernel's, a cookie is meaningful for 2^30
 * grace periods (about 10^9), after which an old cookie may read as not yet done.
 */

import { HeapAttachmentError } from '../errors.js';
import { cookieDone, currentCookie, waitForCookieAsync } from './grace-period.js';
import { gpAtOrAfter, rcuSelf } from './read-side.js';

/**
 * A cookie for the current state: pollStateSynchronizeRcu(cookie) turns true once a full
 * grace period has elapsed since this call. Starts nothing (see startPollSynchronizeRcu()).
 * Always an odd 32-bit integer.
 */
export function getStateSynchronizeRcu(): number {
  return currentCookie(rcuSelf('getStateSynchronizeRcu'));
}

/**
 * Like getStateSynchronizeRcu(), and makes sure a grace period that satisfies the cookie
 * gets run: this thread starts one asynchronously if needed (it never blocks, and may be
 * called inside a read-side section; the process is kept alive until that grace period ends).
 */
export function startPollSynchronizeRcu(): number {
  const t = rcuSelf('startPollSynchronizeRcu');
  const cookie = currentCookie(t);
  if (!cookieDone(t.heap.views.i32, cookie)) kick(cookie);
  return cookie;
}

/**
 * Whether a full grace period has elapsed since `cookie` was returned by
 * getStateSynchronizeRcu() or startPollSynchronizeRcu(). Never blocks. Throws RangeError for
 * a value that is not a cookie (cookies are odd 32-bit integers).
 */
export function pollStateSynchronizeRcu(cookie: number): boolean {
  const t = rcuSelf('pollStateSynchronizeRcu');
  if (typeof cookie !== 'number' || (cookie | 0) !== cookie || (cookie & 1) === 0) {
    throw new RangeError(
      `pollStateSynchronizeRcu(${String(cookie)}): not a grace-period cookie (an odd 32-bit integer)`,
    );
  }
  return cookieDone(t.heap.views.i32, cookie);
}

/** The newest cookie a kicked grace period of this thread is working towards, when one runs. */
let kickTarget = 0;
let kickRunning = false;

/**
 * Run grace periods in the background until `cookie` is done. One background loop per
 * thread: a later cookie raises its target instead of starting another loop.
 */
function kick(cookie: number): void {
  if (kickRunning) {
    if (!gpAtOrAfter(kickTarget, cookie)) kickTarget = cookie;
    return;
  }
  kickTarget = cookie;
  kickRunning = true;
  void (async () => {
    try {
      const t = rcuSelf('startPollSynchronizeRcu');
      while (!cookieDone(t.heap.views.i32, kickTarget)) await waitForCookieAsync(t, kickTarget);
    } catch (error) {
      // The thread detached meanwhile: nothing is lost, any other thread's grace period
      // serves the cookie. Anything else nobody awaits this loop for: report it the way a
      // throwing timer callback would ('uncaughtException').
      if (!(error instanceof HeapAttachmentError)) {
        process.nextTick(() => {
          throw error;
        });
      }
    } finally {
      kickRunning = false;
    }
  })();
}
