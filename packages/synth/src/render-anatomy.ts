import { interpolateAlongSpine, type Anatomy, type Disc, type Vertebra } from './anatomy.ts'
import { bodyHeightRange, type SeriesGrid } from './series-grid.ts'
import { curveAt, sAtHeight } from './spine-curve.ts'
import { TISSUE, marrowTissue, nucleusTissue } from './tissues.ts'

/** Label values of the reference masks (SCORING.md). */
export const CANAL_LABEL = 100
export const PARTIAL_VERTEBRA_OFFSET = 100
export const DISC_OFFSET = 200

export interface RenderedAnatomy {
  /** Reference mask, SPIDER label scheme. */
  readonly labels: Uint8Array
  /** Tissue class per voxel (tissues.ts), the input of the MR signal model. */
  readonly tissue: Uint8Array
}

/** A rigid in-plane frame on the spine: centre (p, a) and tangent angle. */
interface Frame {
  readonly p: number
  readonly a: number
  readonly sin: number
  readonly cos: number
}

const frameAt = (anatomy: Anatomy, s: number): Frame => {
  const c = curveAt(anatomy.curve, s)
  return { p: c.p, a: c.a, sin: Math.sin(c.phi), cos: Math.cos(c.phi) }
}

/** Index range [lo, hi] of grid axis `axis` covering physical [min, max] (anatomy frame). */
function indexRange(grid: SeriesGrid, axis: 0 | 1 | 2, min: number, max: number): [number, number] {
  const s = grid.spacing[axis]
  const lo = Math.max(0, Math.ceil((min - grid.start[axis]) / s))
  const hi = Math.min(grid.size[axis] - 1, Math.floor((max - grid.start[axis]) / s))
  return [lo, hi]
}

/** Bounding (a, p) ranges of a local box u in [u0, u1], v in [v0, v1] placed in a frame. */
function frameBox(f: Frame, u0: number, u1: number, v0: number, v1: number): { a: [number, number]; p: [number, number] } {
  const a: [number, number] = [Infinity, -Infinity]
  const p: [number, number] = [Infinity, -Infinity]
  for (const u of [u0, u1]) {
    for (const v of [v0, v1]) {
      // Local axes: u along the tangent (-sin, cos), v along the posterior normal (cos, sin).
      const pp = f.p - u * f.sin + v * f.cos
      const aa = f.a + u * f.cos + v * f.sin
      a[0] = Math.min(a[0], aa)
      a[1] = Math.max(a[1], aa)
      p[0] = Math.min(p[0], pp)
      p[1] = Math.max(p[1], pp)
    }
  }
  return { a, p }
}

/**
 * Rasterises one study's anatomy on a series grid: the reference mask and a tissue map.
 * Shapes are analytic (superquadrics in each vertebra's frame) and evaluated at voxel
 * centres within bounding boxes, so the mask is exactly what the image shows.
 */
export function renderAnatomy(anatomy: Anatomy, grid: SeriesGrid): RenderedAnatomy {
  const [nx, ny, nz] = grid.size
  const labels = new Uint8Array(nx * ny * nz)
  const tissue = new Uint8Array(nx * ny * nz)
  renderBackground(anatomy, grid, labels, tissue)

  const aFirst = grid.start[1]
  const aLast = grid.start[1] + (ny - 1) * grid.spacing[1]
  for (const disc of anatomy.discs) renderDisc(anatomy, grid, disc, labels, tissue)
  for (const v of anatomy.vertebrae) {
    const [amin, amax] = bodyHeightRange(anatomy, v)
    if (amax < aFirst || amin > aLast) continue // body outside the field of view: not drawn
    const complete = amin >= aFirst && amax <= aLast
    const label = v.sacral ? 0 : complete ? v.index : PARTIAL_VERTEBRA_OFFSET + v.index
    renderVertebra(anatomy, grid, v, label, labels, tissue)
  }
  return { labels, tissue }
}

