import { describe, expect, it } from 'vitest'
import { bitMaskFromBytes, bitMaskToBytes, surfaceBits } from './bit-mask.ts'
import { seededRandom } from '@spider-bench/random'

// Definition: a mask voxel with a 26-neighbour outside the mask or outside the volume.
function bruteForce(mask: Uint8Array, [nx, ny, nz]: readonly [number, number, number]): Uint8Array {
  const out = new Uint8Array(mask.length)
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x
        if (!mask[i]) continue
        let edge = false
        for (let dz = -1; dz <= 1; dz++)
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const [a, b, c] = [x + dx, y + dy, z + dz]
              if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz || !mask[(c * ny + b) * nx + a]) edge = true
            }
        out[i] = edge ? 1 : 0
      }
  return out
}

function surface(mask: Uint8Array, size: [number, number, number]): Uint8Array {
  return bitMaskToBytes(surfaceBits(bitMaskFromBytes(mask, size)))
}

describe('surfaceBits', () => {
  it('keeps a 3x3x3 cube but its centre', () => {
    const size: [number, number, number] = [5, 5, 5]
    const mask = new Uint8Array(125)
    for (let z = 1; z <= 3; z++) for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) mask[(z * 5 + y) * 5 + x] = 1
    const s = surface(mask, size)
    expect(s.reduce((a, b) => a + b, 0)).toBe(26)
    expect(s[(2 * 5 + 2) * 5 + 2]).toBe(0)
  })

  it('treats outside the volume as background: a full 4x4x4 volume keeps all but its inner 2x2x2', () => {
    const s = surface(new Uint8Array(64).fill(1), [4, 4, 4])
    expect(s.reduce((a, b) => a + b, 0)).toBe(64 - 8)
    expect(s[(1 * 4 + 1) * 4 + 1]).toBe(0)
    expect([...surface(new Uint8Array(6).fill(1), [6, 1, 1])]).toEqual([1, 1, 1, 1, 1, 1])
  })

  it('matches the definition on random masks', () => {
    const random = seededRandom(3)
    for (let trial = 0; trial < 40; trial++) {
      // Rows up to 70 voxels: several 32-bit words per row, partial last words.
      const size: [number, number, number] = [1 + Math.floor(random() * 70), 1 + Math.floor(random() * 8), 1 + Math.floor(random() * 8)]
      const p = [0.5, 0.8, 0.95][trial % 3]
      const mask = new Uint8Array(size[0] * size[1] * size[2]).map(() => (random() < p ? 1 : 0))
      expect([...surface(mask, size)]).toEqual([...bruteForce(mask, size)])
    }
  })
})
