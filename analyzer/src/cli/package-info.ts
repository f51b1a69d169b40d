/**
 * @fileoverview Where the analyzer package lives on disk, its version, and its rule doc pages.
 * Works the same from `dist/cli/` (installed) and `src/cli/` (tests): both sit two levels
 * below the package root.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Absolute path of the @rcukit/analyzer package root (the folder holding package.json). */
export const packageRoot: string = fileURLToPath(new URL('../../', import.meta.url));

let cachedVersion: string | undefined;

/** The analyzer's version from its package.json, shown by `rcukit --version` and in SARIF. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown };
    cachedVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return cachedVersion;
}

/**
 * Absolute path of a rule's doc page. `docPath` is relative to the package root and may carry a
 * `#fragment` (the suppression meta-rules share one page); the fragment is dropped here.
 */
export function docFile(docPath: string): string {
  return path.join(packageRoot, docPath.replace(/#.*$/, ''));
}

/** The Markdown text of a rule's doc page, or undefined when the page is missing. */
export function readDoc(docPath: string): string | undefined {
  try {
    return readFileSync(docFile(docPath), 'utf8');
  } catch {
    return undefined;
  }
}
