/** Mean of a non-empty list of positions. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean of an empty list')
  return values.reduce((s, v) => s + v, 0) / values.length
}

/** Median of a non-empty list (average of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list')
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
