/**
 * @fileoverview Planted bug: a second updater that counts its swap after dropping the lock
 * countSwap() asserts. `rcukit check` must report the call (rcu/unbalanced-spinlock).
 */

import { spinLock, spinUnlock, type StructRef } from '@rcukit/runtime';
import { countSwap, type Registry } from './shared.js';

export function touchAndCount(registry: StructRef<typeof Registry>): void {
  spinLock(registry.lock);
  registry.swaps += 0;
  spinUnlock(registry.lock);
  countSwap(registry);
}
