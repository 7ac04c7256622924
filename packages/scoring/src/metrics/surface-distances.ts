import type { LabelArray } from '../image/labels.ts'
import { squaredEdt } from './edt.ts'
import { surface } from './surface.ts'

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
 * `spacing` is the physical length of one step along array x, y and z.
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
  const n = crop[0] * crop[1] * crop[2]
  const g = new Uint8Array(n)
  const p = new Uint8Array(n)
  let o = 0
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      const row = (z * ny + y) * nx
      for (let i = row + x0; i <= row + x1; i++, o++) {
        g[o] = truth[i] === truthLabel ? 1 : 0
        p[o] = pred[i] === predLabel ? 1 : 0
      }
    }
  }
  const gs = surface(g, crop)
  const ps = surface(p, crop)
  return {
    predToTruth: sample(squaredEdt(gs, crop, spacing, ps), ps),
    truthToPred: sample(squaredEdt(ps, crop, spacing, gs), gs),
  }
}

// Distances at the voxels marked in `at`, in voxel order.
function sample(squared: Float64Array, at: Uint8Array): Float64Array {
  let count = 0
  for (let i = 0; i < at.length; i++) count += at[i]
  const out = new Float64Array(count)
  for (let i = 0, k = 0; i < at.length; i++) if (at[i]) out[k++] = Math.sqrt(squared[i])
  return out
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