/** Soft tissue layers, vessels and the spinal canal (label 100), row by row along the spine. */
function renderBackground(anatomy: Anatomy, grid: SeriesGrid, labels: Uint8Array, tissue: Uint8Array): void {
  const [nx, ny, nz] = grid.size
  const [sx, sy, sz] = grid.spacing
  const [l0, a0, p0] = grid.start
  const soft = anatomy.soft
  const depths = anatomy.vertebrae.map((v) => v.halfDepth)
  const widths = anatomy.vertebrae.map((v) => v.halfWidth)
  const canalOffset = (s: number): number =>
    interpolateAlongSpine(anatomy, depths, s) + soft.ligamentGap + interpolateAlongSpine(anatomy, anatomy.canalHalfDepth, s)

  for (let j = 0; j < ny; j++) {
    const a = a0 + j * sy
    // Body centre line at this height.
    const sB = sAtHeight(anatomy.curve, a)
    const cB = curveAt(anatomy.curve, sB)
    const cosB = Math.cos(cB.phi)
    const depth = interpolateAlongSpine(anatomy, depths, sB)
    const width = interpolateAlongSpine(anatomy, widths, sB)
    // Canal centre line: offset behind the bodies along the normal.
    const sC = sAtHeight(anatomy.curve, a, canalOffset)
    const cC = curveAt(anatomy.curve, sC)
    const cosC = Math.cos(cC.phi)
    const offC = canalOffset(sC)
    const pCanal = cC.p + offC * cosC
    const cd = interpolateAlongSpine(anatomy, anatomy.canalHalfDepth, sC)
    const cw = interpolateAlongSpine(anatomy, anatomy.canalHalfWidth, sC)
    const cordScale = sC > soft.conusS ? Math.min(1, 0.35 + (sC - soft.conusS) / 20) : 0
    const cordRv = 3.6 * cordScale
    const cordRl = 4.8 * cordScale

    // Layer boundaries along the posterior normal, measured from the body centre line.
    const vFront = -depth
    const vVessel = vFront - soft.prevertebralFat
    const vLamina = depth + soft.ligamentGap + 2 * cd
    // The back bulges a little between levels: muscle depth varies smoothly with height.
    const vMuscleEnd = vLamina + 6 + soft.muscleDepth * (1 + 0.08 * Math.sin(a / 45))
    const vFatEnd = vMuscleEnd + soft.fatDepth
    const vSkinEnd = vFatEnd + 2.5

    for (let k = 0; k < nz; k++) {
      const p = p0 + k * sz
      const v = (p - cB.p) * cosB
      const vc = (p - pCanal) * cosC
      const base = nx * (j + ny * k)
      for (let i = 0; i < nx; i++) {
        const l = l0 + i * sx
        let t: number
        let label = 0
        const canalR = (vc / cd) ** 2 + (l / cw) ** 2
        if (canalR <= 1) {
          label = 100
          t = TISSUE.csf
          if (cordScale > 0 && (vc / cordRv) ** 2 + (l / cordRl) ** 2 <= 1) t = TISSUE.cord
          else if (cordScale === 0 && ((vc - 0.3 * cd) / (0.5 * cd)) ** 2 + (l / (0.55 * cw)) ** 2 <= 1) t = TISSUE.cauda
        } else if (v < vVessel) {
          const va = vVessel - soft.aortaRadius
          const vi = vVessel - soft.ivcRadius
          if ((v - va) ** 2 + (l - soft.aortaLateral) ** 2 <= soft.aortaRadius ** 2) t = TISSUE.vessel
          else if ((v - vi) ** 2 + (l - soft.ivcLateral) ** 2 <= soft.ivcRadius ** 2) t = TISSUE.vessel
          else t = TISSUE.abdomen
        } else if (v <= depth) {
          t = Math.abs(l) > width ? TISSUE.muscle : TISSUE.fat // psoas beside the bodies
        } else if (v <= vLamina + 6) {
          // Epidural fat around the canal; ligamentum flavum behind it.
          t = v > vLamina - 1 && Math.abs(l) < cw ? TISSUE.ligament : TISSUE.fat
        } else if (v <= vMuscleEnd) {
          t = Math.abs(l) < 2.5 ? TISSUE.ligament : TISSUE.muscle
        } else if (v <= vFatEnd) t = TISSUE.fat
        else if (v <= vSkinEnd) t = TISSUE.skin
        else t = TISSUE.air
        tissue[base + i] = t
        labels[base + i] = label
      }
    }
  }
}

/**
 * A disc fills the wedge between the upper endplate of the vertebra below and the lower
 * endplate of the one above, within an ellipse slightly wider than the bodies (bulge).
 */
