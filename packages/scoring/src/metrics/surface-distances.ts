import { emptyBitMask, surfaceBits, type BitMask } from './bit-mask.ts'
import { orBits } from './bit-rows.ts'
import type { DistanceSet } from './distance-set.ts'
import type { Box, LabelMask } from './label-masks.ts'
import { nearestDistances } from './nearest-distance.ts'

/** Directed surface distances (mm) between a reference and a prediction structure. */
export interface SurfaceDistances {
  /** From each surface voxel of the prediction to the nearest reference surface voxel. */
  readonly predToTruth: DistanceSet
  /** From each surface voxel of the reference to the nearest prediction surface voxel. */
  readonly truthToPred: DistanceSet
}

/**
 * Surface distances of two label masks, measured on the union of their boxes plus one voxel
 * (clamped to the volume of `size`): the crop holds every surface voxel, so the result
 * equals the full-volume one. `spacing` is the physical length of one
 * step along array x, y and z. Both masks must be non-empty.
 */
export function surfaceDistances(
  truth: LabelMask,
  pred: LabelMask,
  size: readonly [number, number, number],
  spacing: readonly [number, number, number],
): SurfaceDistances {
  const box = cropBox(truth.box, pred.box, size)
  const gs = inFrame({ box: truth.box, mask: surfaceOf(truth) }, box)
  const ps = inFrame({ box: pred.box, mask: surfaceOf(pred) }, box)
  return {
    predToTruth: nearestDistances(ps, gs, spacing),
    truthToPred: nearestDistances(gs, ps, spacing),
  }
}

// A label's surface, computed once on its own bounding box: everything outside the box is
// background, so the box's faces behave like the image's outside. A prediction label matched
// by several reference labels reuses it.
const surfaces = new WeakMap<LabelMask, BitMask>()

function surfaceOf(m: LabelMask): BitMask {
  let s = surfaces.get(m)
  if (!s) {
    s = surfaceBits(m.mask)
    surfaces.set(m, s)
  }
  return s
}

/** A label mask copied into the frame of `box` (which contains its own box). */
function inFrame(m: LabelMask, box: Box): BitMask {
  const out = emptyBitMask([box[1] - box[0] + 1, box[3] - box[2] + 1, box[5] - box[4] + 1])
  const [, ny] = out.size
  const W = out.wordsPerRow
  const src = m.mask
  const [, sny, snz] = src.size
  const sw = src.wordsPerRow
  const dx = m.box[0] - box[0]
  for (let z = 0; z < snz; z++) {
    for (let y = 0; y < sny; y++) {
      const from = (z * sny + y) * sw
      const to = ((z + m.box[4] - box[4]) * ny + (y + m.box[2] - box[2])) * W
      for (let w = 0; w < sw; w++) orBits(out.bits, to, W, dx + (w << 5), src.bits[from + w])
    }
  }
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
