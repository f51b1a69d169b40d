/**
 * @fileoverview slab/typesafe-cache-flags: a kmemCacheCreate() whose flags contradict type
 * stability. A SLAB_TYPESAFE_BY_RCU cache hands freed objects straight back while readers may
 * still be reading them, so it may neither poison them (SLAB_POISON) nor tear them down (a
 * dtor); and a struct declared `typesafeByRcu: true` (whose references carry the TypeStable
 * brand the other rules trust) needs a cache with that flag. The runtime throws
 * SlabCacheFlagsError for each at run time; this rule says it before the program runs.
 *
 * Flags are folded as constants (SlabModel.fold); flags that cannot be computed keep it silent.
 */

import { ts } from 'ts-morph';
import { SLAB_POISON_BIT, SLAB_TYPESAFE_BY_RCU_BIT } from '../primitives/slab-model.js';
import { defineRule } from './define-rule.js';
import { callsOfKind } from './rule-utils/slab-sites.js';

const CREATE = new Set(['kmemCacheCreate']);

export default defineRule({
  id: 'slab/typesafe-cache-flags',
  meta: {
    description:
      'Disallow SLAB_POISON or a destructor on a type-stable cache, and a typesafeByRcu struct in a cache without SLAB_TYPESAFE_BY_RCU.',
    messages: {
      poisonWithTypesafe:
        'Cache `{{cache}}` is SLAB_TYPESAFE_BY_RCU and SLAB_POISON: readers inside rcuReadLock() still read freed objects, and poisoning them would hand those readers garbage (kmemCacheCreate() throws SlabCacheFlagsError).',
      dtorWithTypesafe:
        'Cache `{{cache}}` is SLAB_TYPESAFE_BY_RCU and has a destructor: a freed object stays in use by readers and is reused as is, nothing may tear it down (kmemCacheCreate() throws SlabCacheFlagsError).',
      missingTypesafeFlag:
        'Struct `{{struct}}` is declared typesafeByRcu (its references are trusted as type-stable), but cache `{{cache}}` is created without SLAB_TYPESAFE_BY_RCU: its memory could become another type under a reader (kmemCacheCreate() throws SlabCacheFlagsError).',
      flagWithoutTypesafeStruct:
        'Cache `{{cache}}` is SLAB_TYPESAFE_BY_RCU but struct `{{struct}}` is not declared typesafeByRcu: its references lack the TypeStable brand, so nothing checks how readers use them (kmemCacheCreate() throws SlabCacheFlagsError).',
    },
  },
  defaultSeverity: 'error',
  precision: 'very-high',
  check(ctx) {
    for (const call of callsOfKind(ctx.analysis.cfg, ctx.primitives, CREATE)) {
      const cache = ctx.primitives.slab.caches().find((c) => c.call === call);
      if (cache === undefined) continue;
      // Flags that cannot be folded: only what the struct alone decides (a typesafeByRcu struct's
      // cache must be type-stable, so a destructor is wrong whatever the flags are).
      if (cache.flags === undefined) {
        if (cache.struct?.typesafeByRcu === true && cache.dtorProp !== undefined) {
          ctx.report({
            node: cache.dtorProp,
            messageId: 'dtorWithTypesafe',
            data: { cache: cacheLabel(call, ctx.text(call.arguments[1] ?? call)) },
          });
        }
        continue;
      }
      const name = cacheLabel(call, ctx.text(call.arguments[1] ?? call));
      const typesafe = (cache.flags & SLAB_TYPESAFE_BY_RCU_BIT) !== 0;
      const flagsNode = cache.flagsExpr ?? call;
      const structArg = call.arguments[2] ?? call;
      const structName =
        cache.struct === undefined ? ctx.text(structArg) : structNameOf(cache.struct.call, ctx.text(structArg));
      if (typesafe && (cache.flags & SLAB_POISON_BIT) !== 0) {
        ctx.report({ node: flagsNode, messageId: 'poisonWithTypesafe', data: { cache: name } });
      }
      if (typesafe && cache.dtorProp !== undefined) {
        ctx.report({ node: cache.dtorProp, messageId: 'dtorWithTypesafe', data: { cache: name } });
      }
      const structTypesafe = cache.struct?.typesafeByRcu;
      if (structTypesafe === true && !typesafe) {
        ctx.report({
          node: flagsNode,
          messageId: 'missingTypesafeFlag',
          data: { cache: name, struct: structName },
          related: [{ node: cache.struct.call, message: 'struct declared typesafeByRcu here' }],
        });
      } else if (structTypesafe === false && typesafe) {
        ctx.report({
          node: flagsNode,
          messageId: 'flagWithoutTypesafeStruct',
          data: { cache: name, struct: structName },
          related: [{ node: cache.struct!.call, message: 'struct declared here' }],
        });
      }
    }
  },
});

/** The struct's name as declared (`defineStruct('sighand', …)`), or the expression naming it. */
function structNameOf(defineCall: ts.CallExpression, fallback: string): string {
  const a = defineCall.arguments[0];
  return a !== undefined && ts.isStringLiteralLike(a) ? a.text : fallback;
}

/** The cache's name as created (`kmemCacheCreate(heap, 'sighand_cache', …)`), or the expression naming it. */
function cacheLabel(call: ts.CallExpression, fallback: string): string {
  const a = call.arguments[1];
  return a !== undefined && ts.isStringLiteralLike(a) ? a.text : fallback;
}
