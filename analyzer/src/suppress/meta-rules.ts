/**
 * @fileoverview The rules reported around the engine rather than by it: about suppression
 * comments, and files that do not parse. They are rules like any other for the user (listed by
 * `rcukit rules`, severities set in the config, shown in SARIF and in the editor), but the
 * engine never sees them: check/pipeline.ts applies suppressions after analysis and reports the
 * comments, and the CLI reads each file once for syntax errors (the editor has its own).
 */

import type { RuleInfo } from '../engine/api.js';

export const unusedSuppression = 'rcukit/unused-suppression';
export const suppressionWithoutReason = 'rcukit/suppression-without-reason';
export const invalidSuppression = 'rcukit/invalid-suppression';
export const syntaxError = 'rcukit/syntax-error';

export const metaRules: readonly RuleInfo[] = [
  {
    id: suppressionWithoutReason,
    description: 'An rcukit-ignore-next-line comment must say why the finding is wrong or acceptable (`-- reason`).',
    defaultSeverity: 'error',
    messages: {
      missingReason: 'suppression of {{rules}} gives no reason; write `-- <why this is safe>` after the rule ids',
    },
    docPath: 'docs/suppressions.md#rcukitsuppression-without-reason',
    precision: 'very-high',
  },
  {
    id: unusedSuppression,
    description:
      'An rcukit-ignore-next-line comment that suppresses nothing: the finding is gone, or the rule id is wrong.',
    defaultSeverity: 'warning',
    messages: {
      unused: 'suppression of {{rule}} suppresses nothing on line {{line}}; remove it',
      unknownRule: 'suppression names unknown rule {{rule}}',
    },
    docPath: 'docs/suppressions.md#rcukitunused-suppression',
    precision: 'very-high',
  },
  {
    id: invalidSuppression,
    description: 'An rcukit-ignore-next-line comment that names no rule.',
    defaultSeverity: 'error',
    messages: { noRules: 'suppression names no rule; write `rcukit-ignore-next-line rcu/<rule> -- <reason>`' },
    docPath: 'docs/suppressions.md#rcukitinvalid-suppression',
    precision: 'very-high',
  },
  {
    id: syntaxError,
    description:
      'The file does not parse; the checker sees only what TypeScript could recover, so findings in it may be missing.',
    defaultSeverity: 'error',
    messages: { syntaxError: 'syntax error: {{message}}' },
    docPath: 'docs/cli.md#rcukitsyntax-error',
    precision: 'very-high',
  },
];

export const metaRuleIds: ReadonlySet<string> = new Set(metaRules.map((r) => r.id));
