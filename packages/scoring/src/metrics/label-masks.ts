import type { LabelArray } from '../image/labels.ts'
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

/**
 * A label volume with what mask building and matching read: its statistics and, when
 * labelStats kept the runs, the runs of each label (`order[first[v]] .. order[first[v + 1] - 1]`
 * are the run numbers of label v, in scan order).
 */
export interface IndexedLabels {
  readonly data: LabelArray
  readonly size: readonly [number, number, number]
  readonly stats: LabelStats
  readonly runsByLabel: { readonly first: Int32Array; readonly order: Int32Array } | null
}

export function boxOf(stats: LabelStats, label: number): Box {
  const b = stats.box
  const i = label * 6
  return [b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]]
}

/** Groups the runs of `stats` by label (a counting sort: 4 bytes per run and per label value). */
export function indexLabels(data: LabelArray, size: readonly [number, number, number], stats: LabelStats): IndexedLabels {
  const runs = stats.runs
  if (runs === null) return { data, size, stats, runsByLabel: null }
  const first = new Int32Array(stats.count.length + 1)
  const total = runs.length / RUN_FIELDS
  for (let k = 4; k < runs.length; k += RUN_FIELDS) first[runs[k] + 1]++
  for (let v = 1; v < first.length; v++) first[v] += first[v - 1]
  const next = first.slice(0, first.length - 1)
  const order = new Int32Array(total)
  for (let r = 0; r < total; r++) order[next[runs[r * RUN_FIELDS + 4]]++] = r
  return { data, size, stats, runsByLabel: { first, order } }
}

/**
 * The bit mask of one label over its bounding box: from its runs (each sets its bits a word
 * at a time, no voxel is read again) or, when the volume kept no runs, from the voxels of
 * the box. Memory: the box's bits only, whatever the number of labels.
 */
export function labelMask(volume: IndexedLabels, label: number): LabelMask {
  const box = boxOf(volume.stats, label)
  const m = emptyBitMask([box[1] - box[0] + 1, box[3] - box[2] + 1, box[5] - box[4] + 1])
  const [mx, my] = m.size
  const W = m.wordsPerRow
  const runs = volume.stats.runs
  const index = volume.runsByLabel
  if (runs !== null && index !== null) {
    for (let k = index.first[label]; k < index.first[label + 1]; k++) {
      const r = index.order[k] * RUN_FIELDS
      const from = runs[r] - box[0]
      const row = ((runs[r + 2] - box[4]) * my + (runs[r + 1] - box[2])) * W
      setBitRange(m.bits, row, from, from + runs[r + 3])
    }
  } else {
    const [nx, ny] = volume.size
    const data = volume.data
    for (let z = box[4]; z <= box[5]; z++) {
      for (let y = box[2]; y <= box[3]; y++) {
        const start = (z * ny + y) * nx + box[0]
        const row = ((z - box[4]) * my + (y - box[2])) * W
        for (let x = 0; x < mx; x++) if (data[start + x] === label) m.bits[row + (x >>> 5)] |= 1 << (x & 31)
      }
    }
  }
  return { box, mask: m }
}

/**
 * The mask of every label at once. Their total size grows with the number of labels times
 * their boxes (a prediction of 65 535 scattered labels needs gigabytes): the scorer builds
 * one mask at a time instead; this form serves tests as the straightforward reference.
 */
export function labelMasks(stats: LabelStats, data?: LabelArray, size?: readonly [number, number, number]): Map<number, LabelMask> {
  if (stats.runs === null && (data === undefined || size === undefined))
    throw new Error('labelMasks: stats without runs need the voxels and size')
  const volume = indexLabels(data ?? new Uint8Array(0), size ?? [0, 0, 0], stats)
  return new Map(stats.labels.map((label) => [label, labelMask(volume, label)]))
}
