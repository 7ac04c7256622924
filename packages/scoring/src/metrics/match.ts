import { popcount, readBits } from './bit-rows.ts'
import type { LabelMask } from './label-masks.ts'

/** The prediction label matched to a reference label, and their overlap in voxels. */
export interface Match {
  /** Stored prediction label, or 0 when the reference label overlaps no prediction voxel. */
  readonly label: number
  readonly overlap: number
}

/** Number of voxels two label masks share (words ANDed over the intersection of their boxes). */
export function overlap(a: LabelMask, b: LabelMask): number {
  const x0 = Math.max(a.box[0], b.box[0])
  const x1 = Math.min(a.box[1], b.box[1])
  const y0 = Math.max(a.box[2], b.box[2])
  const y1 = Math.min(a.box[3], b.box[3])
  const z0 = Math.max(a.box[4], b.box[4])
  const z1 = Math.min(a.box[5], b.box[5])
  if (x0 > x1 || y0 > y1 || z0 > z1) return 0
  const width = x1 - x0 + 1
  const aRows = a.box[3] - a.box[2] + 1
  const bRows = b.box[3] - b.box[2] + 1
  const aw = a.mask.wordsPerRow
  const bw = b.mask.wordsPerRow
  let total = 0
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      const aRow = ((z - a.box[4]) * aRows + (y - a.box[2])) * aw
      const bRow = ((z - b.box[4]) * bRows + (y - b.box[2])) * bw
      for (let x = 0; x < width; x += 32) {
        const keep = width - x >= 32 ? -1 : (1 << (width - x)) - 1
        const first = readBits(a.mask.bits, aRow, aw, x0 - a.box[0] + x) & keep
        if (first === 0) continue
        const both = first & readBits(b.mask.bits, bRow, bw, x0 - b.box[0] + x)
        if (both !== 0) total += popcount(both)
      }
    }
  }
  return total
}

/**
 * Matches a reference label to the prediction label with the largest overlap; a tie goes to
 * the smallest value. `predictions` holds the prediction label masks, by label.
 */
export function matchLabel(truth: LabelMask, predictions: ReadonlyMap<number, LabelMask>): Match {
  let best = 0
  let bestCount = 0
  for (const [label, pred] of predictions) {
    const count = overlap(truth, pred)
    if (count > bestCount || (count === bestCount && count > 0 && label < best)) {
      best = label
      bestCount = count
    }
  }
  return { label: best, overlap: bestCount }
}
