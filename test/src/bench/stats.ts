/**
 * @fileoverview Order statistics over samples, and a sampler for tight loops.
 */

import type { BenchEntry, BenchUnit } from './bench-entry.js';

/** Summarize samples (already in `unit`) into a BenchEntry. */
export function summarize(name: string, unit: BenchUnit, samples: readonly number[]): BenchEntry {
  if (samples.length === 0) throw new Error(`benchmark ${name}: no samples`);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    unit,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    runs: sorted.length,
  };
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Time `body(iterations)` — which must run its operation `iterations` times — and return
 * nanoseconds per operation for each of `samples` samples, after a warm-up that lets the JIT
 * optimize the loop. The loop lives in `body` so the measured code is inlined into it.
 */
export function sampleNsPerOp(body: (iterations: number) => void, iterations: number, samples: number): number[] {
  body(Math.min(iterations, 100_000));
  body(iterations);
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = process.hrtime.bigint();
    body(iterations);
    const t1 = process.hrtime.bigint();
    out.push(Number(t1 - t0) / iterations);
  }
  return out;
}
