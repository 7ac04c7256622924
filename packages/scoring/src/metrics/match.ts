import { popcount, readBits } from './bit-rows.ts'
import type { IndexedLabels, LabelMask } from './label-masks.ts'
import { RUN_FIELDS } from './label-stats.ts'

/** The prediction label matched to a reference label, and their overlap in voxels. */
export interface Match {
  /** Stored prediction label, or 0 when the reference label overlaps no prediction voxel. */
  readonly label: number
  readonly overlap: number
}

/** Default bytes of overlap counters held at once by matchLabels (4 per reference x prediction label). */
export const DEFAULT_COUNTER_BYTES = 16 << 20

/**
 * Matches every reference label to the prediction label with the largest overlap (a tie goes
 * to the smallest value; 0 when it overlaps no prediction voxel), like matchLabel on masks,
 * without building any mask: overlaps are counted by one merge of the two volumes' runs
 * (or, when a volume kept no runs, one pass over the voxels) into a table of reference x
 * prediction labels. The table holds at most `counterBytes` (or one reference label's row,
 * 4 bytes per prediction label, if larger); more reference labels than fit take several passes.
 * Result `i` belongs to `truth.stats.labels[i]`.
 */
export function matchLabels(truth: IndexedLabels, pred: IndexedLabels, counterBytes = DEFAULT_COUNTER_BYTES): Match[] {
  const tLabels = truth.stats.labels
  const pLabels = pred.stats.labels
  const matches: Match[] = tLabels.map(() => ({ label: 0, overlap: 0 }))
  const P = pLabels.length
  if (P === 0 || tLabels.length === 0) return matches
  // Dense indices: ascending labels get ascending indices, so "smallest label" = "smallest index".
  const tIndex = new Int32Array(truth.stats.count.length).fill(-1)
  tLabels.forEach((v, i) => (tIndex[v] = i))
  const pIndex = new Int32Array(pred.stats.count.length)
  pLabels.forEach((v, i) => (pIndex[v] = i))
  const perPass = Math.max(1, Math.min(tLabels.length, Math.floor(counterBytes / (4 * P))))
  const counts = new Uint32Array(perPass * P)
  for (let from = 0; from < tLabels.length; from += perPass) {
    const to = Math.min(tLabels.length, from + perPass)
    if (from > 0) counts.fill(0)
    if (truth.stats.runs !== null && pred.stats.runs !== null)
      countRunOverlaps(truth.stats.runs, pred.stats.runs, truth.size, tIndex, pIndex, from, to, P, counts)
    else countVoxelOverlaps(truth.data, pred.data, tIndex, pIndex, from, to, P, counts)
    for (let t = from; t < to; t++) {
      let best = -1
      let bestCount = 0
      const row = (t - from) * P
      for (let p = 0; p < P; p++) {
        if (counts[row + p] > bestCount) {
          best = p
          bestCount = counts[row + p]
        }
      }
      if (best >= 0) matches[t] = { label: pLabels[best], overlap: bestCount }
    }
  }
  return matches
}

/** Adds the overlaps of reference labels with indices in [from, to) by merging two run lists in scan order. */
function countRunOverlaps(
  tRuns: Int32Array,
  pRuns: Int32Array,
  size: readonly [number, number, number],
  tIndex: Int32Array,
  pIndex: Int32Array,
  from: number,
  to: number,
  P: number,
  counts: Uint32Array,
): void {
  const [nx, ny] = size
  const start = (runs: Int32Array, r: number) => (runs[r + 2] * ny + runs[r + 1]) * nx + runs[r]
  let i = 0
  let j = 0
  // Runs of one volume never overlap one another; each is [start, end) in voxel order.
  let ts = tRuns.length > 0 ? start(tRuns, 0) : 0
  let te = ts + (tRuns[3] ?? 0)
  let ps = pRuns.length > 0 ? start(pRuns, 0) : 0
  let pe = ps + (pRuns[3] ?? 0)
  while (i < tRuns.length && j < pRuns.length) {
    if (te <= ps) {
      i += RUN_FIELDS
      if (i < tRuns.length) {
        ts = start(tRuns, i)
        te = ts + tRuns[i + 3]
      }
      continue
    }
    if (pe <= ts) {
      j += RUN_FIELDS
      if (j < pRuns.length) {
        ps = start(pRuns, j)
        pe = ps + pRuns[j + 3]
      }
      continue
    }
    const t = tIndex[tRuns[i + 4]]
    if (t >= from && t < to) counts[(t - from) * P + pIndex[pRuns[j + 4]]] += Math.min(te, pe) - Math.max(ts, ps)
    if (te <= pe) {
      i += RUN_FIELDS
      if (i < tRuns.length) {
        ts = start(tRuns, i)
        te = ts + tRuns[i + 3]
      }
    } else {
      j += RUN_FIELDS
      if (j < pRuns.length) {
        ps = start(pRuns, j)
        pe = ps + pRuns[j + 3]
      }
    }
  }
}

/** Adds the overlaps of reference labels with indices in [from, to), one voxel at a time. */
function countVoxelOverlaps(
  truth: ArrayLike<number>,
  pred: ArrayLike<number>,
  tIndex: Int32Array,
  pIndex: Int32Array,
  from: number,
  to: number,
  P: number,
  counts: Uint32Array,
): void {
  for (let i = 0; i < truth.length; i++) {
    const tv = truth[i]
    if (tv === 0) continue
    const pv = pred[i]
    if (pv === 0) continue
    const t = tIndex[tv]
    if (t >= from && t < to) counts[(t - from) * P + pIndex[pv]]++
  }
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
 * the smallest value. `predictions` holds the prediction label masks, by label. (The scorer
 * uses matchLabels, which needs no masks; this form is the reference tests compare it with.)
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
