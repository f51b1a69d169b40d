/**
 * @fileoverview The mutation operators, in the order the report lists them.
 */

import type { MutationOperator } from '../operator.js';
import { awaitInSection, blockInSection } from './block-in-section.js';
import { dropReadLock, dropReadUnlockOnePath, dropSpinUnlockOnePath } from './drop-lock-calls.js';
import { freeWithoutGracePeriod } from './free-without-grace-period.js';
import { ignoreIncNotZero, invertIncNotZero } from './inc-not-zero.js';
import { deleteRecheck, moveRecheckBeforePin, neutralizeRecheck } from './recheck.js';
import { returnUnpinned } from './return-unpinned.js';
import { unlockBeforeLastUse } from './unlock-before-last-use.js';
import { writeAfterPublish } from './write-after-publish.js';

export const OPERATORS: readonly MutationOperator[] = [
  dropReadUnlockOnePath,
  dropReadLock,
  dropSpinUnlockOnePath,
  unlockBeforeLastUse,
  deleteRecheck,
  neutralizeRecheck,
  moveRecheckBeforePin,
  invertIncNotZero,
  ignoreIncNotZero,
  writeAfterPublish,
  awaitInSection,
  blockInSection,
  returnUnpinned,
  freeWithoutGracePeriod,
];
