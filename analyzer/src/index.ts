/**
 * @fileoverview @rcukit/analyzer: the engine's public surface, used by the CLI and the
 * language server.
 */

export type { Diagnostic, Severity, SourceSpan, RelatedLocation, TextEdit, Fix } from './diagnostic.js';