function renderDisc(anatomy: Anatomy, grid: SeriesGrid, disc: Disc, labels: Uint8Array, tissue: Uint8Array): void {
  const below = anatomy.vertebrae.find((v) => v.index === disc.index - 1)
  const above = anatomy.vertebrae.find((v) => v.index === disc.index)
  if (!below || !above) return
  const fl = frameAt(anatomy, (below.sLow + below.sHigh) / 2)
  const fu = frameAt(anatomy, (above.sLow + above.sHigh) / 2)
  const fm = frameAt(anatomy, (disc.sLow + disc.sHigh) / 2)
  const hl = (below.sHigh - below.sLow) / 2
  const hu = (above.sHigh - above.sLow) / 2
  const overlap = 1.5
  const bulge = 1.03 + 0.06 * disc.degeneration
  const dAnt = ((below.halfDepth + above.halfDepth) / 2) * 1.02
  const dPost = dAnt * bulge
  const w = ((below.halfWidth + above.halfWidth) / 2) * 1.02
  const half = (disc.sHigh - disc.sLow) / 2 + overlap + 2 + dPost * Math.abs(fu.sin * fl.cos - fu.cos * fl.sin)
  const box = frameBox(fm, -half, half, -dAnt, dPost)
  const [i0, i1] = indexRange(grid, 0, -w, w)
  const [j0, j1] = indexRange(grid, 1, box.a[0], box.a[1])
  const [k0, k1] = indexRange(grid, 2, box.p[0], box.p[1])
  const [nx, ny] = grid.size
  const [sx, sy, sz] = grid.spacing
  const [l0, a0, p0] = grid.start
  const label = DISC_OFFSET + disc.index
  const nucleus = nucleusTissue(disc.index)
  const nucleusR = 0.4 * (1 - 0.4 * disc.degeneration)
  for (let k = k0; k <= k1; k++) {
    const p = p0 + k * sz
    for (let j = j0; j <= j1; j++) {
      const a = a0 + j * sy
      const ul = -(p - fl.p) * fl.sin + (a - fl.a) * fl.cos
      if (ul < hl - overlap) continue
      const uu = -(p - fu.p) * fu.sin + (a - fu.a) * fu.cos
      if (uu > -hu + overlap) continue
      const vm = (p - fm.p) * fm.cos + (a - fm.a) * fm.sin
      const dv = vm > 0 ? vm / dPost : vm / dAnt
      const inner = ul > hl + 1.2 && uu < -hu - 1.2
      const base = nx * (j + ny * k)
      for (let i = i0; i <= i1; i++) {
        const l = l0 + i * sx
        const r2 = dv * dv + (l / w) ** 2
        if (r2 > 1) continue
        labels[base + i] = label
        tissue[base + i] = inner && r2 < nucleusR ? nucleus : TISSUE.annulus
      }
    }
  }
}

