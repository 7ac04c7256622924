/**
 * The centre line of the spine in the mid-sagittal plane, as a table over arc length s (mm).
 * Coordinates: p = posterior (mm), a = superior (mm); s = 0 is the centre of the upper
 * endplate of S1, s grows upwards. The tangent angle phi is measured from the vertical,
 * positive when going up moves anteriorly: lumbar lordosis makes phi fall with s, the
 * sacrum (s < 0) bends the other way.
 */
export interface SpineCurve {
  readonly sMin: number
  readonly step: number
  readonly p: Float64Array
  readonly a: Float64Array
  readonly phi: Float64Array
}

export interface CurveShape {
  /** Tangent angle at s = 0 (sacral slope), radians. */
  readonly phi0: number
  /** Lordosis: fall of phi per mm of arc above s = 0, radians/mm. */
  readonly lordosisRate: number
  /** The lowest phi reached above the lumbar spine (thoracolumbar junction), radians. */
  readonly phiMin: number
  /** Sacral bend: fall of phi per mm of arc below s = 0, radians/mm. */
  readonly sacralRate: number
}

export function buildSpineCurve(shape: CurveShape, sMin: number, sMax: number, step = 0.5): SpineCurve {
  const n = Math.ceil((sMax - sMin) / step) + 1
  const phiAt = (s: number): number =>
    s >= 0 ? Math.max(shape.phiMin, shape.phi0 - shape.lordosisRate * s) : shape.phi0 + shape.sacralRate * s
  const phi = new Float64Array(n)
  for (let i = 0; i < n; i++) phi[i] = phiAt(sMin + i * step)
  // Integrate the unit tangent (-sin phi, cos phi) outwards from s = 0 (trapezoid rule).
  const p = new Float64Array(n)
  const a = new Float64Array(n)
  const i0 = Math.round(-sMin / step)
  for (let i = i0 + 1; i < n; i++) {
    const m = (phi[i] + phi[i - 1]) / 2
    p[i] = p[i - 1] - step * Math.sin(m)
    a[i] = a[i - 1] + step * Math.cos(m)
  }
  for (let i = i0 - 1; i >= 0; i--) {
    const m = (phi[i] + phi[i + 1]) / 2
    p[i] = p[i + 1] + step * Math.sin(m)
    a[i] = a[i + 1] - step * Math.cos(m)
  }
  return { sMin, step, p, a, phi }
}

/** Point and tangent angle at arc length s (linear interpolation, clamped to the table). */
export function curveAt(curve: SpineCurve, s: number): { p: number; a: number; phi: number } {
  const x = Math.min(curve.p.length - 1.000001, Math.max(0, (s - curve.sMin) / curve.step))
  const i = Math.floor(x)
  const f = x - i
  return {
    p: curve.p[i] + f * (curve.p[i + 1] - curve.p[i]),
    a: curve.a[i] + f * (curve.a[i + 1] - curve.a[i]),
    phi: curve.phi[i] + f * (curve.phi[i + 1] - curve.phi[i]),
  }
}

/**
 * Arc length where a curve offset by `offset(s)` mm along the posterior normal crosses the
 * height a. a grows monotonically with s along a spine (|phi| < 90 degrees), so bisection works.
 */
export function sAtHeight(curve: SpineCurve, aTarget: number, offset: (s: number) => number = () => 0): number {
  const heightAt = (s: number): number => {
    const c = curveAt(curve, s)
    return c.a + offset(s) * Math.sin(c.phi)
  }
  let lo = curve.sMin
  let hi = curve.sMin + (curve.p.length - 1) * curve.step
  if (aTarget <= heightAt(lo)) return lo
  if (aTarget >= heightAt(hi)) return hi
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2
    if (heightAt(mid) < aTarget) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}
