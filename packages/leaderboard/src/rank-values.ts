import type { MetricOrder } from './types.ts'

/**
 * Competition ranks ("min" method, as pandas `rank(method="min")` used by grand-challenge.org):
 * equal values share the best rank of their group and the next rank skips (1, 1, 3).
 * A missing value (null, NaN) is never better than a present one: all missing values share
 * the rank after the last present value.
 */
export function rankValues(values: readonly (number | null)[], order: MetricOrder): number[] {
  const present = (v: number | null): v is number => v !== null && Number.isFinite(v)
  const better = order === 'desc' ? (a: number, b: number) => b - a : (a: number, b: number) => a - b
  const sorted = values.filter(present).sort(better)
  // First index of each value in the sorted list = number of strictly better values.
  const firstIndex = new Map<number, number>()
  sorted.forEach((v, i) => {
    if (!firstIndex.has(v)) firstIndex.set(v, i)
  })
  return values.map((v) => (present(v) ? (firstIndex.get(v) as number) + 1 : sorted.length + 1))
}
