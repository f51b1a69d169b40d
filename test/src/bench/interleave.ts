/**
 * @fileoverview Sampling several tight-loop cases side by side: after warming every case up,
 * each sampling round runs every case once, in turn. Drift in machine load (other processes
 * on a shared 2-core box, CPU frequency) then lands on all cases alike instead of on whichever
 * case happened to run during it, so ratios between cases stay meaningful.
 */

/** One tight-loop case: `body(n)` runs the operation n times and returns an accumulator. */
export interface LoopCase {
  readonly name: string;
  readonly body: (iterations: number) => number;
  /** Untimed set-up and tear-down around each run of the body (e.g. switching RCU flavor). */
  readonly before?: () => void;
  readonly after?: () => void;
}

/** Keeps accumulators observable so the JIT cannot drop the loops that produce them. */
let sink = 0;

/** The accumulated sink: callers print or test it so that it is observably used. */
export function benchSink(): number {
  return sink;
}

/**
 * Returns ns per operation for each case (same order as `cases`), `samples` values each.
 * Each case's body is warmed with a short then a full run first, so it is optimized before
 * it is timed.
 */
export function sampleInterleaved(cases: readonly LoopCase[], iterations: number, samples: number): number[][] {
  for (const c of cases) {
    c.before?.();
    sink = (sink + c.body(Math.min(iterations, 10_000))) | 0;
    sink = (sink + c.body(iterations)) | 0;
    c.after?.();
  }
  const out = cases.map(() => [] as number[]);
  for (let s = 0; s < samples; s++) {
    for (const [k, c] of cases.entries()) {
      c.before?.();
      const t0 = process.hrtime.bigint();
      const acc = c.body(iterations);
      const t1 = process.hrtime.bigint();
      c.after?.();
      sink = (sink + acc) | 0;
      out[k]!.push(Number(t1 - t0) / iterations);
    }
  }
  return out;
}
