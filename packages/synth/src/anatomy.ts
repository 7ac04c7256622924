import type { Rng } from '@spider-bench/random'
import { buildSpineCurve, type SpineCurve } from './spine-curve.ts'

/**
 * One vertebra (or fused sacral segment): body extent along the spine curve and the sizes of
 * its parts, in mm. Vertebrae are numbered from the bottom: 1 is the lowest labelled one
 * (usually L5); sacral segments have index <= 0 and are never labelled.
 */
export interface Vertebra {
  readonly index: number
  readonly sacral: boolean
  /** Body extent along the curve. */
  readonly sLow: number
  readonly sHigh: number
  readonly halfDepth: number
  readonly halfWidth: number
  readonly pedicleRadius: number
  readonly pedicleHalfHeight: number
  readonly laminaThickness: number
  readonly spinousLength: number
  readonly spinousHalfHeight: number
  readonly spinousHalfWidth: number
  /** Downward tilt of the spinous process, radians. */
  readonly spinousTilt: number
  /** Marrow signal factor around 1 (per-vertebra variation, e.g. Modic changes). */
  readonly marrow: number
}

/** The disc labelled 200 + index lies below vertebra `index` (201 is L5-S1 when 1 is L5). */
export interface Disc {
  readonly index: number
  readonly sLow: number
  readonly sHigh: number
  /** 0 healthy .. 1 badly degenerated (dark, flat, bulging). */
  readonly degeneration: number
}

export interface SoftTissue {
  readonly ligamentGap: number
  readonly muscleDepth: number
  readonly fatDepth: number
  readonly prevertebralFat: number
  readonly aortaRadius: number
  readonly aortaLateral: number
  readonly ivcRadius: number
  readonly ivcLateral: number
  /** Arc length of the conus medullaris tip: spinal cord above, cauda equina below. */
  readonly conusS: number
}

export interface Anatomy {
  readonly sex: 'F' | 'M'
  readonly age: number
  readonly curve: SpineCurve
  /** Sacral segments first, then vertebra 1, 2, ... upwards. */
  readonly vertebrae: readonly Vertebra[]
  readonly discs: readonly Disc[]
  readonly soft: SoftTissue
  /** Canal half sizes at the body centre of each vertebra (same order as `vertebrae`). */
  readonly canalHalfDepth: readonly number[]
  readonly canalHalfWidth: readonly number[]
}

/** Labelled vertebrae generated above the sacrum: enough to fill any field of view. */
export const VERTEBRA_COUNT = 9

const deg = Math.PI / 180

