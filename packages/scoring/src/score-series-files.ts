import { checkPairGeometry } from './image/geometry.ts'
import { labelVolume, type LabelVolume } from './image/labels.ts'
import { readImage } from './image/read.ts'
import { ImageError } from './image/types.ts'
import type { ProfileName } from './profiles/profile.ts'
import type { SeriesResult } from './result.ts'
import { scoreLabelVolumes } from './score-images.ts'

export interface SeriesFiles {
  readonly name: string
  readonly truthPath: string
  /** null: no prediction file for this series. */
  readonly predPath: string | null
  readonly profile: ProfileName
}

/**
 * Reads, validates and scores one series. A reference problem throws ImageError; any
 * prediction problem (missing, unreadable, invalid labels, geometry) gives status "error"
 * with the message, and the series is scored as an empty prediction.
 */
export async function scoreSeriesFiles({ name, truthPath, predPath, profile }: SeriesFiles): Promise<SeriesResult> {
  const truth = await readImage(truthPath)
  const truthLabels = labelVolume(truth, truthPath)
  let predLabels: LabelVolume | null = null
  let error: string | undefined
  if (predPath === null) {
    error = `missing prediction: no image named ${name}.* in the prediction folder`
  } else {
    try {
      const pred = await readImage(predPath)
      checkPairGeometry(truth, pred, profile, predPath)
      predLabels = labelVolume(pred, predPath)
    } catch (err) {
      if (!(err instanceof ImageError)) throw err
      error = err.message
    }
  }
  const result = scoreLabelVolumes(truth, truthLabels, predLabels, profile, name)
  return error === undefined ? result : { ...result, status: 'error', error }
}
