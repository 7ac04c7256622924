import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable, retryWhileDatabaseUnavailable } from './database-unavailable.ts'

/** The shapes Prisma 7 with @prisma/adapter-pg threw when a real Postgres was stopped and started (test/faults). */
function prismaError(code: string, cause: Record<string, unknown>): Error {
  const err = new Error(`Invalid invocation: ${code}`) as Error & { code: string; meta: unknown }
  err.name = 'PrismaClientKnownRequestError'
  err.code = code
  err.meta = { driverAdapterError: { name: 'DriverAdapterError', cause } }
  return err
}

describe('isDatabaseUnavailable', () => {
  it('recognises a server that is down, shutting down, starting up or closed the connection', () => {
    expect(isDatabaseUnavailable(prismaError('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }))).toBe(true)
    expect(
      isDatabaseUnavailable(
        prismaError('P2039', {
          kind: 'postgres',
          originalCode: '57P01',
          originalMessage: 'terminating connection due to administrator command',
        }),
      ),
    ).toBe(true)
    expect(
      isDatabaseUnavailable(
        prismaError('P2010', { kind: 'postgres', originalCode: '57P03', originalMessage: 'the database system is starting up' }),
      ),
    ).toBe(true)
    expect(isDatabaseUnavailable(prismaError('P1017', { kind: 'ConnectionClosed' }))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('Connection terminated unexpectedly')))).toBe(true)
    const pgError = Object.assign(new Error('the database system is shutting down'), { name: 'error', code: '57P03' })
    expect(isDatabaseUnavailable(pgError)).toBe(true)
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: prismaError('P1001', { kind: 'DatabaseNotReachable' }) }))).toBe(true)
    // The pool had no free connection within maxWait (bench:load: status reads next to scoring).
    const noConnection = prismaError('P2028', {})
    noConnection.message = 'Transaction API error: Unable to start a transaction in the given time.'
    expect(isDatabaseUnavailable(noConnection)).toBe(true)
  })

  it('leaves every other error alone', () => {
    expect(isDatabaseUnavailable(prismaError('P2002', { kind: 'UniqueConstraintViolation' }))).toBe(false)
    expect(isDatabaseUnavailable(prismaError('P2010', { kind: 'postgres', originalCode: '22P02' }))).toBe(false)
    const expired = prismaError('P2028', {})
    expired.message = 'Transaction API error: Transaction already closed: the timeout for this transaction was 5000 ms'
    expect(isDatabaseUnavailable(expired)).toBe(false)
    // A client that dropped its upload is not the database.
    expect(isDatabaseUnavailable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false)
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false)
    expect(isDatabaseUnavailable(null)).toBe(false)
    expect(isDatabaseUnavailable('P1001')).toBe(false)
  })
})

describe('retryWhileDatabaseUnavailable', () => {
  it('runs again while the database is unavailable, then returns', async () => {
    let calls = 0
    const value = await retryWhileDatabaseUnavailable(async () => {
      if (++calls < 3) throw prismaError('P1001', { kind: 'DatabaseNotReachable' })
      return 'stored'
    }, 5000)
    expect([value, calls]).toEqual(['stored', 3])
  })

  it('throws other errors at once, and the last one when the time is up', async () => {
    let calls = 0
    await expect(
      retryWhileDatabaseUnavailable(async () => {
        calls++
        throw new Error('conflict')
      }, 5000),
    ).rejects.toThrow('conflict')
    expect(calls).toBe(1)
    calls = 0
    await expect(
      retryWhileDatabaseUnavailable(async () => {
        calls++
        throw prismaError('P1001', { kind: 'DatabaseNotReachable' })
      }, 600),
    ).rejects.toMatchObject({ code: 'P1001' })
    expect(calls).toBeGreaterThanOrEqual(2)
  })
})
