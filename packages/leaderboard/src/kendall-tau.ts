/**
 * Kendall's τ-b between two rankings of the same items (R's `cor(a, b, method = "kendall")`):
 * (concordant - discordant) / sqrt((n0 - ties in a) (n0 - ties in b)) over all n0 pairs.
 * Null when it is undefined: fewer than two items, or either ranking ties every item.
 */
export function kendallTauB(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length
  if (b.length !== n) throw new Error(`Kendall's tau: ${n} ranks against ${b.length}`)
  let concordant = 0
  let discordant = 0
  let tiedA = 0
  let tiedB = 0
  for (let i = 0; i < n; i++) {
    const ai = a[i]
    const bi = b[i]
    for (let j = i + 1; j < n; j++) {
      const da = ai - a[j]
      const db = bi - b[j]
      if (da === 0) tiedA++
      if (db === 0) tiedB++
      if (da === 0 || db === 0) continue
      if (da > 0 === db > 0) concordant++
      else discordant++
    }
  }
  const pairs = (n * (n - 1)) / 2
  const denominator = Math.sqrt((pairs - tiedA) * (pairs - tiedB))
  return denominator === 0 ? null : (concordant - discordant) / denominator
}
