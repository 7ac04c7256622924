import { interpolateAlongSpine, type Anatomy, type Vertebra } from './anatomy.ts'
import type { Rng } from '@spider-bench/random'
import { curveAt } from './spine-curve.ts'

export const SEQUENCES = ['t1', 't2', 't2_SPACE'] as const
export type Sequence = (typeof SEQUENCES)[number]
export const SIZES = ['realistic', 'small'] as const
export type SizeName = (typeof SIZES)[number]

/**
 * A series' voxel grid. ITK axes: x = left-right (the slice axis of a sagittal stack),
 * y = inferior to superior, z = anterior to posterior, identity direction. `start` is the
 * anatomy-frame position (lateral l, superior a, posterior p; mm) of voxel (0, 0, 0).
 */
export interface SeriesGrid {
  readonly size: readonly [number, number, number]
  readonly spacing: readonly [number, number, number]
  readonly start: readonly [number, number, number]
  readonly origin: readonly [number, number, number]
}

/** Superior extent [min, max] of a vertebral body: the corners of its tilted rectangle. */
export function bodyHeightRange(anatomy: Anatomy, v: Vertebra): [number, number] {
  const c = curveAt(anatomy.curve, (v.sLow + v.sHigh) / 2)
  const h = (v.sHigh - v.sLow) / 2
  const reach = h * Math.abs(Math.cos(c.phi)) + v.halfDepth * Math.abs(Math.sin(c.phi))
  return [c.a - reach, c.a + reach]
}

const round2 = (x: number): number => Math.round(x * 100) / 100

/**
 * Draws the field of view of one series: from the upper sacrum to a top that cuts through
 * a vertebral body (often) or a disc, 4 to 7 vertebrae visible; sagittal slices around the
 * midline; SPIDER-like spacing; a non-zero scanner origin (`table` is the study's table
 * position, shared by its series).
 */
export function drawSeriesGrid(
  rng: Rng,
  anatomy: Anatomy,
  sequence: Sequence,
  sizeName: SizeName,
  table: readonly [number, number, number],
): SeriesGrid {
  const space = sequence === 't2_SPACE'
  const cut = rng.chance(0.65)
  const visible = space ? rng.pick([4, 4, 5]) : cut ? rng.pick([4, 5, 5, 6, 6, 6, 7]) : rng.pick([4, 5, 5, 6])
  const top = anatomy.vertebrae.find((v) => v.index === visible)!
  const discAbove = anatomy.discs.find((d) => d.index === visible + 1)!
  const sTop = cut
    ? top.sLow + rng.uniform(0.3, 0.75) * (top.sHigh - top.sLow)
    : discAbove.sLow + rng.uniform(0.35, 0.8) * (discAbove.sHigh - discAbove.sLow)
  const aBottom = curveAt(anatomy.curve, -rng.uniform(20, 45)).a
  const aTop = curveAt(anatomy.curve, sTop).a
  const height = aTop - aBottom

  let nx: number
  let sx: number
  let inPlane: number
  if (sizeName === 'small') {
    // Tiny but complete: every structure still spans a few voxels.
    nx = space ? 12 : 8
    sx = space ? 4 : 6
    inPlane = Math.round((height / 63) * 1e4) / 1e4
  } else if (space) {
    nx = rng.int(52, 64)
    sx = 0.9
    inPlane = 0.47
  } else {
    nx = rng.int(15, 20)
    sx = round2(rng.chance(0.7) ? rng.uniform(3.3, 4) : rng.uniform(4, 4.8))
    // SPIDER-like in-plane spacing, limited so that a series never exceeds 640 x 640.
    inPlane = round2(Math.max(height / 640, rng.chance(0.75) ? rng.clampedNormal(0.6, 0.06, 0.45, 0.75) : rng.uniform(0.3, 0.9)))
  }
  const n = Math.max(16, Math.round(height / inPlane) + 1)

  // Anterior-posterior placement: the whole vertebral column in view, the back skin usually too.
  let pFront = Infinity
  let pBack = -Infinity
  for (let a = aBottom; a <= aTop; a += 5) {
    const s = Math.max(0, Math.min(anatomy.vertebrae[anatomy.vertebrae.length - 1].sHigh, a))
    const c = curveAt(anatomy.curve, s)
    const depth = interpolateAlongSpine(
      anatomy,
      anatomy.vertebrae.map((v) => v.halfDepth),
      s,
    )
    const canal = interpolateAlongSpine(anatomy, anatomy.canalHalfDepth, s)
    pFront = Math.min(pFront, c.p - depth)
    pBack = Math.max(pBack, c.p + depth + 2 * canal + anatomy.soft.muscleDepth + anatomy.soft.fatDepth + 10)
  }
  const apExtent = n * inPlane
  const p0 = Math.min(pBack + rng.uniform(5, 30) - apExtent, pFront - 25)
  const l0 = -((nx - 1) * sx) / 2 + rng.uniform(-4, 4)
  const jitter = (): number => rng.uniform(-3, 3)
  return {
    size: [nx, n, n],
    spacing: [sx, inPlane, inPlane],
    start: [l0, aBottom, p0],
    origin: [l0 + table[0] + jitter(), aBottom + table[1] + jitter(), p0 + table[2] + jitter()],
  }
}
