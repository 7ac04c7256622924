import { pino, type DestinationStream, type Logger } from 'pino'

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
let destination: DestinationStream | null = null

/**
 * Where default loggers write instead of stdout (null: stdout). The test setup sets a buffer
 * that is printed only for a failing test, so passing tests print nothing.
 */
export function setDefaultLogDestination(stream: DestinationStream | null): void {
  destination = stream
}

/** The level of default loggers: LOG_LEVEL (fatal, error, warn, info, debug, trace, silent), default info. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.LOG_LEVEL?.trim().toLowerCase() || 'info'
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`)
  return level
}

/** A pino logger at LOG_LEVEL for processes that were given none (JSON lines on stdout). */
export function defaultLogger(bindings: { readonly name?: string } = {}): Logger {
  const options = { ...bindings, level: logLevel() }
  return destination ? pino(options, destination) : pino(options)
}
