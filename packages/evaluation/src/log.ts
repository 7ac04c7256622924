/** What the domain logs with: pino's and Fastify's loggers both fit. */
type LogFn = (fields: object, message?: string) => void

export interface Log {
  readonly info: LogFn
  readonly warn: LogFn
  readonly error: LogFn
}
