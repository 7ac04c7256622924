/**
 * A multiset of distances, stored as counts over a sorted table of lengths (the offsets the
 * nearest-surface search tries, exact values) plus the few values the distance-transform
 * fallback produced. Means and percentiles come from the counts without materialising or
 * sorting one number per surface voxel.
 */
export interface DistanceSet {
  /** Ascending lengths; `counts[k]` values equal `lengths[k]`. */
  readonly lengths: Float64Array
  readonly counts: Float64Array
  /** Other values, any order. */
  readonly extra: Float64Array
  readonly size: number
}

export function distanceSetFromValues(values: ArrayLike<number>): DistanceSet {
  return { lengths: new Float64Array(0), counts: new Float64Array(0), extra: Float64Array.from(values), size: values.length }
}

export function distanceSum(d: DistanceSet): number {
  let s = 0
  for (let k = 0; k < d.counts.length; k++) if (d.counts[k] !== 0) s += d.counts[k] * d.lengths[k]
  for (let i = 0; i < d.extra.length; i++) s += d.extra[i]
  return s
}

/** Every value, ascending (for tests and small sets). */
export function distanceValues(d: DistanceSet): Float64Array {
  const out = new Float64Array(d.size)
  let i = 0
  for (let k = 0; k < d.counts.length; k++) for (let c = 0; c < d.counts[k]; c++) out[i++] = d.lengths[k]
  out.set(d.extra, i)
  return out.sort()
}

/** The values at sorted positions `a` and `b` (a <= b < size). */
export function distanceRanks(d: DistanceSet, a: number, b: number): [number, number] {
  if (!(a >= 0 && a <= b && b < d.size)) throw new Error(`ranks ${a}, ${b} outside a set of ${d.size} distances`)
  const extra = Float64Array.from(d.extra).sort()
  const found: number[] = []
  const want = [a, b]
  // Merge the two ascending sequences, counting positions, until both ranks are passed.
  let position = 0
  let k = 0
  let e = 0
  while (found.length < 2) {
    while (k < d.counts.length && d.counts[k] === 0) k++
    const fromTable = k < d.counts.length && (e >= extra.length || d.lengths[k] <= extra[e])
    const value = fromTable ? d.lengths[k] : extra[e]
    const run = fromTable ? d.counts[k] : 1
    while (found.length < 2 && want[found.length] < position + run) found.push(value)
    position += run
    if (fromTable) k++
    else e++
  }
  return [found[0], found[1]]
}
