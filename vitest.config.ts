import { defineConfig } from 'vitest/config'

// Two projects: `unit` runs anywhere; `int` needs the services named by REDIS_URL and
// DATABASE_URL (Redis and Postgres), which .ci/run starts when they are down. Passing tests
// print nothing: test/setup/test-logs.ts shows logs only for failing tests (or set LOG_LEVEL).
// The tests run the TypeScript sources, also in the `spider-bench` processes they start
// (bin/spider-bench.js would otherwise prefer an up-to-date build); test/production-build
// builds and starts the compiled code itself.
const SOURCES = { SPIDER_BENCH_RUNTIME: 'source' }

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles: ['test/setup/test-logs.ts'],
          env: SOURCES,
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'int',
          setupFiles: ['test/setup/test-logs.ts'],
          env: SOURCES,
          include: ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
