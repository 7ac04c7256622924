import { describe, expect, it } from 'vitest'
import { flipBlock, mirrorCombinations } from './flip.ts'
import { gaussianProfile, patchStarts } from './gaussian.ts'

describe('sliding-window helpers', () => {
  it('Gaussian profile peaks at 1 in the centre, symmetric, strictly positive', () => {
    const w = gaussianProfile(8, 0.125)
    expect(Math.max(...w)).toBe(1)
    for (let i = 0; i < 8; i++) expect(w[i]).toBeCloseTo(w[7 - i], 6)
    expect(w[3]).toBe(1)
    // sigma = 1 voxel, centre 3.5: the end voxel sits 3.5 sigma away, the peak voxels 0.5.
    expect(w[0]).toBeCloseTo(Math.exp(-(3.5 ** 2 - 0.5 ** 2) / 2), 6)
    expect(Math.min(...gaussianProfile(64, 0.01))).toBeGreaterThan(0)
  })

  it('patch starts are evenly spaced, cover the volume and never step beyond the limit', () => {
    expect(patchStarts(10, 10, 5)).toEqual([0])
    expect(patchStarts(20, 10, 5)).toEqual([0, 5, 10])
    expect(patchStarts(21, 10, 5)).toEqual([0, 4, 7, 11])
    for (const [size, patch, step] of [
      [100, 32, 16],
      [33, 32, 1],
      [77, 13, 6],
    ]) {
      const s = patchStarts(size, patch, step)
      expect(s[0]).toBe(0)
      expect(s[s.length - 1]).toBe(size - patch)
      for (let i = 1; i < s.length; i++) expect(s[i] - s[i - 1]).toBeLessThanOrEqual(step)
    }
    expect(() => patchStarts(5, 6, 1)).toThrow('patch 6 larger than the (padded) volume 5')
  })

  it('flipping twice restores the block; mirror combinations are all subsets', () => {
    const src = Float32Array.from({ length: 2 * 2 * 3 * 4 }, (_, i) => i)
    const axes = new Set(['x', 'z'] as const)
    const once = flipBlock(src, 2, [2, 3, 4], axes)
    expect(once[0]).toBe(src[(1 * 3 + 0) * 4 + 3])
    expect(Array.from(flipBlock(once, 2, [2, 3, 4], axes))).toEqual(Array.from(src))
    expect(mirrorCombinations(['x', 'y']).map((s) => [...s].sort().join(''))).toEqual(['', 'x', 'y', 'xy'])
  })
})
