import { describe, expect, it } from 'vitest'
import { hd95, percentile } from './hd95.ts'

describe('percentile (numpy linear method)', () => {
  it('interpolates between closest ranks', () => {
    // numpy.percentile(range(1, 21), 95) == 19.05; numpy.percentile([0, 0, 1], 95) == 0.9
    expect(percentile(Float64Array.from({ length: 20 }, (_, i) => 20 - i), 95)).toBeCloseTo(19.05, 12)
    expect(percentile(new Float64Array([1, 0, 0]), 95)).toBeCloseTo(0.9, 15)
    expect(percentile(new Float64Array([2.5]), 95)).toBe(2.5)
    expect(percentile(new Float64Array([3, 1]), 0)).toBe(1)
    expect(percentile(new Float64Array([3, 1]), 100)).toBe(3)
  })

  it('does not reorder its input and rejects empty lists', () => {
    const values = new Float64Array([3, 1, 2])
    percentile(values, 50)
    expect([...values]).toEqual([3, 1, 2])
    expect(() => percentile(new Float64Array(0), 95)).toThrow(/empty/)
  })
})

describe('hd95', () => {
  it('takes the larger of the two directed 95th percentiles', () => {
    expect(hd95({ predToTruth: new Float64Array([0, 0, 1]), truthToPred: new Float64Array([0, 2]) })).toBeCloseTo(1.9, 15)
  })
})

describe('percentile on random data', () => {
  it('equals the sorted-array definition', () => {
    let seed = 1
    const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(next() * 300)
      // Few distinct values (like voxel distances) and many ties.
      const values = Float64Array.from({ length: n }, () => Math.round(next() * (trial % 2 ? 5 : 1000)) * 0.3)
      const sorted = Float64Array.from(values).sort()
      for (const q of [0, 50, 95, 100]) {
        const rank = (q / 100) * (n - 1)
        const lo = Math.floor(rank)
        const hi = Math.min(lo + 1, n - 1)
        const t = rank - lo
        const d = sorted[hi] - sorted[lo]
        expect(percentile(values, q)).toBe(t >= 0.5 ? sorted[hi] - d * (1 - t) : sorted[lo] + d * t)
      }
    }
  })
})
