import { crc32, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { encodePngRgb } from './png.ts'

/** Splits a PNG into chunks, checking each CRC with node's zlib.crc32. */
function chunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const out: Array<{ type: string; data: Buffer }> = []
  let pos = 8
  while (pos < png.length) {
    const len = png.readUInt32BE(pos)
    const type = png.subarray(pos + 4, pos + 8).toString('latin1')
    const data = png.subarray(pos + 8, pos + 8 + len)
    expect(png.readUInt32BE(pos + 8 + len)).toBe(crc32(png.subarray(pos + 4, pos + 8 + len)))
    out.push({ type, data })
    pos += 12 + len
  }
  return out
}

describe('encodePngRgb', () => {
  it('writes a valid RGB PNG whose pixels decode back', () => {
    const rgb = Uint8Array.from({ length: 3 * 4 * 2 }, (_, i) => (i * 37) % 256)
    const parts = chunks(encodePngRgb(4, 2, rgb))
    expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND'])
    const ihdr = parts[0].data
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([4, 2, 8, 2])
    const raw = inflateSync(parts[1].data)
    expect(raw.length).toBe(2 * (1 + 12))
    expect(raw[0]).toBe(0)
    expect([...raw.subarray(1, 13)]).toEqual([...rgb.subarray(0, 12)])
    expect([...raw.subarray(14, 26)]).toEqual([...rgb.subarray(12, 24)])
  })

  it('rejects a buffer that does not match the size', () => {
    expect(() => encodePngRgb(4, 2, new Uint8Array(5))).toThrow(/expected 24 bytes for 4 x 2 RGB, got 5/)
    expect(() => encodePngRgb(0, 2, new Uint8Array(0))).toThrow(/invalid size 0 x 2/)
  })
})
