/**
 * @fileoverview A short rcutorture run is part of `npm test`: a correct RCU must pass it, and
 * the deliberately busted grace period must be caught. Longer runs: `npm run torture -- --seconds N`.
 */

import { describe, expect, it } from 'vitest';
import { runTorture } from '../../dist/torture/rcutorture.js';

describe('rcutorture', () => {
  it('passes with the real grace periods (every method exercised)', async () => {
    const result = await runTorture({ seconds: 3, readers: 2 });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.pipe.slice(2).every((n) => n === 0)).toBe(true);
    expect(result.freedReads).toBe(0);
    expect(result.reads).toBeGreaterThan(0);
    // Every way of waiting was used, and elements really circulated through the pool.
    const g = result.gpByMethod;
    expect(Math.min(g.sync, g.async, g.callRcu, g.poll)).toBeGreaterThan(0);
    expect(result.frees).toBeGreaterThan(0);
  });

  it('catches a grace period that does not wait (--busted)', async () => {
    const result = await runTorture({ seconds: 2, readers: 2, busted: true });
    expect(result.ok).toBe(false);
    expect(result.failures.join('\n')).toMatch(/grace periods after its removal|freed or reused element/);
  });
});
