import { checkPairGeometry } from './image/geometry.ts'
import { labelVolume } from './image/labels.ts'
import { readImage } from './image/read.ts'
import { ImageError } from './image/types.ts'
import type { ProfileName } from './profiles/profile.ts'
import type { SeriesResult } from './result.ts'
import { indexPrediction, scoreLabelVolumes, type IndexedPrediction, type ScoreOptions } from './score-images.ts'

export interface SeriesFiles {
  readonly name: string
  readonly truthPath: string
  /** null: no prediction file for this series. */
  readonly predPath: string | null
  readonly profile: ProfileName
  /** How error messages name the prediction file (a server names the upload, not its storage path); default predPath. */
  readonly predLabel?: string
  /** Memory bounds and the prediction label cap (see ScoreOptions). */
  readonly options?: ScoreOptions
}

/**
 * Reads, validates and scores one series. A reference problem throws ImageError; any
 * prediction problem (missing, unreadable, invalid labels, geometry) gives status "error"
 * with the message, and the series is scored as an empty prediction.
 */
export async function scoreSeriesFiles({
  name,
  truthPath,
  predPath,
  profile,
  predLabel,
  options = {},
}: SeriesFiles): Promise<SeriesResult> {
  // Both files are read concurrently; the prediction's outcome is settled (never rejects) so
  // that a reference error does not leave a rejected promise behind.
  const predRead =
    predPath === null
      ? null
      : readImage(predPath).then(
          (image) => ({ image }),
          (error: unknown) => ({ error }),
        )
  const truth = await readImage(truthPath)
  // Distances need a positive spacing; the prediction's is checked against this one.
  if (!truth.spacing.every((v) => v > 0 && Number.isFinite(v)))
    throw new ImageError(truthPath, `spacing [${truth.spacing.join(', ')}] must be positive`)
  const truthLabels = labelVolume(truth, truthPath)
  let prediction: IndexedPrediction | null = null
  let error: string | undefined
  if (predPath === null || predRead === null) {
    error = `missing prediction: no image named ${name}.* in the prediction folder`
  } else {
    try {
      const read = await predRead
      if ('error' in read) throw read.error
      checkPairGeometry(truth, read.image, profile, predPath)
      prediction = indexPrediction(labelVolume(read.image, predPath), truth.size, options, predPath)
    } catch (err) {
      if (!(err instanceof ImageError)) throw err
      error = predLabel === undefined ? err.message : `${predLabel}: ${err.problem}`
    }
  }
  const result = scoreLabelVolumes(truth, truthLabels, prediction, profile, name, options)
  return error === undefined ? result : { ...result, status: 'error', error }
}
