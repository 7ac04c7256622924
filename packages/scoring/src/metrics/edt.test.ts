import { describe, expect, it } from 'vitest'
import { squaredEdt } from './edt.ts'
import { seededRandom } from '@spider-bench/random'

function bruteForce(
  features: Uint8Array,
  size: readonly [number, number, number],
  spacing: readonly [number, number, number],
): Float64Array {
  const [nx, ny, nz] = size
  const points: Array<[number, number, number]> = []
  for (let i = 0; i < features.length; i++) if (features[i]) points.push([i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))])
  const out = new Float64Array(features.length).fill(Infinity)
  for (let i = 0; i < features.length; i++) {
    const x = i % nx
    const y = Math.floor(i / nx) % ny
    const z = Math.floor(i / (nx * ny))
    for (const [px, py, pz] of points) {
      const d = ((x - px) * spacing[0]) ** 2 + ((y - py) * spacing[1]) ** 2 + ((z - pz) * spacing[2]) ** 2
      if (d < out[i]) out[i] = d
    }
  }
  void nz
  return out
}

describe('squaredEdt', () => {
  it('matches brute force on random volumes with random anisotropic spacing', () => {
    const random = seededRandom(42)
    for (let trial = 0; trial < 60; trial++) {
      const size: [number, number, number] = [1 + Math.floor(random() * 9), 1 + Math.floor(random() * 9), 1 + Math.floor(random() * 9)]
      const spacing: [number, number, number] = [0.2 + random() * 4, 0.2 + random() * 4, 0.2 + random() * 4]
      const density = [0.01, 0.05, 0.3, 0.8][trial % 4]
      const features = new Uint8Array(size[0] * size[1] * size[2]).map(() => (random() < density ? 1 : 0))
      if (trial % 7 === 0) features.fill(0)[Math.floor(random() * features.length)] = 1
      const expected = bruteForce(features, size, spacing)
      const got = squaredEdt(features, size, spacing)
      for (let i = 0; i < got.length; i++) {
        if (expected[i] === Infinity) expect(got[i]).toBe(Infinity)
        else expect(Math.abs(got[i] - expected[i]), `trial ${trial} voxel ${i}`).toBeLessThanOrEqual(1e-9 * Math.max(1, expected[i]))
      }
    }
  })

  it('computes every needed voxel exactly when lines are skipped', () => {
    const random = seededRandom(7)
    const size: [number, number, number] = [7, 6, 8]
    const spacing: [number, number, number] = [0.47, 3.3, 0.9]
    const features = new Uint8Array(7 * 6 * 8).map(() => (random() < 0.05 ? 1 : 0))
    const needed = new Uint8Array(features.length).map(() => (random() < 0.1 ? 1 : 0))
    const expected = bruteForce(features, size, spacing)
    const got = squaredEdt(features, size, spacing, needed)
    for (let i = 0; i < got.length; i++) if (needed[i]) expect(got[i]).toBeCloseTo(expected[i], 9)
  })

  it('uses each axis its own spacing', () => {
    // One feature at the corner of a 3x3x3 volume.
    const features = new Uint8Array(27)
    features[0] = 1
    const d = squaredEdt(features, [3, 3, 3], [0.5, 2, 3])
    expect(d[2]).toBeCloseTo(1, 12) // x = 2: (2 * 0.5)^2
    expect(d[2 * 3]).toBeCloseTo(16, 12) // y = 2: (2 * 2)^2
    expect(d[2 * 9]).toBeCloseTo(36, 12) // z = 2: (2 * 3)^2
    expect(d[1 + 3 + 9]).toBeCloseTo(0.25 + 4 + 9, 12)
  })

  it('gives Infinity everywhere without features and rejects a wrong buffer size', () => {
    expect([...squaredEdt(new Uint8Array(8), [2, 2, 2], [1, 1, 1])]).toEqual(Array(8).fill(Infinity))
    expect(() => squaredEdt(new Uint8Array(7), [2, 2, 2], [1, 1, 1])).toThrow(/7 voxels/)
  })
})
