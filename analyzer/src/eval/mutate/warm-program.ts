/**
 * @fileoverview One TypeScript program kept warm per target project, and a cheap way to get
 * the same program with one file's text replaced.
 *
 * The base program is loaded exactly as `rcukit check` loads a project (engine/project-loader:
 * ts-morph, its own lib files). Mutant programs are built with `createProgram({ oldProgram })`
 * over a compiler host that hands back the base program's very SourceFile objects for every
 * other file (parsed and bound once, lib files included), so TypeScript reuses them and parses
 * only the mutated file again. The type checker is new per program and checks lazily, so a
 * mutant costs about one file's checking and analysis.
 */

import { dirname, resolve } from 'node:path';
import { ts } from 'ts-morph';
import { loadProject } from '../../engine/project-loader.js';

export class WarmProgram {
  private readonly host: ts.CompilerHost;
  /** The file whose text the next program build replaces. */
  private overlay: { readonly fileName: string; readonly text: string } | undefined;

  /** A project's program, loaded as `rcukit check` loads it. */
  static load(tsconfig: string): WarmProgram {
    const path = resolve(tsconfig);
    return new WarmProgram(loadProject({ cwd: dirname(path), project: path }).getProgram().compilerObject);
  }

  constructor(readonly base: ts.Program) {
    const options = this.base.getCompilerOptions();
    const files = new Map(this.base.getSourceFiles().map((sf) => [sf.fileName, sf] as const));
    const lib = this.base.getSourceFiles().find((sf) => this.base.isSourceFileDefaultLibrary(sf));
    const host = ts.createCompilerHost(options, true);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
      const o = this.overlay;
      if (o !== undefined && o.fileName === fileName)
        return ts.createSourceFile(fileName, o.text, languageVersionOrOptions, true);
      return files.get(fileName) ?? read(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
    };
    // The lib files live where the loader put them (ts-morph serves its own, in memory).
    if (lib !== undefined) host.getDefaultLibLocation = () => dirname(lib.fileName);
    const exists = host.fileExists.bind(host);
    host.fileExists = (fileName) => files.has(fileName) || exists(fileName);
    this.host = host;
  }

  /** The program with `fileName`'s text replaced by `text` (every other file as in `base`). */
  withText(fileName: string, text: string): ts.Program {
    this.overlay = { fileName, text };
    try {
      return ts.createProgram({
        rootNames: this.base.getRootFileNames(),
        options: this.base.getCompilerOptions(),
        host: this.host,
        oldProgram: this.base,
      });
    } finally {
      this.overlay = undefined;
    }
  }
}

/** Syntax and type errors of one file, as comparable strings (`TS2304 Cannot find name 'x'.`), positions left out. */
export function fileErrors(program: ts.Program, sf: ts.SourceFile): string[] {
  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  return diags
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

/** The errors of `after` that `before` does not have (as a multiset). */
export function newErrors(before: readonly string[], after: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const e of before) left.set(e, (left.get(e) ?? 0) + 1);
  const out: string[] = [];
  for (const e of after) {
    const n = left.get(e) ?? 0;
    if (n > 0) left.set(e, n - 1);
    else out.push(e);
  }
  return out;
}
