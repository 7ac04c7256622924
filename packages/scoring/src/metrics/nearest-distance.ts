import { bitMaskToBytes, type BitMask } from './bit-mask.ts'
import { popcount } from './bit-rows.ts'
import type { DistanceSet } from './distance-set.ts'
import { squaredEdt } from './edt.ts'

/**
 * Offsets (voxel steps) sorted by physical length, covering the whole ball of radius
 * `radius` (half-widths hx, hy, hz voxels): the first offset from a query that lands on a
 * target voxel gives the exact distance to the nearest target voxel, provided that distance
 * is at most `radius`.
 */
interface OffsetTable {
  readonly dx: Int32Array
  readonly dy: Int32Array
  readonly dz: Int32Array
  readonly length: Float64Array
  readonly half: readonly [number, number, number]
}

// About this many offsets: enough for predictions that follow the reference within a few
// voxels; farther surfaces fall back to the exact distance transform.
const OFFSET_BUDGET = 1500
const tables = new Map<string, OffsetTable>()

function offsetTable(spacing: readonly [number, number, number]): OffsetTable {
  const key = spacing.join(',')
  const cached = tables.get(key)
  if (cached) return cached
  const [sx, sy, sz] = spacing
  const radius = Math.max(Math.cbrt(((OFFSET_BUDGET * 3) / (4 * Math.PI)) * sx * sy * sz), Math.max(sx, sy, sz))
  const half: [number, number, number] = [Math.floor(radius / sx), Math.floor(radius / sy), Math.floor(radius / sz)]
  const candidates = (2 * half[0] + 1) * (2 * half[1] + 1) * (2 * half[2] + 1)
  const cx = new Int32Array(candidates)
  const cy = new Int32Array(candidates)
  const cz = new Int32Array(candidates)
  const cl = new Float64Array(candidates)
  let n = 0
  for (let z = -half[2]; z <= half[2]; z++)
    for (let y = -half[1]; y <= half[1]; y++)
      for (let x = -half[0]; x <= half[0]; x++) {
        const length = Math.sqrt((x * sx) ** 2 + (y * sy) ** 2 + (z * sz) ** 2)
        if (length > radius) continue
        cx[n] = x
        cy[n] = y
        cz[n] = z
        cl[n++] = length
      }
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => cl[a] - cl[b])
  const table = {
    dx: Int32Array.from(order, (i) => cx[i]),
    dy: Int32Array.from(order, (i) => cy[i]),
    dz: Int32Array.from(order, (i) => cz[i]),
    length: Float64Array.from(order, (i) => cl[i]),
    half,
  }
  if (tables.size > 64) tables.clear()
  tables.set(key, table)
  return table
}

// Reused between calls (one scoring at a time per thread); zeroed before each use.
let padded = new Uint8Array(0)

/**
 * The exact Euclidean distances (physical units, `spacing` per array axis x, y, z) from each
 * set voxel of `source` to the nearest set voxel of `target` (same size, not empty), as a
 * distance set. Near targets are found by scanning offsets in order of length on a padded byte
 * copy of the target (no bounds checks); when many sources lie farther than the table
 * reaches, the rest is answered by the exact distance transform.
 */
export function nearestDistances(source: BitMask, target: BitMask, spacing: readonly [number, number, number]): DistanceSet {
  const [nx, ny, nz] = target.size
  const W = target.wordsPerRow
  const { dx, dy, dz, length, half } = offsetTable(spacing)
  const [hx, hy, hz] = half
  const px = nx + 2 * hx
  const py = ny + 2 * hy
  const cells = px * py * (nz + 2 * hz)
  if (padded.length < cells) padded = new Uint8Array(Math.max(cells, padded.length * 2))
  const grid = padded
  grid.fill(0, 0, cells)
  for (let r = 0; r < ny * nz; r++) {
    const y = r % ny
    const base = (((r - y) / ny + hz) * py + y + hy) * px + hx
    for (let w = 0; w < W; w++) {
      let word = target.bits[r * W + w]
      while (word !== 0) {
        const low = word & -word
        word ^= low
        grid[base + (w << 5) + 31 - Math.clz32(low)] = 1
      }
    }
  }
  const offsets = length.length
  const delta = new Int32Array(offsets)
  for (let k = 0; k < offsets; k++) delta[k] = (dz[k] * py + dy[k]) * px + dx[k]

  // Counts per offset (index 0: source voxels that are target voxels too, distance 0).
  const counts = new Float64Array(offsets)
  const unresolved: number[] = [] // linear voxel indices
  let searched = 0
  for (let r = 0; r < ny * nz; r++) {
    const y = r % ny
    const z = (r - y) / ny
    const rowBase = ((z + hz) * py + y + hy) * px + hx
    for (let w = 0; w < W; w++) {
      const src = source.bits[r * W + w]
      if (src === 0) continue
      const both = src & target.bits[r * W + w]
      if (both !== 0) counts[0] += popcount(both)
      let word = src & ~both
      while (word !== 0) {
        const low = word & -word
        word ^= low
        const x = (w << 5) + 31 - Math.clz32(low)
        // Give up searching once many sources lie beyond the table: the transform is cheaper.
        if (unresolved.length < 32 || unresolved.length * 16 < searched) {
          searched++
          const base = rowBase + x
          let k = 1
          while (k < offsets && grid[base + delta[k]] === 0) k++
          if (k < offsets) {
            counts[k]++
            continue
          }
        }
        unresolved.push(r * nx + x)
      }
    }
  }
  const extra = new Float64Array(unresolved.length)
  if (unresolved.length > 0) {
    const needed = new Uint8Array(nx * ny * nz)
    for (const i of unresolved) needed[i] = 1
    const squared = squaredEdt(bitMaskToBytes(target), target.size, spacing, needed)
    unresolved.forEach((i, u) => (extra[u] = Math.sqrt(squared[i])))
  }
  let size = extra.length
  for (let k = 0; k < offsets; k++) size += counts[k]
  return { lengths: length, counts, extra, size }
}
