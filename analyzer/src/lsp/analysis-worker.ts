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

import { parentPort } from 'node:worker_threads';
import { analyze, listRules } from '../index.js';
import type { AnalysisResult, AnalyzeOptions, RuleInfo } from '../engine/api.js';

/** Host → worker. */
export type WorkerRequest =
  | { readonly kind: 'analyze'; readonly id: number; readonly options: AnalyzeOptions }
  | { readonly kind: 'listRules'; readonly id: number };

/** Worker → host. */
export type WorkerResponse =
  | { readonly kind: 'analyzed'; readonly id: number; readonly result: AnalysisResult; readonly ms: number }
  | { readonly kind: 'rules'; readonly id: number; readonly rules: readonly RuleInfo[] }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string; readonly stack: string | undefined };

/** The role marker main.ts looks for in workerData to run this loop instead of a server. */
export const analysisWorkerRole = 'rcukit-analysis-worker';

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error('runAnalysisWorker: not in a worker thread');
  // The engine must never print (DESIGN.md), but its dependencies might; our stdout is piped to
  // the host, which logs it on stderr, so nothing can reach the LSP stream from here anyway.
  port.on('message', (request: WorkerRequest) => {
    try {
      if (request.kind === 'analyze') {
        const t0 = performance.now();
        const result = analyze(request.options);
        port.postMessage({ kind: 'analyzed', id: request.id, result, ms: performance.now() - t0 } satisfies WorkerResponse);
      } else {
        port.postMessage({ kind: 'rules', id: request.id, rules: listRules() } satisfies WorkerResponse);
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ kind: 'failed', id: request.id, message: `${e.name}: ${e.message}`, stack: e.stack } satisfies WorkerResponse);
    }
  });
}