/** Vertebral body (rounded cylinder), pedicles, lamina, articular processes, spinous process. */
function renderVertebra(anatomy: Anatomy, grid: SeriesGrid, v: Vertebra, label: number, labels: Uint8Array, tissue: Uint8Array): void {
  const sMid = (v.sLow + v.sHigh) / 2
  const f = frameAt(anatomy, sMid)
  const h = (v.sHigh - v.sLow) / 2
  const d = v.halfDepth
  const w = v.halfWidth
  const cd = interpolateAlongSpine(anatomy, anatomy.canalHalfDepth, sMid)
  const cw = interpolateAlongSpine(anatomy, anatomy.canalHalfWidth, sMid)
  const discBelow = anatomy.discs.find((x) => x.index === v.index)
  const discAbove = anatomy.discs.find((x) => x.index === v.index + 1)
  const gapBelow = discBelow ? discBelow.sHigh - discBelow.sLow : 1.5
  const gapAbove = discAbove ? discAbove.sHigh - discAbove.sLow : 1.5

  const pr = v.pedicleRadius
  const ph = v.pedicleHalfHeight
  const lc = cw + 0.7 * pr // pedicles form the lateral walls of the canal
  const vPed0 = d - 6
  const vLam0 = d + anatomy.soft.ligamentGap + 2 * cd - 1
  const lt = v.laminaThickness
  const lamW = lc + pr
  const lamU = -0.25 * h
  const lamH = 0.75 * h
  const lamV = vLam0 + lt / 2
  const lamHv = lt / 2 + 0.5
  const facL = lc + 0.2 * pr
  const facV = vLam0 - 1
  const facR = 5.5 * (pr / 4.5)
  const facU0 = -h - 0.45 * gapBelow
  const facU1 = h + 0.45 * gapAbove
  const facUc = (facU0 + facU1) / 2
  const facUh = (facU1 - facU0) / 2
  const spV0 = vLam0 + lt - 2
  const sl = v.spinousLength
  const spTan = Math.tan(v.spinousTilt)
  const spHalf = sl / 2
  const spMid = spV0 + spHalf

  const uMin = Math.min(-h, facU0, lamU - lamH, lamU - spTan * sl - v.spinousHalfHeight) - 1
  const uMax = Math.max(h, facU1, lamU + lamH, lamU + v.spinousHalfHeight) + 1
  const box = frameBox(f, uMin, uMax, -d - 1, spV0 + sl + 1)
  const lMax = Math.max(w, facL + facR, lamW)
  const [i0, i1] = indexRange(grid, 0, -lMax, lMax)
  const [j0, j1] = indexRange(grid, 1, box.a[0], box.a[1])
  const [k0, k1] = indexRange(grid, 2, box.p[0], box.p[1])
  const [nx, ny] = grid.size
  const [sx, sy, sz] = grid.spacing
  const [l0, a0, p0] = grid.start
  const marrow = marrowTissue(v.index)

  for (let k = k0; k <= k1; k++) {
    const p = p0 + k * sz
    for (let j = j0; j <= j1; j++) {
      const a = a0 + j * sy
      const u = -(p - f.p) * f.sin + (a - f.a) * f.cos
      const vv = (p - f.p) * f.cos + (a - f.a) * f.sin
      if (u < uMin || u > uMax) continue
      const uh4 = (u / h) ** 4
      const inBodyRange = uh4 < 1 && vv >= -d && vv <= d
      const inPedicle = vv >= vPed0 && vv <= vLam0 + 1 && Math.abs(u - 0.3 * h) <= ph
      const lamQ = ((u - lamU) / lamH) ** 4 + ((vv - lamV) / lamHv) ** 4
      const inFacetBand = Math.abs(vv - facV) <= facR && Math.abs(u - facUc) <= facUh
      const st = (vv - spV0) / sl
      const inSpinous = st >= 0 && st <= 1
      if (!inBodyRange && !inPedicle && lamQ >= 1 && !inFacetBand && !inSpinous) continue
      const spU = lamU - spTan * (vv - spV0)
      const spH = v.spinousHalfHeight * (1 - 0.35 * st)
      const spQ = ((u - spU) / spH) ** 2 + ((vv - spMid) / spHalf) ** 8
      const base = nx * (j + ny * k)
      for (let i = i0; i <= i1; i++) {
        const l = l0 + i * sx
        const al = Math.abs(l)
        let t = -1
        if (inBodyRange) {
          const r2 = (l / w) ** 2 + (vv / d) ** 2
          const q = r2 * r2 + uh4
          if (q <= 1) t = q > 0.72 ? TISSUE.cortex : marrow
        }
        if (t < 0 && inPedicle) {
          const q = ((al - lc) / pr) ** 2 + ((u - 0.3 * h) / ph) ** 2
          if (q <= 1) t = q > 0.6 ? TISSUE.cortex : TISSUE.posteriorBone
        }
        if (t < 0 && lamQ < 1) {
          const q = (l / lamW) ** 4 + lamQ
          if (q <= 1) t = q > 0.7 ? TISSUE.cortex : TISSUE.posteriorBone
        }
        if (t < 0 && inFacetBand) {
          const q = ((al - facL) / facR) ** 2 + ((vv - facV) / facR) ** 2 + ((u - facUc) / facUh) ** 6
          if (q <= 1) t = q > 0.65 ? TISSUE.cortex : TISSUE.posteriorBone
        }
        if (t < 0 && inSpinous) {
          const q = (l / v.spinousHalfWidth) ** 2 + spQ
          if (q <= 1) t = q > 0.6 ? TISSUE.cortex : TISSUE.posteriorBone
        }
        if (t < 0) continue
        tissue[base + i] = t
        labels[base + i] = label
      }
    }
  }
}
