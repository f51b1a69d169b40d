/**
 * @fileoverview Warm programs: the engine's cache of loaded tsconfig projects, for callers that
 * analyze the same project again and again (the language server, on every edit). Loading a
 * project from scratch is right for one `rcukit check` run and far too slow per keystroke:
 * parsing and binding a 200-file project costs seconds. A ProgramCache keeps one ts-morph
 * Project per tsconfig.json alive, applies the open buffers as overlays, and hands back the
 * refreshed program; TypeScript reuses every unchanged source file when it rebuilds a program,
 * so an edit costs the re-parse of one file plus the analysis, not the project load.
 *
 * The program must equal what a fresh load would give, or the editor and CI would disagree:
 * the project is opened by project-loader.ts (the one loader), overlays replace files the same
 * way, and anything that may have changed underneath is refreshed before each use: files that
 * stopped being overlays go back to their disk text, files whose mtime moved are re-read, and
 * a changed tsconfig.json drops the project. Loose files (no tsconfig.json) are not cached.
 * This caches project loading, never analysis: every call analyzes the program afresh.
 */

import { statSync } from 'node:fs';
import path from 'node:path';
import { FileSystemRefreshResult, type SourceFile } from 'ts-morph';
import type { Project, ts } from 'ts-morph';
import { openTsconfigProject } from './project-loader.js';

/** Projects kept warm at once (least recently used dropped first). */
const maxProjects = 4;

interface Entry {
  readonly project: Project;
  readonly tsconfigMtime: number;
  /** Disk mtime of each source file as last read from disk (overlaid files are absent). */
  readonly mtimes: Map<string, number>;
  /** Paths currently holding an overlay instead of their disk text. */
  overlaid: Set<string>;
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Warm tsconfig projects, least recently used dropped first; pass one to analyze() to use it. */
export class ProgramCache {
  private readonly entries = new Map<string, Entry>();

  /** Forget every project (tsconfig or package changes, or the user asked to re-analyze). */
  clear(): void {
    this.entries.clear();
  }

  /** The program for `tsconfig` with `overlays` applied, rebuilt incrementally from the last one. */
  program(tsconfig: string, overlays: ReadonlyMap<string, string>): ts.Program {
    const key = path.resolve(tsconfig);
    let entry = this.entries.get(key);
    if (entry !== undefined && entry.tsconfigMtime !== mtimeOf(key)) entry = undefined;
    if (entry === undefined) {
      const project = openTsconfigProject(key);
      entry = { project, tsconfigMtime: mtimeOf(key), mtimes: new Map(), overlaid: new Set() };
      for (const sf of project.getSourceFiles()) entry.mtimes.set(sf.getFilePath(), mtimeOf(sf.getFilePath()));
    }
    this.entries.delete(key);
    this.entries.set(key, entry); // most recently used last
    while (this.entries.size > maxProjects) this.entries.delete(this.entries.keys().next().value!);

    const { project } = entry;
    // Files that were overlays and are not any more: back to what is on disk.
    for (const file of entry.overlaid) {
      if (overlays.has(file)) continue;
      const sf = project.getSourceFile(file);
      if (sf !== undefined) this.refresh(entry, sf);
    }
    // Files changed on disk since they were read (saved from another program, git checkout).
    for (const [file, mtime] of entry.mtimes) {
      if (overlays.has(file)) continue;
      const now = mtimeOf(file);
      if (now === mtime) continue;
      const sf = project.getSourceFile(file);
      if (sf !== undefined) this.refresh(entry, sf);
      else entry.mtimes.delete(file);
    }
    for (const [file, text] of overlays) {
      const sf = project.getSourceFile(file);
      if (sf === undefined || sf.getFullText() !== text) project.createSourceFile(file, text, { overwrite: true });
      entry.mtimes.delete(file);
    }
    entry.overlaid = new Set(overlays.keys());
    return project.getProgram().compilerObject;
  }

  /** The program `program()` last returned for `tsconfig`, not refreshed; undefined when not warm. */
  current(tsconfig: string): ts.Program | undefined {
    return this.entries.get(path.resolve(tsconfig))?.project.getProgram().compilerObject;
  }

  private refresh(entry: Entry, sf: SourceFile): void {
    const file = sf.getFilePath();
    if (sf.refreshFromFileSystemSync() === FileSystemRefreshResult.Deleted) {
      entry.mtimes.delete(file);
    } else {
      entry.mtimes.set(file, mtimeOf(file));
    }
  }
}
