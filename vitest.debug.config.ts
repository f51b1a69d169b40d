import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:debug`: the runtime's tests again with RCUKIT_DEBUG=1, so that every heap they
 * create (and every worker attached to it) runs in debug mode: correct code must stay quiet.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/runtime/**/*.test.ts', 'runtime/test/**/*.test.ts'],
    exclude: [
      ...(base.test?.exclude ?? []),
      // It sets RCUKIT_DEBUG for the programs it runs itself.
      'test/runtime/torture/quiet-under-debug.test.ts',
    ],
    env: { RCUKIT_DEBUG: '1' },
    // Debug mode captures a stack at every section, pointer load, lock and allocation: the
    // heavier tests take several times longer.
    testTimeout: 240_000,
  },
});
