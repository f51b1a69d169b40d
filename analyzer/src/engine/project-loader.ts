/**
 * @fileoverview Loading the program to analyze: a tsconfig.json project, or loose files with
 * default options (ESM, NodeNext resolution, strict), with unsaved editor contents (overlays)
 * taking the place of the files on disk.
 */

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Project, ts } from 'ts-morph';
import type { AnalyzeOptions } from './api.js';
import { ProjectLoadError } from './errors.js';

const LOOSE_FILE_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  lib: ['lib.es2024.d.ts', 'lib.esnext.disposable.d.ts'],
};

export function loadProject(options: AnalyzeOptions): Project {
  let project: Project;
  if (options.project !== undefined) {
    const path = resolve(options.cwd, options.project);
    if (!existsSync(path) || !statSync(path).isFile()) throw new ProjectLoadError(`tsconfig not found: ${path}`);
    try {
      project = new Project({ tsConfigFilePath: path, skipFileDependencyResolution: false });
    } catch (err) {
      throw new ProjectLoadError(`cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
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
