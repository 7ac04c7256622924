import type { LabelArray } from '../image/labels.ts'
import { emptyBitMask, type BitMask } from './bit-mask.ts'
import { setBitRange } from './bit-rows.ts'
import type { LabelStats } from './label-stats.ts'

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
 * The bit mask of every label of a volume over its bounding box, from one more pass over the
 * voxels (after labelStats); runs of a label set their bits a word at a time. Later steps
 * (matching, cropping, surfaces) then work on words instead of voxels.
 */
export function labelMasks(data: LabelArray, size: readonly [number, number, number], stats: LabelStats): Map<number, LabelMask> {
  const [nx, ny, nz] = size
  const n = nx * ny * nz
  const masks = new Map<number, LabelMask>()
  // Flat per-label lookups for the hot loop (label values are < 65536).
  const capacity = data instanceof Uint8Array ? 256 : 65536
  const bitsOf: Uint32Array[] = []
  const rowWords = new Int32Array(capacity)
  const frame = new Int32Array(capacity * 4) // x0, y0, z0, ny of each label's box
  for (const label of stats.labels) {
    const box = boxOf(stats, label)
    const m = emptyBitMask([box[1] - box[0] + 1, box[3] - box[2] + 1, box[5] - box[4] + 1])
    masks.set(label, { box, mask: m })
    bitsOf[label] = m.bits
    rowWords[label] = m.wordsPerRow
    frame.set([box[0], box[2], box[4], box[3] - box[2] + 1], label * 4)
  }
  const shift = data.BYTES_PER_ELEMENT === 1 ? 2 : 1
  const lane = (1 << shift) - 1
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, n >> shift) : null
  const wordCount = words ? words.length : 0
  let i = 0
  while (i < n) {
    if (words !== null && (i & lane) === 0) {
      let w = i >> shift
      while (w < wordCount && words[w] === 0) w++
      if (w > i >> shift) {
        i = w << shift
        continue
      }
    }
    const v = data[i]
    if (v === 0) {
      i++
      continue
    }
    const x = i % nx
    const rowEnd = i - x + nx
    let end = i + 1
    while (end < rowEnd && data[end] === v) end++
    const r = (i - x) / nx
    const y = r % ny
    const z = (r - y) / ny
    const f = v * 4
    const row = ((z - frame[f + 2]) * frame[f + 3] + (y - frame[f + 1])) * rowWords[v]
    setBitRange(bitsOf[v], row, x - frame[f], x - frame[f] + (end - i))
    i = end
  }
  return masks
}
