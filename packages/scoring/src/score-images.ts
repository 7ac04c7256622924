import { checkPairGeometry } from './image/geometry.ts'
import { labelVolume, type LabelVolume } from './image/labels.ts'
import { ImageError, type Image3D } from './image/types.ts'
import { averageSurfaceDistance } from './metrics/asd.ts'
import { dice, isDetected } from './metrics/dice.ts'
import { hd95 } from './metrics/hd95.ts'
import { indexLabels, labelMask, type IndexedLabels } from './metrics/label-masks.ts'
import { labelStats } from './metrics/label-stats.ts'
import { matchLabels } from './metrics/match.ts'
import { surfaceDistances } from './metrics/surface-distances.ts'
import type { ProfileName } from './profiles/profile.ts'
import { officialMetrics } from './profiles/spider-official.ts'
import { spiderMetrics } from './profiles/spider.ts'
import type { SeriesResult, StructureResult } from './result.ts'
import { sequenceOf } from './sequence.ts'
import { structureClass } from './structures.ts'

/** Bounds on what scoring one series may hold in memory, and on the predictions it accepts. */
export interface ScoreOptions {
  /**
   * Refuse (ImageError) a prediction with more distinct positive labels than this; default:
   * no limit. SPIDER masks have fewer than 100 structures.
   */
  readonly maxPredictionLabels?: number
  /** Runs kept per volume before masks are built from the voxels instead (labelStats); default DEFAULT_MAX_RUNS. */
  readonly maxRuns?: number
  /** Bytes of overlap counters held at once (matchLabels); default DEFAULT_COUNTER_BYTES. */
  readonly counterBytes?: number
}

/**
 * Scores one series: `pred = null` is an empty prediction. Pure and synchronous; throws
 * ImageError for invalid labels or (prediction) geometry that does not fit the profile.
 */
export function scoreImages(
  truth: Image3D,
  pred: Image3D | null,
  profile: ProfileName,
  name: string,
  options: ScoreOptions = {},
): SeriesResult {
  const truthLabels = labelVolume(truth, `${name} (reference)`)
  if (!truth.spacing.every((v) => v > 0 && Number.isFinite(v)))
    throw new ImageError(`${name} (reference)`, `spacing [${truth.spacing.join(', ')}] must be positive`)
  let predIndexed: IndexedPrediction | null = null
  if (pred) {
    const predLabels = labelVolume(pred, `${name} (prediction)`)
    checkPairGeometry(truth, pred, profile, `${name} (prediction)`)
    predIndexed = indexPrediction(predLabels, truth.size, options, `${name} (prediction)`)
  }
  return scoreLabelVolumes(truth, truthLabels, predIndexed, profile, name, options)
}

/** A prediction ready for scoring: its indexed labels and the file's values of dense ids (LabelVolume.values). */
export interface IndexedPrediction extends IndexedLabels {
  readonly values: Float64Array | null
}

/**
 * Statistics and run index of a prediction on the reference's grid; throws ImageError naming
 * `file` when it has more distinct labels than `options.maxPredictionLabels`.
 */
export function indexPrediction(
  pred: LabelVolume,
  size: readonly [number, number, number],
  options: ScoreOptions,
  file: string,
): IndexedPrediction {
  const stats = labelStats(pred.labels, size, options.maxRuns)
  const cap = options.maxPredictionLabels
  if (cap !== undefined && stats.labels.length > cap) {
    throw new ImageError(
      file,
      `${stats.labels.length} distinct labels, at most ${cap} are accepted (SPIDER masks have fewer than 100 structures)`,
    )
  }
  return { ...indexLabels(pred.labels, size, stats), values: pred.values }
}

interface Scored {
  readonly matched: number
  readonly dice: number
  asd: number | null
  hd95: number | null
}

/**
 * Scores validated label volumes on the reference's grid (see scoreImages). Memory does not
 * grow with the number of labels: matching counts overlaps without masks, and masks are
 * built for matched pairs only, one prediction label (and one reference label) at a time.
 */
export function scoreLabelVolumes(
  truth: Image3D,
  truthLabels: LabelVolume,
  pred: IndexedPrediction | null,
  profile: ProfileName,
  name: string,
  options: ScoreOptions = {},
): SeriesResult {
  const size = truth.size
  const [sx, sy, sz] = truth.spacing
  // The official scorer applies ITK's (sx, sy, sz) to numpy's (z, y, x) axes: x gets sz.
  const spacing: [number, number, number] = profile === 'spider' ? [sx, sy, sz] : [sz, sy, sx]
  const tStats = labelStats(truthLabels.labels, size, options.maxRuns)
  const tIndexed = indexLabels(truthLabels.labels, size, tStats)
  const truthValue = (id: number) => (truthLabels.values ? truthLabels.values[id] : id)
  const predValue = (id: number) => (pred?.values ? pred.values[id] : id)
  const matches = pred ? matchLabels(tIndexed, pred, options.counterBytes) : tStats.labels.map(() => ({ label: 0, overlap: 0 }))
  const scored: Scored[] = matches.map((m, i) => ({
    matched: m.label,
    dice: m.label === 0 || !pred ? 0 : dice(m.overlap, tStats.count[tStats.labels[i]], pred.stats.count[m.label]),
    asd: null,
    hd95: null,
  }))
  if (pred) {
    // Reference labels that need distances, grouped by their prediction label: each
    // prediction mask (and its surface) is built once and dropped before the next.
    const byPred = new Map<number, number[]>()
    scored.forEach((s, i) => {
      if (s.matched === 0) return
      // The official scorer computes ASD for every matched structure; spider only for detected ones.
      if (profile === 'spider-official' || isDetected(s.dice)) {
        const list = byPred.get(s.matched)
        if (list) list.push(i)
        else byPred.set(s.matched, [i])
      }
    })
    for (const [predLabel, truthIndices] of byPred) {
      const predMask = labelMask(pred, predLabel)
      for (const i of truthIndices) {
        const distances = surfaceDistances(labelMask(tIndexed, tStats.labels[i]), predMask, size, spacing)
        scored[i].asd = averageSurfaceDistance(distances)
        if (profile === 'spider') scored[i].hd95 = hd95(distances)
      }
    }
  }
  const structures: StructureResult[] = tStats.labels.map((id, i) => {
    const s = scored[i]
    const label = truthValue(id)
    return {
      label,
      class: structureClass(label),
      matchedLabel: s.matched === 0 ? null : predValue(s.matched),
      dice: s.dice,
      asd: s.asd,
      hd95: s.hd95,
      detected: isDetected(s.dice),
    }
  })
  const matched = new Set(scored.map((s) => s.matched))
  const falsePositives = pred ? pred.stats.labels.filter((p) => !matched.has(p)).length : 0
  const metrics = profile === 'spider' ? spiderMetrics(structures, falsePositives) : officialMetrics(structures)
  return { name, sequence: sequenceOf(name), status: 'scored', metrics, structures }
}
