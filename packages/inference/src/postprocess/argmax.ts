import type { Block } from '../sliding-window/patch-model.ts'

/** Per-voxel index of the largest channel (ties: the lowest channel), as a one-channel map. */
export function argmaxChannels(block: Block<Float32Array>): Int32Array {
  const [X, Y, Z] = block.size
  const vol = X * Y * Z
  const best = block.data.slice(0, vol)
  const idx = new Int32Array(vol)
  for (let k = 1; k < block.channels; k++) {
    const off = k * vol
    for (let v = 0; v < vol; v++) {
      const s = block.data[off + v]
      if (s > best[v]) {
        best[v] = s
        idx[v] = k
      }
    }
  }
  return idx
}
