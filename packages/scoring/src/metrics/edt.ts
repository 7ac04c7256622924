/**
 * Exact squared Euclidean distance transform with per-axis spacing (Felzenszwalb and
 * Huttenlocher 2012): for every voxel, the squared distance in physical units to the nearest
 * feature voxel (features[i] !== 0). Linear time: an exact 1D pass along x (nearest feature
 * left and right), then lower envelopes of parabolas along y and along z.
 *
 * `needed`, when given, marks the voxels whose value the caller reads; lines along z without
 * such voxels are skipped in the last pass, so other voxels may hold partial values.
 * Voxels with no feature at all in the volume get Infinity.
 */
export function squaredEdt(
  features: Uint8Array,
  size: readonly [number, number, number],
  spacing: readonly [number, number, number],
  needed?: Uint8Array,
): Float64Array {
  const [nx, ny, nz] = size
  const n = nx * ny * nz
  if (features.length !== n) throw new Error(`features have ${features.length} voxels, size ${size.join('x')} needs ${n}`)
  const d = new Float64Array(n)
  const wx = spacing[0] * spacing[0]
  // Pass 1, x: distance to the nearest feature in the same row.
  for (let r = 0; r < ny * nz; r++) {
    const row = r * nx
    let last = -1
    for (let x = 0; x < nx; x++) {
      if (features[row + x]) last = x
      d[row + x] = last < 0 ? Infinity : x - last
    }
    last = -1
    for (let x = nx - 1; x >= 0; x--) {
      if (features[row + x]) last = x
      const right = last < 0 ? Infinity : last - x
      const best = Math.min(d[row + x], right)
      d[row + x] = best === Infinity ? Infinity : best * best * wx
    }
  }
  const maxLen = Math.max(ny, nz)
  const scratch = { f: new Float64Array(maxLen), v: new Int32Array(maxLen), z: new Float64Array(maxLen + 1) }
  // Pass 2, y.
  if (ny > 1) {
    const wy = spacing[1] * spacing[1]
    for (let z = 0; z < nz; z++) {
      for (let x = 0; x < nx; x++) envelope(d, z * nx * ny + x, nx, ny, wy, scratch)
    }
  }
  // Pass 3, z.
  if (nz > 1) {
    const wz = spacing[2] * spacing[2]
    const plane = nx * ny
    for (let i = 0; i < plane; i++) {
      if (needed && !lineNeeded(needed, i, plane, nz)) continue
      envelope(d, i, plane, nz, wz, scratch)
    }
  }
  return d
}

function lineNeeded(needed: Uint8Array, start: number, stride: number, len: number): boolean {
  for (let k = 0, i = start; k < len; k++, i += stride) if (needed[i]) return true
  return false
}

interface Scratch {
  f: Float64Array
  v: Int32Array
  z: Float64Array
}

/**
 * 1D pass in place on the line d[start + k*stride], k < len: d'(q) = min_p d(p) + w (q-p)^2.
 * Infinite samples contribute no parabola, which keeps the arithmetic free of Inf - Inf.
 */
function envelope(d: Float64Array, start: number, stride: number, len: number, w: number, s: Scratch): void {
  const { f, v, z } = s
  let k = -1
  for (let q = 0, i = start; q < len; q++, i += stride) {
    const fq = d[i]
    f[q] = fq
    if (fq === Infinity) continue
    if (k < 0) {
      k = 0
      v[0] = q
      z[0] = -Infinity
      z[1] = Infinity
      continue
    }
    let sq = 0
    for (;;) {
      const p = v[k]
      sq = (fq + w * q * q - (f[p] + w * p * p)) / (2 * w * (q - p))
      if (sq <= z[k] && k > 0) k--
      else break
    }
    if (sq <= z[k]) {
      // k === 0 and the new parabola dominates the only one left.
      v[0] = q
      z[0] = -Infinity
      z[1] = Infinity
      continue
    }
    k++
    v[k] = q
    z[k] = sq
    z[k + 1] = Infinity
  }
  if (k < 0) return // no feature on this line: stays Infinity
  let j = 0
  for (let q = 0, i = start; q < len; q++, i += stride) {
    while (z[j + 1] < q) j++
    const p = v[j]
    d[i] = w * (q - p) * (q - p) + f[p]
  }
}
