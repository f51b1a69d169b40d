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

let cachedRepository: { web: string; directory: string } | null | undefined;

/** The repository's web address and the package's folder in it, from package.json `repository`. */
function repository(): { web: string; directory: string } | null {
  if (cachedRepository === undefined) {
    cachedRepository = null;
    try {
      const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
        repository?: { url?: unknown; directory?: unknown };
      };
      const url = pkg.repository?.url;
      const match =
        typeof url === 'string' ? /^(?:git\+)?(https:\/\/github\.com\/[^/]+\/[^/]+?)(?:\.git)?$/.exec(url) : null;
      if (match !== null) {
        const directory = typeof pkg.repository?.directory === 'string' ? pkg.repository.directory : '';
        cachedRepository = { web: match[1]!, directory };
      }
    } catch {
      // no package.json to read: no web address
    }
  }
  return cachedRepository;
}

/**
 * The web address of a doc page (`docs/rules/x.md`, with any `#fragment`) in the repository that
 * package.json names: SARIF's `helpUri`, ESLint's `meta.docs.url`. Undefined without a GitHub
 * repository. It points at the default branch, where the pages of the latest release live.
 */
export function docUrl(docPath: string): string | undefined {
  const repo = repository();
  if (repo === null) return undefined;
  const file = repo.directory === '' ? docPath : `${repo.directory}/${docPath}`;
  return `${repo.web}/blob/main/${file}`;
}
