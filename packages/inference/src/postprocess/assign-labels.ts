import type { ChannelTarget } from '../config/algorithm-config-schema.ts'
import { connectedComponents } from './connected-components.ts'

/** The geometry needed to tell "bottom" from "top": physical height is the LPS z coordinate. */
export interface Geometry {
  readonly size: readonly [number, number, number]
  readonly spacing: readonly [number, number, number]
  readonly origin: readonly [number, number, number]
  readonly direction: readonly number[]
}

export interface AssignOptions {
  readonly connectivity: 6 | 26
  readonly minComponentVoxels: number
}

/** Vertebra labels are 1..99; more components than that keep the 99 largest. */
const MAX_VERTEBRAE = 99
const DISC_BASE = 201
const CANAL_LABEL = 100

/** Physical superior coordinate (LPS z) of a continuous voxel index. */
function heightOf(g: Geometry, idx: readonly [number, number, number]): number {
  let h = g.origin[2]
  for (let c = 0; c < 3; c++) h += g.direction[6 + c] * g.spacing[c] * idx[c]
  return h
}

/**
 * Turns a per-voxel target index map into SPIDER labels: a `label` target is written as is,
 * `canal` becomes 100, `background` 0, and the connected components of `vertebra` and `disc`
 * are numbered from the bottom (lowest centroid in patient space first): vertebrae 1.., discs
 * 201.., the SPIDER instance scheme. Components below `minComponentVoxels` are dropped.
 */
export function assignLabels(targetIndex: Int32Array, targets: readonly (ChannelTarget | undefined)[], geometry: Geometry, opts: AssignOptions): Uint16Array {
  const out = new Uint16Array(targetIndex.length)
  const classOf = (v: number): string | null => {
    const t = targets[targetIndex[v]]
    return t && 'class' in t ? t.class : null
  }
  for (let v = 0; v < targetIndex.length; v++) {
    const t = targets[targetIndex[v]]
    if (!t) continue
    if ('label' in t) out[v] = t.label
    else if (t.class === 'canal') out[v] = CANAL_LABEL
  }
  for (const [cls, base, max] of [
    ['vertebra', 1, MAX_VERTEBRAE],
    ['disc', DISC_BASE, 65535 - DISC_BASE + 1],
  ] as const) {
    if (!targets.some((t) => t && 'class' in t && t.class === cls)) continue
    const cc = connectedComponents(geometry.size, (v) => classOf(v) === cls, opts.connectivity)
    let kept = Array.from({ length: cc.count }, (_, i) => i).filter((i) => cc.sizes[i] >= opts.minComponentVoxels)
    if (kept.length > max) kept = kept.sort((a, b) => cc.sizes[b] - cc.sizes[a]).slice(0, max)
    kept.sort((a, b) => heightOf(geometry, cc.centroids[a]) - heightOf(geometry, cc.centroids[b]))
    const labelOf = new Int32Array(cc.count + 1)
    kept.forEach((comp, rank) => (labelOf[comp + 1] = base + rank))
    for (let v = 0; v < out.length; v++) if (cc.labels[v] !== 0) out[v] = labelOf[cc.labels[v]]
  }
  return out
}
