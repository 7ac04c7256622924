import type { SurfaceDistances } from './surface-distances.ts'

/** Average symmetric surface distance: the mean of both directed sets pooled together. */
export function averageSurfaceDistance(d: SurfaceDistances): number {
  const n = d.predToTruth.length + d.truthToPred.length
  if (n === 0) throw new Error('ASD of two empty surfaces is undefined')
  return (sum(d.predToTruth) + sum(d.truthToPred)) / n
}

function sum(values: Float64Array): number {
  let s = 0
  for (let i = 0; i < values.length; i++) s += values[i]
  return s
}
