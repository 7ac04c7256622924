/**
 * Binary masks packed 32 voxels to a word along x: word (z * ny + y) * wordsPerRow + (x >> 5),
 * bit x & 31. Whole-word operations make erosion and surface extraction ~32x cheaper than
 * byte masks.
 */
export interface BitMask {
  readonly size: readonly [number, number, number]
  readonly wordsPerRow: number
  readonly bits: Uint32Array
}

export function emptyBitMask(size: readonly [number, number, number]): BitMask {
  const wordsPerRow = (size[0] + 31) >>> 5
  return { size, wordsPerRow, bits: new Uint32Array(wordsPerRow * size[1] * size[2]) }
}

export function bitMaskFromBytes(mask: Uint8Array, size: readonly [number, number, number]): BitMask {
  const m = emptyBitMask(size)
  const [nx, ny, nz] = size
  for (let r = 0; r < ny * nz; r++) {
    for (let x = 0; x < nx; x++) if (mask[r * nx + x]) m.bits[r * m.wordsPerRow + (x >>> 5)] |= 1 << (x & 31)
  }
  return m
}

export function bitMaskToBytes(m: BitMask): Uint8Array {
  const [nx, ny, nz] = m.size
  const out = new Uint8Array(nx * ny * nz)
  for (let r = 0; r < ny * nz; r++) {
    for (let x = 0; x < nx; x++) out[r * nx + x] = (m.bits[r * m.wordsPerRow + (x >>> 5)] >>> (x & 31)) & 1
  }
  return out
}

// Intermediate erosions, reused between calls (one scoring at a time per thread).
let scratchX = new Uint32Array(0)
let scratchY = new Uint32Array(0)

function scratch(length: number): [Uint32Array, Uint32Array] {
  if (scratchX.length < length) {
    scratchX = new Uint32Array(Math.max(length, scratchX.length * 2))
    scratchY = new Uint32Array(scratchX.length)
  }
  return [scratchX, scratchY]
}

/**
 * Surface of a mask: voxels with at least one of their 26 neighbours outside the mask or
 * outside the volume (mask AND NOT its erosion by the 3x3x3 cube, done per axis on words).
 */
export function surfaceBits(m: BitMask): BitMask {
  const [, ny, nz] = m.size
  const W = m.wordsPerRow
  const src = m.bits
  const rows = ny * nz
  // Along x within each row: a voxel survives if its left and right neighbours are set.
  const [ex, ey] = scratch(src.length)
  for (let r = 0; r < rows; r++) {
    const base = r * W
    for (let w = 0; w < W; w++) {
      const c = src[base + w]
      if (c === 0) {
        ex[base + w] = 0
        continue
      }
      const prev = w > 0 ? src[base + w - 1] : 0
      const next = w + 1 < W ? src[base + w + 1] : 0
      ex[base + w] = c & ((c << 1) | (prev >>> 31)) & ((c >>> 1) | (next << 31))
    }
  }
  // Along y, then along z; rows on the volume's faces erode to nothing.
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const base = (z * ny + y) * W
      const face = y === 0 || y === ny - 1
      for (let w = 0; w < W; w++) ey[base + w] = face ? 0 : ex[base + w - W] & ex[base + w] & ex[base + w + W]
    }
  }
  const plane = ny * W
  const out = new Uint32Array(src)
  for (let z = 1; z < nz - 1; z++) {
    for (let i = z * plane; i < (z + 1) * plane; i++) {
      const interior = ey[i - plane] & ey[i] & ey[i + plane]
      if (interior !== 0) out[i] = src[i] & ~interior
    }
  }
  return { size: m.size, wordsPerRow: W, bits: out }
}
