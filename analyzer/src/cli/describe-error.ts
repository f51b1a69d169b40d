/**
 * @fileoverview One line for an unexpected error, for the "internal error" and "analysis
 * failed" messages: no stack trace, and a stack overflow named for what it means here.
 */

export function describeError(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message))
    return `${e.message} (the code is nested too deeply to analyze)`;
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.name;
  return String(e);
}
