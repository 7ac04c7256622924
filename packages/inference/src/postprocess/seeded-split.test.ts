import { describe, expect, it } from 'vitest'
import { erodeBox, seededSplit } from './seeded-split.ts'

describe('seeded split', () => {
  it('erodes by a box, treating the outside of the volume as inside the mask', () => {
    const line = Uint8Array.of(1, 1, 1, 0, 1, 1, 1, 1)
    expect(Array.from(erodeBox(line, [8, 1, 1], [1, 0, 0]))).toEqual([1, 1, 0, 0, 0, 1, 1, 1])
  })

  it('cuts a thin bridge between two blobs in its middle', () => {
    // Two 5x5 squares joined by a one-voxel-wide bridge of length 3 (a 13x5 plane).
    const X = 13
    const Y = 5
    const mask = new Uint8Array(X * Y)
    for (let y = 0; y < Y; y++) for (let x = 0; x < X; x++) if (x < 5 || x >= 8 || y === 2) mask[y * X + x] = 1
    const plain = seededSplit([X, Y, 1], mask, [0, 0, 0], 1, 6)
    expect(plain.count).toBe(1)
    const split = seededSplit([X, Y, 1], mask, [1, 1, 0], 1, 6)
    expect(split.count).toBe(2)
    expect(split.sizes.reduce((a, b) => a + b, 0)).toBe(mask.reduce((a, b) => a + b, 0))
    const row = Array.from(split.labels.slice(2 * X, 3 * X))
    expect(row.slice(0, 6).every((l) => l === row[0])).toBe(true)
    expect(row.slice(7).every((l) => l === row[12])).toBe(true)
    expect(row[0]).not.toBe(row[12])
  })

  it('keeps parts that no seed reaches as their own components', () => {
    const mask = Uint8Array.of(1, 1, 1, 1, 1, 0, 1)
    const r = seededSplit([7, 1, 1], mask, [1, 0, 0], 1, 6)
    // The 5-voxel run keeps a seed; the single voxel at the end erodes away but stays a component.
    expect(r.count).toBe(2)
    expect(r.sizes).toEqual([5, 1])
  })
})
