import type { AlgorithmConfig } from '../config/algorithm-config-schema.ts'

/** Percentile with linear interpolation between closest ranks (numpy's default) of sorted values. */
export function percentileSorted(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty array')
  const pos = (q / 100) * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/** k-th smallest value (0-based) of `a`, reordering `a` in place (Hoare's quickselect). */
function select(a: Float32Array, k: number): number {
  let left = 0
  let right = a.length - 1
  while (left < right) {
    const pivot = a[(left + right) >> 1]
    let i = left
    let j = right
    while (i <= j) {
      while (a[i] < pivot) i++
      while (a[j] > pivot) j--
      if (i <= j) {
        const t = a[i]
        a[i] = a[j]
        a[j] = t
        i++
        j--
      }
    }
    if (k <= j) right = j
    else if (k >= i) left = i
    else return a[k]
  }
  return a[k]
}

/** The same value as percentileSorted on the sorted data, in linear time. */
export function percentile(data: Float32Array, q: number): number {
  if (data.length === 0) throw new RangeError('percentile of an empty array')
  const pos = (q / 100) * (data.length - 1)
  const lo = Math.floor(pos)
  const work = data.slice()
  const a = select(work, lo)
  if (lo + 1 >= data.length || pos === lo) return a
  // After selection every value right of `lo` is >= a; the next rank is their minimum.
  let b = Infinity
  for (let i = lo + 1; i < work.length; i++) if (work[i] < b) b = work[i]
  return a + (b - a) * (pos - lo)
}

function zScoreInPlace(data: Float32Array): Float32Array {
  let sum = 0
  for (let i = 0; i < data.length; i++) sum += data[i]
  const mean = sum / data.length
  let sq = 0
  for (let i = 0; i < data.length; i++) sq += (data[i] - mean) ** 2
  // A constant image has std 0: keep it finite (all zeros) instead of dividing by zero.
  const std = Math.sqrt(sq / data.length) || 1
  for (let i = 0; i < data.length; i++) data[i] = (data[i] - mean) / std
  return data
}

/** Intensity normalisation over the whole series; returns a new array. */
export function normalizeIntensities(src: Float32Array, spec: AlgorithmConfig['normalization']): Float32Array {
  const data = src.slice()
  if (spec.kind === 'none') return data
  if (spec.kind === 'z-score') return zScoreInPlace(data)
  const lo = percentile(src, spec.lower)
  const hi = percentile(src, spec.upper)
  for (let i = 0; i < data.length; i++) data[i] = data[i] < lo ? lo : data[i] > hi ? hi : data[i]
  return zScoreInPlace(data)
}
