/**
 * @fileoverview The RCU calls slab.ts needs, in one place: the polled grace-period API that
 * decides when an empty type-stable slab's pages may go back to the page allocator, and the
 * blocking / async waits kmemCacheDestroy() does before releasing a type-stable cache.
 *
 * TEMPORARY until the `rcu` branch is merged: conservative placeholders. A cookie never
 * completes (type-stable pages are never released early, only kept), and waiting for a grace
 * period throws instead of pretending. Replaced by re-exports of rcu-poll.ts / grace-period.ts.
 */

export function getStateSynchronizeRcu(): number {
  return 0;
}
export function pollStateSynchronizeRcu(_cookie: number): boolean {
  return false;
}
export function synchronizeRcu(): void {
  throw new Error('synchronizeRcu(): RCU not merged into this branch yet');
}
export async function synchronizeRcuAsync(): Promise<void> {
  throw new Error('synchronizeRcuAsync(): RCU not merged into this branch yet');
}
