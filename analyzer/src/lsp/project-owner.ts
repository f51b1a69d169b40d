/**
 * @fileoverview Which tsconfig project a file belongs to, the way tsserver decides it: the
 * nearest tsconfig.json when it includes the file, else the first project reachable through its
 * `references` (depth first, in the order written, recursively) that does. That is what makes
 * a solution-style tsconfig (`"files": []` and references only, as `npm create vite` and Angular
 * generate) work: its files are analyzed with tsconfig.app.json's options and program, not
 * against an empty program.
 *
 * This runs on the engine's thread (analysis-worker.ts), not the server's: deciding membership
 * needs TypeScript's own reading of `files`, `include`, `exclude` and `extends`, and TypeScript
 * is already loaded there, while the server's thread stays free of it (analysis-host.ts). The
 * host keeps grouping files by their nearest tsconfig; this module splits such a group by owner.
 */

import { statSync } from 'node:fs';
import path from 'node:path';
import { ts } from 'ts-morph';

/** How far references are followed, and how many configs one lookup may read. */
const maxDepth = 8;
const maxConfigs = 64;

interface ParsedProject {
  readonly mtime: number;
  /** Absolute, normalized paths of the files the config includes. */
  readonly files: ReadonlySet<string>;
  /** Referenced tsconfig files, absolute. */
  readonly references: readonly string[];
  /** Folders the `include` globs watch: folder -> whether subfolders count. */
  readonly globbed: ReadonlyMap<string, boolean>;
}

/**
 * Whether `p` holds `file`. A file not on disk yet (a new, unsaved buffer) is in no file list:
 * it counts when it lies in a folder the config's `include` globs cover (their `exclude` is not
 * applied to it).
 */
function holds(p: ParsedProject, file: string, onDisk: boolean): boolean {
  if (p.files.has(file)) return true;
  if (onDisk || !/\.[cm]?tsx?$/.test(file)) return false;
  for (const [dir, recursive] of p.globbed) {
    const rel = path.relative(dir, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (recursive || !rel.includes(path.sep)) return true;
  }
  return false;
}

/** Where a file is analyzed, and why (for the server's log). */
export interface Ownership {
  /** The project to analyze the file with; undefined = as a loose file. */
  readonly project: string | undefined;
  /** 'nearest': the nearest tsconfig includes it; 'referenced': a project it references does; 'fallback': none does. */
  readonly how: 'nearest' | 'referenced' | 'fallback';
}

export class ProjectOwners {
  private readonly parsed = new Map<string, ParsedProject | null>();

  clear(): void {
    this.parsed.clear();
  }

  /**
   * The project for `file`, whose nearest tsconfig is `nearest`. When no project includes it,
   * a tsconfig with files of its own is kept (its options are the user's); a pure solution
   * config has no options worth having, so the file is analyzed as a loose file instead.
   */
  ownerOf(nearest: string, file: string, retry = true): Ownership {
    const target = path.normalize(file);
    const onDisk = mtimeOf(target) >= 0;
    const root = this.read(nearest);
    if (root === undefined || holds(root, target, onDisk)) return { project: nearest, how: 'nearest' };
    const seen = new Set<string>([nearest]);
    const search = (config: ParsedProject, depth: number): string | undefined => {
      if (depth >= maxDepth) return undefined;
      for (const ref of config.references) {
        if (seen.has(ref) || seen.size >= maxConfigs) continue;
        seen.add(ref);
        const p = this.read(ref);
        if (p === undefined) continue;
        if (holds(p, target, onDisk)) return ref;
        const deeper = search(p, depth + 1);
        if (deeper !== undefined) return deeper;
      }
      return undefined;
    };
    const owner = search(root, 0);
    if (owner !== undefined) return { project: owner, how: 'referenced' };
    // A file created since the configs were read is in no cached file list yet: read them again
    // once (only unowned files on disk pay for this).
    if (retry && onDisk) {
      for (const config of seen) this.parsed.delete(config);
      return this.ownerOf(nearest, file, false);
    }
    const solutionOnly = root.files.size === 0 && root.references.length > 0;
    return { project: solutionOnly ? undefined : nearest, how: 'fallback' };
  }

  /** The parsed config, re-read when its mtime moved. */
  private read(tsconfig: string): ParsedProject | undefined {
    const mtime = mtimeOf(tsconfig);
    const cached = this.parsed.get(tsconfig);
    if (cached !== undefined && (cached === null || cached.mtime === mtime)) return cached ?? undefined;
    const read = ts.readConfigFile(tsconfig, (f) => ts.sys.readFile(f));
    if (read.error !== undefined || typeof read.config !== 'object' || read.config === null) {
      // Unreadable: the engine reports it when it loads the project.
      this.parsed.set(tsconfig, null);
      return undefined;
    }
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig), undefined, tsconfig);
    const entry: ParsedProject = {
      mtime,
      files: new Set(parsed.fileNames.map((f) => path.normalize(path.resolve(f)))),
      references: (parsed.projectReferences ?? []).map((r) => configPath(path.resolve(r.path))),
      globbed: new Map(
        Object.entries(parsed.wildcardDirectories ?? {}).map(([dir, flags]) => [
          path.normalize(path.resolve(dir)),
          (flags & ts.WatchDirectoryFlags.Recursive) !== 0,
        ]),
      ),
    };
    this.parsed.set(tsconfig, entry);
    return entry;
  }
}

/** A reference names a tsconfig file or the folder holding tsconfig.json. */
function configPath(p: string): string {
  try {
    return statSync(p).isDirectory() ? path.join(p, 'tsconfig.json') : p;
  } catch {
    return p;
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}
