/**
 * @fileoverview Where something happened, for debug reports: a stack captured now and
 * formatted only when a report needs it.
 */

/** A captured stack; formatting it is deferred to callSiteText(). */
export interface CallSite {
  readonly stack?: string;
}

const FRAMES = 12;

/** The caller's stack now (frames inside `above` and below it left out). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Error.captureStackTrace's own parameter type
export function captureCallSite(above: Function): CallSite {
  const site: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES;
  Error.captureStackTrace(site, above);
  Error.stackTraceLimit = limit;
  return site;
}

/** The stack's frames as indented lines, the runtime's own frames left out. */
export function callSiteText(site: CallSite | undefined): string {
  if (site?.stack === undefined) return '    (not recorded)';
  const frames = site.stack
    .split('\n')
    .slice(1)
    .filter((line) => !/[/\\]runtime[/\\](dist|src)[/\\]/.test(line));
  return frames.length === 0
    ? '    (inside the runtime)'
    : frames
        .map((l) => `  ${l.trim()}`)
        .join('\n')
        .replace(/^/gm, '  ');
}
