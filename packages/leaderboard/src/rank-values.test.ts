import { describe, it, expect } from 'vitest'
import { rankValues } from './rank-values.ts'

describe('rankValues', () => {
  it('ranks higher-is-better values with shared ranks and gaps (1, 1, 3)', () => {
    expect(rankValues([0.9, 0.95, 0.9, 0.8], 'desc')).toEqual([2, 1, 2, 4])
    expect(rankValues([5, 5, 4], 'desc')).toEqual([1, 1, 3])
  })

  it('ranks lower-is-better values ascending', () => {
    expect(rankValues([0.5, 0.3, 0.3, 1.2], 'asc')).toEqual([3, 1, 1, 4])
  })

  it('puts missing values last for either order, sharing the last rank', () => {
    expect(rankValues([null, 0.2, 0.9, null], 'desc')).toEqual([3, 2, 1, 3])
    expect(rankValues([null, 0.2, 0.9, null], 'asc')).toEqual([3, 1, 2, 3])
    expect(rankValues([Number.NaN, 1], 'asc')).toEqual([2, 1])
    expect(rankValues([null, null], 'asc')).toEqual([1, 1])
  })

  it('matches a brute-force definition on random tables', () => {
    let seed = 7
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let t = 0; t < 200; t++) {
      const values = Array.from({ length: 1 + Math.floor(rnd() * 9) }, () => (rnd() < 0.15 ? null : Math.floor(rnd() * 5)))
      for (const order of ['asc', 'desc'] as const) {
        const expected = values.map((v) => {
          // rank = 1 + number of values strictly better; missing: 1 + number of present values
          const better = values.filter((w) => w !== null && (v === null || (order === 'asc' ? w < v : w > v))).length
          return 1 + better
        })
        expect(rankValues(values, order)).toEqual(expected)
      }
    }
  })
})
