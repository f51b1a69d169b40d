/**
 * @fileoverview The Zipf key generator of the `lookup` benchmark: keys stay in range, every key
 * can come up, and the draws follow the distribution (each rank's share near its probability,
 * computed here from the definition).
 */

import { expect, test } from 'vitest';
import { xorshift } from '../dist/workers/hash-item.js';
import { ZIPF_EXPONENT, zipfKeys } from '../dist/workers/zipf-keys.js';

test('zipfKeys draws keys in range with Zipf frequencies, hot keys scattered over the key space', () => {
  const keys = 1024;
  const draws = 400_000;
  const next = zipfKeys(keys, xorshift(12345));
  const counts = new Array<number>(keys).fill(0);
  let outOfRange = 0;
  for (let n = 0; n < draws; n++) {
    const k = next();
    if (Number.isInteger(k) && k >= 0 && k < keys) counts[k]!++;
    else outOfRange++;
  }
  expect(outOfRange).toBe(0);
  const weights = Array.from({ length: keys }, (_, r) => (r + 1) ** -ZIPF_EXPONENT);
  const total = weights.reduce((a, b) => a + b, 0);
  const byCount = [...counts.keys()].sort((a, b) => counts[b]! - counts[a]!);
  // The ten hottest keys: each share within 5% of its rank's probability.
  for (let r = 0; r < 10; r++) {
    expect(counts[byCount[r]!]! / draws).toBeGreaterThan((weights[r]! / total) * 0.95);
    expect(counts[byCount[r]!]! / draws).toBeLessThan((weights[r]! / total) * 1.05);
  }
  // The hottest keys are not neighbours (they would share buckets' cache lines).
  expect(Math.abs(byCount[0]! - byCount[1]!)).toBeGreaterThan(1);
  // The tail is drawn too.
  expect(counts.filter((c) => c > 0).length).toBeGreaterThan(keys * 0.9);
  expect(() => zipfKeys(1000, xorshift(1))).toThrow(/power of two/);
});
