import { describe, expect, it } from 'vitest'
import { bitMaskFromBytes } from './bit-mask.ts'
import { distanceValues } from './distance-set.ts'
import { nearestDistances } from './nearest-distance.ts'
import { seededRandom } from '@spider-bench/random'

type Size = [number, number, number]

function bruteForce(source: Uint8Array, target: Uint8Array, [nx, ny]: Size, s: Size): number[] {
  const coords = (i: number) => [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))]
  const targets = [...target.keys()].filter((i) => target[i]).map(coords)
  const out: number[] = []
  source.forEach((v, i) => {
    if (!v) return
    const [x, y, z] = coords(i)
    let best = Infinity
    for (const [a, b, c] of targets) best = Math.min(best, Math.sqrt(((x - a) * s[0]) ** 2 + ((y - b) * s[1]) ** 2 + ((z - c) * s[2]) ** 2))
    out.push(best)
  })
  return out.sort((a, b) => a - b)
}

function check(source: Uint8Array, target: Uint8Array, size: Size, spacing: Size): void {
  const got = [...distanceValues(nearestDistances(bitMaskFromBytes(source, size), bitMaskFromBytes(target, size), spacing))]
  const want = bruteForce(source, target, size, spacing)
  expect(got.length).toBe(want.length)
  got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, want[i])))
}

describe('nearestDistances', () => {
  it('matches brute force for near, overlapping and boundary voxels with anisotropic spacing', () => {
    const random = seededRandom(11)
    for (let trial = 0; trial < 40; trial++) {
      const size: Size = [1 + Math.floor(random() * 40), 1 + Math.floor(random() * 12), 1 + Math.floor(random() * 12)]
      const spacing: Size = [0.3 + random() * 4, 0.3 + random() * 4, 0.3 + random() * 4]
      const n = size[0] * size[1] * size[2]
      const target = new Uint8Array(n).map(() => (random() < 0.2 ? 1 : 0))
      target[Math.floor(random() * n)] = 1
      const source = target.map((t) => (random() < 0.7 ? t : random() < 0.2 ? 1 : 0))
      check(source, target, size, spacing)
    }
  })

  it('falls back to the exact distance transform for far targets', () => {
    // One target voxel in a corner, every other voxel a source: most lie beyond the offset table.
    for (const spacing of [
      [0.5, 0.5, 0.5],
      [3.3, 0.6, 0.6],
      [0.6, 0.6, 3.3],
    ] as Size[]) {
      const size: Size = [30, 40, 20]
      const target = new Uint8Array(30 * 40 * 20)
      target[5] = 1
      check(
        target.map((t) => 1 - t),
        target,
        size,
        spacing,
      )
    }
  })

  it('returns nothing for an empty source', () => {
    const target = bitMaskFromBytes(new Uint8Array([1, 0, 0, 0]), [4, 1, 1])
    expect(nearestDistances(bitMaskFromBytes(new Uint8Array(4), [4, 1, 1]), target, [1, 1, 1]).size).toBe(0)
  })
})
