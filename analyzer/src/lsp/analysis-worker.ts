/**
 * @fileoverview The engine's own thread. The language server runs the engine here, never on the
 * thread that reads the client's messages, for three reasons: the engine is synchronous and a
 * run over a large project takes long enough that hovers, code actions, cancellations and newer
 * edits must still be read meanwhile; a file that sends the engine into deep recursion or an
 * endless loop can be stopped by terminating this thread (analysis-host.ts does that on a
 * timeout) without losing the session; and the engine's caches live as long as the thread, not
 * per request. analysis-host.ts is the only module that talks to this one; this is the only
 * module of the server that loads the engine, through check/pipeline.ts, the same pipeline
 * `rcukit check` runs.
 */

import { parentPort, type MessagePort } from 'node:worker_threads';
import type { CheckRequest, ProgramCache } from '../check/pipeline.js';
import type { AnalysisResult, RuleInfo } from '../engine/api.js';

/** Host → worker. */
export type WorkerRequest =
  | {
      readonly kind: 'analyze';
      readonly id: number;
      /** What check/pipeline.ts runs: the same request `rcukit check` makes, for one project. */
      readonly request: CheckRequest;
      /** Drop the warm programs first (a tsconfig or package.json changed, or the user asked). */
      readonly reset: boolean;
    }
  | { readonly kind: 'listRules'; readonly id: number };

/** Worker → host. */
export type WorkerResponse =
  | { readonly kind: 'analyzed'; readonly id: number; readonly result: AnalysisResult; readonly ms: number }
  | { readonly kind: 'rules'; readonly id: number; readonly rules: readonly RuleInfo[] }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string; readonly stack: string | undefined };

type Pipeline = typeof import('../check/pipeline.js');

let loaded: { pipeline: Pipeline; programs: ProgramCache } | undefined;

/**
 * Load the pipeline (and with it the engine, ts-morph and TypeScript) on the first request, so
 * that a build that cannot load it answers that request with a clear failure instead of
 * ending the thread. The warm programs live as long as the thread.
 */
async function load(): Promise<{ pipeline: Pipeline; programs: ProgramCache }> {
  if (loaded !== undefined) return loaded;
  const pipeline = await import('../check/pipeline.js');
  loaded = { pipeline, programs: new pipeline.ProgramCache() };
  return loaded;
}

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error('runAnalysisWorker: not in a worker thread');
  // The engine never prints, but its dependencies might; our stdout is piped to the host,
  // which logs it on stderr, so nothing can reach the LSP stream from here anyway.
  // handle() catches everything it can throw and answers with 'failed'.
  port.on('message', (request: WorkerRequest) => void handle(port, request));
}

async function handle(port: MessagePort, request: WorkerRequest): Promise<void> {
  try {
    const { pipeline, programs } = await load();
    if (request.kind === 'analyze') {
      const t0 = performance.now();
      if (request.reset) programs.clear();
      // The same steps as `rcukit check`: engine, suppressions, de-duplication, order.
      const checked = pipeline.runPipeline(request.request, programs);
      const result: AnalysisResult = {
        diagnostics: checked.diagnostics,
        filesAnalyzed: checked.filesAnalyzed,
        filesInProgram: checked.filesInProgram,
        skipped: checked.skipped,
      };
      port.postMessage({
        kind: 'analyzed',
        id: request.id,
        result,
        ms: performance.now() - t0,
      } satisfies WorkerResponse);
    } else {
      port.postMessage({ kind: 'rules', id: request.id, rules: pipeline.allRules() } satisfies WorkerResponse);
    }
  } catch (error) {
    // One project per request: the target adds nothing the host does not know.
    const cause = loaded !== undefined && error instanceof loaded.pipeline.TargetAnalysisError ? error.cause : error;
    const e = cause instanceof Error ? cause : new Error(String(cause));
    port.postMessage({
      kind: 'failed',
      id: request.id,
      message: `${e.name}: ${e.message}`,
      stack: e.stack,
    } satisfies WorkerResponse);
  }
}
