/**
 * @fileoverview Every conversion between the client's document URIs and the engine's absolute
 * file paths happens here, and nowhere else in the server.
 *
 * Clients spell the same file differently (VS Code percent-encodes `:` and `@`, Neovim and Emacs
 * often do not), so the server never rebuilds a URI for a document the client opened: it answers
 * with the exact string it received (UriMap). Only for files the client never named (related
 * locations in closed files, rule docs) does it build one with pathToFileURL.
 *
 * An `untitled:` buffer (never saved) gets a virtual path, a file that does not exist on disk
 * in a folder that does (`<root>/.rcukit-untitled/<name>-<hash>.ts`), so that the engine treats
 * the buffer as an unsaved loose file and resolves its imports from that folder's
 * node_modules; findings on that path go back to the exact `untitled:` URI.
 */

import { createHash } from 'node:crypto';
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

/** The virtual path an `untitled:` buffer is analyzed under (`.tsx` for TypeScript React). */
export function untitledPath(uri: string, root: string, languageId: string): string {
  const name = (uri.slice('untitled:'.length).split(/[\\/]/).pop() ?? '').replace(/[^\w.-]/g, '_').slice(0, 40);
  const hash = createHash('sha256').update(uri).digest('hex').slice(0, 8);
  const ext = languageId === 'typescriptreact' ? '.tsx' : '.ts';
  return path.join(root, '.rcukit-untitled', `${name.replace(/\.[cm]?tsx?$/, '')}-${hash}${ext}`);
}

/** Whether a path is one untitledPath made. */
export function isUntitledPath(file: string): boolean {
  return path.basename(path.dirname(file)) === '.rcukit-untitled';
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
  private readonly untitled = new Map<string, string>();

  /** Record the client's spelling; returns the path, or undefined when the URI is not a file. */
  remember(uri: string): string | undefined {
    const file = uriToPath(uri);
    if (file !== undefined) this.byPath.set(file, uri);
    return file;
  }

  /** Record an `untitled:` buffer's virtual path (untitledPath). */
  rememberUntitled(uri: string, file: string): string {
    this.byPath.set(file, uri);
    this.untitled.set(uri, file);
    return file;
  }

  /** The path the server knows a URI by: a `file:` URI's, or an untitled buffer's virtual one. */
  pathOf(uri: string): string | undefined {
    return this.untitled.get(uri) ?? uriToPath(uri);
  }

  forget(uri: string): void {
    const file = this.pathOf(uri);
    this.untitled.delete(uri);
    if (file !== undefined && this.byPath.get(file) === uri) this.byPath.delete(file);
  }

  toUri(file: string): string {
    return this.byPath.get(path.normalize(file)) ?? pathToUri(file);
  }
}
