/**
 * @fileoverview A generated TypeScript project for the LSP latency benchmark: `fileCount` files
 * of realistic runtime use (type-stable structs, read-side sections, lock-and-revalidate
 * lookups, helpers imported across files, a few mistakes), seeded so every run is the same
 * project. It lives in a temporary folder with `node_modules/@rcukit/runtime` linked to the
 * repository's runtime, so the type checker resolves the real declarations.
 */

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runtimePackage = fileURLToPath(new URL('../../../runtime/', import.meta.url));

export interface GeneratedProject {
  readonly dir: string;
  readonly files: readonly string[];
  readonly lines: number;
}

/** A small deterministic PRNG (mulberry32), so the project is the same on every run. */
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

export function generateProject(fileCount: number, seed = 0x5eed): GeneratedProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcukit-lsp-bench-'));
  mkdirSync(path.join(dir, 'node_modules', '@rcukit'), { recursive: true });
  symlinkSync(runtimePackage, path.join(dir, 'node_modules', '@rcukit', 'runtime'), 'dir');
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'lsp-bench', private: true, type: 'module' }));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        lib: ['ES2024', 'ESNext.Disposable'],
        types: [],
      },
      include: ['src'],
    }),
  );
  writeFileSync(path.join(dir, 'src', 'types.ts'), typesFile());
  const random = rng(seed);
  const files: string[] = [];
  let lines = 0;
  for (let i = 0; i < fileCount; i++) {
    const text = moduleFile(i, random);
    const file = path.join(dir, 'src', `m${i}.ts`);
    writeFileSync(file, text);
    files.push(file);
    lines += text.split('\n').length;
  }
  return { dir, files, lines };
}

function typesFile(): string {
  return `import type { Refcount, Spinlock, TypeStable } from '@rcukit/runtime';

export interface Sighand {
  siglock: Spinlock;
  count: Refcount;
  action: number;
}

export interface Task {
  pid: number;
  sighand: TypeStable<Sighand> | null;
}

export interface Sock {
  refcnt: Refcount;
  lock: Spinlock;
  key: number;
  state: number;
  next: TypeStable<Sock> | null;
}

export interface Bucket {
  first: TypeStable<Sock> | null;
}
`;
}

/** One module: helpers, lookups and loops; imports a helper from an earlier module. */
function moduleFile(i: number, random: () => number): string {
  const dep = i > 0 ? Math.floor(random() * i) : -1;
  const out: string[] = [];
  out.push(`import { rcuReadLock, rcuReadUnlock, spinLock, spinUnlock, refcountIncNotZero, refcountDecAndTest, type TypeStable } from '@rcukit/runtime';`);
  out.push(`import type { Bucket, Sighand, Sock, Task } from './types.js';`);
  if (dep >= 0) out.push(`import { sumActions${dep} } from './m${dep}.js';`);
  out.push('');
  out.push(`/** Lock a task's sighand, revalidating it under the lock (the kernel's __lock_task_sighand). */`);
  out.push(`export function lockSighand${i}(task: Task): TypeStable<Sighand> | null {`);
  out.push(`  for (;;) {`);
  out.push(`    rcuReadLock();`);
  out.push(`    const sighand = task.sighand;`);
  out.push(`    if (sighand === null) {`);
  out.push(`      rcuReadUnlock();`);
  out.push(`      return null;`);
  out.push(`    }`);
  out.push(`    spinLock(sighand.siglock);`);
  out.push(`    if (sighand === task.sighand) {`);
  out.push(`      rcuReadUnlock();`);
  out.push(`      return sighand;`);
  out.push(`    }`);
  out.push(`    spinUnlock(sighand.siglock);`);
  out.push(`    rcuReadUnlock();`);
  out.push(`  }`);
  out.push(`}`);
  out.push('');
  out.push(`/** Sum the actions of many tasks under one read-side section. */`);
  out.push(`export function sumActions${i}(tasks: Task[]): number {`);
  out.push(`  let total = ${Math.floor(random() * 10)};`);
  out.push(`  rcuReadLock();`);
  out.push(`  for (const t of tasks) {`);
  out.push(`    const sighand = t.sighand;`);
  out.push(`    if (sighand === null) continue;`);
  out.push(`    total += sighand.action;`);
  out.push(`  }`);
  out.push(`  rcuReadUnlock();`);
  out.push(dep >= 0 ? `  return total + sumActions${dep}(tasks.slice(1));` : `  return total;`);
  out.push(`}`);
  out.push('');
  out.push(`/** Find a socket by key and take a reference, re-checking the key after the increment. */`);
  out.push(`export function lookupSock${i}(bucket: Bucket, key: number): TypeStable<Sock> | null {`);
  out.push(`  rcuReadLock();`);
  out.push(`  for (let sk = bucket.first; sk !== null; sk = sk.next) {`);
  out.push(`    if (sk.key !== key) continue;`);
  out.push(`    if (!refcountIncNotZero(sk.refcnt)) continue;`);
  out.push(`    if (sk.key !== key) {`);
  out.push(`      refcountDecAndTest(sk.refcnt);`);
  out.push(`      continue;`);
  out.push(`    }`);
  out.push(`    rcuReadUnlock();`);
  out.push(`    return sk;`);
  out.push(`  }`);
  out.push(`  rcuReadUnlock();`);
  out.push(`  return null;`);
  out.push(`}`);
  const helpers = 2 + Math.floor(random() * 4);
  for (let h = 0; h < helpers; h++) {
    const buggy = random() < 0.2;
    out.push('');
    out.push(`/** Count the states of a chain${buggy ? ' (reads the last socket after the section ends)' : ''}. */`);
    out.push(`export function chainStates${i}_${h}(bucket: Bucket, limit: number): number {`);
    out.push(`  let n = 0;`);
    out.push(`  let last: TypeStable<Sock> | null = null;`);
    out.push(`  rcuReadLock();`);
    out.push(`  for (let sk = bucket.first; sk !== null && n < limit; sk = sk.next) {`);
    out.push(`    switch (sk.state) {`);
    out.push(`      case ${h}:`);
    out.push(`        n += 2;`);
    out.push(`        break;`);
    out.push(`      default:`);
    out.push(`        n += 1;`);
    out.push(`    }`);
    out.push(`    last = sk;`);
    out.push(`  }`);
    out.push(`  rcuReadUnlock();`);
    out.push(buggy ? `  return last === null ? n : n + last.state;` : `  return last === null ? n : n + 1;`);
    out.push(`}`);
  }
  out.push('');
  out.push(`/** Work with no shared memory at all: most of a real program. */`);
  out.push(`export function checksum${i}(values: readonly number[]): number {`);
  out.push(`  let h = ${Math.floor(random() * 1000)};`);
  out.push(`  for (const v of values) h = (h * 31 + v) | 0;`);
  out.push(`  return h;`);
  out.push(`}`);
  out.push('');
  return out.join('\n');
}
