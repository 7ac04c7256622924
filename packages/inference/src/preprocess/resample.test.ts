import { describe, expect, it } from 'vitest'
import { resampledSize, resampleLinear, resampleNearest } from './resample.ts'

describe('resampling', () => {
  it('computes the grid size at the target spacing', () => {
    expect(resampledSize([10, 100, 200], [3.3, 0.6, 0.6], [2, 1.2, 0.6])).toEqual([17, 50, 200])
    expect(resampledSize([1, 1, 1], [0.1, 0.1, 0.1], [5, 5, 5])).toEqual([1, 1, 1])
  })

  it('interpolates linearly with voxel centres aligned (align corners = false)', () => {
    // 2 → 4 voxels: centres at -0.25, 0.25, 0.75, 1.25 in source index space (clamped at the ends).
    expect(Array.from(resampleLinear(Float32Array.of(0, 4), [2, 1, 1], [4, 1, 1]))).toEqual([0, 1, 3, 4])
    // 4 → 2: centres at 0.5 and 2.5.
    expect(Array.from(resampleLinear(Float32Array.of(0, 2, 4, 6), [1, 1, 4], [1, 1, 2]))).toEqual([1, 5])
    // y axis, with x rows carried along.
    expect(Array.from(resampleLinear(Float32Array.of(0, 10, 4, 14), [2, 2, 1], [2, 4, 1]))).toEqual([0, 10, 1, 11, 3, 13, 4, 14])
  })

  it('is the identity (a copy) at the same size and preserves a linear ramp inside', () => {
    const src = Float32Array.from({ length: 24 }, (_, i) => i)
    const same = resampleLinear(src, [2, 3, 4], [2, 3, 4])
    expect(same).not.toBe(src)
    expect(Array.from(same)).toEqual(Array.from(src))
    const ramp = Float32Array.from({ length: 8 }, (_, i) => i)
    const up = resampleLinear(ramp, [8, 1, 1], [16, 1, 1])
    for (let i = 1; i < 15; i++) expect(up[i]).toBeCloseTo((i + 0.5) / 2 - 0.5, 6)
  })

  it('nearest-neighbour labels survive up- then down-sampling unchanged', () => {
    const labels = Int32Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 7) % 5)
    const up = resampleNearest(labels, [3, 4, 5], [6, 12, 5], (n) => new Int32Array(n))
    const back = resampleNearest(up, [6, 12, 5], [3, 4, 5], (n) => new Int32Array(n))
    expect(Array.from(back)).toEqual(Array.from(labels))
  })

  it('rejects a buffer that does not match its size', () => {
    expect(() => resampleLinear(new Float32Array(5), [2, 2, 2], [1, 1, 1])).toThrow('resampleLinear: 5 values for size 2x2x2')
  })
})
