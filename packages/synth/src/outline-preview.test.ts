import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { perturbMask } from './perturb-mask.ts'
import { generateSeries } from './generate-series.ts'
import { OUTLINE_COLOURS, outlinePreviewPng } from './preview.ts'

/** Decodes the RGB rows of a PNG written by encodePngRgb (one IDAT, filter 0). */
function decode(png: Buffer) {
  const width = png.readUInt32BE(16)
  const height = png.readUInt32BE(20)
  const raw = inflateSync(png.subarray(41, 41 + png.readUInt32BE(33)))
  const at = (r: number, c: number) => [...raw.subarray(r * (1 + 3 * width) + 1 + 3 * c, r * (1 + 3 * width) + 4 + 3 * c)]
  return { width, height, at }
}

describe('outlinePreviewPng', () => {
  it('draws the mid-sagittal slice with the reference outlines in green and the prediction outlines in magenta', () => {
    const { image, mask } = generateSeries(3, 1, 't2', 'small')
    const shifted = perturbMask(mask, 'shift:3', 1)
    const { width, height, at } = decode(outlinePreviewPng(image, mask, shifted))
    expect(width).toBe(Math.round(image.size[2] * image.spacing[2] * 2))
    expect(height).toBe(Math.round(image.size[1] * image.spacing[1] * 2))
    const count = (colour: readonly number[]) => {
      let n = 0
      for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) if (at(r, c).every((v, i) => v === colour[i])) n++
      return n
    }
    const green = count(OUTLINE_COLOURS.reference)
    const magenta = count(OUTLINE_COLOURS.prediction)
    expect(green).toBeGreaterThan(50)
    expect(magenta).toBeGreaterThan(50)
    // Outlines, not filled regions: most of the picture stays grey.
    expect(green + magenta).toBeLessThan(0.4 * width * height)
    // An empty prediction draws no magenta at all.
    const empty = { ...mask, data: new Uint8Array(mask.data.length) }
    const none = decode(outlinePreviewPng(image, mask, empty))
    let m = 0
    for (let r = 0; r < none.height; r++)
      for (let c = 0; c < none.width; c++) if (none.at(r, c).every((v, i) => v === OUTLINE_COLOURS.prediction[i])) m++
    expect(m).toBe(0)
  })

  it('refuses masks on another grid', () => {
    const a = generateSeries(3, 1, 't2', 'small')
    const b = generateSeries(3, 1, 't2_SPACE', 'small')
    expect(() => outlinePreviewPng(a.image, a.mask, b.mask)).toThrow(/image size 8x64x64 differs from prediction size 12x64x64/)
  })
})
