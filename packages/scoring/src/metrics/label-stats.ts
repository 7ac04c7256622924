import type { LabelArray } from '../image/labels.ts'

/**
 * Voxel count and bounding box of every label of a volume, from one pass over its voxels.
 * `box` holds six inclusive bounds per label value v at 6v: x0, x1, y0, y1, z0, z1.
 * `labels` lists the positive labels present, ascending.
 */
export interface LabelStats {
  readonly count: Float64Array
  readonly box: Int32Array
  readonly labels: readonly number[]
}

export function labelStats(data: LabelArray, size: readonly [number, number, number]): LabelStats {
  const [nx, ny, nz] = size
  const capacity = data instanceof Uint8Array ? 256 : 65536
  const count = new Float64Array(capacity)
  const box = new Int32Array(capacity * 6)
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx
      let x = 0
      while (x < nx) {
        const v = data[row + x]
        if (v === 0) {
          x++
          continue
        }
        // A run of equal labels updates the statistics once.
        let end = x + 1
        while (end < nx && data[row + end] === v) end++
        const b = v * 6
        if (count[v] === 0) {
          box[b] = x
          box[b + 1] = end - 1
          box[b + 2] = y
          box[b + 3] = y
          box[b + 4] = z
        } else {
          if (x < box[b]) box[b] = x
          if (end - 1 > box[b + 1]) box[b + 1] = end - 1
          if (y < box[b + 2]) box[b + 2] = y
          if (y > box[b + 3]) box[b + 3] = y
        }
        box[b + 5] = z // z only grows in this loop order
        count[v] += end - x
        x = end
      }
    }
  }
  const labels: number[] = []
  for (let v = 1; v < capacity; v++) if (count[v] > 0) labels.push(v)
  return { count, box, labels }
}
