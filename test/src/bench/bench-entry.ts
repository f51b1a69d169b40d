/**
 * @fileoverview What a benchmark suite reports: one entry per measured case, the format that
 * `npm run bench -- <suite> --json` prints, the same for every suite so that runs compare.
 */

export type BenchUnit = 'ns' | 'ms' | 'ops/s' | 'MB';

export interface BenchEntry {
  /** Case name as the issue gives it (`rcu-read-pair`, `rcu-table-2r`). */
  readonly name: string;
  readonly unit: BenchUnit;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
  /** How many measured runs (samples) the statistics are over. */
  readonly runs: number;
}

export interface BenchOptions {
  /** Fewer samples and shorter runs: for a smoke check, not for figures. */
  readonly quick: boolean;
  /**
   * Reader worker counts for suites that run reader workers (`--readers=1,2,8`); undefined
   * means each suite's own default. For scaling figures on machines with more cores.
   */
  readonly readers?: readonly number[];
  /** Print progress to stderr (off with --json so stdout stays pure JSON). */
  readonly log: (line: string) => void;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): BenchEntry[] | Promise<BenchEntry[]>;
}
