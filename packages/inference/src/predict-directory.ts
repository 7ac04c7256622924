import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { listImages, sequenceOf } from '@spider-bench/scoring'
import type { AlgorithmConfig, ExecutionProvider } from './config/algorithm-config-schema.ts'
import { InferenceError } from './errors.ts'
import { ModelRunner } from './runner/model-runner.ts'
import type { SeriesTimings } from './runner/protocol.ts'

export interface PredictDirectoryOptions {
  readonly modelPath: string
  readonly config: AlgorithmConfig
  readonly imagesDir: string
  /** Predicted masks are written here as <series>.mha. */
  readonly outDir: string
  readonly providers?: readonly ExecutionProvider[]
  readonly timeLimitMs?: number
  readonly memoryLimitMb?: number
  readonly threads?: number
  /** Only these series (base names); default all. */
  readonly only?: readonly string[]
  readonly onSeries?: (result: SeriesPrediction, done: number, total: number) => void
}

export interface SeriesPrediction {
  readonly name: string
  readonly voxels: number
  readonly timings?: SeriesTimings
  readonly error?: InferenceError
}

/**
 * Runs an algorithm on every image of a folder in one model process (loaded once), series
 * by series: what the inference worker does for a test set, without the queue. Used by the
 * benchmark and the end-to-end tests. A failing series is reported and the run continues.
 */
export async function predictDirectory(
  opts: PredictDirectoryOptions,
): Promise<{ series: SeriesPrediction[]; provider: ExecutionProvider; loadMs: number }> {
  const images = [...(await listImages(opts.imagesDir, 'image'))].filter(([name]) => !opts.only || opts.only.includes(name))
  await mkdir(opts.outDir, { recursive: true })
  const runner = new ModelRunner({
    modelPath: opts.modelPath,
    config: opts.config,
    providers: opts.providers,
    timeLimitMs: opts.timeLimitMs ?? 600_000,
    memoryLimitMb: opts.memoryLimitMb ?? 8192,
    threads: opts.threads,
  })
  const series: SeriesPrediction[] = []
  try {
    const t0 = performance.now()
    const provider = await runner.start()
    const loadMs = performance.now() - t0
    for (const [name, imagePath] of images) {
      let result: SeriesPrediction
      try {
        const r = await runner.predict({ imagePath, outPath: join(opts.outDir, `${name}.mha`), sequence: sequenceOf(name) })
        result = { name, voxels: r.voxels, timings: r.timings }
      } catch (err) {
        if (!(err instanceof InferenceError)) throw err
        result = { name, voxels: 0, error: err }
      }
      series.push(result)
      opts.onSeries?.(result, series.length, images.length)
    }
    return { series, provider, loadMs }
  } finally {
    await runner.close()
  }
}
