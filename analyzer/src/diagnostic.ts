/**
 * @fileoverview The one Diagnostic model. The engine produces these; formatters (text, JSON,
 * SARIF) and the language server read only these. Architecture invariant: nothing downstream
 * of the engine looks at ts-morph nodes.
 */

export type Severity = 'error' | 'warning' | 'off';

/** A 1-based line and column span in one file (columns count UTF-16 code units, as tsc does). */
export interface SourceSpan {
  /** Absolute path of the file. */
  readonly file: string;
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
  /** 0-based offsets into the file text, for editors and fixes. */
  readonly start: number;
  readonly end: number;
}

/** A place on the path the message speaks of: "lock taken here", "read-side section ends here". */
export interface RelatedLocation {
  readonly span: SourceSpan;
  readonly message: string;
}

/** A mechanical edit a quick fix applies. */
export interface TextEdit {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

export interface Fix {
  /** What the editor shows ("Wrap in rcuReadLock()/rcuReadUnlock()"). */
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

export interface Diagnostic {
  /** Rule id, e.g. `rcu/missing-revalidation`. */
  readonly ruleId: string;
  /** Camel-case message id from the rule's metadata (tests assert this, never wording). */
  readonly messageId: string;
  readonly severity: Exclude<Severity, 'off'>;
  readonly message: string;
  readonly span: SourceSpan;
  readonly related: readonly RelatedLocation[];
  readonly fixes: readonly Fix[];
}
