/**
 * @fileoverview Every conversion between the client's document URIs and the engine's absolute
 * file paths happens here, and nowhere else in the server.
 *
 * Clients spell the same file differently (VS Code percent-encodes `:` and `@`, Neovim and Emacs
 * often do not), so the server never rebuilds a URI for a document the client opened: it answers
 * with the exact string it received (UriMap). Only for files the client never named (related
 * locations in closed files, rule docs) does it build one with pathToFileURL.
 */

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The absolute file path a `file:` URI names, or undefined for any other scheme or a malformed URI. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.normalize(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

/** A `file:` URI for an absolute path. */
export function pathToUri(file: string): string {
  return pathToFileURL(file).href;
}

/**
 * Paths the engine reports mapped back to the URIs the client used. `remember` is called for
 * every URI the client sends; `toUri` prefers those over a rebuilt URI.
 */
export class UriMap {
  private readonly byPath = new Map<string, string>();

  /** Record the client's spelling; returns the path, or undefined when the URI is not a file. */
  remember(uri: string): string | undefined {
    const file = uriToPath(uri);
    if (file !== undefined) this.byPath.set(file, uri);
    return file;
  }

  forget(uri: string): void {
    const file = uriToPath(uri);
    if (file !== undefined && this.byPath.get(file) === uri) this.byPath.delete(file);
  }

  toUri(file: string): string {
    return this.byPath.get(path.normalize(file)) ?? pathToUri(file);
  }
}
