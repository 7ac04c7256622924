import { describe, expect, it } from 'vitest'
import { normalizeIntensities, percentile, percentileSorted } from './normalize.ts'
import { seededRandom } from '@spider-bench/random'

function meanStd(a: Float32Array): [number, number] {
  const m = a.reduce((s, v) => s + v, 0) / a.length
  return [m, Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length)]
}

describe('intensity normalisation', () => {
  it('percentiles interpolate linearly between ranks like numpy', () => {
    const s = Float32Array.of(1, 2, 3, 4, 5)
    expect(percentileSorted(s, 0)).toBe(1)
    expect(percentileSorted(s, 50)).toBe(3)
    expect(percentileSorted(s, 10)).toBeCloseTo(1.4, 6)
    expect(percentileSorted(s, 100)).toBe(5)
  })

  it('quickselect percentiles equal the sorted-array percentiles on random data with ties', () => {
    const rand = seededRandom(8, -1, 1)
    for (const n of [1, 2, 7, 1000, 4097]) {
      const data = Float32Array.from({ length: n }, () => Math.round(rand() * 50))
      const sorted = data.slice().sort()
      for (const q of [0, 0.5, 1, 37.3, 50, 99.5, 100]) expect(percentile(data, q)).toBeCloseTo(percentileSorted(sorted, q), 5)
    }
  })

  it('none copies, z-score gives mean 0 and std 1', () => {
    const src = Float32Array.of(1, 2, 3, 10)
    const none = normalizeIntensities(src, { kind: 'none' })
    expect(Array.from(none)).toEqual([1, 2, 3, 10])
    expect(none).not.toBe(src)
    const [m, s] = meanStd(normalizeIntensities(src, { kind: 'z-score' }))
    expect(m).toBeCloseTo(0, 6)
    expect(s).toBeCloseTo(1, 5)
  })

  it('percentile clipping limits outliers before the z-score', () => {
    const src = Float32Array.from({ length: 101 }, (_, i) => i)
    src[100] = 1e6
    const out = normalizeIntensities(src, { kind: 'percentile-z-score', lower: 1, upper: 99 })
    // 99th percentile of 0..99,1e6 is 99; the outlier lands on the same value as 99.
    expect(out[100]).toBeCloseTo(out[99], 5)
    expect(out[0]).toBeCloseTo(out[1], 5)
    const [m, s] = meanStd(out)
    expect(m).toBeCloseTo(0, 5)
    expect(s).toBeCloseTo(1, 4)
  })

  it('a constant image stays finite', () => {
    expect(Array.from(normalizeIntensities(new Float32Array(4).fill(7), { kind: 'z-score' }))).toEqual([0, 0, 0, 0])
  })
})
