/**
 * @fileoverview The words users write for a rule's severity, in the config file and in
 * `--rule id=<severity>`, and their meaning in the Diagnostic model.
 */

import type { Severity } from '../diagnostic.js';

/** What users write. `warn` is the documented spelling; `warning` is accepted as a synonym. */
export const severityWords = ['off', 'warn', 'error'] as const;

/** The Severity a word means, or undefined when it is not one of ours. */
export function parseSeverity(word: unknown): Severity | undefined {
  switch (word) {
    case 'off':
      return 'off';
    case 'warn':
    case 'warning':
      return 'warning';
    case 'error':
      return 'error';
    default:
      return undefined;
  }
}
