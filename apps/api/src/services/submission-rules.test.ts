import { describe, it, expect } from 'vitest'
import { ApiError } from '../errors.ts'
import { assertNoActiveSubmission, assertPhaseOpen, assertWithinLimit, limitState } from './submission-rules.ts'

const at = (iso: string) => new Date(iso)
function caught(fn: () => void): ApiError {
  try {
    fn()
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error('expected an ApiError')
}

describe('submission rules', () => {
  it('names the dates of a phase that is not open', () => {
    const phase = { slug: 'p', opensAt: at('2030-01-01T00:00:00Z'), closesAt: at('2030-02-01T00:00:00Z') }
    const early = caught(() => assertPhaseOpen(phase, at('2029-12-31T00:00:00Z')))
    expect(early.statusCode).toBe(403)
    expect(early.message).toBe('phase "p" is not open yet: it opens at 2030-01-01T00:00:00.000Z (now 2029-12-31T00:00:00.000Z)')
    const late = caught(() => assertPhaseOpen(phase, at('2030-02-01T00:00:00Z')))
    expect(late.message).toBe('phase "p" is closed: it closed at 2030-02-01T00:00:00.000Z (now 2030-02-01T00:00:00.000Z)')
    assertPhaseOpen(phase, at('2030-01-15T00:00:00Z'))
    assertPhaseOpen({ slug: 'q', opensAt: null, closesAt: null }, at('2000-01-01T00:00:00Z'))
  })

  it('computes the next allowed time from the oldest submission in the window', () => {
    const now = at('2030-01-02T12:00:00Z')
    const limit = { count: 2, periodHours: 24 }
    assertWithinLimit(limit, [at('2030-01-01T11:00:00Z'), at('2030-01-02T10:00:00Z')], now) // first one left the window
    const err = caught(() =>
      assertWithinLimit(limit, [at('2030-01-02T01:00:00Z'), at('2030-01-02T10:00:00Z'), at('2030-01-01T00:00:00Z')], now),
    )
    expect(err.statusCode).toBe(429)
    expect(err.message).toBe('submission limit reached (2 per 24 h); the next submission is allowed at 2030-01-03T01:00:00.000Z')
    expect(err.headers).toEqual({ 'retry-after': String(13 * 3600) })
    assertWithinLimit({ count: null, periodHours: null }, [now, now, now], now)
  })

  it('states used, remaining and the next allowed time (the quota route)', () => {
    const now = at('2030-01-02T12:00:00Z')
    const limit = { count: 2, periodHours: 24 }
    expect(limitState(limit, [], now)).toEqual({ used: 0, remaining: 2, nextAt: null })
    expect(limitState(limit, [at('2030-01-01T11:00:00Z'), at('2030-01-02T10:00:00Z')], now)).toEqual({
      used: 1,
      remaining: 1,
      nextAt: null,
    })
    expect(limitState(limit, [at('2030-01-02T10:00:00Z'), at('2030-01-02T01:00:00Z')], now)).toEqual({
      used: 2,
      remaining: 0,
      nextAt: at('2030-01-03T01:00:00Z'),
    })
  })

  it('refuses a second active submission', () => {
    assertNoActiveSubmission(null)
    expect(caught(() => assertNoActiveSubmission({ id: 's1', status: 'running' })).statusCode).toBe(409)
  })
})
