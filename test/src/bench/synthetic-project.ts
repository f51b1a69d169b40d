/**
 * @fileoverview A synthetic TypeScript project for the analyzer benchmark: seeded, so every run
 * and every machine checks the same code. It looks like a service built on rcukit: type-stable
 * connection structs with a lock and a refcount, lookups in the kernel's patterns (lock then
 * revalidate, refcountIncNotZero then re-check the key, `using` read sections, try/finally,
 * labelled loops, spinTrylock, helpers that return with a lock held), a few real bugs, and a
 * majority of plain modules that never import the runtime (the engine's pre-filter should make
 * those nearly free). tsc and rcukit both check it, so it must be valid TypeScript.
 *
 * Two suites use it: analyzer.ts (200 files, ~50k lines; its figures are quoted, so the same
 * options must keep writing the same bytes) and lsp.ts (200 files, ~25k lines).
 */

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SyntheticProjectOptions {
  readonly dir: string;
  /** Where @rcukit/runtime lives (this repository's runtime/ folder). */
  readonly runtimeDir: string;
  readonly files: number;
  readonly targetLines: number;
  readonly seed: number;
}

export interface SyntheticProjectStats {
  readonly files: number;
  readonly lines: number;
  readonly runtimeFiles: number;
  /** Functions written with a deliberate bug. */
  readonly bugs: number;
  /**
   * The source files written, `dir` joined with `src/...`, in the order written: models
   * (src/model), plain modules (src/util), then runtime modules (src/net, imported by nothing).
   */
  readonly paths: readonly string[];
}

/** mulberry32: small, fast, good enough to pick templates. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function writeSyntheticProject(o: SyntheticProjectOptions): SyntheticProjectStats {
  const rand = rng(o.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const models = Math.max(2, Math.round(o.files * 0.05));
  const runtimeFiles = Math.round(o.files * 0.35);
  const plainFiles = o.files - models - runtimeFiles;
  const linesPerFile = o.targetLines / o.files;
  let lines = 0;
  let bugs = 0;
  const paths: string[] = [];

  mkdirSync(path.join(o.dir, 'src/model'), { recursive: true });
  mkdirSync(path.join(o.dir, 'src/net'), { recursive: true });
  mkdirSync(path.join(o.dir, 'src/util'), { recursive: true });
  mkdirSync(path.join(o.dir, 'node_modules/@rcukit'), { recursive: true });
  symlinkSync(o.runtimeDir, path.join(o.dir, 'node_modules/@rcukit/runtime'), 'dir');
  writeFileSync(
    path.join(o.dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2024', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  const write = (rel: string, text: string) => {
    const file = path.join(o.dir, rel);
    writeFileSync(file, text);
    paths.push(file);
    lines += text.split('\n').length;
  };

  for (let m = 0; m < models; m++) write(`src/model/conn${m}.ts`, modelFile(m));

  for (let p = 0; p < plainFiles; p++) {
    const parts = [
      `/** Plain module ${p}: no runtime imports. */`,
      `import { clamp${(p + 1) % plainFiles} } from './mod${(p + 1) % plainFiles}.js';`,
      '',
    ];
    parts.push(`export function clamp${p}(x: number): number {\n  return Math.max(0, Math.min(${100 + p}, x));\n}\n`);
    let j = 0;
    const budget = linesPerFile * (0.6 + rand() * 0.8);
    while (parts.join('\n').split('\n').length < budget)
      parts.push(plainTemplate(int(5), p, j++, int(1000), `clamp${(p + 1) % plainFiles}`));
    write(`src/util/mod${p}.ts`, parts.join('\n'));
  }

  for (let r = 0; r < runtimeFiles; r++) {
    const m = int(models);
    const M = `Conn${m}`;
    const util = int(plainFiles);
    const parts = [
      `/** Runtime module ${r}: lookups on ${M}. */`,
      `import { rcuReadLock, rcuReadUnlock, refcountIncNotZero, spinLock, spinTrylock, spinUnlock, synchronizeRcuAsync } from '@rcukit/runtime';`,
      `import { lockConn${m}, putConn${m}, type ${M}, type Table${m} } from '../model/conn${m}.js';`,
      `import { clamp${util} as clamp } from '../util/mod${util}.js';`,
      '',
    ];
    let j = 0;
    const budget = linesPerFile * (0.6 + rand() * 0.8);
    while (parts.join('\n').split('\n').length < budget) {
      const bug = rand() < 0.04;
      if (bug) bugs++;
      parts.push(bug ? bugTemplate(int(3), m, j++) : runtimeTemplate(int(7), m, j++, int(100)));
    }
    // Keep every import used whatever the templates drew.
    parts.push(
      `export const uses${r} = [rcuReadLock, rcuReadUnlock, refcountIncNotZero, spinLock, spinTrylock, spinUnlock, synchronizeRcuAsync, lockConn${m}, putConn${m}, clamp] as const;\n`,
    );
    write(`src/net/lookup${r}.ts`, parts.join('\n'));
  }
  return { files: o.files, lines, runtimeFiles, bugs, paths };
}

function modelFile(m: number): string {
  return `/** Type-stable connection struct ${m} and its table. */
