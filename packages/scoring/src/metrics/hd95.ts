import type { SurfaceDistances } from './surface-distances.ts'

/**
 * The q-th percentile (0-100) with linear interpolation between closest ranks, like numpy's
 * default method (including its two-sided lerp, for bit-identical results). Selection in
 * linear time on a copy instead of a full sort.
 */
export function percentile(values: Float64Array, q: number): number {
  return percentileInPlace(Float64Array.from(values), q)
}

/** percentile() without the copy: reorders `a`. */
export function percentileInPlace(a: Float64Array, q: number): number {
  if (a.length === 0) throw new Error('percentile of an empty list is undefined')
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile ${q} is outside 0-100`)
  const rank = (q / 100) * (a.length - 1)
  const lo = Math.floor(rank)
  select(a, lo)
  const low = a[lo]
  let high = low
  if (lo + 1 < a.length) {
    // After selection every element right of lo is >= a[lo]: the next rank is their minimum.
    high = a[lo + 1]
    for (let i = lo + 2; i < a.length; i++) if (a[i] < high) high = a[i]
  }
  const t = rank - lo
  const diff = high - low
  return t >= 0.5 ? high - diff * (1 - t) : low + diff * t
}

/** Rearranges `a` so that a[k] is the k-th smallest, smaller before it and larger after (Hoare selection). */
function select(a: Float64Array, k: number): void {
  let left = 0
  let right = a.length - 1
  while (right > left) {
    // Median of three as pivot keeps sorted and constant inputs linear.
    const mid = (left + right) >>> 1
    const pivot = median3(a[left], a[mid], a[right])
    let i = left
    let j = right
    while (i <= j) {
      while (a[i] < pivot) i++
      while (a[j] > pivot) j--
      if (i <= j) {
        const tmp = a[i]
        a[i] = a[j]
        a[j] = tmp
        i++
        j--
      }
    }
    if (k <= j) right = j
    else if (k >= i) left = i
    else return
  }
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b
}

/** HD95: the larger of the two directed 95th percentiles. Reorders both distance arrays. */
export function hd95(d: SurfaceDistances): number {
  return Math.max(percentileInPlace(d.predToTruth, 95), percentileInPlace(d.truthToPred, 95))
}
