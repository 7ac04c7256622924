/**
 * Voxel-neighbourhood helpers for label volumes (x fastest). Neighbours are the 6 face
 * neighbours inside the image, always visited in the order -x, +x, -y, +y, -z, +z so that
 * results are deterministic.
 */
export type Size3 = readonly [number, number, number]

/** Calls fn(neighbourIndex) for each in-image face neighbour of voxel (i, j, k). */
export function forEachNeighbour(size: Size3, i: number, j: number, k: number, fn: (n: number) => void): void {
  const [nx, ny, nz] = size
  const idx = i + nx * (j + ny * k)
  if (i > 0) fn(idx - 1)
  if (i < nx - 1) fn(idx + 1)
  if (j > 0) fn(idx - nx)
  if (j < ny - 1) fn(idx + nx)
  if (k > 0) fn(idx - nx * ny)
  if (k < nz - 1) fn(idx + nx * ny)
}

/** One dilation step: each background voxel takes the first labelled neighbour's value. */
export function dilateOnce(src: Uint16Array, size: Size3): Uint16Array {
  const [nx, ny, nz] = size
  const out = src.slice()
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const idx = i + nx * (j + ny * k)
        if (src[idx] !== 0) continue
        let found = 0
        forEachNeighbour(size, i, j, k, (n) => {
          if (found === 0 && src[n] !== 0) found = src[n]
        })
        out[idx] = found
      }
    }
  }
  return out
}

/** One erosion step: each labelled voxel with a neighbour of another value becomes background. */
export function erodeOnce(src: Uint16Array, size: Size3): Uint16Array {
  const [nx, ny, nz] = size
  const out = src.slice()
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const idx = i + nx * (j + ny * k)
        const v = src[idx]
        if (v === 0) continue
        let edge = false
        forEachNeighbour(size, i, j, k, (n) => {
          if (src[n] !== v) edge = true
        })
        if (edge) out[idx] = 0
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
