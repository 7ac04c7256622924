import { checkPairGeometry } from './image/geometry.ts'
import { labelVolume, type LabelVolume } from './image/labels.ts'
import { ImageError, type Image3D } from './image/types.ts'
import { averageSurfaceDistance } from './metrics/asd.ts'
import { dice, isDetected } from './metrics/dice.ts'
import { hd95 } from './metrics/hd95.ts'
import { labelMasks, type LabelMask } from './metrics/label-masks.ts'
import { labelStats } from './metrics/label-stats.ts'
import { matchLabel } from './metrics/match.ts'
import { surfaceDistances } from './metrics/surface-distances.ts'
import type { ProfileName } from './profiles/profile.ts'
import { officialMetrics } from './profiles/spider-official.ts'
import { spiderMetrics } from './profiles/spider.ts'
import type { SeriesResult, StructureResult } from './result.ts'
import { sequenceOf } from './sequence.ts'
import { structureClass } from './structures.ts'

/**
 * Scores one series: `pred = null` is an empty prediction. Pure and synchronous; throws
 * ImageError for invalid labels or (prediction) geometry that does not fit the profile.
 */
export function scoreImages(truth: Image3D, pred: Image3D | null, profile: ProfileName, name: string): SeriesResult {
  const truthLabels = labelVolume(truth, `${name} (reference)`)
  if (!truth.spacing.every((v) => v > 0 && Number.isFinite(v))) throw new ImageError(`${name} (reference)`, `spacing [${truth.spacing.join(', ')}] must be positive`)
  let predLabels: LabelVolume | null = null
  if (pred) {
    predLabels = labelVolume(pred, `${name} (prediction)`)
    checkPairGeometry(truth, pred, profile, `${name} (prediction)`)
  }
  return scoreLabelVolumes(truth, truthLabels, predLabels, profile, name)
}

/** Scores validated label volumes on the reference's grid (see scoreImages). */
export function scoreLabelVolumes(
  truth: Image3D,
  truthLabels: LabelVolume,
  predLabels: LabelVolume | null,
  profile: ProfileName,
  name: string,
): SeriesResult {
  const size = truth.size
  const [sx, sy, sz] = truth.spacing
  // The official scorer applies ITK's (sx, sy, sz) to numpy's (z, y, x) axes: x gets sz.
  const spacing: [number, number, number] = profile === 'spider' ? [sx, sy, sz] : [sz, sy, sx]
  const tStats = labelStats(truthLabels.labels, size)
  const pStats = predLabels ? labelStats(predLabels.labels, size) : null
  const tMasks = labelMasks(tStats)
  const pMasks = predLabels && pStats ? labelMasks(pStats) : new Map<number, LabelMask>()
  const truthValue = (id: number) => (truthLabels.values ? truthLabels.values[id] : id)
  const predValue = (id: number) => (predLabels?.values ? predLabels.values[id] : id)
  const matched = new Set<number>()
  const structures: StructureResult[] = []
  for (const id of tStats.labels) {
    const label = truthValue(id)
    const truthMask = tMasks.get(id) as LabelMask
    const match = matchLabel(truthMask, pMasks)
    let score = 0
    let asd: number | null = null
    let hd: number | null = null
    if (match.label !== 0 && pStats) {
      matched.add(match.label)
      score = dice(match.overlap, tStats.count[id], pStats.count[match.label])
      // The official scorer computes ASD for every matched structure; spider only for detected ones.
      if (profile === 'spider-official' || isDetected(score)) {
        const distances = surfaceDistances(truthMask, pMasks.get(match.label) as LabelMask, size, spacing)
        asd = averageSurfaceDistance(distances)
        if (profile === 'spider') hd = hd95(distances)
      }
    }
    structures.push({
      label,
      class: structureClass(label),
      matchedLabel: match.label === 0 ? null : predValue(match.label),
      dice: score,
      asd,
      hd95: hd,
      detected: isDetected(score),
    })
  }
  const falsePositives = pStats ? pStats.labels.filter((p) => !matched.has(p)).length : 0
  const metrics = profile === 'spider' ? spiderMetrics(structures, falsePositives) : officialMetrics(structures)
  return { name, sequence: sequenceOf(name), status: 'scored', metrics, structures }
}
