import { parseCommandArgs, intOption, type Command } from '../command.ts'
import { commandLogger } from '../command-logger.ts'
import { openServerEnv } from '../server-env.ts'

const HELP = `usage: spider-bench worker [--concurrency N] [--inference]

Runs evaluation workers alone (the split deployment; "spider-bench serve" already runs them
in its own process): takes evaluation jobs from Redis, scores each test series on a pool of
N threads (default: WORKER_CONCURRENCY or the number of cores), stores per-series results
and aggregates, recomputes the leaderboard, and stops evaluations that make no progress (the
watchdog). Start one on every machine that reaches the same Redis (REDIS_URL), Postgres
(DATABASE_URL) and storage (STORAGE_URL: an S3 bucket, or DATA_DIR/storage on a shared
volume) to scale out; the series of one submission are spread over all of them. The
embedded database cannot be shared between processes: set DATABASE_URL. Stops cleanly on
SIGTERM/SIGINT (running series finish first).

options:
  --concurrency N   series scored at once by this process
  --inference       also run algorithm submissions (ONNX models, one at a time; CPU unless a
                    GPU provider is available): one such worker per GPU, next to a
                    "serve --no-inference" or "serve --api-only"
environment: DATABASE_URL, REDIS_URL, DATA_DIR, STORAGE_URL, STORAGE_CACHE_MB, LOG_LEVEL,
WORKER_CONCURRENCY, WORKER_LOCK_MS, RECONCILE_INTERVAL_MS, RECONCILE_GRACE_MS,
RECONCILE_RECONNECT_GRACE_MS, WATCHDOG_GRACE_MS, WATCHDOG_SERIES_MS, INFERENCE_TIME_LIMIT_MS,
INFERENCE_MEMORY_LIMIT_MB, INFERENCE_PROVIDERS, INFERENCE_THREADS`

export const command: Command = {
  summary: 'run evaluation workers alone (split deployment: one per machine sharing Redis, Postgres, storage; --inference)',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, { concurrency: { type: 'string' }, inference: { type: 'boolean' } })
    if (!args) return 0
    const { values } = args
    const concurrency = intOption('concurrency', values.concurrency, undefined, 1)
    const logger = await commandLogger({ name: 'worker' })
    const { config, db } = await openServerEnv()
    const { createStorage } = await import('@spider-bench/storage')
    const { startWorkers } = await import('@spider-bench/worker')
    let workers
    try {
      workers = await startWorkers({
        prisma: db.prisma,
        storage: await createStorage(config),
        redisUrl: config.redisUrl,
        queuePrefix: config.queuePrefix,
        logger,
        ...(concurrency !== undefined ? { config: { concurrency } } : {}),
        ...(values.inference ? { inference: true } : {}),
      })
    } catch (err) {
      await db.close()
      throw err
    }
    const running = workers
    await new Promise<void>((resolve) => {
      let closing = false
      const stop = (signal: string) => {
        if (closing) return
        closing = true
        logger.info(`${signal}: stopping (running series finish first)`)
        void running
          .close()
          .then(() => db.close())
          .then(resolve)
      }
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
    })
    return 0
  },
}
