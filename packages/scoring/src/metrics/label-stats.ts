import type { LabelArray } from '../image/labels.ts'

/**
 * Voxel count and bounding box of every label of a volume, from one pass over its voxels.
 * `box` holds six inclusive bounds per label value v at 6v: x0, x1, y0, y1, z0, z1.
 * `labels` lists the positive labels present, ascending. `runs` lists the runs of equal
 * positive labels along x in scan order, RUN_FIELDS numbers each (x, y, z, length, label), so
 * that later steps need not scan the voxels again; null when the volume has more than
 * `maxRuns` runs (later steps then read the voxels instead).
 */
export interface LabelStats {
  readonly count: Float64Array
  readonly box: Int32Array
  readonly labels: readonly number[]
  readonly runs: Int32Array | null
}

export const RUN_FIELDS = 5

/**
 * Default bound on the runs kept per volume (RUN_FIELDS * 4 bytes each: 40 MiB). Real masks
 * have a few runs per row and structure (at most 160 000 in the 97 series of bench:score, up
 * to 11 M voxels each); only volumes of scattered voxels come near it.
 */
export const DEFAULT_MAX_RUNS = 1 << 21

export function labelStats(data: LabelArray, size: readonly [number, number, number], maxRuns = DEFAULT_MAX_RUNS): LabelStats {
  if (!Number.isInteger(maxRuns) || maxRuns < 0) throw new RangeError(`maxRuns must be a whole number >= 0, got ${maxRuns}`)
  const [nx, ny, nz] = size
  const n = nx * ny * nz
  if (data.length !== n) throw new Error(`label array has ${data.length} voxels, size ${size.join('x')} needs ${n}`)
  const capacity = data instanceof Uint8Array ? 256 : 65536
  const count = new Float64Array(capacity)
  const box = new Int32Array(capacity * 6)
  // Masks are mostly background: skip 32-bit words (4 or 2 voxels) of zeros at once where
  // the buffer's alignment allows a word view.
  const shift = data.BYTES_PER_ELEMENT === 1 ? 2 : 1
  const lane = (1 << shift) - 1
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, n >> shift) : null
  const wordCount = words ? words.length : 0
  let runs: Int32Array | null = new Int32Array(RUN_FIELDS * Math.min(4096, maxRuns))
  const maxLength = RUN_FIELDS * maxRuns
  let r5 = 0
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
    // A run of equal labels within one row updates the statistics once.
    const x = i % nx
    const rowEnd = i - x + nx
    let end = i + 1
    while (end < rowEnd && data[end] === v) end++
    const r = (i - x) / nx
    const y = r % ny
    const z = (r - y) / ny
    const x1 = x + (end - i) - 1
    const b = v * 6
    if (count[v] === 0) {
      box[b] = x
      box[b + 1] = x1
      box[b + 2] = y
      box[b + 3] = y
      box[b + 4] = z
    } else {
      if (x < box[b]) box[b] = x
      if (x1 > box[b + 1]) box[b + 1] = x1
      if (y < box[b + 2]) box[b + 2] = y
      if (y > box[b + 3]) box[b + 3] = y
    }
    box[b + 5] = z // z only grows in this scan order
    count[v] += end - i
    if (runs !== null) {
      if (r5 === runs.length) {
        if (r5 >= maxLength) {
          runs = null // over budget: stop recording, keep counting
        } else {
          const grown: Int32Array = new Int32Array(Math.min(runs.length * 2, maxLength))
          grown.set(runs)
          runs = grown
        }
      }
      if (runs !== null) {
        runs[r5] = x
        runs[r5 + 1] = y
        runs[r5 + 2] = z
        runs[r5 + 3] = end - i
        runs[r5 + 4] = v
        r5 += RUN_FIELDS
      }
    }
    i = end
  }
  const labels: number[] = []
  for (let v = 1; v < capacity; v++) if (count[v] > 0) labels.push(v)
  return { count, box, labels, runs: runs === null ? null : runs.subarray(0, r5) }
}