import { rcuReadLock, rcuReadUnlock, refcountDecAndTest, spinLock, spinUnlock } from '@rcukit/runtime';
import type { Refcount, Spinlock, TypeStable } from '@rcukit/runtime';

export type Conn${m} = TypeStable<{
  readonly lock: Spinlock;
  readonly refcnt: Refcount;
  key: number;
  gen: number;
  state: number;
  bytes: number;
}>;

export interface Table${m} {
  head: Conn${m} | null;
  bucket(key: number): readonly Conn${m}[];
  free(c: Conn${m}): void;
}

/**
 * Lock the head connection if it has this key, revalidating it under its lock.
 * @acquires c.lock
 */
export function lockConn${m}(t: Table${m}, key: number): Conn${m} | null {
  for (;;) {
    rcuReadLock();
    const c = t.head;
    if (c === null) {
      rcuReadUnlock();
      return null;
    }
    spinLock(c.lock);
    if (c === t.head && c.key === key) {
      rcuReadUnlock();
      return c;
    }
    spinUnlock(c.lock);
    rcuReadUnlock();
    if (t.head === null) return null;
  }
}

/**
 * Drop a reference; the last one frees the connection.
 * @owned c
 */
export function putConn${m}(t: Table${m}, c: Conn${m}): void {
  if (refcountDecAndTest(c.refcnt)) t.free(c);
}
`;
}

function runtimeTemplate(kind: number, m: number, j: number, n: number): string {
  const M = `Conn${m}`;
  const T = `Table${m}`;
  switch (kind) {
    case 0:
      return `export function getConn${j}(t: ${T}, key: number): ${M} | null {
  rcuReadLock();
  try {
    for (const c of t.bucket(key)) {
      if (c.key !== key) continue;
      if (!refcountIncNotZero(c.refcnt)) continue;
      if (c.key !== key) {
        putConn${m}(t, c);
        continue;
      }
      return c;
    }
    return null;
  } finally {
    rcuReadUnlock();
  }
}
`;
    case 1:
      return `export function sumBytes${j}(t: ${T}, keys: readonly number[]): number {
  using _rcu = rcuReadLock();
  let total = 0;
  outer: for (const k of keys) {
    for (const c of t.bucket(k)) {
      if (c.state === ${n % 4}) continue outer;
      if (c.bytes > ${n * 1000}) break outer;
      total += c.bytes;
    }
  }
  return clamp(total);
}
`;
    case 2:
      return `export function advance${j}(t: ${T}, key: number): number {
  const c = lockConn${m}(t, key);
  if (c === null) return -1;
  try {
    switch (c.state) {
      case 0:
        c.state = 1;
        break;
      case 1:
        c.state = 2;
        c.gen++;
        break;
      case ${2 + (n % 5)}:
        c.bytes = 0;
      // falls through
      default:
        c.state = 0;
    }
    return c.state;
  } finally {
    spinUnlock(c.lock);
  }
}
`;
    case 3:
      return `export function tryTouch${j}(t: ${T}, key: number): boolean {
  rcuReadLock();
  const c = t.head;
  if (c === null || !spinTrylock(c.lock)) {
    rcuReadUnlock();
    return false;
  }
  if (c === t.head && c.key === key) {
    c.bytes += ${n};
    spinUnlock(c.lock);
    rcuReadUnlock();
    return true;
  }
  spinUnlock(c.lock);
  rcuReadUnlock();
  return false;
}
`;
    case 4:
      return `export async function drain${j}(t: ${T}, key: number): Promise<number> {
  let drained = 0;
  for (let round = 0; round < ${1 + (n % 3)}; round++) {
    const c = lockConn${m}(t, key);
    if (c === null) break;
    drained += c.bytes;
    c.bytes = 0;
    spinUnlock(c.lock);
    await synchronizeRcuAsync();
  }
  return drained;
}
`;
    case 5:
      return `export function countState${j}(t: ${T}, key: number, state: number): number {
  let n = 0;
  rcuReadLock();
  const list = t.bucket(key);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === undefined) continue;
    n += c.state === state ? 1 : c.gen > ${n} ? 0 : c.key === key && c.bytes > 0 ? 1 : 0;
  }
  rcuReadUnlock();
  return n;
}
`;
    default:
      return `/** A plain helper in a runtime module. */
