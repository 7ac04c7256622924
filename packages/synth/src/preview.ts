import type { Image3D } from '@spider-bench/scoring'
import { encodePngRgb } from './png.ts'

/** Overlay colour of a label: vertebrae warm, discs cool, canal green, partial vertebrae grey-violet. */
function labelColour(label: number): [number, number, number] {
  if (label === 100) return [40, 220, 80]
  if (label > 200) {
    const i = label - 201
    return [
      [30, 120, 255],
      [0, 200, 230],
      [120, 90, 255],
    ][i % 3] as [number, number, number]
  }
  if (label > 100) return [200, 120, 220]
  return [
    [255, 70, 50],
    [255, 170, 0],
    [240, 230, 40],
    [255, 110, 160],
  ][(label - 1) % 4] as [number, number, number]
}

/**
 * A PNG of the mid-sagittal slice (x = size/2), plain and with the mask blended on top, side
 * by side: superior up, anterior left, resampled to square millimetres so that anisotropic
 * spacing does not distort the anatomy.
 */
export function previewPng(image: Image3D, mask: Image3D, pixelsPerMm = 1.5, alpha = 0.45): Buffer {
  const [nx, ny, nz] = image.size
  if (mask.size[0] !== nx || mask.size[1] !== ny || mask.size[2] !== nz) {
    throw new Error(`previewPng: image size ${image.size.join('x')} differs from mask size ${mask.size.join('x')}`)
  }
  const i = Math.floor(nx / 2)
  // Window: 0 .. the 99.5th percentile of the slice.
  const values: number[] = []
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) values.push(Number(image.data[i + nx * (j + ny * k)]))
  values.sort((a, b) => a - b)
  const hi = Math.max(1, values[Math.floor(values.length * 0.995)])
  // Display grid, 1.5 pixels per mm: columns follow z (anterior -> posterior), rows follow y
  // from the top down. Left half: the image; right half: the image with the mask overlay.
  const [, sy, sz] = image.spacing
  const half = Math.max(1, Math.round(nz * sz * pixelsPerMm))
  const height = Math.max(1, Math.round(ny * sy * pixelsPerMm))
  const width = 2 * half
  const rgb = new Uint8Array(width * height * 3)
  for (let r = 0; r < height; r++) {
    const j = Math.min(ny - 1, Math.floor(((height - 1 - r + 0.5) / height) * ny))
    for (let c = 0; c < half; c++) {
      const k = Math.min(nz - 1, Math.floor(((c + 0.5) / half) * nz))
      const idx = i + nx * (j + ny * k)
      const g = Math.round(Math.min(255, Math.max(0, (Number(image.data[idx]) / hi) * 255)))
      const label = Number(mask.data[idx])
      const left = (r * width + c) * 3
      const right = left + half * 3
      rgb[left] = rgb[left + 1] = rgb[left + 2] = g
      if (label > 0) {
        const col = labelColour(label)
        for (let ch = 0; ch < 3; ch++) rgb[right + ch] = Math.round((1 - alpha) * g + alpha * col[ch])
      } else {
        rgb[right] = rgb[right + 1] = rgb[right + 2] = g
      }
    }
  }
  return encodePngRgb(width, height, rgb)
}

/**
 * The display grid of the mid-sagittal slice (x = size/2): superior up, anterior left,
 * `pixelsPerMm` pixels per millimetre so that anisotropic spacing does not distort the
 * anatomy, and the image windowed from 0 to the slice's 99.5th percentile. `voxel(r, c)` is
 * the index in `data` of the voxel shown at row r, column c; `grey(index)` its display value.
 */
function sagittalGrid(image: Image3D, pixelsPerMm: number) {
  const [nx, ny, nz] = image.size
  const i = Math.floor(nx / 2)
  const values: number[] = []
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) values.push(Number(image.data[i + nx * (j + ny * k)]))
  values.sort((a, b) => a - b)
  const hi = Math.max(1, values[Math.floor(values.length * 0.995)])
  const [, sy, sz] = image.spacing
  const width = Math.max(1, Math.round(nz * sz * pixelsPerMm))
  const height = Math.max(1, Math.round(ny * sy * pixelsPerMm))
  const rowJ = Array.from({ length: height }, (_, r) => Math.min(ny - 1, Math.floor(((height - 1 - r + 0.5) / height) * ny)))
  const colK = Array.from({ length: width }, (_, c) => Math.min(nz - 1, Math.floor(((c + 0.5) / width) * nz)))
  return {
    width,
    height,
    voxel: (r: number, c: number) => i + nx * (rowJ[r] + ny * colK[c]),
    grey: (index: number) => Math.round(Math.min(255, Math.max(0, (Number(image.data[index]) / hi) * 255))),
  }
}

function sameSize(a: Image3D, b: Image3D, what: string): void {
  if (a.size.some((v, d) => v !== b.size[d]))
    throw new Error(`outlinePreviewPng: image size ${a.size.join('x')} differs from ${what} size ${b.size.join('x')}`)
}

/** Colours of the outlines in outlinePreviewPng: reference green, prediction magenta. */
export const OUTLINE_COLOURS = { reference: [40, 220, 80], prediction: [255, 60, 220] } as const

/**
 * A PNG of the mid-sagittal slice of an image with the outlines of two label masks on the same
 * grid: the reference's structures in green, the prediction's in magenta (where both outline
 * the same pixel, the prediction's is drawn). A pixel is on an outline when it is labelled and
 * one of its four neighbours on the display grid carries another label.
 */
export function outlinePreviewPng(image: Image3D, reference: Image3D, prediction: Image3D, pixelsPerMm = 2): Buffer {
  sameSize(image, reference, 'reference')
  sameSize(image, prediction, 'prediction')
  const grid = sagittalGrid(image, pixelsPerMm)
  const { width, height } = grid
  const index = new Int32Array(width * height)
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) index[r * width + c] = grid.voxel(r, c)
  const rgb = new Uint8Array(width * height * 3)
  for (let p = 0; p < width * height; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = grid.grey(index[p])
  for (const [mask, colour] of [
    [reference, OUTLINE_COLOURS.reference],
    [prediction, OUTLINE_COLOURS.prediction],
  ] as const) {
    const label = (r: number, c: number) => Number(mask.data[index[r * width + c]])
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const l = label(r, c)
        if (l === 0) continue
        const edge =
          (r > 0 && label(r - 1, c) !== l) ||
          (r < height - 1 && label(r + 1, c) !== l) ||
          (c > 0 && label(r, c - 1) !== l) ||
          (c < width - 1 && label(r, c + 1) !== l) ||
          r === 0 ||
          c === 0 ||
          r === height - 1 ||
          c === width - 1
        if (edge) rgb.set(colour, 3 * (r * width + c))
      }
    }
  }
  return encodePngRgb(width, height, rgb)
}
