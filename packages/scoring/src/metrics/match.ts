import type { LabelArray } from '../image/labels.ts'

/** The prediction label matched to a reference label, and their overlap in voxels. */
export interface Match {
  /** Stored prediction label, or 0 when the reference label overlaps no prediction voxel. */
  readonly label: number
  readonly overlap: number
}

// Histogram of prediction values, reused between calls and cleared through `touched`.
const histogram = new Float64Array(65536)

/**
 * Matches reference label `label` (bounding box `box`, six inclusive bounds at `at`) to the
 * most frequent positive prediction value among its voxels; a tie goes to the smallest value.
 * Only the label's bounding box is scanned.
 */
export function matchLabel(
  truth: LabelArray,
  pred: LabelArray,
  size: readonly [number, number, number],
  label: number,
  box: Int32Array,
  at: number,
): Match {
  const [nx, ny] = size
  const x0 = box[at]
  const x1 = box[at + 1]
  const touched: number[] = []
  for (let z = box[at + 4]; z <= box[at + 5]; z++) {
    for (let y = box[at + 2]; y <= box[at + 3]; y++) {
      const row = (z * ny + y) * nx
      for (let i = row + x0; i <= row + x1; i++) {
        if (truth[i] !== label) continue
        const p = pred[i]
        if (p === 0) continue
        if (histogram[p] === 0) touched.push(p)
        histogram[p]++
      }
    }
  }
  let best = 0
  let bestCount = 0
  for (const p of touched) {
    const c = histogram[p]
    if (c > bestCount || (c === bestCount && p < best)) {
      best = p
      bestCount = c
    }
    histogram[p] = 0
  }
  return { label: best, overlap: bestCount }
}
