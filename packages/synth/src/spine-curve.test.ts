import { describe, expect, it } from 'vitest'
import { buildSpineCurve, curveAt, sAtHeight } from './spine-curve.ts'

const deg = Math.PI / 180

describe('spine curve', () => {
  const curve = buildSpineCurve({ phi0: 40 * deg, lordosisRate: (50 * deg) / 180, phiMin: -10 * deg, sacralRate: 0.3 * deg }, -80, 300)

  it('starts at the origin with the sacral slope and bends by the lordosis', () => {
    const c0 = curveAt(curve, 0)
    expect(c0.p).toBeCloseTo(0, 9)
    expect(c0.a).toBeCloseTo(0, 9)
    expect(c0.phi / deg).toBeCloseTo(40, 6)
    expect(curveAt(curve, 180).phi / deg).toBeCloseTo(-10, 6)
    expect(curveAt(curve, 250).phi / deg).toBeCloseTo(-10, 6) // clamped above the lumbar spine
    // Going up from S1 the spine first moves anteriorly (p decreases): lordosis.
    expect(curveAt(curve, 50).p).toBeLessThan(0)
  })

  it('is parametrised by arc length', () => {
    let length = 0
    for (let s = -79; s < 299; s += 1) {
      const a = curveAt(curve, s)
      const b = curveAt(curve, s + 1)
      length += Math.hypot(b.p - a.p, b.a - a.a)
    }
    expect(length).toBeCloseTo(378, 1)
  })

  it('finds the arc length at a height, also for an offset curve', () => {
    for (const s of [-40, 0, 77.5, 200]) {
      expect(sAtHeight(curve, curveAt(curve, s).a)).toBeCloseTo(s, 4)
      const c = curveAt(curve, s)
      expect(sAtHeight(curve, c.a + 30 * Math.sin(c.phi), () => 30)).toBeCloseTo(s, 4)
    }
  })
})
