/**
 * Grid resampling between the native voxel grid and the model grid. Both grids cover the
 * same field of view (voxel centres map as in "align corners = false"), so resampling there
 * and back returns voxels to where they were. Arrays are x-fastest, sizes in ITK order.
 */
export type Size3 = readonly [number, number, number]

/** The grid size at the target spacing: the same physical extent, at least one voxel per axis. */
export function resampledSize(size: Size3, spacing: Size3, target: Size3): [number, number, number] {
  return [0, 1, 2].map((a) => Math.max(1, Math.round((size[a] * spacing[a]) / target[a]))) as [number, number, number]
}

/** Continuous source coordinate of each target voxel centre along one axis. */
function sourceCoord(i: number, from: number, to: number): number {
  return (i + 0.5) * (from / to) - 0.5
}

/** Linear interpolation along one axis of a 3D array (axis 0 = x): a separable trilinear pass. */
function linearPass(src: Float32Array, size: Size3, axis: 0 | 1 | 2, n: number): Float32Array {
  const out = [size[0], size[1], size[2]] as [number, number, number]
  out[axis] = n
  const m = size[axis]
  const lo = new Int32Array(n)
  const hi = new Int32Array(n)
  const t = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const c = Math.min(Math.max(sourceCoord(i, m, n), 0), m - 1)
    lo[i] = Math.floor(c)
    hi[i] = Math.min(lo[i] + 1, m - 1)
    t[i] = c - lo[i]
  }
  const dst = new Float32Array(out[0] * out[1] * out[2])
  const [sx, sy] = size
  const [ox, oy] = out
  if (axis === 0) {
    for (let row = 0, rows = out[1] * out[2]; row < rows; row++) {
      const s = row * sx
      const d = row * ox
      for (let i = 0; i < n; i++) dst[d + i] = src[s + lo[i]] * (1 - t[i]) + src[s + hi[i]] * t[i]
    }
  } else if (axis === 1) {
    for (let z = 0; z < out[2]; z++) {
      for (let i = 0; i < n; i++) {
        const a = (z * sy + lo[i]) * sx
        const b = (z * sy + hi[i]) * sx
        const d = (z * oy + i) * ox
        const w = t[i]
        for (let x = 0; x < sx; x++) dst[d + x] = src[a + x] * (1 - w) + src[b + x] * w
      }
    }
  } else {
    const plane = sx * sy
    for (let i = 0; i < n; i++) {
      const a = lo[i] * plane
      const b = hi[i] * plane
      const d = i * plane
      const w = t[i]
      for (let k = 0; k < plane; k++) dst[d + k] = src[a + k] * (1 - w) + src[b + k] * w
    }
  }
  return dst
}

/** Trilinear resampling of an intensity image to `to` voxels. */
export function resampleLinear(src: Float32Array, size: Size3, to: Size3): Float32Array {
  if (src.length !== size[0] * size[1] * size[2]) throw new RangeError(`resampleLinear: ${src.length} values for size ${size.join('x')}`)
  let data = src
  const cur: [number, number, number] = [size[0], size[1], size[2]]
  for (const axis of [0, 1, 2] as const) {
    if (cur[axis] === to[axis]) continue
    data = linearPass(data, cur, axis, to[axis])
    cur[axis] = to[axis]
  }
  return data === src ? src.slice() : data
}

/** Nearest-neighbour source index of each target voxel along one axis. */
function nearestIndex(from: number, to: number): Int32Array {
  const idx = new Int32Array(to)
  for (let i = 0; i < to; i++) idx[i] = Math.min(Math.max(Math.round(sourceCoord(i, from, to)), 0), from - 1)
  return idx
}

/** Nearest-neighbour resampling of a label array (any integer typed array) to `to` voxels. */
export function resampleNearest<T extends Uint8Array | Uint16Array | Int32Array>(
  src: T,
  size: Size3,
  to: Size3,
  make: (n: number) => T,
): T {
  if (src.length !== size[0] * size[1] * size[2]) throw new RangeError(`resampleNearest: ${src.length} values for size ${size.join('x')}`)
  const ix = nearestIndex(size[0], to[0])
  const iy = nearestIndex(size[1], to[1])
  const iz = nearestIndex(size[2], to[2])
  const dst = make(to[0] * to[1] * to[2])
  let d = 0
  for (let z = 0; z < to[2]; z++) {
    for (let y = 0; y < to[1]; y++) {
      const s = (iz[z] * size[1] + iy[y]) * size[0]
      for (let x = 0; x < to[0]; x++) dst[d++] = src[s + ix[x]]
    }
  }
  return dst
}
