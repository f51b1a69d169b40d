/**
 * @fileoverview Paths as output shows them: relative to the run's root folder, with forward
 * slashes on every platform, so output is the same on a laptop and in CI.
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** `src/a.ts` for a file under rootDir; the absolute path (POSIX slashes) for one outside it. */
export function displayPath(rootDir: string, absFile: string): string {
  const rel = path.relative(rootDir, absFile);
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return absFile.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}

/** Whether the file lies under rootDir (then it gets a relative URI in SARIF). */
export function isUnder(rootDir: string, absFile: string): boolean {
  const rel = path.relative(rootDir, absFile);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** A relative URI reference for a path under rootDir: each segment percent-encoded. */
export function relativeUri(rootDir: string, absFile: string): string {
  return path.relative(rootDir, absFile).split(path.sep).map(encodeURIComponent).join('/');
}

/** `file:///abs/dir/` (trailing slash: a base URI for relative references). */
export function dirUri(absDir: string): string {
  const href = pathToFileURL(absDir).href;
  return href.endsWith('/') ? href : href + '/';
}

export function fileUri(absFile: string): string {
  return pathToFileURL(absFile).href;
}
