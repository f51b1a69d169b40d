/**
 * @fileoverview The targets the issues set for the benchmarks, as ratios of cases measured side
 * by side in one run (or, for `qsbr-read-pair`, an absolute figure), and their evaluation over a
 * run's entries. `npm run bench` prints them after the tables, per Node version with `--node`.
 */

import type { BenchEntry } from './bench-entry.js';

export interface Target {
  /** What the row says: `rcu-read-pair / two-atomics-store`. */
  readonly label: string;
  /** The figure from one run's entries by name (medians), or undefined when a case is missing. */
  readonly value: (median: (name: string) => number | undefined) => number | undefined;
  readonly bound: { readonly atMost: number } | { readonly atLeast: number };
}

const ratio =
  (a: string, b: string) =>
  (median: (name: string) => number | undefined): number | undefined => {
    const x = median(a);
    const y = median(b);
    return x === undefined || y === undefined || y === 0 ? undefined : x / y;
  };

function slabTargets(): Target[] {
  return [
    { suffix: '', bound: 1.5 },
    { suffix: '-256-live', bound: 2 },
    { suffix: '-4096-live', bound: 2 },
  ].map(({ suffix, bound }) => ({
    label: `slab-alloc-free-pair${suffix} / js-new-object${suffix}`,
    value: ratio(`slab-alloc-free-pair${suffix}`, `js-new-object${suffix}`),
    bound: { atMost: bound },
  }));
}

function lookupTargets(readers: readonly number[]): Target[] {
  return ['', '-zipf'].flatMap((dist) =>
    readers.flatMap((r): Target[] => [
      {
        label: `rcu-table${dist}-${r}r / local-map${dist}-${r}r`,
        value: ratio(`rcu-table${dist}-${r}r`, `local-map${dist}-${r}r`),
        bound: { atLeast: 0.5 },
      },
      {
        label: `rcu-table${dist}-${r}r / spinlock-table${dist}-${r}r`,
        value: ratio(`rcu-table${dist}-${r}r`, `spinlock-table${dist}-${r}r`),
        bound: { atLeast: 2 },
      },
    ]),
  );
}

/** The targets that apply to a run's entries (those whose cases it measured). */
export function targetsFor(entries: readonly BenchEntry[]): Target[] {
  const names = new Set(entries.map((e) => e.name));
  const readers = [...new Set([...names].flatMap((n) => /^rcu-table-(\d+)r$/.exec(n)?.[1] ?? []))].map(Number);
  const all: Target[] = [
    {
      label: 'rcu-read-pair / two-atomics-store',
      value: ratio('rcu-read-pair', 'two-atomics-store'),
      bound: { atMost: 1.3 },
    },
    {
      label: 'rcu-read-pair / two-wasm-atomics',
      value: ratio('rcu-read-pair', 'two-wasm-atomics'),
      bound: { atMost: 1.5 },
    },
    { label: 'qsbr-read-pair (ns)', value: (m) => m('qsbr-read-pair'), bound: { atMost: 2 } },
    ...slabTargets(),
    ...lookupTargets(readers),
  ];
  const median = medians(entries);
  return all.filter((t) => t.value(median) !== undefined);
}

export function medians(entries: readonly BenchEntry[]): (name: string) => number | undefined {
  const byName = new Map(entries.map((e) => [e.name, e.median]));
  return (name) => byName.get(name);
}

export function boundText(t: Target): string {
  return 'atMost' in t.bound ? `≤ ${t.bound.atMost}` : `≥ ${t.bound.atLeast}`;
}

export function meets(t: Target, value: number): boolean {
  return 'atMost' in t.bound ? value <= t.bound.atMost : value >= t.bound.atLeast;
}
