/**
 * @fileoverview A progress line on stderr while a large project is analyzed, so a CI log or a
 * terminal does not look hung. Shown only when stderr is a terminal (never in logs or pipes,
 * where it would be noise) and the run is big enough to take a while; erased when done.
 */

/** Files at or above which a run counts as large. */
export const progressThreshold = 100;

export interface Progress {
  done(): void;
}

export function startProgress(
  stream: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown },
  files: number,
  what: string,
): Progress {
  if (stream.isTTY !== true || files < progressThreshold) return { done() {} };
  stream.write(`rcukit: analyzing ${files} files (${what})...`);
  return {
    done() {
      // Erase the line: carriage return, then clear to end of line.
      stream.write(`\r\x1b[K`);
    },
  };
}
