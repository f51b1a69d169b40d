/**
 * @fileoverview Loads the analysis engine on demand. `rcukit --help`, `--version` and usage
 * errors never pay for loading ts-morph and the TypeScript compiler; `check` and `rules` do,
 * once. Architecture invariant: this is the CLI's only door into the engine, and it goes
 * through the package's public entry (`../index.js`), never into engine internals.
 */

import type { AnalysisResult, AnalyzeOptions, RuleInfo } from '../engine/api.js';
import { CliError } from './cli-error.js';

/** The two entry points of engine/api.ts that the CLI uses. */
export interface Engine {
  analyze(options: AnalyzeOptions): AnalysisResult;
  listRules(): readonly RuleInfo[];
}

let loaded: Engine | undefined;

export async function loadEngine(): Promise<Engine> {
  if (loaded) return loaded;
  const mod = (await import('../index.js')) as unknown as Partial<Record<keyof Engine, unknown>>;
  if (typeof mod.analyze !== 'function' || typeof mod.listRules !== 'function') {
    throw new CliError(
      'this build of @rcukit/analyzer has no analysis engine (analyze/listRules are not exported)',
      'rebuild the analyzer package with `npx tsc -b`',
    );
  }
  loaded = mod as Engine;
  return loaded;
}
