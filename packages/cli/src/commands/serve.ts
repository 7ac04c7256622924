import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { UsageError, type Command } from '../main.ts'
import { openServerEnv } from '../server-env.ts'

const HELP = `usage: spider-bench serve [--api-only] [--port 3000] [--host 127.0.0.1]

Applies pending migrations, then serves the REST API (OpenAPI UI at /docs). Without
--api-only the evaluation worker runs in the same process. Configuration comes from the
environment: DATABASE_URL (unset: embedded database in DATA_DIR/db), REDIS_URL, DATA_DIR,
PORT, HOST, MAX_UPLOAD_BYTES, MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_BYTES, AUTH_FAILURE_LIMIT,
AUTH_FAILURE_WINDOW_SECONDS; --port/--host override PORT/HOST.`

interface WorkerHandle {
  close(): Promise<void>
}
type StartWorkers = (options: Record<string, unknown>) => Promise<WorkerHandle>

/** The worker package's `startWorkers`, when that package provides it. */
async function loadStartWorkers(): Promise<StartWorkers | null> {
  // A computed specifier: the worker is an optional part of this process.
  const specifier = '@spider-bench/worker'
  try {
    const mod = (await import(specifier)) as { startWorkers?: StartWorkers }
    return typeof mod.startWorkers === 'function' ? mod.startWorkers : null
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null
    throw err
  }
}

export const command: Command = {
  summary: 'run the REST API (and, without --api-only, the evaluation worker)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { 'api-only': { type: 'boolean' }, port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    })
    if (values.help) {
      console.log(HELP)
      return 0
    }
    if (values.port !== undefined && !(/^\d+$/.test(values.port) && Number(values.port) <= 65535)) {
      throw new UsageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`)
    }
    const { config, db } = await openServerEnv({
      ...(values.port !== undefined ? { port: Number(values.port) } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
    })
    const { FileStorage } = await import('@spider-bench/storage')
    const { buildApp } = await import('@spider-bench/api')
    const { pino } = await import('pino')
    const logger = pino(process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {})

    for (const name of db.migrations?.applied ?? []) logger.info(`applied migration ${name}`)
    const storage = new FileStorage(join(config.dataDir, 'storage'))
    const app = await buildApp({ config, prisma: db.prisma, storage, logger })

    let workers: WorkerHandle | null = null
    if (!values['api-only']) {
      const startWorkers = await loadStartWorkers()
      if (startWorkers) workers = await startWorkers({ prisma: db.prisma, storage, redisUrl: config.redisUrl, queuePrefix: config.queuePrefix, logger })
      else logger.warn('the evaluation worker is not available in this build; submissions stay queued until a worker runs')
    }

    let closing: Promise<void> | null = null
    const shutdown = (signal: string) => {
      closing ??= (async () => {
        logger.info(`${signal}: shutting down`)
        await workers?.close()
        await app.close()
        await db.close()
      })()
      return closing
    }
    try {
      await app.listen({ port: config.port, host: config.host })
    } catch (err) {
      await shutdown('listen failed')
      throw err
    }
    logger.info(`spider-bench API on http://${config.host}:${(app.server.address() as { port: number }).port} (${db.kind}, data in ${config.dataDir})`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => void shutdown('SIGINT').then(resolve))
      process.once('SIGTERM', () => void shutdown('SIGTERM').then(resolve))
    })
    return 0
  },
}
