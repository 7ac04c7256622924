import { describe, expect, it } from 'vitest'
import { blurAxis } from './blur.ts'

describe('blurAxis', () => {
  it('applies [w, 1-2w, w] along the chosen axis with replicated edges', () => {
    // 3 x 2 x 2 volume, x fastest; an impulse at (1, 0, 0).
    const size = [3, 2, 2] as const
    const x = new Float32Array(12)
    x[1] = 1
    blurAxis(x, size, 0, 0.25)
    expect(Array.from(x.subarray(0, 3))).toEqual([0.25, 0.5, 0.25])
    expect(Array.from(x.subarray(3))).toEqual(new Array(9).fill(0))

    const y = new Float32Array(12)
    y[0] = 1 // (0, 0, 0): the edge value is replicated, so 1 - w stays on it
    blurAxis(y, size, 1, 0.25)
    expect([y[0], y[3]]).toEqual([0.75, 0.25])

    const z = new Float32Array(12)
    z[6 + 2] = 1 // (2, 0, 1)
    blurAxis(z, size, 2, 0.25)
    expect([z[2], z[8]]).toEqual([0.25, 0.75])
  })

  it('keeps a constant volume constant', () => {
    const v = new Float32Array(4 * 3 * 5).fill(7)
    for (const axis of [0, 1, 2] as const) blurAxis(v, [4, 3, 5], axis, 0.2)
    for (const value of v) expect(value).toBeCloseTo(7, 5)
  })
})
