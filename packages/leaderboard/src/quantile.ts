/**
 * The p-quantile of ascending values by linear interpolation between order statistics, as R's
 * default `quantile(x, p, type = 7)`: with h = (n - 1) p, (1 - f) x[⌊h⌋] + f x[⌊h⌋ + 1], f = h - ⌊h⌋
 * (0-based), computed in R's form so that equal neighbours give that value exactly.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) throw new Error('quantile of an empty list')
  if (!(p >= 0 && p <= 1)) throw new Error(`quantile: p must lie in [0, 1], got ${p}`)
  // R's 1-based index arithmetic, kept so that f rounds exactly as R's does.
  const index = 1 + (n - 1) * p
  const lo = Math.floor(index)
  const f = index - lo
  const a = sorted[lo - 1]
  const b = sorted[Math.ceil(index) - 1]
  return f > 0 && a !== b ? (1 - f) * a + f * b : a
}
