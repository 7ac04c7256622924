/**
 * Helpers for rows of packed bits (bit i of a row lives in word i >> 5, bit i & 31), used to
 * move masks between bounding-box frames that differ by any number of voxels along x.
 */

/** The 32 bits of a row starting at bit `offset` (0 past the row's `words` words). */
export function readBits(bits: Uint32Array, rowStart: number, words: number, offset: number): number {
  const w = offset >> 5
  const s = offset & 31
  const low = w < words ? bits[rowStart + w] : 0
  if (s === 0) return low
  const high = w + 1 < words ? bits[rowStart + w + 1] : 0
  return (low >>> s) | (high << (32 - s))
}

/** ORs a 32-bit word into a row at bit `offset`; bits past the row's `words` words must be 0. */
export function orBits(bits: Uint32Array, rowStart: number, words: number, offset: number, value: number): void {
  if (value === 0) return
  const w = offset >> 5
  const s = offset & 31
  bits[rowStart + w] |= value << s
  if (s !== 0 && w + 1 < words) bits[rowStart + w + 1] |= value >>> (32 - s)
}

/** Sets bits [from, to) of a row. */
export function setBitRange(bits: Uint32Array, rowStart: number, from: number, to: number): void {
  let w = from >> 5
  const last = (to - 1) >> 5
  const head = -1 << (from & 31)
  const tail = -1 >>> (31 - ((to - 1) & 31))
  if (w === last) {
    bits[rowStart + w] |= head & tail
    return
  }
  bits[rowStart + w] |= head
  for (w++; w < last; w++) bits[rowStart + w] = -1
  bits[rowStart + last] |= tail
}

export function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}
