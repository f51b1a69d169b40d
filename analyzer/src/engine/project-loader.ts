/**
 * @fileoverview The engine's one project loader: the program to analyze is a tsconfig.json
 * project, or loose files with default options (ESM, NodeNext resolution, strict), with unsaved
 * editor contents (overlays) taking the place of the files on disk. A tsconfig project comes
 * from the caller's warm programs (program-cache.ts) when it passes them, and is opened here
 * either way. Whatever cannot be loaded is a ProjectLoadError.
 */

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Project, ts } from 'ts-morph';
import type { AnalyzeOptions } from './api.js';
import { ProjectLoadError } from './errors.js';
import type { ProgramCache } from './program-cache.js';

/**
 * JavaScript files are in the program as `allowJs` puts them there: the same engine, with the
 * types TypeScript infers for JavaScript (a JS file importing `@rcukit/runtime` gets the
 * runtime's declarations, the TypeStable brand included). Without it TypeScript leaves them
 * out of the program, and a leak in a `.js` file went unreported.
 */
const LOOSE_FILE_OPTIONS: ts.CompilerOptions = {
  allowJs: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  lib: ['lib.es2024.d.ts', 'lib.esnext.disposable.d.ts'],
};

/**
 * The program `options` name: from `programs` when given and the options name a tsconfig, else
 * loaded afresh. The TypeScript parser recurses once per nesting level; a program nested too
 * deeply for it is a ProjectLoadError here, for every caller.
 */
export function loadProgram(options: AnalyzeOptions, programs?: ProgramCache): ts.Program {
  const warm = options.project !== undefined ? programs : undefined;
  let program: ts.Program | undefined;
  try {
    program =
      warm !== undefined
        ? warm.program(resolve(options.cwd, options.project!), options.overlays ?? new Map())
        : loadProject(options).getProgram().compilerObject;
    // Binding runs when the checker is first made. TypeScript's binder recurses along a chain of
    // `&&`, `??` or calls and overflows at about 1,500 links (tsc fails on such a file too):
    // better here, named, than at the first question some function asks.
    program.getTypeChecker();
    return program;
  } catch (err) {
    // A project that failed half-way is not kept warm.
    warm?.clear();
    if (err instanceof RangeError) {
      const file = program === undefined ? undefined : fileTooDeepToBind(program);
      throw new ProjectLoadError(
        file === undefined
          ? 'the program is nested too deeply for the TypeScript parser'
          : `${file}: code chained or nested too deeply for TypeScript's binder (tsc fails on it too)`,
        { cause: err, ...(file !== undefined ? { file } : {}) },
      );
    }
    throw err;
  }
}

/**
 * The first file of `program` that TypeScript's binder cannot bind, found by binding a fresh
 * parse of each in turn. `bindSourceFile` is not in TypeScript's public typings (it has been
 * exported, unchanged, for years); without it the file goes unnamed.
 */
function fileTooDeepToBind(program: ts.Program): string | undefined {
  const bind = (ts as unknown as { bindSourceFile?: (f: ts.SourceFile, o: ts.CompilerOptions) => void }).bindSourceFile;
  if (typeof bind !== 'function') return undefined;
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    try {
      bind(ts.createSourceFile(sf.fileName, sf.text, ts.ScriptTarget.Latest, true), program.getCompilerOptions());
    } catch (err) {
      if (err instanceof RangeError) return sf.fileName;
    }
  }
  return undefined;
}

/** A tsconfig.json project: its files, with their dependencies resolved. */
export function openTsconfigProject(tsconfig: string): Project {
  if (!existsSync(tsconfig) || !statSync(tsconfig).isFile())
    throw new ProjectLoadError(`tsconfig not found: ${tsconfig}`);
  try {
    return new Project({ tsConfigFilePath: tsconfig, skipFileDependencyResolution: false });
  } catch (err) {
    throw new ProjectLoadError(`cannot load ${tsconfig}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** A fresh project for `options`, overlays applied. */
export function loadProject(options: AnalyzeOptions): Project {
  let project: Project;
  if (options.project !== undefined) {
    project = openTsconfigProject(resolve(options.cwd, options.project));
  } else {
    project = new Project({ compilerOptions: LOOSE_FILE_OPTIONS });
    for (const f of options.files ?? []) {
      const path = resolve(options.cwd, f);
      if (options.overlays?.has(path) === true) continue;
      if (!existsSync(path)) throw new ProjectLoadError(`file not found: ${path}`);
      project.addSourceFileAtPath(path);
    }
    project.resolveSourceFileDependencies();
  }
  for (const [path, text] of options.overlays ?? []) project.createSourceFile(path, text, { overwrite: true });
  return project;
}
