import { defineConfig } from 'vitest/config'

// `npm run test:faults`: every fault case of test/faults against real processes (private
// Postgres and Redis, serve --api-only and worker as child processes), one file at a time.
// The `*.int.test.ts` cases also run in `npm test`; the `*.fault.ts` ones only here. Each case
// appends its measured figures to FAULT_FIGURES_DIR, printed by scripts/fault-figures.ts.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.int.test.ts', 'test/faults/**/*.fault.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    globalSetup: ['test/faults/global-setup.ts'],
    // The processes started run the TypeScript sources, as in `npm test` (vitest.config.ts).
    env: { FAULT_FIGURES_DIR: process.env.FAULT_FIGURES_DIR || 'bench-out/faults', SPIDER_BENCH_RUNTIME: 'source' },
  },
})
