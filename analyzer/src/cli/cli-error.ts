/**
 * @fileoverview CliError: a failure the user can act on (bad flag, bad config, unreadable
 * project). main.ts prints its message as one line and exits 2; it never shows a stack trace.
 */

export class CliError extends Error {
  override readonly name = 'CliError';

  /**
   * @param message one line saying what is wrong and where (file, key, flag)
   * @param hint an optional second line saying what to do about it
   */
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
