import { describe, it, expect } from 'vitest'
import { addressKey, FailureLimiter } from './failure-limiter.ts'

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

  it('keys IPv4 addresses as they are and IPv6 addresses by their /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8::7')).toBe('2001:db8:0:0::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
  })
})
