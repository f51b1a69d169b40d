/**
 * @fileoverview The exit codes of `rcukit`, the contract CI scripts rely on.
 *
 * - 0: the run completed and found nothing that fails the build.
 * - 1: the run completed and found findings at error severity, or more warnings than
 *   `--max-warnings` allows.
 * - 2: the run could not complete: a usage or configuration error, an unreadable project, or an
 *   internal failure. Always with a one-line message on stderr. Also an incomplete analysis: a
 *   function the engine could not analyze (each named on stderr), unless --allow-incomplete.
 */

export const ExitCode = {
  Clean: 0,
  Findings: 1,
  Failure: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
