import { describe, it, expect } from 'vitest'
import { publicValueAllowed, restrictAggregates, seesFullAggregates } from './aggregate-visibility.ts'

describe('restrictAggregates', () => {
  it('keeps only mean and count, and withholds means over fewer than the minimum', () => {
    const full = {
      Dice: { mean: 0.8, std: 0.1, median: 0.82, min: 0.6, max: 0.9, count: 6 },
      ASD: { mean: 1.5, std: 0.5, median: 1.4, min: 1, max: 2, count: 3 },
      Empty: { mean: null, std: null, median: null, min: null, max: null, count: 0 },
      NoCount: { mean: 0.9 },
    }
    expect(restrictAggregates(full, 5)).toEqual({
      Dice: { mean: 0.8, count: 6 },
      ASD: { mean: null, count: 3, withheld: 'computed over 3 series; participants see only values computed over at least 5 series' },
      Empty: { mean: null, count: 0 },
      NoCount: { mean: null, count: 0, withheld: 'computed over 0 series; participants see only values computed over at least 5 series' },
    })
    expect(restrictAggregates(full, 3).ASD).toEqual({ mean: 1.5, count: 3 })
  })
})

describe('seesFullAggregates / publicValueAllowed', () => {
  const phase = (perSeriesVisibility: string) => ({ perSeriesVisibility, challenge: { ownerId: 'o' } })
  it('shows everything to organisers and admins, and to owners where per-series results are theirs', () => {
    expect(seesFullAggregates({ id: 'o', name: 'o', role: 'organiser' }, phase('organisers'))).toBe(true)
    expect(seesFullAggregates({ id: 'a', name: 'a', role: 'admin' }, phase('organisers'))).toBe(true)
    expect(seesFullAggregates({ id: 'p', name: 'p', role: 'participant' }, phase('organisers'))).toBe(false)
    expect(seesFullAggregates({ id: 'x', name: 'x', role: 'organiser' }, phase('organisers'))).toBe(false)
    expect(seesFullAggregates({ id: 'p', name: 'p', role: 'participant' }, phase('owner'))).toBe(true)
  })
  it('hides public values over too few (or an unknown number of) series under "organisers" only', () => {
    expect(publicValueAllowed('organisers', 4, 5)).toBe(false)
    expect(publicValueAllowed('organisers', undefined, 5)).toBe(false)
    expect(publicValueAllowed('organisers', 5, 5)).toBe(true)
    expect(publicValueAllowed('owner', 1, 5)).toBe(true)
  })
})
