import { distanceRanks, distanceSetFromValues, type DistanceSet } from './distance-set.ts'
import type { SurfaceDistances } from './surface-distances.ts'

/**
 * The q-th percentile (0-100) of a distance set with linear interpolation between closest
 * ranks, like numpy's default method (including its two-sided lerp, for bit-identical results).
 */
export function setPercentile(d: DistanceSet, q: number): number {
  if (d.size === 0) throw new Error('percentile of an empty list is undefined')
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile ${q} is outside 0-100`)
  const rank = (q / 100) * (d.size - 1)
  const lo = Math.floor(rank)
  const [low, high] = distanceRanks(d, lo, Math.min(lo + 1, d.size - 1))
  const t = rank - lo
  const diff = high - low
  return t >= 0.5 ? high - diff * (1 - t) : low + diff * t
}

/** setPercentile() of a plain list of values. */
export function percentile(values: ArrayLike<number>, q: number): number {
  return setPercentile(distanceSetFromValues(values), q)
}

/** HD95: the larger of the two directed 95th percentiles. */
export function hd95(d: SurfaceDistances): number {
  return Math.max(setPercentile(d.predToTruth, 95), setPercentile(d.truthToPred, 95))
}
