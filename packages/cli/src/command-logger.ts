import type { Logger } from 'pino'
import { UsageError } from './command.ts'

/**
 * The logger of a long-running command (serve, worker): LOG_LEVEL, where a bad value is a
 * usage error; pretty lines on a terminal, JSON lines otherwise.
 */
export async function commandLogger(bindings: { readonly name?: string } = {}): Promise<Logger> {
  const { pino } = await import('pino')
  const { logLevel } = await import('@spider-bench/config')
  let level: string
  try {
    level = logLevel()
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const options = { ...bindings, level }
  return pino(process.stdout.isTTY ? { ...options, transport: { target: 'pino-pretty' } } : options)
}
