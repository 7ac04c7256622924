/**
 * Upper tail of the standard normal distribution, P(Z > z), as R's `pnorm(z, lower.tail = FALSE)`:
 * W. J. Cody's rational Chebyshev approximations (ACM TOMS 715, 1993) with R's splitting of
 * exp(-z²/2) for accuracy in the tails. Relative error near machine precision over the whole
 * range; 0 beyond z ≈ 37.5, 1 below z ≈ -8.3 (where 1 - P is below half an ulp).
 * The coefficients are R's (src/nmath/pnorm.c), written as the doubles they round to.
 */
const A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745]
const B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673]
const C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726, 6848.190450536283, 11602.65143764735,
  9842.714838383978, 1.0765576773720192e-8,
]
const D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097, 34900.95272114598, 38912.00328609327,
  19685.429676859992,
]
const P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 0.000029112874951168793, 0.023073441764940174,
]
const Q = [1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 0.00007297515550839662]
const M_SQRT_32 = 5.656854249492381
const M_1_SQRT_2PI = 0.3989422804014327
const EPS = Number.EPSILON * 0.5

/** exp(-x²/2) · factor, with x² split so that the exponent loses no precision (R's do_del). */
function gaussTail(x: number, factor: number): number {
  const xsq = Math.trunc(x * 16) / 16
  const del = (x - xsq) * (x + xsq)
  return Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5) * factor
}

export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return NaN
  if (z === Infinity) return 0
  if (z === -Infinity) return 1
  const y = Math.abs(z)
  if (y <= 0.67448975) {
    let xnum = 0
    let xden = 0
    if (y > EPS) {
      const xsq = z * z
      xnum = A[4] * xsq
      xden = xsq
      for (let i = 0; i < 3; i++) {
        xnum = (xnum + A[i]) * xsq
        xden = (xden + B[i]) * xsq
      }
    }
    const temp = (z * (xnum + A[3])) / (xden + B[3])
    return 0.5 - temp
  }
  let lower: number // P(Z < -|z|)
  if (y <= M_SQRT_32) {
    let xnum = C[8] * y
    let xden = y
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + C[i]) * y
      xden = (xden + D[i]) * y
    }
    lower = gaussTail(y, (xnum + C[7]) / (xden + D[7]))
  } else if (-8.2924 < z && z < 37.5193) {
    const xsq = 1 / (z * z)
    let xnum = P[5] * xsq
    let xden = xsq
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + P[i]) * xsq
      xden = (xden + Q[i]) * xsq
    }
    const temp = (xsq * (xnum + P[4])) / (xden + Q[4])
    lower = gaussTail(z, (M_1_SQRT_2PI - temp) / y)
  } else {
    return z > 0 ? 0 : 1
  }
  // lower is the tail beyond |z|: the upper tail for z > 0, its complement otherwise.
  return z > 0 ? lower : 1 - lower
}
