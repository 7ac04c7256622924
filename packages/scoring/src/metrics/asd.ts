import { distanceSum } from './distance-set.ts'
import type { SurfaceDistances } from './surface-distances.ts'

/** Average symmetric surface distance: the mean of both directed sets pooled together. */
export function averageSurfaceDistance(d: SurfaceDistances): number {
  const n = d.predToTruth.size + d.truthToPred.size
  if (n === 0) throw new Error('ASD of two empty surfaces is undefined')
  return (distanceSum(d.predToTruth) + distanceSum(d.truthToPred)) / n
}
