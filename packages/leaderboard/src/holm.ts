/**
 * Holm's step-down adjustment, as R's `p.adjust(p, method = "holm")`: missing p-values (null)
 * stay missing and do not count among the comparisons; a single p-value is left as it is.
 * The adjusted value of the i-th smallest of m p-values is max over j <= i of min(1, (m + 1 - j) p(j)).
 */
export function holmAdjust(p: readonly (number | null)[]): (number | null)[] {
  const present: number[] = []
  for (let i = 0; i < p.length; i++) {
    const v = p[i]
    if (v !== null && !Number.isNaN(v)) {
      if (v < 0 || v > 1) throw new Error(`Holm adjustment: p-value ${v} at index ${i} is outside [0, 1]`)
      present.push(i)
    }
  }
  const m = present.length
  const out: (number | null)[] = p.map((v) => (v === null || Number.isNaN(v) ? null : v))
  if (m <= 1) return out
  // Stable order by p-value (R's order()), then the running maximum.
  const order = [...present].sort((a, b) => (p[a] as number) - (p[b] as number) || a - b)
  let running = 0
  for (let k = 0; k < m; k++) {
    running = Math.max(running, (m - k) * (p[order[k]] as number))
    out[order[k]] = Math.min(1, running)
  }
  return out
}
