import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { generateSeries } from './generate-series.ts'
import { previewPng } from './preview.ts'

describe('previewPng', () => {
  it('shows the mid-sagittal slice plain (left) and with the mask overlay (right), 1.5 px per mm', () => {
    const { image, mask } = generateSeries(3, 1, 't2', 'small')
    const png = previewPng(image, mask)
    const width = png.readUInt32BE(16)
    const height = png.readUInt32BE(20)
    const half = Math.round(image.size[2] * image.spacing[2] * 1.5)
    expect(width).toBe(2 * half)
    expect(height).toBe(Math.round(image.size[1] * image.spacing[1] * 1.5))
    // Decode the single IDAT chunk (filter byte 0 per row) and compare the two halves.
    const idatLen = png.readUInt32BE(33)
    expect(png.subarray(37, 41).toString('latin1')).toBe('IDAT')
    const raw = inflateSync(png.subarray(41, 41 + idatLen))
    let grey = 0
    let coloured = 0
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < half; c++) {
        const left = r * (1 + 3 * width) + 1 + 3 * c
        const right = left + 3 * half
        expect(raw[left]).toBe(raw[left + 1]) // the plain half is grey
        if (raw[right] !== raw[right + 1] || raw[right] !== raw[right + 2]) coloured++
        else grey++
      }
    }
    expect(coloured).toBeGreaterThan(0.05 * (coloured + grey)) // the overlay shows structures
  })

  it('refuses an image and mask of different sizes', () => {
    const a = generateSeries(3, 1, 't2', 'small')
    const b = generateSeries(3, 1, 't2_SPACE', 'small')
    expect(() => previewPng(a.image, b.mask)).toThrow(/image size 8x64x64 differs from mask size 12x64x64/)
  })
})
