import type { LabelArray } from '../image/labels.ts'

/**
 * Voxel count and bounding box of every label of a volume, from one pass over its voxels.
 * `box` holds six inclusive bounds per label value v at 6v: x0, x1, y0, y1, z0, z1.
 * `labels` lists the positive labels present, ascending. `runs` lists the runs of equal
 * positive labels along x, RUN_FIELDS numbers each (x, y, z, length, label), so that later
 * steps need not scan the voxels again.
 */
export interface LabelStats {
  readonly count: Float64Array
  readonly box: Int32Array
  readonly labels: readonly number[]
  readonly runs: Int32Array
}

export const RUN_FIELDS = 5

export function labelStats(data: LabelArray, size: readonly [number, number, number]): LabelStats {
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
  let runs = new Int32Array(RUN_FIELDS * 4096)
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
    if (r5 === runs.length) {
      const grown = new Int32Array(runs.length * 2)
      grown.set(runs)
      runs = grown
    }
    runs[r5] = x
    runs[r5 + 1] = y
    runs[r5 + 2] = z
    runs[r5 + 3] = end - i
    runs[r5 + 4] = v
    r5 += RUN_FIELDS
    i = end
  }
  const labels: number[] = []
  for (let v = 1; v < capacity; v++) if (count[v] > 0) labels.push(v)
  return { count, box, labels, runs: runs.subarray(0, r5) }
}