export function hashKey${j}(key: number, salt = ${n}): number {
  let h = (key ^ salt) >>> 0;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  }
  return h % ${97 + n};
}
`;
  }
}

function bugTemplate(kind: number, m: number, j: number): string {
  const M = `Conn${m}`;
  const T = `Table${m}`;
  switch (kind) {
    case 0:
      return `/** Bug: reads a type-stable object outside any read-side section. */
export function peek${j}(t: ${T}): number {
  const c = t.head;
  return c === null ? 0 : c.bytes;
}
`;
    case 1:
      return `/** Bug: locks and returns without revalidating identity. */
export function lockHeadUnchecked${j}(t: ${T}): ${M} | null {
  rcuReadLock();
  const c = t.head;
  if (c === null) {
    rcuReadUnlock();
    return null;
  }
  spinLock(c.lock);
  rcuReadUnlock();
  return c;
}
`;
    default:
      return `/** Bug: an early return leaves the read-side section held. */
export function firstKey${j}(t: ${T}): number {
  rcuReadLock();
  const c = t.head;
  if (c === null) return -1;
  const k = c.key;
  rcuReadUnlock();
  return k;
}
`;
  }
}

function plainTemplate(kind: number, p: number, j: number, n: number, clampFn: string): string {
  switch (kind) {
    case 0:
      return `export class Lru${j}<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity = ${16 + (n % 64)}) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}
`;
    case 1:
      return `export function parseRecord${j}(line: string): { name: string; value: number } | null {
  const m = /^([a-z_]+)=(\\d+)$/i.exec(line.trim());
  if (!m) return null;
  const value = Number(m[2]);
  return { name: (m[1] ?? '').toLowerCase(), value: ${clampFn}(value + ${n}) };
}
`;
    case 2:
      return `export type Shape${j} = { kind: 'circle'; r: number } | { kind: 'rect'; w: number; h: number } | { kind: 'tri'; b: number; h: number };
export function area${j}(s: Shape${j}): number {
  switch (s.kind) {
    case 'circle':
      return Math.PI * s.r * s.r;
    case 'rect':
      return s.w * s.h;
    case 'tri':
      return (s.b * s.h) / 2;
    default: {
      const never: never = s;
      return never;
    }
  }
}
`;
    case 3:
      return `export interface Item${j} {
  readonly id: number;
  readonly tags: readonly string[];
  readonly score: number;
}
export function topItems${j}(items: readonly Item${j}[], tag: string, limit = ${1 + (n % 10)}): Item${j}[] {
  return items
    .filter((i) => i.tags.includes(tag))
    .map((i) => ({ ...i, score: i.score * ${(n % 7) + 1} }))
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, limit);
}
`;
    default:
      return `export async function retry${j}<T>(fn: () => Promise<T>, attempts = ${2 + (n % 4)}): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await Promise.resolve(${p % 10} * i);
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
`;
  }
}

/**
 * The project the `analyzer` and `eslint` suites check, so that their figures are comparable:
 * 200 files, about 51k lines, always the same seed.
 */
export function writeCheckBenchProject(dir: string, runtimeDir: string): SyntheticProjectStats {
  return writeSyntheticProject({ dir, runtimeDir, files: 200, targetLines: 51_200, seed: 0x5eed });
}
