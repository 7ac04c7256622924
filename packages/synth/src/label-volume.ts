/**
 * Voxel-neighbourhood helpers for label volumes (x fastest). Neighbours are the 6 face
 * neighbours inside the image, always visited in the order -x, +x, -y, +y, -z, +z so that
 * results are deterministic. Loops are written out (no callbacks): these run over millions
 * of voxels per series.
 */
export type Size3 = readonly [number, number, number]

/**
 * Writes the in-image face neighbours' indices of voxel (i, j, k) into `out` (length >= 6),
 * in the fixed order; returns how many there are.
 */
export function neighbours(size: Size3, i: number, j: number, k: number, out: Int32Array): number {
  const [nx, ny, nz] = size
  const idx = i + nx * (j + ny * k)
  let n = 0
  if (i > 0) out[n++] = idx - 1
  if (i < nx - 1) out[n++] = idx + 1
  if (j > 0) out[n++] = idx - nx
  if (j < ny - 1) out[n++] = idx + nx
  if (k > 0) out[n++] = idx - nx * ny
  if (k < nz - 1) out[n++] = idx + nx * ny
  return n
}

/** One dilation step: each background voxel takes the first labelled neighbour's value. */
export function dilateOnce(src: Uint16Array, size: Size3): Uint16Array {
  const [nx, ny, nz] = size
  const out = src.slice()
  const nb = new Int32Array(6)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const idx = i + nx * (j + ny * k)
        if (src[idx] !== 0) continue
        const n = neighbours(size, i, j, k, nb)
        for (let m = 0; m < n; m++) {
          const v = src[nb[m]]
          if (v !== 0) {
            out[idx] = v
            break
          }
        }
      }
    }
  }
  return out
}

/** One erosion step: each labelled voxel with a neighbour of another value becomes background. */
export function erodeOnce(src: Uint16Array, size: Size3): Uint16Array {
  const [nx, ny, nz] = size
  const out = src.slice()
  const nb = new Int32Array(6)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const idx = i + nx * (j + ny * k)
        const v = src[idx]
        if (v === 0) continue
        const n = neighbours(size, i, j, k, nb)
        for (let m = 0; m < n; m++) {
          if (src[nb[m]] !== v) {
            out[idx] = 0
            break
          }
        }
      }
    }
  }
  return out
}

/** Distinct positive values, ascending. */
export function presentLabels(data: Uint16Array): number[] {
  const seen = new Uint8Array(65536)
  for (let i = 0; i < data.length; i++) seen[data[i]] = 1
  const out: number[] = []
  for (let v = 1; v < seen.length; v++) if (seen[v]) out.push(v)
  return out
}

/** A copy with every value v replaced by map[v]. */
export function remap(src: Uint16Array, map: Uint16Array): Uint16Array {
  const out = new Uint16Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = map[src[i]]
  return out
}

/** The identity map on 0..65535, to be edited. */
export function identityMap(): Uint16Array {
  const map = new Uint16Array(65536)
  for (let v = 0; v < map.length; v++) map[v] = v
  return map
}
