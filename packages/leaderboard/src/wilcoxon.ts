import { normalUpperTail } from './normal-cdf.ts'
import { signedRankUpperTail } from './signed-rank-distribution.ts'

/** One one-sided paired Wilcoxon signed-rank test ("x greater than y"). */
export interface WilcoxonResult {
  /** V: the sum of the ranks of |x - y| over the positive differences. */
  readonly statistic: number
  readonly pValue: number
  /** True when the exact distribution was used (else the normal approximation). */
  readonly exact: boolean
  /** Non-zero differences (the pairs the test ranks). */
  readonly n: number
}

export interface WilcoxonPair {
  readonly xOverY: WilcoxonResult
  readonly yOverX: WilcoxonResult
}

/**
 * R's `wilcox.test(x, y, paired = TRUE, alternative = "greater")` with its defaults
 * (`exact = NULL`, `correct = TRUE`, `digits.rank = Inf`): pairs where either value is missing
 * are dropped, then zero differences; the exact distribution only for fewer than 50 non-zero
 * differences without ties among their absolute values and without any zero difference;
 * otherwise the normal approximation with tie and continuity corrections.
 * Null when no pair has both values (where R stops with "not enough observations").
 */
export function wilcoxonGreater(x: readonly (number | null)[], y: readonly (number | null)[]): WilcoxonResult | null {
  return wilcoxonBothWays(x, y)?.xOverY ?? null
}

/**
 * Both one-sided tests of a pair from one ranking of the differences: "x greater than y" and
 * "y greater than x" (V and n(n+1)/2 - V share the zeros, ties and ranks).
 */
export function wilcoxonBothWays(x: readonly (number | null)[], y: readonly (number | null)[]): WilcoxonPair | null {
  if (x.length !== y.length) throw new Error(`paired Wilcoxon test: x has ${x.length} values, y has ${y.length}`)
  const toArray = (v: readonly (number | null)[]) => Float64Array.from(v, (a) => (a === null ? NaN : a))
  return pairedTests(toArray(x), toArray(y), new SignedRankScratch(x.length))
}

/** Work arrays for `pairedTests`, reusable across pairs of up to `size` values. */
export class SignedRankScratch {
  readonly diffs: Float64Array
  readonly sorted: Float64Array
  constructor(size: number) {
    this.diffs = new Float64Array(size)
    this.sorted = new Float64Array(size)
  }
}

/** `wilcoxonBothWays` on NaN-for-missing arrays of equal length, without allocating per pair. */
export function pairedTests(x: Float64Array, y: Float64Array, scratch: SignedRankScratch): WilcoxonPair | null {
  const { diffs, sorted } = scratch
  let complete = 0
  let zeroes = false
  let n = 0
  for (let i = 0; i < x.length; i++) {
    const diff = x[i] - y[i]
    if (diff !== diff) continue // either value missing
    complete++
    if (diff === 0) zeroes = true
    else diffs[n++] = diff
  }
  if (complete === 0) return null
  const { v, tieTerm } = signedRankSum(diffs, sorted, n)
  const total = (n * (n + 1)) / 2
  const reverse = total - v
  const exact = n < 50 && tieTerm === 0 && !zeroes
  if (exact) {
    return {
      xOverY: { statistic: v, pValue: signedRankUpperTail(v - 1, n), exact, n },
      yOverX: { statistic: reverse, pValue: signedRankUpperTail(reverse - 1, n), exact, n },
    }
  }
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48)
  const centre = (n * (n + 1)) / 4
  return {
    xOverY: { statistic: v, pValue: normalUpperTail((v - centre - 0.5) / sigma), exact, n },
    yOverX: { statistic: reverse, pValue: normalUpperTail((reverse - centre - 0.5) / sigma), exact, n },
  }
}

/**
 * Over the first n differences: V = the sum of the average ranks (R's `rank`, ties.method
 * "average") of |d| over the positive differences, and Σ(t³ - t) over groups of t equal
 * absolute values (0 when there is no tie). The absolute values are sorted natively; each
 * positive difference finds its group lo..hi (0-based) by binary search: average rank (lo + hi) / 2 + 1.
 */
function signedRankSum(d: Float64Array, scratch: Float64Array, n: number): { v: number; tieTerm: number } {
  const sorted = scratch.subarray(0, n)
  for (let i = 0; i < n; i++) sorted[i] = Math.abs(d[i])
  sorted.sort()
  let tieTerm = 0
  for (let start = 0; start < n;) {
    let end = start + 1
    while (end < n && sorted[end] === sorted[start]) end++
    const t = end - start
    tieTerm += t * t * t - t
    start = end
  }
  let v = 0
  for (let i = 0; i < n; i++) {
    const x = d[i]
    if (x <= 0) continue
    // First index with sorted[k] >= x, then first with sorted[k] > x.
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid] < x) lo = mid + 1
      else hi = mid
    }
    let top = lo
    hi = n
    while (top < hi) {
      const mid = (top + hi) >>> 1
      if (sorted[mid] <= x) top = mid + 1
      else hi = mid
    }
    v += (lo + top - 1) / 2 + 1
  }
  return { v, tieTerm }
}