/** Draws one study's anatomy. Sizes follow adult lumbar spine averages with per-study variation. */
export function drawAnatomy(rng: Rng): Anatomy {
  const sex = rng.chance(0.6) ? 'F' : 'M'
  const age = Math.round(rng.clampedNormal(54, 15, 19, 88))
  const scale = rng.clampedNormal(sex === 'F' ? 0.95 : 1.04, 0.04, 0.85, 1.18)
  const j = (sd: number): number => rng.clampedNormal(1, sd, 1 - 2.5 * sd, 1 + 2.5 * sd)

  // Discs: lower lumbar discs degenerate more often, more so with age.
  const ageRisk = Math.min(1, Math.max(0, (age - 25) / 50))
  const discHeightBase = [10, 11, 10.5, 10, 9.5, 7, 5.5, 5, 5]
  const discDeg: number[] = []
  for (let i = 0; i < VERTEBRA_COUNT; i++) {
    const risk = 0.08 + ageRisk * (i < 2 ? 0.65 : i < 5 ? 0.4 : 0.15)
    discDeg.push(rng.chance(risk) ? rng.uniform(0.35, 1) : rng.uniform(0, 0.2))
  }

  // Body sizes (half depth AP, half width LR), lumbar (1..5) then thoracic (6..9).
  const bodyHeight = [26, 26.5, 26.5, 26, 25, 23, 22, 21, 20]
  const halfDepth = [17.5, 17.5, 17, 16.5, 16, 15, 14.5, 14, 13.5]
  const halfWidth = [25, 24, 23, 22, 21, 18, 17, 16.5, 16]

  const vertebrae: Vertebra[] = []
  // Sacral segments S1..S3 downwards from s = 0 (fused: no discs).
  const sacral = [
    { h: 28, d: 18.5, w: 27 },
    { h: 22, d: 15, w: 22 },
    { h: 18, d: 11.5, w: 16 },
  ]
  let s = 0
  const sacralVerts: Vertebra[] = []
  sacral.forEach((seg, n) => {
    const h = seg.h * scale * j(0.04)
    sacralVerts.push({
      index: -n,
      sacral: true,
      sLow: s - h,
      sHigh: s,
      halfDepth: seg.d * scale * j(0.04),
      halfWidth: seg.w * scale * j(0.04),
      pedicleRadius: 4.5 * scale,
      pedicleHalfHeight: 7 * scale,
      laminaThickness: 6 * scale,
      spinousLength: (14 - 3 * n) * scale,
      spinousHalfHeight: 6 * scale,
      spinousHalfWidth: 3.5 * scale,
      spinousTilt: 10 * deg,
      marrow: j(0.04),
    })
    s -= h - 1.5 // slight overlap fuses the segments
  })
  vertebrae.push(...sacralVerts.reverse())

  const discs: Disc[] = []
  s = 0
  for (let i = 0; i < VERTEBRA_COUNT; i++) {
    const dh = discHeightBase[i] * scale * j(0.07) * (1 - 0.35 * discDeg[i])
    discs.push({ index: i + 1, sLow: s, sHigh: s + dh, degeneration: discDeg[i] })
    s += dh
    const h = bodyHeight[i] * scale * j(0.04)
    const lumbar = i < 5
    vertebrae.push({
      index: i + 1,
      sacral: false,
      sLow: s,
      sHigh: s + h,
      halfDepth: halfDepth[i] * scale * j(0.05),
      halfWidth: halfWidth[i] * scale * j(0.05),
      pedicleRadius: (lumbar ? 4.5 : 3.6) * scale * j(0.08),
      pedicleHalfHeight: (lumbar ? 7.5 : 6.5) * scale * j(0.08),
      laminaThickness: (lumbar ? 6 : 5) * scale * j(0.1),
      spinousLength: (lumbar ? 29 : 34) * scale * j(0.1),
      spinousHalfHeight: (lumbar ? 11 : 6) * scale * j(0.1),
      spinousHalfWidth: (lumbar ? 3.5 : 3) * scale * j(0.1),
      spinousTilt: (lumbar ? rng.uniform(4, 18) : rng.uniform(30, 45)) * deg,
      marrow: rng.chance(0.1) ? rng.uniform(0.75, 1.25) : j(0.04),
    })
    s += h
  }

  // Lordosis spread over the lumbar spine (from S1 up to the top of vertebra 5).
  const lumbarTop = vertebrae.find((v) => v.index === 5)!.sHigh
  const phi0 = rng.uniform(30, 48) * deg
  const lordosis = rng.uniform(35, 65) * deg
  const curve = buildSpineCurve(
    {
      phi0,
      lordosisRate: lordosis / lumbarTop,
      phiMin: -rng.uniform(6, 16) * deg,
      sacralRate: rng.uniform(0.25, 0.5) * deg,
    },
    vertebrae[0].sLow - 20,
    s + 40,
  )

  const canalDepth = rng.clampedNormal(8, 0.8, 5.5, 10) * scale
  const canalWidth = rng.clampedNormal(11.5, 0.8, 9.5, 13.5) * scale
  const canalHalfDepth = vertebrae.map((v) =>
    v.sacral ? canalDepth * (0.65 + 0.12 * v.index) : v.index <= 5 ? canalDepth : canalDepth * 0.92,
  )
  const canalHalfWidth = vertebrae.map((v) =>
    v.sacral ? canalWidth * (0.8 + 0.12 * v.index) : v.index <= 5 ? canalWidth : canalWidth * 0.75,
  )

  const conusIndex = rng.pick([5, 5, 6])
  const conusVertebra = vertebrae.find((v) => v.index === conusIndex)!
  return {
    sex,
    age,
    curve,
    vertebrae,
    discs,
    canalHalfDepth,
    canalHalfWidth,
    soft: {
      ligamentGap: rng.uniform(1.2, 2.5),
      muscleDepth: rng.clampedNormal(55, 9, 35, 80) * scale,
      fatDepth: rng.clampedNormal(sex === 'F' ? 24 : 16, 9, 5, 55),
      prevertebralFat: rng.uniform(2, 5),
      aortaRadius: rng.uniform(8, 12),
      aortaLateral: -rng.uniform(5, 15),
      ivcRadius: rng.uniform(9, 13),
      ivcLateral: rng.uniform(15, 25),
      conusS: rng.uniform(conusVertebra.sLow, conusVertebra.sHigh),
    },
  }
}

/** Piecewise-linear interpolation of a per-vertebra value over arc length (body centres as knots). */
export function interpolateAlongSpine(anatomy: Anatomy, values: readonly number[], s: number): number {
  const vs = anatomy.vertebrae
  const mid = (i: number): number => (vs[i].sLow + vs[i].sHigh) / 2
  if (s <= mid(0)) return values[0]
  for (let i = 1; i < vs.length; i++) {
    if (s <= mid(i)) {
      const f = (s - mid(i - 1)) / (mid(i) - mid(i - 1))
      return values[i - 1] + f * (values[i] - values[i - 1])
    }
  }
  return values[vs.length - 1]
}
