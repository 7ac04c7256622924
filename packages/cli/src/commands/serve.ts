import { parseArgs } from 'node:util'
import { UsageError, type Command } from '../main.ts'
import { startServer } from '../server.ts'

const HELP = `usage: spider-bench serve [--api-only] [--port 3000] [--host 127.0.0.1]

Applies pending migrations, then serves the REST API (OpenAPI UI at /docs). Without
--api-only the evaluation worker runs in the same process. Configuration comes from the
environment: DATABASE_URL (unset: embedded database in DATA_DIR/db), REDIS_URL, DATA_DIR,
PORT, HOST, MAX_UPLOAD_BYTES, MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_BYTES, AUTH_FAILURE_LIMIT,
AUTH_FAILURE_WINDOW_SECONDS, TRUST_PROXY; --port/--host override PORT/HOST.`

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
    const { pino } = await import('pino')
    const logger = pino(process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {})
    const server = await startServer({
      overrides: {
        ...(values.port !== undefined ? { port: Number(values.port) } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
      },
      apiOnly: Boolean(values['api-only']),
      logger,
    })
    logger.info(`spider-bench API on ${server.url} (${server.db.kind}, data in ${server.config.dataDir})${values['api-only'] ? '' : ' with the evaluation worker'}`)
    const shutdown = (signal: string) => {
      logger.info(`${signal}: shutting down`)
      return server.close()
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => void shutdown('SIGINT').then(resolve))
      process.once('SIGTERM', () => void shutdown('SIGTERM').then(resolve))
    })
    return 0
  },
}
