/**
 * @fileoverview The kill torture, 30 seconds of it, is part of `npm test`: workers terminated
 * at random moments inside every operation (section enter and exit, alloc, free, shrink,
 * table insert, replace, delete and lookup, lock and unlock) must leave a heap whose grace
 * periods complete, whose objects are handed out once, whose slabinfo adds up, whose table
 * entries are each reachable once with the size to match, and whose locks can all be taken.
 * Without the recovery of the dead worker's half-done update (the busted variant, which is
 * what the runtime did before the intent log), the same run fails within a few kills.
 * Longer runs: `npm run torture -- --kill --seconds N`.
 */

import { describe, expect, it } from 'vitest';
import { runKillTorture } from '../../dist/torture/kill-torture.js';

describe('kill torture', () => {
  it('keeps the heap consistent while workers are killed inside every operation', { timeout: 180_000 }, async () => {
    const result = await runKillTorture({ seconds: 30 });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    // Both ways of reaping were used, and every kill was followed by a full check (the two
    // victims still running at the end are killed together, then checked once).
    expect(result.watched).toBeGreaterThan(0);
    expect(result.byHand).toBeGreaterThan(0);
    expect(result.checks).toBe(result.kills - 1);
    expect(result.ops).toBeGreaterThan(0);
  });

  it('fails when the dead worker’s half-done update is not undone (busted)', { timeout: 240_000 }, async () => {
    // It stops at the first failure, usually within a few kills; the time bound is for a
    // loaded machine, where each kill waits for a new worker to start. The lock-heavy groups
    // put more of a victim's time under the locks whose recovery is skipped.
    const result = await runKillTorture({ seconds: 180, busted: true, groups: ['slab', 'table'] });
    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(/slabinfo|table|handed out|gate|grace period|victim/);
  });
});
