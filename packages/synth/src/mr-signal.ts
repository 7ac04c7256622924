import { blurAxis } from './blur.ts'
import { textureAmplitudes } from './contrast.ts'
import { Rng } from '@spider-bench/random'
import type { Sequence, SeriesGrid } from './series-grid.ts'
import { smoothField2D } from './smooth-field.ts'
import { TISSUE } from './tissues.ts'

// 4096 standard normal deviates, fixed once: per-voxel noise then costs two table reads.
const GAUSS = (() => {
  const rng = new Rng(0x5eed)
  const t = new Float32Array(4096)
  for (let i = 0; i < t.length; i++) t[i] = rng.normal()
  return t
})()

/**
 * MR signal model: tissue classes -> mean signal (with texture) -> partial-volume blur across
 * slices and a slight in-plane blur -> smooth multiplicative bias field (surface coil behind
 * the patient) -> Rician noise -> int16.
 */
export function synthesizeSignal(rng: Rng, tissue: Uint8Array, grid: SeriesGrid, lut: Float32Array, sequence: Sequence): Int16Array {
  const [nx, ny, nz] = grid.size
  const [, sy, sz] = grid.spacing
  const amp = textureAmplitudes()
  // Texture over the sagittal plane: coarse (bowel loops) plus fine (mottling) octaves.
  const coarse = smoothField2D(rng, ny, nz, 14 / sy, 14 / sz)
  const fine = smoothField2D(rng, ny, nz, 5 / sy, 5 / sz)
  const signal = new Float32Array(tissue.length)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const tex = 0.65 * coarse[j + ny * k] + 0.35 * fine[j + ny * k]
      const base = nx * (j + ny * k)
      for (let i = 0; i < nx; i++) {
        const t = tissue[base + i]
        signal[base + i] = lut[t] * (1 + amp[t] * tex)
      }
    }
  }

  blurAxis(signal, grid.size, 0, sequence === 't2_SPACE' ? 0.12 : 0.2)
  blurAxis(signal, grid.size, 1, 0.18)
  blurAxis(signal, grid.size, 2, 0.18)

  // Separable bias field: stronger signal towards the posterior coil, falling off up and down.
  const posterior = rng.uniform(0.15, 0.35)
  const vertical = rng.uniform(0.05, 0.25)
  const lateral = rng.uniform(-0.08, 0.08)
  const bx = Float32Array.from({ length: nx }, (_, i) => Math.exp(lateral * ((2 * i) / Math.max(1, nx - 1) - 1)))
  const by = Float32Array.from({ length: ny }, (_, j) => Math.exp(-vertical * ((2 * j) / Math.max(1, ny - 1) - 1) ** 2))
  const bz = Float32Array.from({ length: nz }, (_, k) => Math.exp(posterior * ((2 * k) / Math.max(1, nz - 1) - 1)))

  // Rician noise: magnitude of a complex signal with Gaussian noise on both channels.
  const gain = rng.uniform(0.6, 1.8)
  const sigma = rng.uniform(0.015, 0.035) * lut[TISSUE.fat]
  let state = (rng.nextUint32() | 1) >>> 0
  const out = new Int16Array(tissue.length)
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const byz = by[j] * bz[k]
      const base = nx * (j + ny * k)
      for (let i = 0; i < nx; i++) {
        // xorshift32: one step gives both noise indices.
        state ^= state << 13
        state ^= state >>> 17
        state ^= state << 5
        const re = signal[base + i] * bx[i] * byz + sigma * GAUSS[state & 4095]
        const im = sigma * GAUSS[(state >>> 12) & 4095]
        const value = Math.round(gain * Math.sqrt(re * re + im * im))
        out[base + i] = value > 32767 ? 32767 : value
      }
    }
  }
  return out
}
