/**
 * @fileoverview The engine's own thread. The language server runs `analyze()` here, never on the
 * thread that reads the client's messages, for three reasons: the engine is synchronous and a
 * run over a large project takes long enough that hovers, code actions, cancellations and newer
 * edits must still be read meanwhile; a file that sends the engine into deep recursion or an
 * endless loop can be stopped by terminating this thread (analysis-host.ts does that on a
 * timeout) without losing the session; and the engine's caches live as long as the thread, not
 * per request. analysis-host.ts is the only module that talks to this one; this is the only
 * module of the server that imports the engine.
 */

import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { Diagnostic, Severity } from '../diagnostic.js';
import type { AnalysisResult, AnalyzeOptions, RuleInfo } from '../engine/api.js';
import type { ProgramCache } from '../engine/program-cache.js';
import { applySuppressions } from '../suppress/apply-suppressions.js';
import { metaRuleIds, metaRules } from '../suppress/meta-rules.js';
import { findSuppressionComments, type SuppressionComment } from '../suppress/suppression-comments.js';

/** Host → worker. */
export type WorkerRequest =
  | {
      readonly kind: 'analyze';
      readonly id: number;
      readonly options: AnalyzeOptions;
      /** Drop the warm programs first (a tsconfig or package.json changed, or the user asked). */
      readonly reset: boolean;
    }
  | { readonly kind: 'listRules'; readonly id: number };

/** Worker → host. */
export type WorkerResponse =
  | { readonly kind: 'analyzed'; readonly id: number; readonly result: AnalysisResult; readonly ms: number }
  | { readonly kind: 'rules'; readonly id: number; readonly rules: readonly RuleInfo[] }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string; readonly stack: string | undefined };

/** The engine's entry points (engine/api.ts) and its warm programs, from the package's public entry. */
interface Engine {
  analyze(options: AnalyzeOptions, programs?: ProgramCache): AnalysisResult;
  listRules(): readonly RuleInfo[];
  ProgramCache: new () => ProgramCache;
}

let engine: Engine | undefined;
let projects: ProgramCache | undefined;

/** Load the engine once, through `../index.js`; a build without it is a clear error, not a crash. */
async function loadEngine(): Promise<Engine> {
  if (engine !== undefined) return engine;
  const mod = (await import('../index.js')) as unknown as Partial<Record<keyof Engine, unknown>>;
  if (typeof mod.analyze !== 'function' || typeof mod.ProgramCache !== 'function' || typeof mod.listRules !== 'function') {
    throw new Error('this build of @rcukit/analyzer has no analysis engine (analyze/ProgramCache/listRules are not exported from its index)');
  }
  engine = mod as Engine;
  projects = new engine.ProgramCache();
  return engine;
}

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error('runAnalysisWorker: not in a worker thread');
  // The engine must never print (DESIGN.md), but its dependencies might; our stdout is piped to
  // the host, which logs it on stderr, so nothing can reach the LSP stream from here anyway.
  port.on('message', async (request: WorkerRequest) => {
    try {
      const engine = await loadEngine();
      if (request.kind === 'analyze') {
        const t0 = performance.now();
        if (request.reset) projects?.clear();
        const result = analyzeWithSuppressions(engine, request.options);
        port.postMessage({ kind: 'analyzed', id: request.id, result, ms: performance.now() - t0 } satisfies WorkerResponse);
      } else {
        port.postMessage({ kind: 'rules', id: request.id, rules: allRules(engine.listRules) } satisfies WorkerResponse);
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ kind: 'failed', id: request.id, message: `${e.name}: ${e.message}`, stack: e.stack } satisfies WorkerResponse);
    }
  });
}

/** The engine's rules and the rules about suppression comments, as `rcukit rules` lists them. */
function allRules(listRules: Engine['listRules']): RuleInfo[] {
  return [...listRules(), ...metaRules];
}

/**
 * Run the engine, then apply `rcukit-ignore-next-line` comments the way `rcukit check` does
 * (the same modules, so the editor and CI agree): suppressed findings disappear, and comments
 * that give no reason or suppress nothing are findings themselves. `options.rules` may hold
 * meta-rule severities; the engine gets only its own.
 */
function analyzeWithSuppressions(engine: Engine, options: AnalyzeOptions): AnalysisResult {
  const severities = options.rules ?? {};
  const engineRules = Object.fromEntries(Object.entries(severities).filter(([id]) => !metaRuleIds.has(id)));
  // A tsconfig project runs on its warm program, kept by the engine across requests.
  const result = engine.analyze({ ...options, rules: engineRules }, projects);
  const rules = allRules(engine.listRules);
  const defaults = new Map(rules.map((r) => [r.id, r.defaultSeverity]));
  const severityOf = (id: string): Severity => severities[id] ?? defaults.get(id) ?? 'error';
  const comments = new Map<string, SuppressionComment[]>();
  for (const file of options.files ?? []) {
    let text = options.overlays?.get(file);
    if (text === undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
    }
    const found = findSuppressionComments(file, text);
    if (found.length > 0) comments.set(file, found);
  }
  const kept = result.diagnostics.filter((d) => (d.severity as Severity) !== 'off');
  const outcome = applySuppressions(kept, comments, severityOf, new Set(defaults.keys()));
  const diagnostics: Diagnostic[] = [...outcome.kept, ...outcome.commentFindings];
  return { ...result, diagnostics };
}
