import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from '@spider-bench/config'
import type { Database } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'
import { openServerEnv } from './server-env.ts'

export interface RunningServer {
  readonly app: FastifyInstance
  readonly config: Config
  readonly db: Database
  readonly storage: Storage
  /** http://host:port the API listens on. */
  readonly url: string
  /** Stops the worker (running series finish), the API, then the database. Idempotent. */
  close(): Promise<void>
}

export interface StartServerOptions {
  /** Configuration overrides on top of the environment (port, host, redisUrl, ...). */
  readonly overrides?: Partial<Config>
  /** Without the in-process evaluation worker. */
  readonly apiOnly?: boolean
  /** The in-process worker also runs algorithm submissions (the inference queue); default true. */
  readonly inference?: boolean
  readonly logger: Logger
}

/**
 * Opens the database (applying pending migrations), builds the API and, unless apiOnly, starts
 * the scoring workers and (unless `inference: false`) the inference worker in this process,
 * then listens. Used by `serve` and `demo`.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, db } = await openServerEnv(options.overrides)
  const logger = options.logger
  const { createStorage } = await import('@spider-bench/storage')
  const { buildApp } = await import('@spider-bench/api')
  for (const name of db.migrations?.applied ?? []) logger.info(`applied migration ${name}`)
  const storage = await createStorage(config)
  const app = await buildApp({ config, prisma: db.prisma, storage, logger })
  let workers: { close(): Promise<void> } | null = null
  let closing: Promise<void> | null = null
  const close = () =>
    (closing ??= (async () => {
      await workers?.close()
      await app.close()
      await db.close()
    })())
  try {
    if (!options.apiOnly) {
      const { startWorkers } = await import('@spider-bench/worker')
      workers = await startWorkers({
        prisma: db.prisma,
        storage,
        redisUrl: config.redisUrl,
        queuePrefix: config.queuePrefix,
        logger,
        inference: options.inference ?? true,
      })
    }
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  return { app, config, db, storage, url: `http://${host}:${port}`, close }
}
