/**
 * nnU-Net importance weighting: a Gaussian centred on the patch with sigma = scale x patch
 * size, separable, so one 1D profile per axis suffices. Normalised to a peak of 1 and kept
 * strictly positive so that every voxel of a patch contributes.
 */
export function gaussianProfile(length: number, sigmaScale: number): Float32Array {
  const sigma = Math.max(sigmaScale * length, 1e-6)
  const centre = (length - 1) / 2
  const w = new Float32Array(length)
  let max = 0
  for (let i = 0; i < length; i++) {
    w[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma))
    max = Math.max(max, w[i])
  }
  let minPositive = Infinity
  for (let i = 0; i < length; i++) {
    w[i] /= max
    if (w[i] > 0) minPositive = Math.min(minPositive, w[i])
  }
  for (let i = 0; i < length; i++) if (w[i] === 0) w[i] = minPositive
  return w
}

/** Patch start positions along one axis: evenly spaced from 0 to size - patch, step at most `step`. */
export function patchStarts(size: number, patch: number, step: number): number[] {
  if (patch > size) throw new RangeError(`patch ${patch} larger than the (padded) volume ${size}`)
  if (size === patch) return [0]
  const n = Math.ceil((size - patch) / step) + 1
  const actual = (size - patch) / (n - 1)
  return Array.from({ length: n }, (_, i) => Math.round(i * actual))
}
