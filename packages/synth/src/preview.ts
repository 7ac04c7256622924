import type { Image3D } from '@spider-bench/scoring'
import { encodePngRgb } from './png.ts'

/** Overlay colour of a label: vertebrae warm, discs cool, canal green, partial vertebrae grey-violet. */
function labelColour(label: number): [number, number, number] {
  if (label === 100) return [40, 220, 80]
  if (label > 200) {
    const i = label - 201
    return [[30, 120, 255], [0, 200, 230], [120, 90, 255]][i % 3] as [number, number, number]
  }
  if (label > 100) return [200, 120, 220]
  return [[255, 70, 50], [255, 170, 0], [240, 230, 40], [255, 110, 160]][(label - 1) % 4] as [number, number, number]
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
