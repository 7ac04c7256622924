import type { Image3D } from '@spider-bench/scoring'
import { dilateOnce, erodeOnce, identityMap, neighbours, presentLabels, remap, type Size3 } from './label-volume.ts'
import { parsePerturbSpec, PerturbSpecError, type DropTarget, type PerturbOp } from './perturb-spec.ts'
import { Rng } from '@spider-bench/random'

const isVertebra = (v: number): boolean => v >= 1 && v <= 99
const inClass = (v: number, target: DropTarget): boolean =>
  target === 'vertebra' ? isVertebra(v) : target === 'disc' ? v > 200 : v === 100

/** A random value in 1..255 (else 256..65535) not in `used`; it is added to `used`. */
function freshLabel(rng: Rng, used: Set<number>): number {
  for (const [lo, hi] of [
    [1, 255],
    [256, 65535],
  ]) {
    const free: number[] = []
    for (let v = lo; v <= hi && free.length < 4096; v++) if (!used.has(v)) free.push(v)
    if (free.length > 0) {
      const v = rng.pick(free)
      used.add(v)
      return v
    }
  }
  throw new PerturbSpecError('no free label value left')
}

function toLabels(mask: Image3D): Uint16Array {
  if (mask.data instanceof Uint8Array || mask.data instanceof Uint16Array) return new Uint16Array(mask.data)
  const out = new Uint16Array(mask.data.length)
  for (let i = 0; i < mask.data.length; i++) {
    const v = Number(mask.data[i])
    if (!Number.isInteger(v) || v < 0 || v > 65535)
      throw new PerturbSpecError(`mask voxel ${i} has value ${v}; expected integer labels 0..65535`)
    out[i] = v
  }
  return out
}

function apply(op: PerturbOp, src: Uint16Array, size: Size3, spacing: readonly number[], rng: Rng, spec: string): Uint16Array {
  const [nx, ny, nz] = size
  switch (op.op) {
    case 'identity':
      return src
    case 'relabel': {
      const labels = presentLabels(src)
      const pool = Array.from({ length: labels.length <= 255 ? 255 : 65535 }, (_, i) => i + 1)
      const values = rng.shuffle(pool).slice(0, labels.length)
      const map = new Uint16Array(65536)
      labels.forEach((l, n) => (map[l] = values[n]))
      return remap(src, map)
    }
    case 'dilate': {
      let out = src
      for (let n = 0; n < op.k; n++) out = dilateOnce(out, size)
      return out
    }
    case 'erode': {
      let out = src
      for (let n = 0; n < op.k; n++) out = erodeOnce(out, size)
      return out
    }
    case 'shift': {
      const out = new Uint16Array(src.length)
      for (let k = 0; k < nz; k++) {
        for (let j = 0; j < ny; j++) {
          const from = j - op.k
          if (from < 0 || from >= ny) continue
          out.set(src.subarray(nx * (from + ny * k), nx * (from + ny * k) + nx), nx * (j + ny * k))
        }
      }
      return out
    }
    case 'drop': {
      const candidates = presentLabels(src).filter((v) => inClass(v, op.target))
      if (candidates.length === 0) throw new PerturbSpecError(`"${spec}": drop:${op.target}: the mask has no ${op.target} label`)
      const map = identityMap()
      map[rng.pick(candidates)] = 0
      return remap(src, map)
    }
    case 'merge': {
      const present = new Set(presentLabels(src))
      const pairs = [...present].filter((v) => isVertebra(v) && present.has(v + 1) && isVertebra(v + 1))
      if (pairs.length === 0)
        throw new PerturbSpecError(`"${spec}": merge: the mask has no two neighbouring vertebrae (labels i and i+1 in 1-99)`)
      const lower = rng.pick(pairs)
      const map = identityMap()
      map[lower + 1] = lower
      return remap(src, map)
    }
    case 'split': {
      const present = presentLabels(src)
      const candidates = present.filter(isVertebra)
      if (candidates.length === 0) throw new PerturbSpecError(`"${spec}": split: the mask has no vertebra (labels 1-99)`)
      const victim = rng.pick(candidates)
      const fresh = freshLabel(rng, new Set(present))
      // Cut at the mean y (the spine axis) of the vertebra's voxels: upper half gets the new label.
      let sum = 0
      let count = 0
      for (let idx = 0; idx < src.length; idx++) {
        if (src[idx] === victim) {
          sum += Math.floor(idx / nx) % ny
          count++
        }
      }
      const cut = sum / count
      const out = src.slice()
      for (let idx = 0; idx < src.length; idx++) if (src[idx] === victim && Math.floor(idx / nx) % ny > cut) out[idx] = fresh
      return out
    }
    case 'fp': {
      const out = src.slice()
      const used = new Set(presentLabels(src))
      for (let b = 0; b < op.n; b++) {
        let centre = -1
        for (let tries = 0; tries < 10000 && centre < 0; tries++) {
          const idx = Math.floor(rng.float() * out.length)
          if (out[idx] === 0) centre = idx
        }
        if (centre < 0) throw new PerturbSpecError(`"${spec}": fp:${op.n}: no background voxel left for blob ${b + 1}`)
        const label = freshLabel(rng, used)
        const ci = centre % nx
        const cj = Math.floor(centre / nx) % ny
        const ck = Math.floor(centre / (nx * ny))
        const rmm = rng.uniform(3, 7)
        const r = [0, 1, 2].map((a) => Math.max(0.5, rmm / spacing[a]))
        const [ri, rj, rk] = r.map((x) => Math.floor(x))
        for (let k = Math.max(0, ck - rk); k <= Math.min(nz - 1, ck + rk); k++) {
          for (let j = Math.max(0, cj - rj); j <= Math.min(ny - 1, cj + rj); j++) {
            for (let i = Math.max(0, ci - ri); i <= Math.min(nx - 1, ci + ri); i++) {
              const q = ((i - ci) / r[0]) ** 2 + ((j - cj) / r[1]) ** 2 + ((k - ck) / r[2]) ** 2
              const idx = i + nx * (j + ny * k)
              if (q <= 1 && out[idx] === 0) out[idx] = label
            }
          }
        }
      }
      return out
    }
    case 'noise': {
      const out = src.slice()
      const nb = new Int32Array(6)
      const differing = new Uint16Array(6)
      for (let k = 0; k < nz; k++) {
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const idx = i + nx * (j + ny * k)
            const v = src[idx]
            const n = neighbours(size, i, j, k, nb)
            let d = 0
            for (let m = 0; m < n; m++) if (src[nb[m]] !== v) differing[d++] = src[nb[m]]
            if (d > 0 && rng.float() < op.p) out[idx] = differing[Math.floor(rng.float() * d)]
          }
        }
      }
      return out
    }
  }
}

/**
 * A synthetic prediction: the reference mask changed by the recipe `spec` (perturb-spec.ts),
 * seeded. Geometry is kept; pixels are uint8 when every value fits, else uint16.
 */
export function perturbMask(mask: Image3D, spec: string, seed: number): Image3D {
  const ops = parsePerturbSpec(spec)
  const rng = new Rng(seed)
  let labels = toLabels(mask)
  for (const op of ops) labels = apply(op, labels, mask.size, mask.spacing, rng, spec)
  let max = 0
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i]
  return {
    size: mask.size,
    spacing: mask.spacing,
    origin: mask.origin,
    direction: mask.direction,
    componentType: max <= 255 ? 'uint8' : 'uint16',
    data: max <= 255 ? new Uint8Array(labels) : labels,
  }
}
