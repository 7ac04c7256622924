import type { AlgorithmConfig } from '../config/algorithm-config-schema.ts'

/** Percentile with linear interpolation between closest ranks (numpy's default) of sorted values. */
export function percentileSorted(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty array')
  const pos = (q / 100) * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
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
  const sorted = src.slice().sort()
  const lo = percentileSorted(sorted, spec.lower)
  const hi = percentileSorted(sorted, spec.upper)
  for (let i = 0; i < data.length; i++) data[i] = data[i] < lo ? lo : data[i] > hi ? hi : data[i]
  return zScoreInPlace(data)
}
