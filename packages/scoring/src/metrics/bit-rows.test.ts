import { describe, expect, it } from 'vitest'
import { orBits, popcount, readBits, setBitRange } from './bit-rows.ts'
import { seededRandom } from '@spider-bench/random'

const bit = (bits: Uint32Array, i: number) => (bits[i >> 5] >>> (i & 31)) & 1

describe('bit rows', () => {
  const random = seededRandom(9)

  it('setBitRange sets exactly [from, to)', () => {
    for (let trial = 0; trial < 300; trial++) {
      const bits = new Uint32Array(4)
      const from = Math.floor(random() * 127)
      const to = from + 1 + Math.floor(random() * (128 - from - 1))
      setBitRange(bits, 0, from, to)
      for (let i = 0; i < 128; i++) expect(bit(bits, i), `${from}-${to} bit ${i}`).toBe(i >= from && i < to ? 1 : 0)
    }
  })

  it('readBits and orBits move 32 bits at any offset', () => {
    for (let trial = 0; trial < 300; trial++) {
      const words = 1 + Math.floor(random() * 3)
      const src = Uint32Array.from({ length: words }, () => Math.floor(random() * 2 ** 32))
      const offset = Math.floor(random() * words * 32)
      const got = readBits(src, 0, words, offset)
      for (let k = 0; k < 32; k++) expect((got >>> k) & 1).toBe(offset + k < words * 32 ? bit(src, offset + k) : 0)
      const dst = new Uint32Array(words + 1)
      const value = Math.floor(random() * 2 ** 32) >>> Math.max(0, offset + 32 - (words + 1) * 32)
      orBits(dst, 0, words + 1, offset, value)
      for (let i = 0; i < (words + 1) * 32; i++) expect(bit(dst, i)).toBe(i >= offset && i < offset + 32 ? (value >>> (i - offset)) & 1 : 0)
    }
  })

  it('popcount counts bits', () => {
    expect([0, 1, 0xff, 0xffffffff, 0x80000001].map(popcount)).toEqual([0, 1, 8, 32, 2])
  })
})
