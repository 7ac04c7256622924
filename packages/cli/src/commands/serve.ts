import { parseCommandArgs, intOption, UsageError, type Command } from '../command.ts'
import { commandLogger } from '../command-logger.ts'
import { startServer } from '../server.ts'

const HELP = `usage: spider-bench serve [--no-inference | --api-only] [--port 3000] [--host 127.0.0.1]

Everything one machine needs, in one process: applies pending migrations, then serves the
REST API (OpenAPI UI at /docs) with the scoring workers and the inference worker, which runs
algorithm submissions (ONNX models) on the CPU unless a GPU provider is available
(INFERENCE_PROVIDERS). Without DATABASE_URL the database is embedded (DATA_DIR/db) and
belongs to this process: "users create" then goes through this server's API.
When REDIS_URL is unset and no Redis answers on 127.0.0.1:6379, a private redis-server is
started under DATA_DIR/redis (when one is installed) and stopped on exit.

options:
  --no-inference  leave algorithm submissions to dedicated "spider-bench worker --inference"
                  processes (these need DATABASE_URL: the embedded database is not shared)
  --api-only      no workers in this process at all (run "spider-bench worker" elsewhere)
  --port N        overrides PORT (default 3000; 0 picks a free port)
  --host H        overrides HOST (default 127.0.0.1)
environment: DATABASE_URL, REDIS_URL, DATA_DIR, STORAGE_URL, STORAGE_CACHE_MB, PORT, HOST,
MAX_UPLOAD_BYTES, MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_BYTES, AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS,
TRUST_PROXY, METRICS_TOKEN, SESSION_SECRET, DASHBOARD_SESSION_SECONDS, MIN_AGGREGATE_SERIES,
UPLOAD_TIMEOUT_SECONDS, UPLOAD_MIN_BYTES_PER_SECOND, UPLOAD_PROGRESS_WINDOW_SECONDS,
UPLOAD_DATABASE_RETRY_SECONDS, REQUEST_TIMEOUT_SECONDS, MAX_EVENT_STREAMS_PER_USER,
MAX_EVENT_STREAMS, LOG_LEVEL, WORKER_CONCURRENCY, INFERENCE_TIME_LIMIT_MS,
INFERENCE_MEMORY_LIMIT_MB, INFERENCE_PROVIDERS, INFERENCE_THREADS, WATCHDOG_GRACE_MS,
WATCHDOG_SERIES_MS (see README)`

export const command: Command = {
  summary: 'run the REST API with the scoring and inference workers (one machine; --no-inference, --api-only)',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, {
      'api-only': { type: 'boolean' },
      'no-inference': { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
    })
    if (!args) return 0
    const { values } = args
    const port = intOption('port', values.port, undefined, 0, 65535)
    if (values['api-only'] && values['no-inference']) throw new UsageError('--api-only already runs no workers; drop --no-inference')
    const apiOnly = Boolean(values['api-only'])
    const inference = !apiOnly && !values['no-inference']
    const logger = await commandLogger()

    // One machine, nothing installed but Redis: start a private one when none answers.
    const { join, resolve } = await import('node:path')
    let redis: { url: string; started: boolean; stop(): Promise<void> } | null = null
    if (!apiOnly && !process.env.REDIS_URL) {
      const { ensureRedis, pingRedis } = await import('../local-redis.ts')
      const defaultUrl = 'redis://127.0.0.1:6379'
      if (!(await pingRedis(defaultUrl))) {
        const dataDir = resolve(process.env.DATA_DIR || './data')
        try {
          redis = await ensureRedis(defaultUrl, join(dataDir, 'redis'))
        } catch (err) {
          throw new UsageError((err as Error).message)
        }
        logger.info(
          `no Redis answered at ${defaultUrl}: started a private redis-server at ${redis.url} (data in ${join(dataDir, 'redis')})`,
        )
      }
    }
    let server
    try {
      server = await startServer({
        overrides: {
          ...(port !== undefined ? { port } : {}),
          ...(values.host !== undefined ? { host: values.host } : {}),
          ...(redis ? { redisUrl: redis.url } : {}),
        },
        apiOnly,
        inference,
        logger,
      })
    } catch (err) {
      await redis?.stop()
      throw err
    }
    const running = server
    const { writeServerInfo, removeServerInfo } = await import('../server-info.ts')
    if (running.db.kind === 'pglite') await writeServerInfo(running.config.dataDir, running.url)
    const workers = apiOnly
      ? 'no workers (--api-only)'
      : inference
        ? 'the scoring and inference workers'
        : 'the scoring workers (--no-inference: algorithms wait for an inference worker)'
    logger.info(`spider-bench API on ${running.url} (${running.db.kind}, data in ${running.config.dataDir}) with ${workers}`)
    const shutdown = async (signal: string) => {
      logger.info(`${signal}: shutting down`)
      await removeServerInfo(running.config.dataDir).catch(() => undefined)
      await running.close()
      await redis?.stop()
    }
    await new Promise<void>((done) => {
      process.once('SIGINT', () => void shutdown('SIGINT').then(done))
      process.once('SIGTERM', () => void shutdown('SIGTERM').then(done))
    })
    return 0
  },
}
