import type { LabelArray } from '../image/labels.ts'

/** The prediction label matched to a reference label, and their overlap in voxels. */
export interface Match {
  /** Stored prediction label, or 0 when the reference label overlaps no prediction voxel. */
  readonly label: number
  readonly overlap: number
}

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
  const counts = new Map<number, number>()
  // Runs of equal prediction values are counted at once: masks are piecewise constant.
  for (let z = box[at + 4]; z <= box[at + 5]; z++) {
    for (let y = box[at + 2]; y <= box[at + 3]; y++) {
      const row = (z * ny + y) * nx
      let current = 0
      let run = 0
      for (let i = row + x0; i <= row + x1; i++) {
        if (truth[i] !== label) continue
        const p = pred[i]
        if (p === current) {
          run++
        } else {
          if (current !== 0) counts.set(current, (counts.get(current) ?? 0) + run)
          current = p
          run = 1
        }
      }
      if (current !== 0) counts.set(current, (counts.get(current) ?? 0) + run)
    }
  }
  let best = 0
  let bestCount = 0
  for (const [p, c] of counts) {
    if (c > bestCount || (c === bestCount && p < best)) {
      best = p
      bestCount = c
    }
  }
  return { label: best, overlap: bestCount }
}
