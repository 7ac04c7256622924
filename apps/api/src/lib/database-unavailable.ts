/**
 * The database is unreachable for a moment (restarting, failing over, out of connections):
 * the request did not fail for anything the client did, and the same request will work once
 * the database is back. The error handler answers such errors with 503 and `Retry-After`
 * instead of a 500; the submission upload retries its final transaction for a while first.
 */

/** `Retry-After` of a 503 for an unreachable database: a Postgres restart takes a few seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5

/** Prisma codes of an unreachable or vanished database server, a connection timeout or an exhausted pool. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037'])
/** What @prisma/adapter-pg reports for socket-level failures. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'])
/**
 * Postgres SQLSTATEs: class 08 (connection exception), 57P01..57P03 (administrator or crash
 * shutdown, cannot connect now: starting up or shutting down), 53300 (too many connections).
 */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/
/** node-postgres errors without a SQLSTATE, seen when the server goes away mid-query. */
const MESSAGES = new RegExp(
  [
    'Connection terminated',
    "Can't reach database server",
    'Server has closed the connection',
    'the database system is (shutting down|starting up|in recovery mode)',
    'ECONNREFUSED',
    'ECONNRESET',
  ].join('|'),
)

interface MaybeDbError {
  name?: unknown
  code?: unknown
  message?: unknown
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown; code?: unknown } } }
  cause?: unknown
}

/** Whether `err` (from Prisma or node-postgres) means the database cannot be reached now. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false
  const e = err as MaybeDbError
  const name = typeof e.name === 'string' ? e.name : ''
  const code = typeof e.code === 'string' ? e.code : ''
  const fromPrisma = name.startsWith('PrismaClient') || name === 'DriverAdapterError'
  if (fromPrisma && PRISMA_CODES.has(code)) return true
  if (name === 'PrismaClientInitializationError') return true
  const cause = e.meta?.driverAdapterError?.cause
  if (cause) {
    if (typeof cause.kind === 'string' && ADAPTER_KINDS.has(cause.kind)) return true
    const state = typeof cause.originalCode === 'string' ? cause.originalCode : typeof cause.code === 'string' ? cause.code : ''
    if (SQLSTATE.test(state)) return true
  }
  // node-postgres DatabaseError (raw queries) carries the SQLSTATE as `code`.
  if ((name === 'error' || name === 'DatabaseError') && SQLSTATE.test(code)) return true
  const message = typeof e.message === 'string' ? e.message : ''
  if (fromPrisma && MESSAGES.test(message)) return true
  // No pooled connection came free within the transaction's maxWait (P2028; the transaction never
  // started): the database is overloaded, not the request wrong. Other P2028s (a transaction that
  // ran past its timeout) may have done part of their work and stay 500s.
  if (fromPrisma && code === 'P2028' && /Unable to start a transaction in the given time/.test(message)) return true
  // node-postgres' own text when the server closes a connection in use.
  if (/^Connection terminated( unexpectedly| due to connection timeout)?$/.test(message)) return true
  return isDatabaseUnavailable(e.cause, depth + 1)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Runs `fn`, and again (after 0.25, 0.5, 1, 2, 2 ... s) while it fails because the database
 * is unavailable, for at most `totalMs`; then the last error is thrown. `fn` must be safe to
 * run again (a transaction that either committed wholly or not at all, and that finds out
 * itself whether an earlier attempt committed).
 */
export async function retryWhileDatabaseUnavailable<T>(fn: () => Promise<T>, totalMs: number): Promise<T> {
  const end = Date.now() + totalMs
  for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await fn()
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() + delay > end) throw err
      await sleep(delay)
    }
  }
}
