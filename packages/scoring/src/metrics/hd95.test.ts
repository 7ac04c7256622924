import { describe, expect, it } from 'vitest'
import { distanceSetFromValues, distanceValues, type DistanceSet } from './distance-set.ts'
import { hd95, percentile, setPercentile } from './hd95.ts'

describe('percentile (numpy linear method)', () => {
  it('interpolates between closest ranks', () => {
    // numpy.percentile(range(1, 21), 95) == 19.05; numpy.percentile([0, 0, 1], 95) == 0.9
    expect(
      percentile(
        Float64Array.from({ length: 20 }, (_, i) => 20 - i),
        95,
      ),
    ).toBeCloseTo(19.05, 12)
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
    expect(hd95({ predToTruth: distanceSetFromValues([0, 0, 1]), truthToPred: distanceSetFromValues([0, 2]) })).toBeCloseTo(1.9, 15)
  })
})

describe('percentile on random data', () => {
  it('equals the sorted-array definition', () => {
    let seed = 1
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647
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

describe('distance sets (table counts plus extra values)', () => {
  it('give the same percentiles as the expanded list', () => {
    let seed = 7
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    for (let trial = 0; trial < 200; trial++) {
      const lengths = Float64Array.from({ length: 1 + Math.floor(next() * 20) }, (_, k) => k * 0.37)
      const counts = lengths.map(() => (next() < 0.4 ? 0 : Math.floor(next() * 6)))
      const extra = Float64Array.from({ length: Math.floor(next() * 4) }, () => Math.round(next() * 30) * 0.37)
      const size = counts.reduce((a, b) => a + b, 0) + extra.length
      if (size === 0) continue
      const set: DistanceSet = { lengths, counts, extra, size }
      const values = distanceValues(set)
      expect(values.length).toBe(size)
      for (const q of [0, 37, 95, 100]) expect(setPercentile(set, q)).toBe(percentile(values, q))
    }
  })
})
