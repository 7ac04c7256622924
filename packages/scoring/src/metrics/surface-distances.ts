import type { LabelArray } from '../image/labels.ts'
import { emptyBitMask, surfaceBits } from './bit-mask.ts'
import { nearestDistances } from './nearest-distance.ts'

/** Inclusive voxel box: x0, x1, y0, y1, z0, z1. */
export type Box = readonly [number, number, number, number, number, number]

/** Directed surface distances (mm) between reference label G and prediction label P. */
export interface SurfaceDistances {
  /** From each surface voxel of the prediction to the nearest reference surface voxel. */
  readonly predToTruth: Float64Array
  /** From each surface voxel of the reference to the nearest prediction surface voxel. */
  readonly truthToPred: Float64Array
}

/**
 * Surface distances of `truth == truthLabel` and `pred == predLabel`, computed on `box`
 * (the union of both bounding boxes plus one voxel, clamped to the volume): the crop holds
 * every surface voxel and a background margin, so the result equals the full-volume one.
 * `spacing` is the physical length of one step along array x, y and z. Both labels must be
 * present in the box.
 */
export function surfaceDistances(
  truth: LabelArray,
  pred: LabelArray,
  size: readonly [number, number, number],
  truthLabel: number,
  predLabel: number,
  box: Box,
  spacing: readonly [number, number, number],
): SurfaceDistances {
  const [nx, ny] = size
  const [x0, x1, y0, y1, z0, z1] = box
  const crop: [number, number, number] = [x1 - x0 + 1, y1 - y0 + 1, z1 - z0 + 1]
  const g = emptyBitMask(crop)
  const p = emptyBitMask(crop)
  const W = g.wordsPerRow
  const gb = g.bits
  const pb = p.bits
  // Bits are gathered in registers, one word store per 32 voxels.
  let row = 0
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++, row += W) {
      const start = (z * ny + y) * nx + x0
      for (let w = 0; w < W; w++) {
        const from = start + (w << 5)
        const to = Math.min(from + 32, start + crop[0])
        let gWord = 0
        let pWord = 0
        for (let i = from, bit = 1; i < to; i++, bit <<= 1) {
          if (truth[i] === truthLabel) gWord |= bit
          if (pred[i] === predLabel) pWord |= bit
        }
        gb[row + w] = gWord
        pb[row + w] = pWord
      }
    }
  }
  const gs = surfaceBits(g)
  const ps = surfaceBits(p)
  return {
    predToTruth: nearestDistances(ps, gs, spacing),
    truthToPred: nearestDistances(gs, ps, spacing),
  }
}

/** Union of two boxes grown by one voxel and clamped to the volume. */
export function cropBox(a: Box, b: Box, size: readonly [number, number, number]): Box {
  return [
    Math.max(0, Math.min(a[0], b[0]) - 1),
    Math.min(size[0] - 1, Math.max(a[1], b[1]) + 1),
    Math.max(0, Math.min(a[2], b[2]) - 1),
    Math.min(size[1] - 1, Math.max(a[3], b[3]) + 1),
    Math.max(0, Math.min(a[4], b[4]) - 1),
    Math.min(size[2] - 1, Math.max(a[5], b[5]) + 1),
  ]
}
