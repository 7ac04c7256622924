import { ImageError, type Image3D } from './types.ts'

/** Label arrays the metric kernels accept: unsigned integers, values < 65536. */
export type LabelArray = Uint8Array | Uint16Array

/**
 * A label image ready for the kernels. `values` maps a stored label to the file's label value
 * when the file's values did not fit 16 bits (then the stored labels are dense ids); null
 * means stored labels are the file's values.
 */
export interface LabelVolume {
  readonly labels: LabelArray
  readonly values: Float64Array | null
}

/**
 * Validates a label image (integer values >= 0) and returns its labels as an unsigned array,
 * without copying when the pixel type allows it. Throws ImageError naming the first bad voxel.
 */
export function labelVolume(image: Image3D, file: string): LabelVolume {
  const { data } = image
  if (data instanceof Uint8Array || data instanceof Uint16Array) return { labels: data, values: null }
  let max = 0
  const n = data.length
  for (let i = 0; i < n; i++) {
    const v = data[i]
    if (!(v >= 0) || v !== Math.floor(v)) throw badVoxel(image, file, i, v)
    if (v > max) max = v
  }
  if (data instanceof Int8Array) return { labels: new Uint8Array(data.buffer, data.byteOffset, n), values: null }
  if (data instanceof Int16Array) return { labels: new Uint16Array(data.buffer, data.byteOffset, n), values: null }
  if (max > 0xffffffff) throw new ImageError(file, `label ${max} is larger than the largest supported label 4294967295`)
  if (max <= 0xffff) return { labels: Uint16Array.from(data), values: null }
  return denseLabels(data, file)
}

/** The distinct non-zero label values of a label volume, ascending (the file's values). */
export function distinctLabels(volume: LabelVolume): number[] {
  const { labels, values } = volume
  const seen = new Uint8Array(65536)
  for (let i = 0; i < labels.length; i++) seen[labels[i]] = 1
  const out: number[] = []
  for (let v = 1; v < seen.length; v++) if (seen[v]) out.push(values ? values[v] : v)
  return out
}

/** Throws ImageError when the image is not a valid label image (see labelVolume). */
export function validateLabelImage(image: Image3D, file: string): void {
  labelVolume(image, file)
}

function badVoxel(image: Image3D, file: string, index: number, value: number): ImageError {
  const [nx, ny] = image.size
  const at = `(${index % nx}, ${Math.floor(index / nx) % ny}, ${Math.floor(index / (nx * ny))})`
  const what = Number.isNaN(value) ? 'NaN label' : value < 0 ? `negative label ${value}` : `fractional label ${value}`
  return new ImageError(file, `${what} at voxel ${at}: labels must be integers >= 0`)
}

// Rare path (labels >= 65536): renumber the distinct values densely in ascending order (so
// "smallest label wins a tie" still holds on the ids), remembering each value.
function denseLabels(data: ArrayLike<number>, file: string): LabelVolume {
  const distinct = new Set<number>([0])
  // Stops at the first label past the limit: the set never grows beyond 65537 values.
  for (let i = 0; i < data.length && distinct.size <= 0x10000; i++) distinct.add(data[i])
  if (distinct.size > 0x10000) throw new ImageError(file, 'more than 65535 distinct labels, at most 65535 are supported')
  const values = Float64Array.from(distinct).sort()
  const ids = new Map<number, number>()
  values.forEach((v, id) => ids.set(v, id))
  const labels = new Uint16Array(data.length)
  for (let i = 0; i < data.length; i++) labels[i] = ids.get(data[i]) ?? 0
  return { labels, values }
}
