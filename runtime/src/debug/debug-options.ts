/**
 * @fileoverview Turning debug mode on: the createHeap() option, the RCUKIT_DEBUG environment
 * variable, and the header word that carries the choice to every thread that attaches.
 */

import { InvalidHeapOptionsError } from '../errors.js';

/** `createHeap({ debug: { … } })`. */
export interface DebugOptions {
  /**
   * Inject short random delays after RCU pointer loads and before lock and reference
   * acquisitions (as rcutorture and KCSAN do), so that reuse races show up in tests.
   */
  fuzz?: boolean;
}

/** Bits of Header.DEBUG_FLAGS. */
export const DebugFlag = {
  ON: 1,
  FUZZ: 2,
} as const;

/**
 * The Header.DEBUG_FLAGS word for a new heap: the option if given, else RCUKIT_DEBUG
 * (`1`/`on`/`true` turns it on, `fuzz` turns it on with fuzzing, `0`/`off`/empty leaves it off).
 */
export function debugFlags(option: unknown, env: string | undefined = process.env['RCUKIT_DEBUG']): number {
  if (option === undefined) return envFlags(env);
  if (option === false) return 0;
  if (option === true) return DebugFlag.ON;
  if (typeof option === 'object' && option !== null) {
    const fuzz = (option as DebugOptions).fuzz;
    if (fuzz !== undefined && typeof fuzz !== 'boolean')
      throw new InvalidHeapOptionsError(`createHeap(): debug.fuzz must be a boolean; got ${typeof fuzz}`);
    return DebugFlag.ON | (fuzz === true ? DebugFlag.FUZZ : 0);
  }
  throw new InvalidHeapOptionsError(
    `createHeap(): debug must be a boolean or { fuzz?: boolean }; got ${typeof option}`,
  );
}

function envFlags(env: string | undefined): number {
  const v = (env ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'off' || v === 'false') return 0;
  if (v === 'fuzz') return DebugFlag.ON | DebugFlag.FUZZ;
  return DebugFlag.ON;
}
