import { emptyBitMask, type BitMask } from './bit-mask.ts'
import { setBitRange } from './bit-rows.ts'
import { RUN_FIELDS, type LabelStats } from './label-stats.ts'

/** Inclusive voxel box: x0, x1, y0, y1, z0, z1. */
export type Box = readonly [number, number, number, number, number, number]

/** One label's voxels as bits over its bounding box. */
export interface LabelMask {
  readonly box: Box
  readonly mask: BitMask
}

export function boxOf(stats: LabelStats, label: number): Box {
  const b = stats.box
  const i = label * 6
  return [b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]]
}

/**
 * The bit mask of every label of a volume over its bounding box, built from the runs that
 * labelStats recorded: each run sets its bits a word at a time, no voxel is read again.
 * Later steps (matching, cropping, surfaces) then work on words instead of voxels.
 */
export function labelMasks(stats: LabelStats): Map<number, LabelMask> {
  const masks = new Map<number, LabelMask>()
  const bitsOf: Uint32Array[] = []
  const rowWords: number[] = []
  const frame: number[] = [] // x0, y0, z0, ny of each label's box, at 4 * label
  for (const label of stats.labels) {
    const box = boxOf(stats, label)
    const m = emptyBitMask([box[1] - box[0] + 1, box[3] - box[2] + 1, box[5] - box[4] + 1])
    masks.set(label, { box, mask: m })
    bitsOf[label] = m.bits
    rowWords[label] = m.wordsPerRow
    frame[label * 4] = box[0]
    frame[label * 4 + 1] = box[2]
    frame[label * 4 + 2] = box[4]
    frame[label * 4 + 3] = box[3] - box[2] + 1
  }
  const runs = stats.runs
  for (let k = 0; k < runs.length; k += RUN_FIELDS) {
    const v = runs[k + 4]
    const f = v * 4
    const from = runs[k] - frame[f]
    const row = ((runs[k + 2] - frame[f + 2]) * frame[f + 3] + (runs[k + 1] - frame[f + 1])) * rowWords[v]
    setBitRange(bitsOf[v], row, from, from + runs[k + 3])
  }
  return masks
}
