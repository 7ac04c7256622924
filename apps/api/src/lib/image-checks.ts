/**
 * The checks of uploaded images, run in an image-validation thread (image-validator.ts),
 * never on the API's event loop. Each reads header first (readImage): a size other than the
 * expected one, too many voxels or a data length that does not fit the dimensions is refused
 * before a pixel is decoded. Problems name the uploader's own file (`path` in the archive),
 * never a server path.
 */
import {
  checkPairGeometry,
  checkImageHeader,
  distinctLabels,
  ImageError,
  labelVolume,
  readImage,
  readImageHeader,
  type Image3D,
  type ImageLimits,
} from '@spider-bench/scoring'

/** A participant's prediction for one test series. */
export interface PredictionTask {
  readonly kind: 'prediction'
  /** The extracted file on the server, and its path in the participant's archive. */
  readonly file: string
  readonly path: string
  readonly series: string
  readonly size: readonly number[]
  /** Most distinct non-zero labels the prediction may have (MAX_PREDICTION_LABELS). */
  readonly maxLabels: number
}

/** One series of an organiser's test-set archive: its image and its reference mask. */
export interface TestSeriesTask {
  readonly kind: 'test-series'
  readonly image: { readonly file: string; readonly path: string }
  readonly mask: { readonly file: string; readonly path: string }
  /** Most voxels either image may have (MAX_IMAGE_VOXELS). */
  readonly maxVoxels: number
}

export type ImageTask = PredictionTask | TestSeriesTask

/** null: the prediction is valid; else the problem, naming the participant's file. */
export type PredictionResult = { readonly problem: string | null }

export type TestSeriesResult =
  | { readonly problem: string }
  | {
      readonly problem: null
      readonly geometry: { size: number[]; spacing: number[]; origin: number[]; direction: number[] }
      /** The mask's distinct non-zero labels, ascending. */
      readonly labels: number[]
    }

export type ImageTaskResult<T extends ImageTask> = T extends PredictionTask ? PredictionResult : TestSeriesResult

/** readImage, with the problem re-attributed to the uploader's path. */
async function read(file: string, path: string, limits: ImageLimits): Promise<Image3D> {
  try {
    return await readImage(file, limits)
  } catch (err) {
    if (err instanceof ImageError) throw new ImageError(path, err.problem)
    throw err
  }
}

async function checkPrediction(task: PredictionTask): Promise<PredictionResult> {
  const { path, series } = task
  const image = await read(task.file, path, {
    expectedSize: task.size,
    sizeProblem: (size, expected) => `size ${size.join('x')} differs from the size of test series "${series}" (${expected.join('x')})`,
  })
  const labels = distinctLabels(labelVolume(image, path)).length
  // Worded as the scorer's own refusal (score-images.ts), which applies the same cap.
  if (labels > task.maxLabels)
    return {
      problem: `${path}: ${labels} distinct labels, at most ${task.maxLabels} are accepted (SPIDER masks have fewer than 100 structures)`,
    }
  return { problem: null }
}

async function checkTestSeries(task: TestSeriesTask): Promise<TestSeriesResult> {
  const { image, mask, maxVoxels } = task
  const header = async (f: { file: string; path: string }) => {
    const h = await readImageHeader(f.file).catch((err: unknown) => {
      throw err instanceof ImageError ? new ImageError(f.path, err.problem) : err
    })
    checkImageHeader(h, f.path, { maxVoxels })
    return h
  }
  // Headers first: neither image is decoded unless both are within the limits and agree.
  const maskHeader = await header(mask)
  const imageHeader = await header(image)
  const sameGrid: ImageLimits = {
    maxVoxels,
    expectedSize: imageHeader.size,
    sizeProblem: (size, expected) => `size ${size.join('x')} differs from the reference size ${expected.join('x')}`,
  }
  checkImageHeader(maskHeader, mask.path, sameGrid)
  const maskImage = await read(mask.file, mask.path, sameGrid)
  const labels = distinctLabels(labelVolume(maskImage, mask.path))
  const volume = await read(image.file, image.path, { maxVoxels, expectedSize: maskImage.size })
  checkPairGeometry(volume, maskImage, 'spider', mask.path)
  if (labels.length === 0) throw new ImageError(mask.path, 'the mask has no labelled structure (all voxels are 0)')
  const { size, spacing, origin, direction } = maskImage
  return { problem: null, geometry: { size: [...size], spacing: [...spacing], origin: [...origin], direction: [...direction] }, labels }
}

/** Runs one task; an input problem is a result, anything else (a bug, I/O) throws. */
export async function runImageTask<T extends ImageTask>(task: T): Promise<ImageTaskResult<T>> {
  try {
    const result = task.kind === 'prediction' ? await checkPrediction(task) : await checkTestSeries(task)
    return result as ImageTaskResult<T>
  } catch (err) {
    if (err instanceof ImageError) return { problem: err.message } as ImageTaskResult<T>
    throw err
  }
}
