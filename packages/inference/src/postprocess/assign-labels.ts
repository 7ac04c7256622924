import type { ChannelTarget } from '../config/algorithm-config-schema.ts'
import { connectedComponents } from './connected-components.ts'
import { seededSplit } from './seeded-split.ts'

/** The geometry needed to tell "bottom" from "top": physical height is the LPS z coordinate. */
export interface Geometry {
  readonly size: readonly [number, number, number]
  readonly spacing: readonly [number, number, number]
  readonly origin: readonly [number, number, number]
  readonly direction: readonly number[]
}

export type SuperiorAxis = '+x' | '-x' | '+y' | '-y' | '+z' | '-z'

export interface AssignOptions {
  readonly connectivity: 6 | 26
  readonly minComponentVoxels: number
  /** The patient-space axis pointing up (superior): '+z' in LPS (DICOM, ITK). */
  readonly superior: SuperiorAxis
  /** Erosion radius (x, y, z) that splits touching vertebrae (seededSplit); 0 = plain components. */
  readonly vertebraSplitRadius?: readonly [number, number, number]
}

/** Vertebra labels are 1..99; more components than that keep the 99 largest. */
const MAX_VERTEBRAE = 99
const DISC_BASE = 201
const CANAL_LABEL = 100

/** Height of a continuous voxel index: its patient-space coordinate along the superior axis. */
function heightOf(g: Geometry, idx: readonly [number, number, number], superior: SuperiorAxis): number {
  const r = 'xyz'.indexOf(superior[1])
  let h = g.origin[r]
  for (let c = 0; c < 3; c++) h += g.direction[3 * r + c] * g.spacing[c] * idx[c]
  return superior[0] === '-' ? -h : h
}

/**
 * Turns a per-voxel target index map into SPIDER labels: a `label` target is written as is,
 * `canal` becomes 100, `background` 0, and the connected components of `vertebra` and `disc`
 * are numbered from the bottom (lowest centroid along `superior` first): vertebrae 1.., discs
 * 201.., the SPIDER instance scheme. Components below `minComponentVoxels` are dropped.
 */
export function assignLabels(
  targetIndex: Int32Array,
  targets: readonly (ChannelTarget | undefined)[],
  geometry: Geometry,
  opts: AssignOptions,
): Uint16Array {
  const out = new Uint16Array(targetIndex.length)
  // Per target index: the label written directly, and the class code (1 vertebra, 2 disc).
  const direct = new Uint16Array(targets.length)
  const code = new Uint8Array(targets.length)
  targets.forEach((t, i) => {
    if (!t) return
    if ('label' in t) direct[i] = t.label
    else if (t.class === 'canal') direct[i] = CANAL_LABEL
    else if (t.class === 'vertebra') code[i] = 1
    else if (t.class === 'disc') code[i] = 2
  })
  for (let v = 0; v < targetIndex.length; v++) out[v] = direct[targetIndex[v]]
  for (const [cls, base, max] of [
    [1, 1, MAX_VERTEBRAE],
    [2, DISC_BASE, 65535 - DISC_BASE + 1],
  ] as const) {
    if (!code.includes(cls)) continue
    const mask = new Uint8Array(targetIndex.length)
    for (let v = 0; v < mask.length; v++) mask[v] = code[targetIndex[v]] === cls ? 1 : 0
    const radius: readonly [number, number, number] = cls === 1 ? (opts.vertebraSplitRadius ?? [0, 0, 0]) : [0, 0, 0]
    const cc = radius.some((r) => r > 0)
      ? seededSplit(geometry.size, mask, radius, Math.max(1, opts.minComponentVoxels >> 2), opts.connectivity)
      : connectedComponents(geometry.size, mask, opts.connectivity)
    let kept = Array.from({ length: cc.count }, (_, i) => i).filter((i) => cc.sizes[i] >= opts.minComponentVoxels)
    if (kept.length > max) kept = kept.sort((a, b) => cc.sizes[b] - cc.sizes[a]).slice(0, max)
    kept.sort((a, b) => heightOf(geometry, cc.centroids[a], opts.superior) - heightOf(geometry, cc.centroids[b], opts.superior))
    const labelOf = new Int32Array(cc.count + 1)
    kept.forEach((comp, rank) => (labelOf[comp + 1] = base + rank))
    for (let v = 0; v < out.length; v++) if (cc.labels[v] !== 0) out[v] = labelOf[cc.labels[v]]
  }
  return out
}
