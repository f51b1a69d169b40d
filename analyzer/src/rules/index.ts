/**
 * @fileoverview The rule registry: every finished rule, in the order `rcukit rules` lists them.
 * A rule is registered only when its doc page and fixtures exist (the docs test enforces it).
 */

import type { RuleDefinition } from './define-rule.js';
import blockingInReadSection from './blocking-in-read-section.js';
import derefOutsideReadLock from './deref-outside-read-lock.js';
import freeWithoutGracePeriod from './free-without-grace-period.js';
import incNotZeroUnchecked from './inc-not-zero-unchecked.js';
import lockWithoutCtor from './lock-without-ctor.js';
import missingRevalidation from './missing-revalidation.js';
import publishBeforeInit from './publish-before-init.js';
import referenceEscape from './reference-escape.js';
import typesafeCacheFlags from './typesafe-cache-flags.js';
import unbalancedReadLock from './unbalanced-read-lock.js';
import unbalancedSpinlock from './unbalanced-spinlock.js';
import unguardedAccess from './unguarded-access.js';
import unstableWrite from './unstable-write.js';

export const RULES: readonly RuleDefinition[] = [
  derefOutsideReadLock,
  missingRevalidation,
  unbalancedReadLock,
  unbalancedSpinlock,
  blockingInReadSection,
  incNotZeroUnchecked,
  referenceEscape,
  typesafeCacheFlags,
  lockWithoutCtor,
  publishBeforeInit,
  freeWithoutGracePeriod,
  unstableWrite,
  unguardedAccess,
] as RuleDefinition[];
