/**
 * The exact null distribution of the Wilcoxon signed-rank statistic V (the sum of the ranks
 * of the positive differences among n non-zero, untied differences), as R's `psignrank`.
 */

const counts = new Map<number, Float64Array>()

/**
 * Number of subsets of {1..n} with each sum 0..n(n+1)/2 (R's csignrank, full table). Exact in
 * doubles for the n < 50 that the test uses (counts below 2^49); cached per n.
 */
function subsetSums(n: number): Float64Array {
  let w = counts.get(n)
  if (w) return w
  const u = (n * (n + 1)) / 2
  w = new Float64Array(u + 1)
  w[0] = 1
  for (let j = 1; j <= n; j++) {
    const top = (j * (j + 1)) / 2
    for (let i = top; i >= j; i--) w[i] += w[i - j]
  }
  counts.set(n, w)
  return w
}

/** P(V > x) for n differences: R's `psignrank(x, n, lower.tail = FALSE)`, same summation. */
export function signedRankUpperTail(x: number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`signed-rank distribution: n must be a positive integer, got ${n}`)
  const u = (n * (n + 1)) / 2
  const k = Math.round(x + 1e-7) // R_forceint
  if (k < 0) return 1
  if (k >= u) return 0
  const w = subsetSums(n)
  const f = Math.exp(-n * Math.LN2)
  let p = 0
  if (k <= u / 2) {
    // P(V <= k), complemented.
    for (let i = 0; i <= k; i++) p += w[i] * f
    return 0.5 - p + 0.5
  }
  // By symmetry P(V > k) = P(V < u - k).
  for (let i = 0; i < u - k; i++) p += w[i] * f
  return p
}
