import type { Rng } from '@spider-bench/random'

/**
 * A smooth random 2D field in [-1, 1] over an (n0 x n1) pixel grid: value noise on a coarse
 * lattice (cell size in pixels) with smoothstep-bilinear interpolation. Used for tissue
 * texture (bowel, muscle) so that soft tissue is not flat.
 */
export function smoothField2D(rng: Rng, n0: number, n1: number, cell0: number, cell1: number): Float32Array {
  const c0 = Math.max(1, cell0)
  const c1 = Math.max(1, cell1)
  const m0 = Math.ceil(n0 / c0) + 2
  const m1 = Math.ceil(n1 / c1) + 2
  const lattice = new Float32Array(m0 * m1)
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.uniform(-1, 1)
  const out = new Float32Array(n0 * n1)
  const smooth = (t: number): number => t * t * (3 - 2 * t)
  for (let y = 0; y < n1; y++) {
    const fy = y / c1
    const y0 = Math.floor(fy)
    const ty = smooth(fy - y0)
    for (let x = 0; x < n0; x++) {
      const fx = x / c0
      const x0 = Math.floor(fx)
      const tx = smooth(fx - x0)
      const v00 = lattice[x0 + m0 * y0]
      const v10 = lattice[x0 + 1 + m0 * y0]
      const v01 = lattice[x0 + m0 * (y0 + 1)]
      const v11 = lattice[x0 + 1 + m0 * (y0 + 1)]
      out[x + n0 * y] = (v00 * (1 - tx) + v10 * tx) * (1 - ty) + (v01 * (1 - tx) + v11 * tx) * ty
    }
  }
  return out
}
