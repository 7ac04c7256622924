/**
 * The label bomb of issue 10, finding 3: a valid prediction of `labels` distinct labels (at
 * most 65 535) with two voxels each at opposite ends of the volume (voxel i and voxel n-1-i),
 * so that every label's bounding box spans most of the series. A scorer that holds one bit
 * mask per label over its box needs gigabytes for a 17x214x214 series.
 */
import type { Image3D } from '@spider-bench/scoring'

export function labelBomb(reference: Image3D, labels = 65_535): Image3D {
  const n = reference.data.length
  if (!Number.isInteger(labels) || labels < 1 || labels > 65_535) throw new RangeError(`labels must be 1-65535, got ${labels}`)
  if (2 * labels > n) throw new RangeError(`a ${reference.size.join('x')} volume holds fewer than ${2 * labels} voxels`)
  const data = new Uint16Array(n)
  for (let v = 1; v <= labels; v++) {
    data[v - 1] = v
    data[n - v] = v
  }
  return { ...reference, componentType: 'uint16', data }
}
