/**
 * Surface of a binary mask: its voxels with at least one of their 26 neighbours outside the
 * mask (mask XOR erosion by the 3x3x3 cube). Voxels outside the volume count as background,
 * so mask voxels on the volume's border are surface voxels. The cube erosion is separable:
 * three 3-voxel minimum passes, one per axis.
 */
export function surface(mask: Uint8Array, size: readonly [number, number, number]): Uint8Array {
  const [nx, ny, nz] = size
  const n = nx * ny * nz
  if (mask.length !== n) throw new Error(`mask has ${mask.length} voxels, size ${size.join('x')} needs ${n}`)
  const a = new Uint8Array(n)
  // Along x.
  for (let r = 0; r < ny * nz; r++) {
    const row = r * nx
    for (let x = 1; x < nx - 1; x++) {
      const i = row + x
      a[i] = mask[i - 1] & mask[i] & mask[i + 1]
    }
  }
  // Along y (borders stay 0: outside is background).
  const b = new Uint8Array(n)
  for (let z = 0; z < nz; z++) {
    for (let y = 1; y < ny - 1; y++) {
      const row = (z * ny + y) * nx
      for (let x = 0; x < nx; x++) {
        const i = row + x
        b[i] = a[i - nx] & a[i] & a[i + nx]
      }
    }
  }
  // Along z, then surface = mask and not eroded.
  const plane = nx * ny
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = mask[i]
  for (let z = 1; z < nz - 1; z++) {
    for (let i = z * plane; i < (z + 1) * plane; i++) {
      if (b[i - plane] & b[i] & b[i + plane]) out[i] = 0
    }
  }
  return out
}
