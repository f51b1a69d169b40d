/**
 * @fileoverview Zipf-distributed keys for the `lookup` benchmark: real caches are skewed, a few
 * keys taking most lookups. Key of rank r (0 the most popular) is drawn with probability
 * proportional to 1 / (r + 1)^s; s = 0.99 as in YCSB. Ranks are scattered over the key space
 * (a multiplication by an odd constant, a bijection modulo a power of two), so the hot keys
 * do not sit in neighbouring buckets.
 */

/** YCSB's Zipf exponent. */
export const ZIPF_EXPONENT = 0.99;

/** Quantiles in the sampling table: 2^16, so one draw is a table load at `rand() & 0xffff`. */
const TABLE_BITS = 16;

/**
 * A generator of keys in 0..keys-1 (`keys` a power of two) under a Zipf distribution, drawing
 * its randomness from `rand` (32-bit unsigned integers).
 */
export function zipfKeys(keys: number, rand: () => number, s = ZIPF_EXPONENT): () => number {
  if (keys <= 0 || (keys & (keys - 1)) !== 0) throw new Error(`zipfKeys: ${keys} keys is not a power of two`);
  const weights = Array.from({ length: keys }, (_, r) => 1 / Math.pow(r + 1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  const size = 1 << TABLE_BITS;
  const table = new Int32Array(size);
  let rank = 0;
  let cumulative = weights[0]! / total;
  for (let q = 0; q < size; q++) {
    // The rank whose cumulative probability first reaches the middle of quantile q.
    while (cumulative < (q + 0.5) / size && rank < keys - 1) cumulative += weights[++rank]! / total;
    table[q] = Math.imul(rank, 0x9e3779b1) & (keys - 1);
  }
  const mask = size - 1;
  return () => table[rand() & mask]!;
}
