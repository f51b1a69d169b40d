/**
 * @fileoverview Named errors the engine throws for input it cannot analyze at all. Findings in
 * analyzable code are Diagnostics, never exceptions.
 */

/** The project could not be loaded: missing or unreadable tsconfig, no such file. */
export class ProjectLoadError extends Error {
  readonly code = 'RCUKIT_PROJECT_LOAD';
  /** The file at fault, when one is (absolute; the message names it too). */
  readonly file: string | undefined;
  constructor(message: string, options?: { cause?: unknown; file?: string }) {
    super(message, options);
    this.name = 'ProjectLoadError';
    this.file = options?.file;
  }
}
