import { describe, it, expect } from 'vitest'
import { FailureLimiter } from './failure-limiter.ts'

describe('FailureLimiter', () => {
  it('blocks a key after the limit within the window, then releases it', () => {
    let now = 1000
    const l = new FailureLimiter(3, 60_000, () => now)
    expect(l.blockedFor('a')).toBe(0)
    l.fail('a')
    l.fail('a')
    expect(l.blockedFor('a')).toBe(0)
    l.fail('a')
    expect(l.blockedFor('a')).toBe(60_000)
    expect(l.blockedFor('b')).toBe(0)
    now += 30_000
    expect(l.blockedFor('a')).toBe(30_000)
    now += 30_000
    expect(l.blockedFor('a')).toBe(0)
    l.fail('a')
    expect(l.blockedFor('a')).toBe(0)
  })
})
