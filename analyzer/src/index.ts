/**
 * @fileoverview @rcukit/analyzer: the engine's public surface, used by the CLI and the
 * language server.
 */

export type { Diagnostic, Severity, SourceSpan, RelatedLocation, TextEdit, Fix } from './diagnostic.js';
export type { AnalyzeOptions, AnalysisResult, RuleInfo, SkippedFunction } from './engine/api.js';
export { analyze, analyzeProgram, listRules } from './engine/analyze.js';
export { ProjectLoadError } from './engine/errors.js';
export { ProgramCache } from './engine/program-cache.js';
