import { describe, it, expect } from 'vitest'
import { SessionSigner } from './dashboard-session.ts'

describe('SessionSigner', () => {
  const id = '5b0c1e9e-7f55-4a4f-9f0e-6b1e2b3c4d5e'

  it('issues values that verify until they expire, and never hold more than the token id', () => {
    let now = 1_700_000_000_000
    const s = new SessionSigner('k'.repeat(32), 3600, () => now)
    const value = s.issue(id)
    expect(value.startsWith(`${id}.${1_700_000_000 + 3600}.`)).toBe(true)
    expect(s.verify(value)).toEqual({ ok: true, tokenId: id })
    now += 3_599_000
    expect(s.verify(value).ok).toBe(true)
    now += 1_000
    expect(s.verify(value)).toEqual({ ok: false, reason: 'expired' })
  })

  it('refuses forged, altered or foreign values', () => {
    const s = new SessionSigner('k'.repeat(32), 3600)
    const value = s.issue(id)
    const [tid, exp, mac] = value.split('.')
    expect(s.verify(`${tid}.${Number(exp) + 3600}.${mac}`)).toEqual({ ok: false, reason: 'invalid' })
    expect(s.verify(`other.${exp}.${mac}`)).toEqual({ ok: false, reason: 'invalid' })
    expect(s.verify(`${tid}.${exp}.${'A'.repeat(43)}`)).toEqual({ ok: false, reason: 'invalid' })
    expect(s.verify('sbk_' + 'x'.repeat(43))).toEqual({ ok: false, reason: 'invalid' })
    expect(new SessionSigner('j'.repeat(32), 3600).verify(value)).toEqual({ ok: false, reason: 'invalid' })
    // Without a configured secret every process draws its own key.
    expect(new SessionSigner(null, 3600).verify(new SessionSigner(null, 3600).issue(id)).ok).toBe(false)
  })
})
