/**
 * @fileoverview Which source files belong to @rcukit/runtime: a declaration counts as the
 * runtime's when the nearest package.json above its file is named `@rcukit/runtime`. This
 * covers the built declarations (runtime/dist/*.d.ts, reached through node_modules symlinks,
 * which the compiler resolves to real paths) and the runtime's own sources alike.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const RUNTIME_PACKAGE = '@rcukit/runtime';

const packageOfDir = new Map<string, string | null>();

function packageNameFor(dir: string): string | null {
  const cached = packageOfDir.get(dir);
  if (cached !== undefined) return cached;
  let name: string | null = null;
  const pj = join(dir, 'package.json');
  if (existsSync(pj)) {
    try {
      const parsed = JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown };
      name = typeof parsed.name === 'string' ? parsed.name : '';
    } catch {
      name = '';
    }
  } else {
    const parent = dirname(dir);
    name = parent === dir ? null : packageNameFor(parent);
  }
  packageOfDir.set(dir, name);
  return name;
}

/** Whether `fileName` lies in the @rcukit/runtime package. */
export function isRuntimeFile(fileName: string): boolean {
  return packageNameFor(dirname(fileName)) === RUNTIME_PACKAGE;
}
