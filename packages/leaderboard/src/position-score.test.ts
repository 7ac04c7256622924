import { describe, it, expect } from 'vitest'
import { mean, median } from './position-score.ts'

describe('mean and median of positions', () => {
  it('computes exact values', () => {
    expect(mean([1, 2, 4])).toBe(7 / 3)
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([5])).toBe(5)
  })

  it('refuses empty lists', () => {
    expect(() => mean([])).toThrow(/empty/)
    expect(() => median([])).toThrow(/empty/)
  })
})
