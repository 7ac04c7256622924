import type { SurfaceDistances } from './surface-distances.ts'

/**
 * The q-th percentile (0-100) with linear interpolation between closest ranks, like numpy's
 * default method (including its two-sided lerp, for bit-identical results).
 */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) throw new Error('percentile of an empty list is undefined')
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile ${q} is outside 0-100`)
  const sorted = Float64Array.from(values).sort()
  const rank = (q / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.min(lo + 1, sorted.length - 1)
  const t = rank - lo
  const a = sorted[lo]
  const b = sorted[hi]
  const diff = b - a
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

/** HD95: the larger of the two directed 95th percentiles. */
export function hd95(d: SurfaceDistances): number {
  return Math.max(percentile(d.predToTruth, 95), percentile(d.truthToPred, 95))
}
