import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most integration tests wait on emulated resets and polling rather than burn CPU, so more
    // workers than this 2-core machine's cores shorten the run without starving any of them.
    maxWorkers: 4,
  },
});
