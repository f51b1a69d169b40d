/**
 * @fileoverview @rcukit/analyzer: the engine's public surface. The CLI and the language server
 * reach it through check/pipeline.ts, never through engine internals.
 */

export type { Diagnostic, Severity, SourceSpan, RelatedLocation, TextEdit, Fix } from './diagnostic.js';
export type { AnalyzeOptions, AnalysisResult, RuleInfo, SkippedFunction } from './engine/api.js';
export { analyze, analyzeProgram, listRules } from './engine/analyze.js';
export { ProjectLoadError } from './engine/errors.js';
export { ProgramCache } from './engine/program-cache.js';
export { docUrl } from './cli/package-info.js';
export { readSectionWrapFixes, readSectionWrapRules } from './fixes/read-section-wrap.js';
